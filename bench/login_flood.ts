/**
 * Logins are expensive on purpose (argon2id, ~19 MiB and two passes per
 * attempt). This measures how many the fleet completes per second, and whether
 * a flood of them slows everything else down: the p99 of cheap routes through
 * the gateway with and without a concurrent stream of logins.
 */
import { startBenchFleet } from "./fleet.ts";
import {
  closedLoop,
  failures,
  httpSend,
  type LoadResult,
  okSummary,
  openLoop,
  outcomeCounts,
  type Send,
} from "./load.ts";
import { type CpuUsage, describeCpu, measureCpu } from "./machine.ts";
import type { Benchmark, Target } from "./report.ts";
import { ms, num, summarize, type Summary } from "./stats.ts";

const ACCOUNTS = 8;
const CLIENTS = 4; // closed-loop logins in flight at once (auth hashes on 2 workers)
const CAPACITY_WARMUP_MS = 2_000;
const CAPACITY_MS = 15_000;
const ROUTE_RATE = 100; // per route per second: GET /api/v1/auth/me and GET /livez
const PHASE_WARMUP_MS = 3_000;
const PHASE_MS = 20_000;
const FLOOD_RATE = 50; // logins per second during the flood phase
const TARGET_RATIO = 1.5;
const PASSWORD = "correct horse battery staple";

/** The login-flood benchmark. */
export const loginFlood: Benchmark = {
  name: "login_flood",
  title: "argon2id logins per second, and other routes during a login flood",
  method: `Through the gateway. **Capacity:** ${CLIENTS} clients in a closed loop, each sending ` +
    `a correct login (round-robin over ${ACCOUNTS} accounts) as soon as its previous one is ` +
    `answered, for ${CAPACITY_MS / 1000} s after ${CAPACITY_WARMUP_MS / 1000} s of warm-up. ` +
    `**Interference:** \`GET /api/v1/auth/me\` (authenticated, reaches auth and PostgreSQL) and ` +
    `\`GET /livez\` (answered by the gateway itself), each at a fixed ${ROUTE_RATE}/s (open ` +
    `model), for ${PHASE_MS / 1000} s without logins, then ${PHASE_MS / 1000} s with a ` +
    `concurrent open-model flood of ${FLOOD_RATE} logins/s; each phase after ` +
    `${PHASE_WARMUP_MS / 1000} s of discarded warm-up. Latency from the intended send time; ` +
    `percentiles over every successful request.`,
  async run(context) {
    const bench = await startBenchFleet("login", {
      logLevel: context.logLevel,
      // One client address and a few accounts send everything: lift the limits
      // that would otherwise answer 429 (their checks still run).
      env: {
        gateway: {
          RATE_LIMIT_PER_MINUTE: "100000000",
          LOGIN_IP_LIMIT_PER_MINUTE: "100000000",
          LOGIN_FAILURES_PER_MINUTE: "100000000",
        },
      },
    });
    try {
      const { fleet } = bench;
      const id = crypto.randomUUID().slice(0, 8);
      context.log(`signing up ${ACCOUNTS} accounts`);
      const users: string[] = [];
      let accessToken = "";
      for (let i = 0; i < ACCOUNTS; i++) {
        const username = `lf${id}n${i}`;
        accessToken = (await bench.signup(username, PASSWORD)).accessToken;
        users.push(username);
      }
      const login: Send = (i) =>
        httpSend(`${fleet.gatewayUrl}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ login: users[i % users.length], password: PASSWORD }),
        })(i);
      const me = httpSend(`${fleet.gatewayUrl}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      const livez = httpSend(`${fleet.gatewayUrl}/livez`);

      context.log(`capacity: ${CLIENTS} closed-loop clients for ${CAPACITY_MS / 1000} s`);
      await closedLoop({ concurrency: CLIENTS, durationMs: CAPACITY_WARMUP_MS, send: login });
      const meter = await measureCpu(bench.pids());
      const capacity = await closedLoop({
        concurrency: CLIENTS,
        durationMs: CAPACITY_MS,
        send: login,
      });
      const capacityCpu = await meter.stop();
      const loginsPerSecond = (capacity.sent - failures(capacity)) / (capacity.elapsedMs / 1000);

      const routes = async (flood: boolean) => {
        const start = (durationMs: number) => ({
          me: openLoop({ rate: ROUTE_RATE, durationMs, send: me }),
          livez: openLoop({ rate: ROUTE_RATE, durationMs, send: livez }),
          login: flood ? openLoop({ rate: FLOOD_RATE, durationMs, send: login }) : undefined,
        });
        context.log(`${flood ? "with" : "without"} a ${FLOOD_RATE}/s login flood`);
        const warmup = start(PHASE_WARMUP_MS);
        await Promise.all([warmup.me, warmup.livez]);
        const meter = await measureCpu(bench.pids());
        const phase = start(PHASE_MS);
        const [meResult, livezResult] = await Promise.all([phase.me, phase.livez]);
        // CPU over the phase itself; logins still queued in auth answer later.
        const cpu = await meter.stop();
        const [, loginResult] = await Promise.all([warmup.login, phase.login]);
        return { me: meResult, livez: livezResult, login: loginResult, cpu };
      };
      const quiet = await routes(false);
      const flooded = await routes(true);

      const summary = {
        quiet: { me: okSummary(quiet.me), livez: okSummary(quiet.livez) },
        flooded: { me: okSummary(flooded.me), livez: okSummary(flooded.livez) },
      };
      const ratio = {
        me: summary.flooded.me.p99 / summary.quiet.me.p99,
        livez: summary.flooded.livez.p99 / summary.quiet.livez.p99,
      };
      const floodLogins = flooded.login!;
      const capacitySummary = okSummary(capacity);
      const floodSummary = summarize(floodLogins.latencies);
      const routeRow = (label: string, r: LoadResult, s: Summary) => [
        label,
        num(r.sent),
        num(failures(r)),
        ms(s.p50),
        ms(s.p90),
        ms(s.p99),
        ms(s.max),
      ];
      const cpuRow = (label: string, u: CpuUsage) => [
        label,
        `${u.processes.auth ?? 0} %`,
        `${u.processes.gateway ?? 0} %`,
        `${u.processes["load generator"] ?? 0} %`,
        `${u.servers.postgres} %`,
        `${u.machine} %`,
        `${u.other} %`,
      ];
      const targets: Target[] = (["me", "livez"] as const).map((route) => ({
        what: `${route === "me" ? "GET /api/v1/auth/me" : "GET /livez"} p99 with flood ÷ without`,
        goal: `≤ ${TARGET_RATIO}×`,
        measured: `${ratio[route].toFixed(2)}× (${ms(summary.flooded[route].p99)} ms vs ${
          ms(summary.quiet[route].p99)
        } ms)`,
        met: ratio[route] <= TARGET_RATIO,
      }));

      return {
        tables: [
          {
            title: "Login capacity (closed loop)",
            columns: ["clients", "logins", "errors", "logins/s", "p50", "p90", "p99", "max"],
            rows: [[
              String(CLIENTS),
              num(capacity.sent),
              num(failures(capacity)),
              num(loginsPerSecond, 1),
              ms(capacitySummary.p50),
              ms(capacitySummary.p90),
              ms(capacitySummary.p99),
              ms(capacitySummary.max),
            ]],
          },
          {
            title: `Other routes through the gateway at ${ROUTE_RATE}/s each (ms)`,
            columns: ["route, phase", "requests", "errors", "p50", "p90", "p99", "max"],
            rows: [
              routeRow("GET /api/v1/auth/me, no logins", quiet.me, summary.quiet.me),
              routeRow(
                `GET /api/v1/auth/me, ${FLOOD_RATE} logins/s`,
                flooded.me,
                summary.flooded.me,
              ),
              routeRow("GET /livez, no logins", quiet.livez, summary.quiet.livez),
              routeRow(`GET /livez, ${FLOOD_RATE} logins/s`, flooded.livez, summary.flooded.livez),
            ],
          },
          {
            title: `The ${FLOOD_RATE}/s login flood itself (every attempt, ms from intended send)`,
            columns: ["sent", "answers", "p50", "p90", "p99", "max"],
            rows: [[
              num(floodLogins.sent),
              Object.entries(outcomeCounts(floodLogins)).map(([k, v]) => `${v}× ${k}`).join(", "),
              ms(floodSummary.p50),
              ms(floodSummary.p90),
              ms(floodSummary.p99),
              ms(floodSummary.max),
            ]],
          },
          {
            title: "CPU (% of one core; 200 % is the whole machine)",
            columns: [
              "phase",
              "auth",
              "gateway",
              "load generator",
              "postgres",
              "machine",
              "not ours",
            ],
            rows: [
              cpuRow("login capacity", capacityCpu),
              cpuRow("routes, no logins", quiet.cpu),
              cpuRow(`routes + ${FLOOD_RATE} logins/s`, flooded.cpu),
            ],
          },
        ],
        targets,
        notes: [
          `Raised for this run (fleet env of the gateway): \`RATE_LIMIT_PER_MINUTE\`, ` +
          `\`LOGIN_IP_LIMIT_PER_MINUTE\` and \`LOGIN_FAILURES_PER_MINUTE\` to 100,000,000, since ` +
          `one client address sends everything; the checks (Redis calls) still run. Logins are ` +
          `spread over ${ACCOUNTS} accounts and all use the right password.`,
          `Each login: gateway limits (2 Redis calls + a release), auth looks the user up, ` +
          `verifies argon2id (m=19 MiB, t=2, p=1) in its worker pool, inserts a refresh-token ` +
          `family; the gateway signs an ES256 access token.`,
          `Logins beyond capacity wait in auth's bounded hash queue (8 per worker, under a ` +
          `second of work, first come first served); beyond it auth answers 503 \`busy\` with ` +
          `Retry-After at once, and a job whose request was aborted while waiting is dropped.`,
          `Auth hashes on one worker per core but one: on this 2-core machine one worker, which ` +
          `holds a whole core while logins flood in, beside the gateway, auth's request thread, ` +
          `PostgreSQL and the load generator on the other.`,
          `Processes logged at \`${context.logLevel}\`.`,
          `CPU, capacity: ${describeCpu(capacityCpu)}.`,
          `CPU, routes without logins: ${describeCpu(quiet.cpu)}.`,
          `CPU, routes with logins: ${describeCpu(flooded.cpu)}.`,
        ],
        data: {
          accounts: ACCOUNTS,
          capacity: {
            clients: CLIENTS,
            durationMs: CAPACITY_MS,
            logins: capacity.sent,
            errors: failures(capacity),
            outcomes: outcomeCounts(capacity),
            loginsPerSecond,
            latency: capacitySummary,
            cpu: capacityCpu,
          },
          routes: {
            rate: ROUTE_RATE,
            durationMs: PHASE_MS,
            quiet: { ...summary.quiet, cpu: quiet.cpu },
            flooded: { ...summary.flooded, cpu: flooded.cpu },
            p99Ratio: ratio,
          },
          flood: {
            rate: FLOOD_RATE,
            sent: floodLogins.sent,
            outcomes: outcomeCounts(floodLogins),
            latency: floodSummary,
          },
        },
      };
    } finally {
      await bench.close();
    }
  },
};
