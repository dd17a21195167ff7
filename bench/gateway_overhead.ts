/**
 * What the gateway adds to a request: the same authenticated GET
 * (`/api/v1/auth/me`: JWT verification and one indexed SELECT in auth) sent
 * through the gateway and straight to the auth service, in the same run, at the
 * same fixed rate, interleaved request by request.
 *
 * Why interleaved rather than in alternating blocks: on a shared 2-core
 * machine the slow requests come in stalls of ~100 ms that hit every process
 * at once (other work takes the CPUs). With blocks, a stall lands on one path
 * or the other by chance, and the difference of the p99s swung between 1 and
 * 20 ms from run to run (in one run the direct path had the worse p99).
 * Interleaved, both paths live through the same stalls, so their difference
 * is what the gateway adds.
 */
import { startBenchFleet } from "./fleet.ts";
import {
  failures,
  httpSend,
  type LoadResult,
  okSummary,
  openLoop,
  selectRequests,
} from "./load.ts";
import { describeCpu, measureCpu } from "./machine.ts";
import type { Benchmark } from "./report.ts";
import { ms, num, summarize } from "./stats.ts";

const RATE = 200; // requests per second on each path (twice that in all)
const WARMUP_MS = 3_000; // discarded
const DURATION_MS = 20_000;
const TARGET_P50_MS = 1;
const TARGET_P99_MS = 3;

/** The gateway-overhead benchmark. */
export const gatewayOverhead: Benchmark = {
  name: "gateway_overhead",
  title: "latency the gateway adds to an authenticated GET",
  method:
    `\`GET /api/v1/auth/me\` with a valid access token, through the gateway and straight to ` +
    `the auth service (its own port), open model at a fixed ${RATE} requests/s per path, the ` +
    `two paths interleaved request by request (one every ${1000 / RATE / 2} ms, alternating), ` +
    `for ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s of discarded warm-up. Latency is ` +
    `measured from each request's intended send time; percentiles are over every successful ` +
    `request. "Added" is the difference of the two paths' percentiles.`,
  async run(context) {
    const bench = await startBenchFleet("gateway", {
      logLevel: context.logLevel,
      // One client address sends everything: lift the general per-IP limit
      // (the check itself, a Redis round trip, still runs on every request).
      env: { gateway: { RATE_LIMIT_PER_MINUTE: "100000000" } },
    });
    try {
      const { fleet } = bench;
      const id = crypto.randomUUID().slice(0, 8);
      const { accessToken } = await bench.signup(`gw${id}`, "correct horse battery staple");
      const init = { headers: { authorization: `Bearer ${accessToken}` } };
      const viaGateway = httpSend(`${fleet.gatewayUrl}/api/v1/auth/me`, init);
      const direct = httpSend(`${fleet.urlOf("auth")}/api/v1/auth/me`, init);
      // Even requests go through the gateway, odd ones straight to auth.
      const send = (i: number) => i % 2 === 0 ? viaGateway(i) : direct(i);

      context.log(`warm-up: ${WARMUP_MS / 1000} s`);
      await openLoop({ rate: 2 * RATE, durationMs: WARMUP_MS, send });
      context.log(`measuring: ${DURATION_MS / 1000} s at ${RATE}/s per path, interleaved`);
      const meter = await measureCpu(bench.pids());
      const both = await openLoop({ rate: 2 * RATE, durationMs: DURATION_MS, send });
      const cpu = await meter.stop();

      const result = {
        gateway: selectRequests(both, (i) => i % 2 === 0),
        direct: selectRequests(both, (i) => i % 2 === 1),
      };
      const summary = { gateway: okSummary(result.gateway), direct: okSummary(result.direct) };
      const errors = { gateway: failures(result.gateway), direct: failures(result.direct) };
      const lag = (r: LoadResult) => summarize(r.lags);
      const added = {
        p50: summary.gateway.p50 - summary.direct.p50,
        p90: summary.gateway.p90 - summary.direct.p90,
        p99: summary.gateway.p99 - summary.direct.p99,
      };
      // CPU time (µs) per request that reaches the process: its share of a core / its rate.
      const perRequest = (pct: number | undefined, rate: number) =>
        num(((pct ?? 0) / 100 / rate) * 1e6);
      const label = { gateway: "through the gateway", direct: "direct to auth" };

      return {
        tables: [
          {
            title: "Latency (ms)",
            columns: ["path", "requests", "errors", "p50", "p90", "p99", "max", "send lag p99"],
            rows: [
              ...(["gateway", "direct"] as const).map((path) => [
                label[path],
                num(result[path].sent),
                num(errors[path]),
                ms(summary[path].p50),
                ms(summary[path].p90),
                ms(summary[path].p99),
                ms(summary[path].max),
                ms(lag(result[path]).p99),
              ]),
              ["added by the gateway", "", "", ms(added.p50), ms(added.p90), ms(added.p99), "", ""],
            ],
          },
          {
            title: "CPU time per request (µs), of each request that reaches the process",
            columns: ["gateway", "redis", "auth", "postgres", "load generator"],
            rows: [[
              perRequest(cpu.processes.gateway, RATE),
              perRequest(cpu.servers.redis, RATE),
              perRequest(cpu.processes.auth, 2 * RATE),
              perRequest(cpu.servers.postgres, 2 * RATE),
              perRequest(cpu.processes["load generator"], 2 * RATE),
            ]],
          },
        ],
        targets: [
          {
            what: "added p50",
            goal: `≤ ${TARGET_P50_MS} ms`,
            measured: `${ms(added.p50)} ms`,
            met: added.p50 <= TARGET_P50_MS,
          },
          {
            what: "added p99",
            goal: `≤ ${TARGET_P99_MS} ms`,
            measured: `${ms(added.p99)} ms`,
            met: added.p99 <= TARGET_P99_MS,
          },
        ],
        notes: [
          `Gateway path: client → gateway (request id, secure headers, CORS, the per-IP rate ` +
          `limit counted in memory and synced to Redis in batches, proxy with header filtering) → auth. ` +
          `\`RATE_LIMIT_PER_MINUTE\` was raised to 100,000,000 so the single client address ` +
          `is never refused; the check still runs.`,
          `Processes logged at \`${context.logLevel}\` (at \`info\` every process writes an ` +
          `access-log line per request, which this run ${
            context.logLevel === "info" ? "includes" : "leaves out"
          }).`,
          `CPU: ${describeCpu(cpu)}. "other" is everything but our processes and the servers ` +
          `(other work on a shared machine).`,
        ],
        data: {
          rate: RATE,
          warmupMs: WARMUP_MS,
          durationMs: DURATION_MS,
          summary,
          added,
          errors,
          sendLag: { gateway: lag(result.gateway), direct: lag(result.direct) },
          cpu,
        },
      };
    } finally {
      await bench.close();
    }
  },
};
