/**
 * The service's side of variant_worker.ts: one Web Worker, one image at a
 * time, an answer awaited with a deadline. A worker that crashes or takes too
 * long is terminated and replaced for the next image, so a pathological file
 * costs one deadline, never a stuck loop.
 */
import { UndecodableImage } from "./render/errors.ts";
import type { RenderedVariant } from "./render/image_codecs.ts";
import type { RenderRequest } from "./render/variant_worker.ts";

type Answer =
  | { id: number; variants: RenderedVariant[] }
  | { id: number; error: string; undecodable: boolean };

/** Renders variants in a Web Worker; `close()` terminates it. */
export class VariantRenderer {
  #worker?: Worker;
  #next = 0;
  #busy: Promise<unknown> = Promise.resolve();

  /** `timeoutMs`: how long one image may take (default 60 s) before the worker is replaced. */
  constructor(private readonly timeoutMs = 60_000) {}

  #spawn(): Worker {
    // Deno workers inherit the process's permissions (no wider); loading render/ needs its
    // read permission (README "Permissions").
    this.#worker ??= new Worker(new URL("./render/variant_worker.ts", import.meta.url), {
      type: "module",
    });
    return this.#worker;
  }

  /**
   * The WebP variants of an image (image_codecs.ts `renderVariants`), rendered
   * in the worker. Throws `UndecodableImage` for a broken image, another error
   * for a crash or timeout (worth a retry).
   */
  render(
    bytes: Uint8Array<ArrayBuffer>,
    contentType: string,
    widths: readonly number[],
  ): Promise<RenderedVariant[]> {
    // One image at a time: the worker is single-threaded anyway, and a queue here keeps
    // the deadline of each request its own.
    const run = this.#busy.then(() => this.#renderNow(bytes, contentType, widths));
    this.#busy = run.catch(() => {});
    return run;
  }

  #renderNow(
    bytes: Uint8Array<ArrayBuffer>,
    contentType: string,
    widths: readonly number[],
  ): Promise<RenderedVariant[]> {
    const worker = this.#spawn();
    const id = ++this.#next;
    return new Promise<RenderedVariant[]>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
      };
      const replace = (error: Error) => {
        done();
        worker.terminate();
        if (this.#worker === worker) this.#worker = undefined;
        reject(error);
      };
      const onMessage = (event: MessageEvent<Answer>) => {
        if (event.data.id !== id) return;
        done();
        if ("variants" in event.data) resolve(event.data.variants);
        else if (event.data.undecodable) reject(new UndecodableImage(event.data.error));
        else reject(new Error(event.data.error));
      };
      const onError = (event: ErrorEvent) => {
        event.preventDefault();
        replace(new Error(`variant worker crashed: ${event.message}`));
      };
      const timer = setTimeout(
        () => replace(new Error(`variant worker took more than ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      const request: RenderRequest = { id, bytes, contentType, widths };
      worker.postMessage(request);
    });
  }

  /** Terminates the worker (after shutdown of the loop that uses it). */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}
