/**
 * The request body limit every service (and the gateway) gets from
 * `createServiceApp`: each body is read once, before any route, within the
 * limit; a larger one is a 413 `body_too_large` problem whether it says its
 * length (Content-Length) or streams it (chunked). Routes then read it as usual
 * (`c.req.json()`, `c.req.text()`…) or as bytes with `bodyOf`.
 *
 * Why not hono/body-limit: for a chunked body it rebuilds the request with
 * `new Request(c.req.raw, …)`, which reads `request.signal`; Deno then logs its
 * "request.signal aborts on successful responses (legacy behavior)" warning
 * although nothing was aborted. And a client that leaves mid-body surfaced as
 * an "unhandled error" (BadResource). Here the stream is read directly, and a
 * body that never fully arrives is logged as exactly that.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "./log.ts";
import { problem } from "./problem.ts";

/** A service's limit unless it sets its own (`ServiceAppOptions.maxBodyBytes`). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const bodies = new WeakMap<Request, Uint8Array<ArrayBuffer>>();
const EMPTY = new Uint8Array(0);

/** The request body as read by the limit (empty when there was none). */
export function bodyOf(c: Context): Uint8Array<ArrayBuffer> {
  return bodies.get(c.req.raw) ?? EMPTY;
}

/** Options of `limitBodies`. */
export interface BodyLimitOptions {
  /** Largest body in bytes. */
  maxBytes: number;
  /** Exact paths allowed their own, larger limit (a webhook). */
  larger?: Record<string, number>;
  /** Where a body that never fully arrived is reported. */
  log: Logger;
}

/** Middleware: reads the body (within the path's limit) or answers 413/400. */
export function limitBodies(options: BodyLimitOptions): MiddlewareHandler {
  const { maxBytes, larger = {}, log } = options;
  return async (c, next) => {
    const stream = c.req.raw.body;
    if (!stream) return next();
    const max = larger[c.req.path] ?? maxBytes;
    const tooLarge = () => problem(413, "body_too_large", `The body must be at most ${max} bytes.`);
    if (Number(c.req.header("content-length") ?? 0) > max) return tooLarge();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.getReader();
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        size += read.value.byteLength;
        if (size > max) {
          await reader.cancel().catch(() => {});
          return tooLarge();
        }
        chunks.push(read.value);
      }
    } catch (error) {
      // The connection ended (or broke its framing) before the body did: the
      // client gets no answer, and the log says just that.
      log.info("request body incomplete: the client closed the connection or broke the framing", {
        method: c.req.method,
        received: size,
        error: error instanceof Error ? error.message : String(error),
      });
      return problem(400, "incomplete_body", "The request body did not arrive completely.");
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    bodies.set(c.req.raw, body);
    // Hono's body readers (c.req.json(), text(), the validators) start from this
    // cache instead of the stream, which is spent. Hono keeps promises there (it
    // chains .then on a cached entry) although its type says ArrayBuffer.
    c.req.bodyCache.arrayBuffer = Promise.resolve(body.buffer) as unknown as ArrayBuffer;
    await next();
  };
}
