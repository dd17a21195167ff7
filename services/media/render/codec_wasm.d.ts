/** MozJPEG decoder. */
export declare const jpegDecWasm: WebAssembly.Module;
/** MozJPEG encoder (tests make JPEG files with it). */
export declare const jpegEncWasm: WebAssembly.Module;
/** PNG decoder and encoder. */
export declare const pngWasm: WebAssembly.Module;
/** Squoosh's resizer. */
export declare const resizeWasm: WebAssembly.Module;
/** libwebp decoder. */
export declare const webpDecWasm: WebAssembly.Module;
/** libwebp encoder, SIMD build (V8 has SIMD). */
export declare const webpEncWasm: WebAssembly.Module;
