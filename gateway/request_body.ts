/**
 * Reads each request body once, within BODY_LIMIT_BYTES, before any route:
 * the routes read it from here (`bodyOf`), and upstreams never see a partial one.
 *
 * Why not hono/body-limit: for a body without Content-Length (chunked) it
 * rebuilds the request with `new Request(c.req.raw, …)`, which reads
 * `request.signal`; Deno then logs its "request.signal aborts on successful
 * responses (legacy behavior)" warning although nothing was aborted. And a
 * client that leaves mid-body surfaced as an "unhandled error" (BadResource).
 * Here the stream is read directly, and a body that never fully arrives is
 * logged as exactly that.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "@mp/shared/log";
import { problem } from "@mp/shared/problem";

const bodies = new WeakMap<Request, Uint8Array<ArrayBuffer>>();
const EMPTY = new Uint8Array(0);

/** The request body read by `readBody` (empty when there was none). */
export function bodyOf(c: Context): Uint8Array<ArrayBuffer> {
  return bodies.get(c.req.raw) ?? EMPTY;
}

/** Middleware: reads the body (at most `maxBytes`) or answers 413/400. */
export function readBody(options: { maxBytes: number; log: Logger }): MiddlewareHandler {
  const { maxBytes, log } = options;
  const tooLarge = () =>
    problem(413, "body_too_large", `The body must not be larger than ${maxBytes} bytes.`);
  return async (c, next) => {
    const stream = c.req.raw.body;
    if (!stream) return next();
    if (Number(c.req.header("content-length") ?? 0) > maxBytes) return tooLarge();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.getReader();
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        size += read.value.byteLength;
        if (size > maxBytes) {
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
    await next();
  };
}
