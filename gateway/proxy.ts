/**
 * Forwarding one request to an upstream service (one `fetch`, then the answer
 * re-wrapped with the headers a client may see).
 *
 * The upstream gets the same method, path and query, the caller's headers minus
 * hop-by-hop and spoofable ones, the gateway's `X-Request-Id` and
 * `X-Forwarded-For`, and the Cookie header only if it is auth. The body was
 * already read within the body limit (shared/body_limit.ts), so an upstream never
 * sees a partial one.
 * Failures become problems that name no address: 504 when the upstream is too
 * slow (UPSTREAM_TIMEOUT_MS bounds the wait for its status and headers), 503
 * when it cannot be reached.
 */
import type { Context } from "hono";
import type { Logger } from "@mp/shared/log";
import { problem } from "@mp/shared/problem";
import { rawPath } from "./canonical_path.ts";
import { forwardedFor } from "./client_ip.ts";
import { bodyOf } from "@mp/shared/body_limit";
import type { Upstream } from "./routes.ts";

/** What `forward` needs besides the request. */
export interface ForwardOptions {
  upstream: Upstream;
  timeoutMs: number;
  trustProxy: boolean;
  log: Logger;
  /** A replacement body (e.g. the refresh token moved from the cookie), sent as JSON. */
  jsonBody?: Uint8Array<ArrayBuffer>;
}

// RFC 9110 §7.6.1 connection-specific fields, plus the non-standard ones seen in the wild.
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

// Set by the gateway itself, or by the client in a way upstreams must not trust.
const NOT_FORWARDED = [
  "host",
  // Deno's fetch asks for (and decodes) gzip and br itself; what the answer was
  // encoded in is its business, not the client's.
  "accept-encoding",
  "content-length",
  "cookie",
  "expect",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-proto",
  "x-real-ip",
  "x-request-id",
];

// Upstream response fields that say which software runs inside.
const NOT_RETURNED = ["server", "x-powered-by"];

// As sets: each request and answer is copied once, field by field, keeping what
// may pass (a copy and twenty deletes cost more: each delete scans the list).
const DROPPED_GOING = new Set([...HOP_BY_HOP, ...NOT_FORWARDED]);
const DROPPED_COMING = new Set([...HOP_BY_HOP, ...NOT_RETURNED]);

// The field names a `Connection` header lists (connection-specific, RFC 9110 §7.6.1).
function connectionListed(headers: Headers): Set<string> | undefined {
  const value = headers.get("connection");
  if (!value) return undefined;
  return new Set(value.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean));
}

// A copy of `from` without the dropped fields and those its Connection header lists.
function copyWithout(from: Headers, dropped: ReadonlySet<string>): Headers {
  const listed = connectionListed(from);
  const headers = new Headers();
  for (const [name, value] of from) {
    if (!dropped.has(name) && !listed?.has(name)) headers.append(name, value);
  }
  return headers;
}

/** The headers to send upstream for this request. */
export function upstreamHeaders(c: Context, options: ForwardOptions): Headers {
  const incoming = c.req.raw.headers;
  const headers = copyWithout(incoming, DROPPED_GOING);
  const cookie = incoming.get("cookie");
  if (options.upstream.cookies && cookie) headers.set("cookie", cookie);
  headers.set("x-request-id", c.get("requestId") as string);
  headers.set("x-forwarded-for", forwardedFor(c, options.trustProxy));
  if (options.jsonBody) headers.set("content-type", "application/json");
  return headers;
}

/**
 * Whether a request may be sent to a second replica after the first one failed
 * mid-way: safe methods, and writes the caller made repeatable with an
 * Idempotency-Key (each service answers a repeat from its idempotency record).
 */
export function isRetryable(method: string, headers: Headers): boolean {
  return method === "GET" || method === "HEAD" || headers.has("idempotency-key");
}

// The request never reached the replica (nothing listens, or no route to it), so
// any request, even a write without an Idempotency-Key, may go to another one.
function neverSent(reason: string): boolean {
  return /tcp connect error|connection refused|os error 111|dns error|no route to host/i.test(
    reason,
  );
}

// A replica that is draining (shared/http.ts) refuses new requests with this 503
// before doing anything: the request may go to another replica.
async function refusedWhileDraining(response: Response): Promise<boolean> {
  if (response.status !== 503) return false;
  if (!response.headers.get("content-type")?.includes("problem+json")) return false;
  try {
    const body = await response.clone().json();
    return body?.code === "shutting_down";
  } catch {
    return false;
  }
}

/**
 * Sends the request to a replica of `options.upstream` and returns its answer, or
 * a 503/504 problem. A replica that cannot be reached, or that is shutting down, is
 * ejected from the rotation (upstream_pool.ts) and the request goes once to
 * another replica when that is safe: always when it never reached the first one,
 * otherwise only when `isRetryable`. Never throws for upstream trouble.
 */
export async function forward(c: Context, options: ForwardOptions): Promise<Response> {
  // One deadline for every attempt (a retry never doubles the caller's wait), for
  // the status and headers: it is cleared once they arrive, and a body that keeps
  // streaming after them is passed on whole. A plain timer rather than
  // AbortSignal.timeout, which makes a DOMException up front for every request.
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException("upstream timeout", "TimeoutError")),
    options.timeoutMs,
  );
  try {
    return await sendToReplicas(c, options, deadline.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function sendToReplicas(
  c: Context,
  options: ForwardOptions,
  deadline: AbortSignal,
): Promise<Response> {
  const { upstream, log } = options;
  // The path as sent, which the gateway has checked is canonical (canonical_path.ts):
  // the path limited and routed is the path forwarded. Concatenated, not resolved
  // against the origin: the path stays a path.
  const pathAndQuery = `${rawPath(c.req.url)}${new URL(c.req.url).search}`;
  const method = c.req.method;
  const hasBody = method !== "GET" && method !== "HEAD";
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (hasBody) body = options.jsonBody ?? bodyOf(c);
  const headers = upstreamHeaders(c, options);
  const retryable = isRetryable(method, headers);

  const tried = new Set<string>();
  let lastReason = "";
  for (;;) {
    const origin = upstream.replicas.pick(tried);
    if (!origin) break;
    tried.add(origin);
    const mayRetry = () => tried.size < 2 && tried.size < upstream.replicas.size;
    let response: Response;
    try {
      response = await fetch(`${origin}${pathAndQuery}`, {
        method,
        headers,
        body: body?.byteLength ? body : undefined,
        // Only the deadline: Deno's request.signal also fires after a successful
        // response (legacy behaviour), and a client that leaves mid-answer
        // cancels the streamed upstream body anyway.
        signal: deadline,
        // Redirects are the client's to follow, not the gateway's.
        redirect: "manual",
      });
    } catch (error) {
      if (deadline.aborted) {
        log.warn("upstream timed out", { upstream: upstream.name, timeoutMs: options.timeoutMs });
        return problem(504, "upstream_timeout", "The service did not answer in time.");
      }
      const cause = error instanceof Error && error.cause instanceof Error
        ? `: ${error.cause.message}`
        : "";
      lastReason = `${error instanceof Error ? error.message : String(error)}${cause}`;
      upstream.replicas.eject(origin, lastReason);
      if ((neverSent(lastReason) || retryable) && mayRetry()) continue;
      break;
    }
    if (await refusedWhileDraining(response) && mayRetry()) {
      upstream.replicas.eject(origin, "shutting down");
      await response.body?.cancel();
      continue;
    }
    return clientAnswer(response, upstream.cookies);
  }
  // The reason may name the internal address: logs only, never the response.
  log.warn("upstream unreachable", { upstream: upstream.name, error: lastReason });
  return problem(
    503,
    "service_unavailable",
    "The service is temporarily unavailable; try again shortly.",
    {},
    { "retry-after": "5" },
  );
}

// The upstream's answer as the client gets it: fetch's headers are immutable, so
// they are copied once, without hop-by-hop fields (and those `Connection` names),
// what says which software runs inside, and Set-Cookie from any service but auth.
// Deno's fetch decoded a compressed body, so its encoding and length go too.
function clientAnswer(response: Response, cookies: boolean): Response {
  const headers = copyWithout(response.headers, DROPPED_COMING);
  if (!cookies) headers.delete("set-cookie");
  if (headers.has("content-encoding")) {
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
