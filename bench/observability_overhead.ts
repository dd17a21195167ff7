/**
 * What metrics and tracing cost the gateway path, in one run.
 *
 * Processes: two fleets of the gateway and auth, the same authenticated GET
 * (`/api/v1/auth/me`) sent three ways, interleaved request by request at the
 * same fixed rate (as gateway_overhead does, so every path lives through the
 * same stalls of a shared machine):
 * - through the gateway as shipped (metrics on, both processes scraped),
 * - through the gateway of the second fleet, where both processes also run
 *   Deno's OpenTelemetry (`OTEL_DENO=true`) exporting every span over OTLP/HTTP
 *   to a local receiver,
 * - straight to the first fleet's auth.
 *
 * Metrics cannot be switched off in a process (`createServiceApp` always
 * installs `httpMetrics`), so what they add is measured where they run: the
 * same Hono app with and without the `httpMetrics` middleware, called
 * in-process, interleaved; and the time of one scrape (`registry.metrics()`).
 */
import { Hono } from "hono";
import { httpMetrics, registry } from "@mp/shared/metrics";
import { type BenchFleet, startBenchFleet } from "./fleet.ts";
import {
  failures,
  httpSend,
  type LoadResult,
  okSummary,
  openLoop,
  outcomeCounts,
  selectRequests,
} from "./load.ts";
import { describeCpu, measureCpu } from "./machine.ts";
import type { Benchmark } from "./report.ts";
import { ms, num, summarize } from "./stats.ts";

const RATE = 100; // requests per second on each of the three paths
const WARMUP_MS = 3_000; // discarded
const DURATION_MS = 20_000;
const SCRAPE_MS = 5_000; // every process's /metrics read this often during the run
const IN_PROCESS_ROUNDS = 20_000; // calls of each in-process app
const SCRAPES = 200; // registry.metrics() calls timed
const TARGET_TRACING_P50_MS = 1;
const TARGET_METRICS_P50_US = 10;

const PATHS = ["gateway", "traced", "direct"] as const;
type Path = typeof PATHS[number];

/** An OTLP/HTTP receiver that takes every export and keeps only counts. */
function startOtlpSink() {
  const received = { requests: 0, bytes: 0, traces: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    received.requests++;
    received.bytes += body.length;
    if (new URL(request.url).pathname === "/v1/traces") received.traces++;
    // An empty Export*ServiceResponse: full success.
    return new Response(new Uint8Array(0), {
      headers: { "content-type": "application/x-protobuf" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    received,
    close: () => server.shutdown(),
  };
}

/** Per-call time (µs) of the same app with and without `httpMetrics`, interleaved. */
async function inProcessMetricsCost() {
  const route = (app: Hono) =>
    app.get("/api/v1/things/:id", (c) => c.json({ id: c.req.param("id") }));
  const bare = route(new Hono());
  const metered = new Hono();
  metered.use(httpMetrics);
  route(metered);
  const call = async (app: Hono, i: number) => {
    const started = performance.now();
    const response = await app.fetch(new Request(`http://local/api/v1/things/${i}`));
    await response.arrayBuffer();
    return (performance.now() - started) * 1000;
  };
  for (let i = 0; i < 2_000; i++) await call(i % 2 ? bare : metered, i); // warm-up (JIT)
  const times = { bare: [] as number[], metered: [] as number[] };
  for (let i = 0; i < IN_PROCESS_ROUNDS; i++) {
    // Alternate which goes first, so neither always runs on a warmer cache.
    if (i % 2) {
      times.bare.push(await call(bare, i));
      times.metered.push(await call(metered, i));
    } else {
      times.metered.push(await call(metered, i));
      times.bare.push(await call(bare, i));
    }
  }
  const scrapes: number[] = [];
  let lines = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const started = performance.now();
    lines = (await registry.metrics()).split("\n").length;
    scrapes.push(performance.now() - started);
  }
  return {
    bare: summarize(times.bare),
    metered: summarize(times.metered),
    scrape: summarize(scrapes),
    scrapeLines: lines,
  };
}

/** The gateway-path overhead of metrics and tracing. */
export const observabilityOverhead: Benchmark = {
  name: "observability_overhead",
  title: "what metrics and tracing add to the gateway path",
  method: `\`GET /api/v1/auth/me\` with a valid access token, open model at ${RATE}/s on each ` +
    `of three paths interleaved request by request: through the gateway as shipped (metrics ` +
    `on, every process's /metrics read every ${SCRAPE_MS / 1000} s), through a second ` +
    `gateway + auth pair running Deno's OpenTelemetry (\`OTEL_DENO=true\`, every span exported ` +
    `over OTLP/HTTP protobuf to a local receiver), and straight to auth; ${DURATION_MS / 1000} s ` +
    `after ${WARMUP_MS / 1000} s of discarded warm-up, latency from each request's intended send ` +
    `time. Metrics cannot be switched off in a process, so their cost is measured in-process: ` +
    `the same Hono app with and without the \`httpMetrics\` middleware, ${IN_PROCESS_ROUNDS} ` +
    `calls each, interleaved; and ${SCRAPES} timed scrapes (\`registry.metrics()\`).`,
  async run(context) {
    context.log(`in-process: httpMetrics and scrape cost`);
    const inProcess = await inProcessMetricsCost();

    const sink = startOtlpSink();
    const limits = { RATE_LIMIT_PER_MINUTE: "100000000" };
    const otel = (name: string) => ({
      OTEL_DENO: "true",
      OTEL_SERVICE_NAME: name,
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    });
    const fleets: BenchFleet[] = [];
    try {
      const plain = await startBenchFleet("observability", {
        logLevel: context.logLevel,
        only: ["gateway", "auth"],
        env: { gateway: limits },
      });
      fleets.push(plain);
      const traced = await startBenchFleet("observability_traced", {
        logLevel: context.logLevel,
        only: ["gateway", "auth"],
        env: { gateway: { ...limits, ...otel("gateway") }, auth: otel("auth") },
      });
      fleets.push(traced);

      const id = crypto.randomUUID().slice(0, 8);
      const password = "correct horse battery staple";
      const token = async (bench: BenchFleet, name: string) => ({
        headers: {
          authorization: `Bearer ${(await bench.signup(`${name}${id}`, password)).accessToken}`,
        },
      });
      const plainInit = await token(plain, "obs");
      const tracedInit = await token(traced, "obt");
      const senders: Record<Path, ReturnType<typeof httpSend>> = {
        gateway: httpSend(`${plain.fleet.gatewayUrl}/api/v1/auth/me`, plainInit),
        traced: httpSend(`${traced.fleet.gatewayUrl}/api/v1/auth/me`, tracedInit),
        direct: httpSend(`${plain.fleet.urlOf("auth")}/api/v1/auth/me`, plainInit),
      };
      const pathOf = (i: number) => PATHS[i % PATHS.length];
      const send = (i: number) => senders[pathOf(i)](i);

      // A scraper like Prometheus, on every process of both fleets alike.
      const metricsUrls = fleets.flatMap((b) =>
        (["gateway", "auth"] as const).map((name) => b.fleet.metricsUrlOf(name))
      );
      let scraped = 0;
      const scraper = setInterval(() => {
        for (const url of metricsUrls) {
          fetch(url).then((r) => r.arrayBuffer()).then(() => scraped++, () => {});
        }
      }, SCRAPE_MS);

      let both: LoadResult;
      let cpu;
      try {
        context.log(`warm-up: ${WARMUP_MS / 1000} s`);
        await openLoop({ rate: PATHS.length * RATE, durationMs: WARMUP_MS, send });
        const exportsBefore = sink.received.traces;
        context.log(`measuring: ${DURATION_MS / 1000} s at ${RATE}/s per path, interleaved`);
        const meter = await measureCpu({
          gateway: plain.pids().gateway,
          auth: plain.pids().auth,
          "gateway (traced)": traced.pids().gateway,
          "auth (traced)": traced.pids().auth,
        });
        both = await openLoop({ rate: PATHS.length * RATE, durationMs: DURATION_MS, send });
        cpu = await meter.stop();
        if (sink.received.traces === exportsBefore) {
          throw new Error("the traced processes exported no spans: tracing was not on");
        }
      } finally {
        clearInterval(scraper);
      }

      const result = Object.fromEntries(
        PATHS.map((path, k) => [path, selectRequests(both, (i) => i % PATHS.length === k)]),
      ) as Record<Path, LoadResult>;
      const summary = Object.fromEntries(
        PATHS.map((path) => [path, okSummary(result[path])]),
      ) as Record<Path, ReturnType<typeof okSummary>>;
      const errors = Object.fromEntries(PATHS.map((path) => [path, failures(result[path])]));
      const diff = (a: Path, b: Path) => ({
        p50: summary[a].p50 - summary[b].p50,
        p90: summary[a].p90 - summary[b].p90,
        p99: summary[a].p99 - summary[b].p99,
      });
      const gatewayAdds = diff("gateway", "direct");
      const tracingAdds = diff("traced", "gateway");
      const metricsUs = {
        p50: inProcess.metered.p50 - inProcess.bare.p50,
        p90: inProcess.metered.p90 - inProcess.bare.p90,
        mean: inProcess.metered.mean - inProcess.bare.mean,
      };
      const outcomes = Object.fromEntries(PATHS.map((path) => [path, outcomeCounts(result[path])]));
      const label: Record<Path, string> = {
        gateway: "through the gateway (metrics, as shipped)",
        traced: "through the gateway, gateway and auth traced (OTLP export)",
        direct: "direct to auth",
      };
      const perRequest = (pct: number | undefined, rate: number) =>
        num(((pct ?? 0) / 100 / rate) * 1e6);
      const us = (value: number) => num(value, 1);

      return {
        tables: [
          {
            title: "Latency (ms)",
            columns: ["path", "requests", "errors", "p50", "p90", "p99", "max"],
            rows: [
              ...PATHS.map((path) => [
                label[path],
                num(result[path].sent),
                num(errors[path]),
                ms(summary[path].p50),
                ms(summary[path].p90),
                ms(summary[path].p99),
                ms(summary[path].max),
              ]),
              [
                "added by the gateway",
                "",
                "",
                ...[gatewayAdds.p50, gatewayAdds.p90, gatewayAdds.p99].map(ms),
                "",
              ],
              [
                "added by tracing (gateway + auth)",
                "",
                "",
                ...[tracingAdds.p50, tracingAdds.p90, tracingAdds.p99].map(ms),
                "",
              ],
            ],
          },
          {
            title: "Metrics in-process (µs per request; one scrape in ms)",
            columns: [
              "without httpMetrics p50",
              "with p50",
              "added p50",
              "added p90",
              "added mean",
              "scrape p50 (ms)",
              "scrape p99 (ms)",
              "lines scraped",
            ],
            rows: [[
              us(inProcess.bare.p50),
              us(inProcess.metered.p50),
              us(metricsUs.p50),
              us(metricsUs.p90),
              us(metricsUs.mean),
              ms(inProcess.scrape.p50),
              ms(inProcess.scrape.p99),
              num(inProcess.scrapeLines),
            ]],
          },
          {
            title: "CPU time per request (µs), of each request that reaches the process",
            columns: ["gateway", "gateway (traced)", "auth", "auth (traced)"],
            rows: [[
              perRequest(cpu.processes.gateway, RATE),
              perRequest(cpu.processes["gateway (traced)"], RATE),
              perRequest(cpu.processes.auth, 2 * RATE),
              perRequest(cpu.processes["auth (traced)"], RATE),
            ]],
          },
        ],
        targets: [
          {
            what: "tracing's added p50 (gateway + auth)",
            goal: `≤ ${TARGET_TRACING_P50_MS} ms`,
            measured: `${ms(tracingAdds.p50)} ms`,
            met: tracingAdds.p50 <= TARGET_TRACING_P50_MS,
          },
          {
            what: "httpMetrics per request (added p50)",
            goal: `≤ ${TARGET_METRICS_P50_US} µs`,
            measured: `${us(metricsUs.p50)} µs`,
            met: metricsUs.p50 <= TARGET_METRICS_P50_US,
          },
        ],
        notes: [
          `Each request through a gateway passes httpMetrics twice (gateway and auth), so the ` +
          `metrics' share of the gateway path is about twice the in-process figure.`,
          `The traced pair exported ${num(sink.received.traces)} trace batches ` +
          `(${num(sink.received.bytes / 1024)} KiB of OTLP in all) to a local receiver that only ` +
          `counts them; a real collector costs the processes the same. ${scraped} scrapes ran ` +
          `during warm-up and measurement.`,
          `Both fleets are gateway + auth only; \`RATE_LIMIT_PER_MINUTE\` was raised so the one ` +
          `client address is never refused. The two auths are separate processes with separate ` +
          `databases; "added by tracing" is the traced path's percentile minus the untraced one's.`,
          `Answers other than 200: ${
            JSON.stringify(
              Object.fromEntries(PATHS.map((path) => [path, errors[path] ? outcomes[path] : {}])),
            )
          }. The mean of the in-process figures carries garbage collection and other work on ` +
          `the machine; the p50 is the middleware's own time.`,
          `CPU: ${describeCpu(cpu)}.`,
        ],
        data: {
          rate: RATE,
          warmupMs: WARMUP_MS,
          durationMs: DURATION_MS,
          scrapeMs: SCRAPE_MS,
          summary,
          errors,
          outcomes,
          gatewayAdds,
          tracingAdds,
          inProcess,
          metricsUs,
          otlp: sink.received,
          cpu,
        },
      };
    } finally {
      for (const bench of fleets) await bench.close();
      await sink.close();
    }
  },
};
