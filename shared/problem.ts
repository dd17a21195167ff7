/**
 * RFC 9457 problem details. Domain code throws `AppError` with a stable `code`;
 * `onError` turns it, Hono's `HTTPException` and anything unexpected into
 * `application/problem+json`. A transient database error is a 503 with `Retry-After`.
 * Unexpected errors are logged and answered with a bare 500: no stack, message or
 * internal address reaches a client.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isTransientDbError } from "./db_errors.ts";
import type { Logger } from "./log.ts";

/** One failing field of a validation problem (RFC 9457 §3 extension). */
export interface FieldError {
  /** JSON pointer to the field, e.g. `/email` (or `#/…` for query/params). */
  pointer: string;
  detail: string;
}

/** An error meant for the client, carrying an HTTP status and a stable code. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    /** Response headers, e.g. `Retry-After` on a 503. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Content type of every error response. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Builds a problem+json Response. */
export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const body = {
    type: `about:blank`,
    title: titles[status] ?? "Error",
    status,
    code,
    detail,
    ...extra,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...headers },
  });
}

/** Shorthands for the errors every service throws. */
export const errors = {
  validation: (fieldErrors: FieldError[], detail = "The request is invalid.") =>
    new AppError(400, "validation_failed", detail, { errors: fieldErrors }),
  unauthorized: (detail = "Authentication is required.") =>
    new AppError(401, "unauthorized", detail),
  forbidden: (detail = "You may not do this.") => new AppError(403, "forbidden", detail),
  notFound: (detail = "Not found.") => new AppError(404, "not_found", detail),
  conflict: (code: string, detail: string) => new AppError(409, code, detail),
};

// Seconds a client should wait after a 503 for a database hiccup (pools reconnect within 2 s).
const RETRY_AFTER_SECONDS = "1";

/**
 * Hono `onError` handler mapping errors to problem+json. A transient database error (connection
 * lost, serialization failure, deadlock: db_errors.ts) is a 503 `unavailable` with `Retry-After`,
 * never a 500.
 */
export function problemErrorHandler(log: Logger): ErrorHandler {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) {
      return problem(err.status, err.code, err.message, err.extra, err.headers);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      if (status >= 500) log.error("http exception", { error: err });
      // Hono's JSON validator throws this before our validators run.
      if (status === 400 && err.message.startsWith("Malformed JSON")) {
        return problem(400, "malformed_json", "The body is not valid JSON.");
      }
      const code = status === 413
        ? "body_too_large"
        : status === 401
        ? "unauthorized"
        : "bad_request";
      const detail = status >= 500 ? "The server could not complete the request." : err.message;
      return problem(status, code, detail || titles[status] || "Error");
    }
    if (isTransientDbError(err)) {
      // Lost database connection, or a retried transaction still conflicting: the request may
      // succeed shortly (a commit lost on the wire may even have happened: retry idempotently).
      log.warn("database unavailable", {
        error: err,
        path: c.req.path,
        method: c.req.method,
      });
      return problem(503, "unavailable", "The service is briefly unavailable; try again.", {}, {
        "retry-after": RETRY_AFTER_SECONDS,
      });
    }
    log.error("unhandled error", { error: err, path: c.req.path, method: c.req.method });
    return problem(500, "internal_error", "The server could not complete the request.");
  };
}

/** Hono `notFound` handler: a 404 problem naming no internals. */
export const problemNotFound: NotFoundHandler = (c) =>
  problem(404, "route_not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
