/**
 * Decoding, resizing and WebP encoding of avatars and gig images, with
 * Squoosh's codecs as WebAssembly (`@jsquash/*`: no native add-ons). Each
 * `.wasm` is a Wasm source phase import (codec_wasm.js) handed to its package's `init`, so
 * nothing is fetched or read at run time: the codecs need no permission (their
 * default loader would `fetch` a `file:` URL in the npm cache, needing
 * `--allow-read` of a machine-dependent path).
 *
 * CPU-heavy (about a second for an 800 px variant of a 1600×1200 image): run it
 * in variant_worker.ts, never on the service's event loop.
 */
import decodeJpeg, { init as initJpegDecode } from "@jsquash/jpeg/decode.js";
import decodePng, { init as initPngDecode } from "@jsquash/png/decode.js";
import resize, { initResize } from "@jsquash/resize";
import decodeWebp, { init as initWebpDecode } from "@jsquash/webp/decode.js";
import encodeWebp, { init as initWebpEncode } from "@jsquash/webp/encode.js";
import { UndecodableImage } from "./errors.ts";
import { jpegDecWasm, pngWasm, resizeWasm, webpDecWasm, webpEncWasm } from "./codec_wasm.js";

/** A rendered variant: WebP bytes and their size in pixels. */
export interface RenderedVariant {
  width: number;
  height: number;
  bytes: Uint8Array<ArrayBuffer>;
}

// The largest image decoded (pixels): 50 megapixels are 200 MB of RGBA; more is refused
// from the header before decoding, so a small file cannot make the worker allocate gigabytes.
export const MAX_PIXELS = 50_000_000;

let ready: Promise<unknown> | undefined;
function initCodecs(): Promise<unknown> {
  // The packages take a compiled module here; SIMD WebP encoding (V8 always has SIMD).
  ready ??= Promise.all([
    initJpegDecode(jpegDecWasm),
    initPngDecode(pngWasm),
    initWebpDecode(webpDecWasm),
    initWebpEncode(webpEncWasm),
    initResize(resizeWasm),
  ]);
  return ready;
}

/** Width and height from an image's header (PNG IHDR, JPEG SOFn, WebP VP8/VP8L/VP8X). */
export function dimensions(
  bytes: Uint8Array,
  contentType: string,
): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (contentType === "image/png") {
      return { width: view.getUint32(16), height: view.getUint32(20) };
    }
    if (contentType === "image/jpeg") {
      let at = 2;
      while (at + 9 < bytes.length) {
        if (bytes[at] !== 0xff) return undefined;
        const marker = bytes[at + 1];
        // SOF0..SOF15 but DHT (C4), JPG (C8), DAC (CC).
        if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
          return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
        }
        at += 2 + view.getUint16(at + 2);
      }
      return undefined;
    }
    if (contentType === "image/webp") {
      const chunk = new TextDecoder().decode(bytes.subarray(12, 16));
      if (chunk === "VP8 ") {
        return {
          width: view.getUint16(26, true) & 0x3fff,
          height: view.getUint16(28, true) & 0x3fff,
        };
      }
      if (chunk === "VP8L") {
        const bits = view.getUint32(21, true);
        return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
      }
      if (chunk === "VP8X") {
        const w = bytes[24] | bytes[25] << 8 | bytes[26] << 16;
        const h = bytes[27] | bytes[28] << 8 | bytes[29] << 16;
        return { width: w + 1, height: h + 1 };
      }
    }
  } catch {
    // A header cut short (RangeError).
  }
  return undefined;
}

async function decode(bytes: Uint8Array<ArrayBuffer>, contentType: string): Promise<ImageData> {
  const size = dimensions(bytes, contentType);
  if (!size || size.width < 1 || size.height < 1) {
    throw new UndecodableImage(`no readable ${contentType} header`);
  }
  if (size.width * size.height > MAX_PIXELS) {
    throw new UndecodableImage(`${size.width}×${size.height} is more than ${MAX_PIXELS} pixels`);
  }
  try {
    if (contentType === "image/png") return await decodePng(bytes.buffer);
    if (contentType === "image/jpeg") return await decodeJpeg(bytes.buffer);
    if (contentType === "image/webp") return await decodeWebp(bytes.buffer);
  } catch (error) {
    throw new UndecodableImage(`${contentType} does not decode: ${error}`);
  }
  throw new UndecodableImage(`no decoder for ${contentType}`);
}

/**
 * Renders the WebP variants of an image of `widths` narrower than the image
 * (never upscaled; aspect ratio kept): an image 500 px wide gets only the
 * 200 px one, an image 150 px wide none. Throws `UndecodableImage` for bytes
 * that do not decode.
 */
export async function renderVariants(
  bytes: Uint8Array<ArrayBuffer>,
  contentType: string,
  widths: readonly number[],
): Promise<RenderedVariant[]> {
  await initCodecs();
  const image = await decode(bytes, contentType);
  const variants: RenderedVariant[] = [];
  for (const width of widths) {
    if (width >= image.width) continue;
    const height = Math.max(1, Math.round(image.height * width / image.width));
    const resized = await resize(image, { width, height });
    const webp = await encodeWebp(resized, { quality: 80 });
    variants.push({ width, height, bytes: new Uint8Array(webp) });
  }
  return variants;
}
