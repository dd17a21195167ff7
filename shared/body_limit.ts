/**
 * The request body limit every service gets from `createServiceApp`: a body
 * over the limit is a 413 `body_too_large` problem before any route reads it,
 * whether it says its length (Content-Length) or streams it (chunked).
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "./problem.ts";

/** A service's limit unless it sets its own (`ServiceAppOptions.maxBodyBytes`). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Limits bodies to `maxBytes`, and the exact `paths` in `larger` to their own limits. */
export function limitBodies(
  maxBytes: number,
  larger: Record<string, number> = {},
): MiddlewareHandler {
  const limit = (max: number) =>
    bodyLimit({
      maxSize: max,
      onError: () => {
        throw new AppError(413, "body_too_large", `The body must be at most ${max} bytes.`);
      },
    });
  const normal = limit(maxBytes);
  const special = new Map(Object.entries(larger).map(([path, max]) => [path, limit(max)]));
  return (c, next) => (special.get(c.req.path) ?? normal)(c, next);
}
