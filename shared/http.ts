/**
 * The HTTP skeleton every service starts from: request ids (taken from
 * `X-Request-Id` when the gateway sent one), JSON access logs, in-flight
 * tracking for graceful shutdown, problem+json errors, `/livez` and `/readyz`,
 * request metrics and `GET /metrics` (`metrics.ts`), and `apiRoute` validation
 * (`openapi.ts`).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { DEFAULT_MAX_BODY_BYTES, limitBodies } from "./body_limit.ts";
import type { Logger } from "./log.ts";
import { runWithContext } from "./log.ts";
import { httpMetrics, metricsResponse } from "./metrics.ts";
import { validationHook } from "./openapi.ts";
import { problem, problemErrorHandler, problemNotFound } from "./problem.ts";
import { activeTraceparent, validTraceparent } from "./tracing.ts";

/** A named readiness check: resolves `true` when the dependency is usable. */
export type ReadinessCheck = () => Promise<boolean> | boolean;

/** Tracks requests in progress and refuses new ones once draining. */
export class Drain {
  #inFlight = 0;
  #draining = false;
  #idle: (() => void)[] = [];

  get draining(): boolean {
    return this.#draining;
  }

  /** Counts a unit of work; returns a function to call when it ends. */
  enter(): () => void {
    this.#inFlight++;
    return () => {
      this.#inFlight--;
      if (this.#inFlight === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
    };
  }

  /** Refuses new work and resolves once the work in progress has ended. */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}

/** Options of `createServiceApp`. */
export interface ServiceAppOptions {
  log: Logger;
  drain?: Drain;
  /** Dependencies that must answer for `/readyz` to be 200. */
  readiness?: Record<string, ReadinessCheck>;
  /** Shown by `/readyz` under `reported` without deciding it: the process serves without them. */
  reported?: Record<string, ReadinessCheck>;
  /**
   * Largest request body (413 beyond); default `DEFAULT_MAX_BODY_BYTES`. `false`:
   * the app installs `limitBodies` itself, where its middleware order wants it
   * (the gateway: after CORS and its rate limits, so those answers come first).
   */
  maxBodyBytes?: number | false;
  /** Exact paths allowed a larger body than `maxBodyBytes` (a webhook). */
  largerBodies?: Record<string, number>;
  /**
   * Serve `GET /metrics` (default `true`; the gateway never routes it). `false`:
   * requests are still measured, but the registry is served elsewhere (the
   * gateway, whose port is public, uses a listener of its own).
   */
  serveMetrics?: boolean;
}

async function runChecks(checks: Record<string, ReadinessCheck>): Promise<Record<string, boolean>> {
  const results: Record<string, boolean> = {};
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        results[name] = await check();
      } catch {
        results[name] = false;
      }
    }),
  );
  return results;
}

// Request ids we accept from outside: short and printable, so they are safe in logs.
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Creates a Hono app with the shared middleware and health routes. Services add
 * their routes to it.
 */
export function createServiceApp<E extends object = object>(options: ServiceAppOptions) {
  const { log, drain = new Drain(), readiness = {}, reported } = options;
  // OpenAPIHono is a Hono whose routes can validate and describe themselves (openapi.ts).
  const app = new OpenAPIHono<E & { Variables: { requestId: string } }>({
    defaultHook: validationHook,
  });

  // First, so every answer counts, those of the middleware below included.
  app.use(httpMetrics);
  app.use(requestId({
    headerName: "X-Request-Id",
    generator: () => crypto.randomUUID(),
    limitLength: 128,
  }));
  app.use(async (c, next) => {
    if (drain.draining && !c.req.path.endsWith("z")) {
      return problem(503, "shutting_down", "The service is shutting down.", {}, {
        connection: "close",
        "retry-after": "1",
      });
    }
    const done = drain.enter();
    const id = c.get("requestId");
    const started = performance.now();
    // The access log line below is written in this same context: it carries the same ids.
    const context = {
      requestId: REQUEST_ID.test(id) ? id : crypto.randomUUID(),
      // The request's own server span when Deno traces (OTEL_DENO), so events
      // enqueued here continue this trace; else the caller's header, if valid.
      traceparent: activeTraceparent() ?? validTraceparent(c.req.header("traceparent")),
    };
    try {
      await runWithContext(context, () => next());
    } finally {
      done();
      // Probes and scrapes are not worth a log line each.
      if (!c.req.path.endsWith("z") && c.req.path !== "/metrics") {
        // ECS names (shared/log.ts); event.duration is in nanoseconds.
        runWithContext(context, () =>
          log.info("request", {
            "http.request.method": c.req.method,
            "url.path": c.req.path,
            "http.response.status_code": c.res.status,
            "event.duration": Math.round((performance.now() - started) * 1e6),
          }));
      }
    }
  });

  if (options.maxBodyBytes !== false) {
    app.use(limitBodies({
      maxBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      larger: options.largerBodies,
      log,
    }));
  }

  app.get("/livez", (c) => c.json({ status: "ok" }));
  if (options.serveMetrics !== false) app.get("/metrics", () => metricsResponse());
  app.get("/readyz", async (c) => {
    const [results, extra] = await Promise.all([runChecks(readiness), runChecks(reported ?? {})]);
    const shown = reported ? { checks: results, reported: extra } : { checks: results };
    const ready = !drain.draining && Object.values(results).every(Boolean);
    if (ready) return c.json({ status: "ready", ...shown });
    return problem(503, "not_ready", "A dependency is unavailable.", shown);
  });

  app.onError(problemErrorHandler(log));
  app.notFound(problemNotFound);
  return { app, drain };
}
