// @ts-self-types="./codec_wasm.d.ts"
// The codecs' WebAssembly as Wasm source phase imports (compiled modules, no
// fetch, no permission). Plain JS with a declaration file: TypeScript's checker
// does not parse `import source` yet.
import source jpegDecWasm from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm";
import source jpegEncWasm from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm";
import source pngWasm from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm";
import source resizeWasm from "@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm";
import source webpDecWasm from "@jsquash/webp/codec/dec/webp_dec.wasm";
import source webpEncWasm from "@jsquash/webp/codec/enc/webp_enc_simd.wasm";

export { jpegDecWasm, jpegEncWasm, pngWasm, resizeWasm, webpDecWasm, webpEncWasm };
