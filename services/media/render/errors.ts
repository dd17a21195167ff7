/**
 * The error of an image that does not decode, apart from the codecs so the
 * service's side (variant_renderer.ts, variants.ts) can tell it without
 * loading (and compiling) the codecs' WebAssembly on its own thread.
 */

/** The image could not be decoded (broken or not what its type says): retrying will not help. */
export class UndecodableImage extends Error {
  override name = "UndecodableImage";
}
