/**
 * Prometheus metrics of one process (npm:prom-client): one registry per process,
 * exposed as text on `GET /metrics` of every service's own port (never routed by
 * the gateway) and on a second listener of the gateway (`serveMetrics`).
 *
 * - HTTP: `httpMetrics` counts requests and times them by route TEMPLATE
 *   (`/api/v1/orders/:id`, Hono's matched route), method and status: an id in a
 *   path never becomes a label value. Why not npm:@hono/prometheus, which does
 *   the same: it labels the raw request method, and the gateway is public, so
 *   every made-up method a client sends would become a new series.
 * - Events: `eventMetrics`, counted where shared/bus.ts publishes, consumes,
 *   retries and dead-letters, and where shared/inbox.ts skips a duplicate.
 * - Outbox: rows waiting and the age of the oldest, read at scrape time from
 *   each relay's database (`watchOutbox`, called by `OutboxRelay`).
 * - Runtime: memory from `Deno.memoryUsage()` at scrape time, and event-loop
 *   delay from a timer drift sampler (`startRuntimeMetrics`). prom-client's
 *   default process metrics are not used: they read `/proc`, which Deno allows
 *   only with `-A`.
 * - Business counters: made by the services with `counter()`.
 *
 * Metrics are created once, when this module loads, so a test process that
 * builds many apps still has one series per name.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { clearTimeout as nodeClearTimeout, setTimeout as nodeSetTimeout } from "node:timers";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Sql } from "./db.ts";
import type { Logger } from "./log.ts";
import { problem } from "./problem.ts";

/** The process's one registry: everything `GET /metrics` shows. */
export const registry: Registry = new Registry();

const HTTP_LABELS = ["method", "route", "status"] as const;
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const httpRequests = new Counter({
  name: "http_requests_total",
  help: "HTTP requests answered, by method, route template and status",
  labelNames: HTTP_LABELS,
  registers: [registry],
});
const httpDuration = new Histogram({
  name: "http_request_duration_seconds",
  help: "Time to answer an HTTP request, by method, route template and status",
  labelNames: HTTP_LABELS,
  // Fine at the low end: the targets of most routes are tens of milliseconds.
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/**
 * Hono middleware recording `http_requests_total` and
 * `http_request_duration_seconds` by `method` (other than the usual seven:
 * `OTHER`), `route` (the template of the route or middleware that answered;
 * `/*` for a middleware's own answer or a 404) and `status`. Installed first by
 * `createServiceApp`, so the shared middleware's answers (413, 503 while
 * draining) count too.
 */
export const httpMetrics: MiddlewareHandler = async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const labels = {
      method: METHODS.has(c.req.method) ? c.req.method : "OTHER",
      // After next(), the route index is that of the handler that answered.
      route: routePath(c) || "unmatched",
      status: String(c.res.status),
    };
    httpRequests.inc(labels);
    httpDuration.observe(labels, (performance.now() - started) / 1000);
  }
};

/** The registry as Prometheus text. */
export async function metricsResponse(): Promise<Response> {
  return new Response(await registry.metrics(), {
    headers: { "content-type": registry.contentType, "cache-control": "no-store" },
  });
}

/**
 * A counter on the process registry; the same one again for a name already made
 * (a module loaded under two specifiers must not register a name twice).
 */
export function counter<L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** Counters of the event flow, by event `type`. */
export const eventMetrics = {
  /** Confirmed by the broker (shared/bus.ts `publish`). */
  published: counter("events_published_total", "Events the broker confirmed", ["type"]),
  /** Handled and acknowledged. */
  consumed: counter("events_consumed_total", "Events handled and acknowledged", ["type"]),
  /** Handler failed; the message goes back to the queue for another delivery. */
  retried: counter("events_retried_total", "Event deliveries that failed and were requeued", [
    "type",
  ]),
  /**
   * Sent to the dead-letter queue: `malformed` (no valid envelope; `type` is the
   * routing key), `poison` (data that can never succeed) or `delivery_limit`
   * (the last delivery the queue allows failed).
   */
  deadLettered: counter(
    "events_dead_lettered_total",
    "Events sent to the dead-letter queue",
    ["type", "reason"],
  ),
  /** Redelivered events the inbox had already processed (shared/inbox.ts). */
  duplicates: counter(
    "events_duplicates_total",
    "Redelivered events skipped because the inbox had processed them",
    ["type"],
  ),
};

// ---------------------------------------------------------------------------
// Outbox: read at scrape time, one cheap query per relay (both use the partial
// index of unpublished rows).

const outboxes = new Set<Sql>();
const OUTBOX_QUERY_TIMEOUT_MS = 2_000;
let outboxReading: Promise<{ waiting: number; oldestSeconds: number }> | undefined;

/**
 * Includes `sql`'s outbox table in the outbox gauges until the returned function
 * is called (`OutboxRelay` does this on start and stop).
 */
export function watchOutbox(sql: Sql): () => void {
  outboxes.add(sql);
  return () => void outboxes.delete(sql);
}

// Both gauges are collected in parallel at each scrape: they share one reading.
function readOutboxes() {
  outboxReading ??= (async () => {
    let waiting = 0;
    let oldestSeconds = 0;
    for (const sql of outboxes) {
      const [row] = await withTimeout(
        sql<{ waiting: number; oldest: number | null }[]>`
          select (select count(*)::int from outbox where published_at is null) as waiting,
            (select extract(epoch from now() - occurred_at)::float8 from outbox
              where published_at is null order by seq limit 1) as oldest`,
        OUTBOX_QUERY_TIMEOUT_MS,
      );
      waiting += row.waiting;
      oldestSeconds = Math.max(oldestSeconds, row.oldest ?? 0);
    }
    return { waiting, oldestSeconds };
  })().finally(() => outboxReading = undefined);
  return outboxReading;
}

// A database that does not answer makes the gauges NaN for that scrape, never a
// reassuring 0, and never fails the whole scrape.
new Gauge({
  name: "outbox_waiting_events",
  help: "Outbox rows not yet published",
  registers: [registry],
  async collect() {
    this.set(await readOutboxes().then((r) => r.waiting, () => NaN));
  },
});
new Gauge({
  name: "outbox_oldest_waiting_seconds",
  help: "Age of the oldest outbox row not yet published (0 when none waits)",
  registers: [registry],
  async collect() {
    this.set(await readOutboxes().then((r) => r.oldestSeconds, () => NaN));
  },
});

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------
// Gauges read from the process at scrape time.

/**
 * A gauge whose value is the sum of its sources, read at each scrape (the
 * realtime edge's open sockets; a test process may run several edges).
 * `add(source)` returns the source's removal.
 */
export function scrapeGauge(name: string, help: string): {
  add(source: () => number): () => void;
} {
  const sources = new Set<() => number>();
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      let total = 0;
      for (const source of sources) total += source();
      this.set(total);
    },
  });
  return {
    add(source) {
      sources.add(source);
      return () => void sources.delete(source);
    },
  };
}

const memoryGauge = (name: string, help: string, read: (m: Deno.MemoryUsage) => number) =>
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read(Deno.memoryUsage()));
    },
  });
memoryGauge("process_resident_memory_bytes", "Resident set size", (m) => m.rss);
memoryGauge("deno_heap_total_bytes", "V8 heap allocated", (m) => m.heapTotal);
memoryGauge("deno_heap_used_bytes", "V8 heap in use", (m) => m.heapUsed);
memoryGauge(
  "deno_external_memory_bytes",
  "Memory of objects outside the V8 heap",
  (m) => m.external,
);

/** How late the sampler's timers fired: the time the event loop was busy elsewhere. */
export const eventLoopDelay: Histogram = new Histogram({
  name: "event_loop_delay_seconds",
  help: "How late a timer fired, sampled every 100 ms (time the event loop was blocked)",
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

/** Sampling period of the event-loop delay. */
export const EVENT_LOOP_SAMPLE_MS = 100;

let stopSampler: (() => void) | undefined;

/**
 * Starts the event-loop delay sampler (once per process; later calls share it).
 * Its timer does not keep the process alive. node:perf_hooks'
 * `monitorEventLoopDelay` would do this job, but Deno does not implement it.
 * Returns the stop (tests).
 */
export function startRuntimeMetrics(): () => void {
  if (stopSampler) return stopSampler;
  let timer: ReturnType<typeof nodeSetTimeout> | undefined;
  let expected = 0;
  const schedule = () => {
    expected = performance.now() + EVENT_LOOP_SAMPLE_MS;
    // node:timers for its typed unref(): the sampler never keeps a process alive.
    timer = nodeSetTimeout(tick, EVENT_LOOP_SAMPLE_MS).unref();
  };
  const tick = () => {
    eventLoopDelay.observe(Math.max(0, performance.now() - expected) / 1000);
    schedule();
  };
  schedule();
  stopSampler = () => {
    nodeClearTimeout(timer);
    stopSampler = undefined;
  };
  return stopSampler;
}

/**
 * Serves `GET /metrics` (anything else is a 404 problem) on a listener
 * of its own: the gateway's, whose main port is public. Returns the server, to
 * shut down with the process.
 */
export function serveMetrics(
  options: { hostname: string; port: number; log: Logger },
): Deno.HttpServer<Deno.NetAddr> {
  const { hostname, port, log } = options;
  return Deno.serve({
    hostname,
    port,
    onListen: (addr) => log.info("metrics listening", { host: addr.hostname, port: addr.port }),
  }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/metrics" && (request.method === "GET" || request.method === "HEAD")) {
      return metricsResponse();
    }
    return problem(404, "not_found", "Only GET /metrics is served on this port.");
  });
}
