/**
 * The Web Worker that renders variants (image_codecs.ts) off the service's
 * event loop. It inherits the process's permissions (never more). Deno checks
 * read access to a worker's own module files, so this folder holds only them
 * and is the process's one `--allow-read` beside its migrations; the codecs'
 * npm modules and WebAssembly (source phase imports) need nothing. One request at a time:
 * `{ id, bytes, contentType, widths }` in, `{ id, variants }` or `{ id, error,
 * undecodable }` out (the variants' buffers transferred, not copied).
 */
/// <reference lib="deno.worker" />
import { UndecodableImage } from "./errors.ts";
import { renderVariants } from "./image_codecs.ts";

/** A request to the worker. */
export interface RenderRequest {
  id: number;
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
  widths: readonly number[];
}

self.onmessage = async (event: MessageEvent<RenderRequest>) => {
  const { id, bytes, contentType, widths } = event.data;
  try {
    const variants = await renderVariants(bytes, contentType, widths);
    self.postMessage({ id, variants }, variants.map((variant) => variant.bytes.buffer));
  } catch (error) {
    self.postMessage({
      id,
      error: error instanceof Error ? error.message : String(error),
      undecodable: error instanceof UndecodableImage,
    });
  }
};
