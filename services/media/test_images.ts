/**
 * Real PNG and JPEG files for the variant tests (not a test file itself),
 * encoded with the same WebAssembly codecs the service decodes with; the
 * `.wasm` modules come as source phase imports, like image_codecs.ts.
 */
import encodeJpeg, { init as initJpegEncode } from "@jsquash/jpeg/encode.js";
import encodePng, { init as initPngEncode } from "@jsquash/png/encode.js";
import { jpegEncWasm, pngWasm } from "./render/codec_wasm.js";

let ready: Promise<unknown> | undefined;

/** A gradient of `width`×`height` pixels (opaque RGBA). */
function gradient(width: number, height: number): ImageData {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      data[at] = (x * 255) / width;
      data[at + 1] = (y * 255) / height;
      data[at + 2] = 128;
      data[at + 3] = 255;
    }
  }
  return new ImageData(data, width, height);
}

/** An image of `width`×`height` as PNG or JPEG bytes. */
export async function imageFile(
  type: "png" | "jpeg",
  width: number,
  height: number,
): Promise<Uint8Array<ArrayBuffer>> {
  ready ??= Promise.all([initPngEncode(pngWasm), initJpegEncode(jpegEncWasm)]);
  await ready;
  const image = gradient(width, height);
  const encoded = type === "png" ? await encodePng(image) : await encodeJpeg(image);
  return new Uint8Array(encoded);
}

/** Width and height of a WebP file (its VP8/VP8L/VP8X header) and whether it is one. */
export function webpHeader(bytes: Uint8Array): { riff: boolean; width: number; height: number } {
  const text = (from: number, to: number) => new TextDecoder().decode(bytes.subarray(from, to));
  const riff = text(0, 4) === "RIFF" && text(8, 12) === "WEBP";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunk = text(12, 16);
  if (chunk === "VP8L") {
    const bits = view.getUint32(21, true);
    return { riff, width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8X") {
    return {
      riff,
      width: (bytes[24] | bytes[25] << 8 | bytes[26] << 16) + 1,
      height: (bytes[27] | bytes[28] << 8 | bytes[29] << 16) + 1,
    };
  }
  // "VP8 " (lossy): the frame header after the 3-byte start code 9D 01 2A.
  return {
    riff,
    width: view.getUint16(26, true) & 0x3fff,
    height: view.getUint16(28, true) & 0x3fff,
  };
}
