/**
 * `/livez`, `/readyz` and `/metrics` on the edge's node:http server (Socket.io
 * answers `/socket.io/` itself; every other path is a 404 problem). Ready: Redis
 * and the broker connected and not shutting down; the answers are those of the
 * kit's services (shared/http.ts, shared/metrics.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { registry } from "@mp/shared/metrics";
import { PROBLEM_CONTENT_TYPE } from "@mp/shared/problem";

/** Named readiness checks. */
export type Checks = () => Record<string, boolean>;

/** The request listener for every path Socket.io does not take. */
export function healthListener(checks: Checks, draining: () => boolean) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://edge").pathname;
    const get = request.method === "GET" || request.method === "HEAD";
    if (get && path === "/livez") return send(response, 200, "application/json", { status: "ok" });
    if (get && path === "/metrics") {
      return void registry.metrics().then(
        (text) => {
          response.writeHead(200, {
            "content-type": registry.contentType,
            "cache-control": "no-store",
          });
          response.end(text);
        },
        () =>
          send(
            response,
            500,
            PROBLEM_CONTENT_TYPE,
            problemBody(500, "metrics_failed", "The metrics could not be read."),
          ),
      );
    }
    if (get && path === "/readyz") {
      const results = checks();
      if (!draining() && Object.values(results).every(Boolean)) {
        return send(response, 200, "application/json", { status: "ready", checks: results });
      }
      return send(response, 503, PROBLEM_CONTENT_TYPE, {
        ...problemBody(503, "not_ready", "A dependency is unavailable."),
        checks: results,
        ...(draining() ? { draining: true } : {}),
      });
    }
    send(response, 404, PROBLEM_CONTENT_TYPE, problemBody(404, "not_found", "No such route."));
  };
}

function problemBody(status: number, code: string, detail: string) {
  const title = status === 404
    ? "Not Found"
    : status === 500
    ? "Internal Server Error"
    : "Service Unavailable";
  return { type: "about:blank", title, status, code, detail };
}

function send(response: ServerResponse, status: number, type: string, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  response.end(text);
}
