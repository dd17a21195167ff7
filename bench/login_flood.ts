/**
 * Logins are expensive on purpose (argon2id, 7–19 MiB and two to five passes per
 * attempt). This measures how many the fleet completes per second, and whether
 * a flood of them slows everything else down: the p99 of cheap routes through
 * the gateway with and without a concurrent stream of logins. It does so for
 * each argon2id setting OWASP lists as equally strong, with auth's hashing
 * governor (services/auth/hash_governor.ts), and once with the governor off
 * (every hash worker may hash all the time) for comparison.
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
import { ms, num, type Summary } from "./stats.ts";

const ACCOUNTS = 8;
const CLIENTS = 4; // closed-loop logins in flight at once
const CAPACITY_WARMUP_MS = 2_000;
const CAPACITY_MS = 15_000;
const ROUTE_RATE = 100; // per route per second: GET /api/v1/auth/me and GET /livez
const PHASE_WARMUP_MS = 3_000;
// BENCH_SECONDS: a shorter measured phase for trying the benchmark out; the recorded run uses 20.
const PHASE_MS = Number(Deno.env.get("BENCH_SECONDS") ?? 20) * 1000;
const FLOOD_RATE = 50; // logins per second during the flood phase
const TARGET_RATIO = 1.5;
const PASSWORD = "correct horse battery staple";

/** One configuration of auth's hasher, passed to it as environment. */
interface Variant {
  label: string;
  memoryKiB: number;
  iterations: number;
  /** AUTH_HASH_MAX_DUTY_PERCENT. */
  maxDuty: number;
  /** false: the governor never throttles (lag limit out of reach), as before it existed. */
  governor: boolean;
  /** AUTH_HASH_LAG_LIMIT_MS; auth's default when unset. */
  lagLimitMs?: number;
}

const pct = (share: number) => Number.isNaN(share) ? "–" : `${Math.round(share * 100)} %`;

const setting = (
  memoryKiB: number,
  iterations: number,
  maxDuty: number,
  governor = true,
  lagLimitMs?: number,
) => ({
  label: `m=${Math.round(memoryKiB / 1024)} MiB t=${iterations}, ${
    governor
      ? `governor ≤ ${maxDuty} %${lagLimitMs === undefined ? "" : `, lag limit ${lagLimitMs} ms`}`
      : "no governor"
  }`,
  memoryKiB,
  iterations,
  maxDuty,
  governor,
  lagLimitMs,
});

// LOGIN_FLOOD_VARIANTS ("19456x2@off,7168x5@25,19456x2@50/3": KiB x passes @ max duty % or
// "off" for no governor, optionally / lag limit in ms): for trying settings out.
const VARIANTS: Variant[] = Deno.env.get("LOGIN_FLOOD_VARIANTS")?.split(",").map((spec) => {
  const [, m, t, duty, lag] = spec.match(/^(\d+)x(\d+)@(\d+|off)(?:\/(\d+))?$/) ?? [];
  if (!m) {
    throw new Error(`LOGIN_FLOOD_VARIANTS: ${spec} is not <KiB>x<passes>@<duty %|off>[/<lag ms>]`);
  }
  const on = duty !== "off";
  return setting(Number(m), Number(t), on ? Number(duty) : 100, on, lag ? Number(lag) : undefined);
}) ?? [
  setting(19_456, 2, 100, false),
  setting(19_456, 2, 50),
  setting(19_456, 2, 25),
  setting(7_168, 5, 25),
  setting(9_216, 4, 25),
  setting(12_288, 3, 25),
];

/** The login-flood benchmark. */
export const loginFlood: Benchmark = {
  name: "login_flood",
  title: "argon2id logins per second, and other routes during a login flood, per hash setting",
  method: `Through the gateway, a fresh fleet per auth setting (argon2id cost and hashing ` +
    `governor, given to auth as environment). **Capacity:** ${CLIENTS} clients in a closed ` +
    `loop, each sending a correct login (round-robin over ${ACCOUNTS} accounts) as soon as its ` +
    `previous one is answered, for ${CAPACITY_MS / 1000} s after ${CAPACITY_WARMUP_MS / 1000} s ` +
    `of warm-up. **Interference:** \`GET /api/v1/auth/me\` (authenticated, reaches auth and ` +
    `PostgreSQL) and \`GET /livez\` (answered by the gateway itself), each at a fixed ` +
    `${ROUTE_RATE}/s (open model), for ${PHASE_MS / 1000} s without logins, then ` +
    `${PHASE_MS / 1000} s with a concurrent open-model flood of ${FLOOD_RATE} logins/s; each ` +
    `phase after ${PHASE_WARMUP_MS / 1000} s of discarded warm-up. Latency from the intended ` +
    `send time; percentiles over every successful request.`,
  async run(context) {
    const results = [];
    for (const variant of VARIANTS) {
      context.log(variant.label);
      results.push({ variant, ...await measure(variant, context.logLevel, context.log) });
    }

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
    const targets: Target[] = results.flatMap((r) =>
      (["me", "livez"] as const).map((route) => ({
        what: `${r.variant.label}: ${
          route === "me" ? "GET /api/v1/auth/me" : "GET /livez"
        } p99 with flood ÷ without`,
        goal: `≤ ${TARGET_RATIO}×`,
        measured: `${r.ratio[route].toFixed(2)}× (${ms(r.summary.flooded[route].p99)} ms vs ${
          ms(r.summary.quiet[route].p99)
        } ms)`,
        met: r.ratio[route] <= TARGET_RATIO,
      }))
    );

    return {
      tables: [
        {
          title:
            `Per setting: p99 ratio of other routes, login capacity, and the ${FLOOD_RATE}/s ` +
            `flood's answers`,
          columns: [
            "setting",
            "/me p99 ratio",
            "/livez p99 ratio",
            "capacity logins/s",
            "capacity mean duty",
            "capacity p50",
            "capacity p99",
            "flood mean duty",
            "flood logins/s answered 200",
            "flood 503 share",
            "flood 200 p50",
            "flood 200 p99",
          ],
          rows: results.map((r) => [
            r.variant.label,
            `${r.ratio.me.toFixed(2)}×`,
            `${r.ratio.livez.toFixed(2)}×`,
            num(r.loginsPerSecond, 1),
            pct(r.capacityMeanDuty),
            ms(r.capacitySummary.p50),
            ms(r.capacitySummary.p99),
            pct(r.flooded.meanDuty),
            num(r.floodAnswered / (PHASE_MS / 1000), 1),
            `${Math.round(100 * r.floodRefused / r.floodLogins.sent)} %`,
            ms(r.floodSummary.p50),
            ms(r.floodSummary.p99),
          ]),
        },
        {
          title: `Other routes through the gateway at ${ROUTE_RATE}/s each (ms)`,
          columns: ["setting, route, phase", "requests", "errors", "p50", "p90", "p99", "max"],
          rows: results.flatMap((r) => [
            routeRow(`${r.variant.label}: /me, no logins`, r.quiet.me, r.summary.quiet.me),
            routeRow(
              `${r.variant.label}: /me, ${FLOOD_RATE} logins/s`,
              r.flooded.me,
              r.summary.flooded.me,
            ),
            routeRow(`${r.variant.label}: /livez, no logins`, r.quiet.livez, r.summary.quiet.livez),
            routeRow(
              `${r.variant.label}: /livez, ${FLOOD_RATE} logins/s`,
              r.flooded.livez,
              r.summary.flooded.livez,
            ),
          ]),
        },
        {
          title: `The ${FLOOD_RATE}/s login flood itself (every attempt's outcome)`,
          columns: ["setting", "sent", "answers"],
          rows: results.map((r) => [
            r.variant.label,
            num(r.floodLogins.sent),
            Object.entries(outcomeCounts(r.floodLogins)).map(([k, v]) => `${v}× ${k}`).join(", "),
          ]),
        },
        {
          title: "CPU (% of one core; 200 % is the whole machine)",
          columns: [
            "setting, phase",
            "auth",
            "gateway",
            "load generator",
            "postgres",
            "machine",
            "not ours",
          ],
          rows: results.flatMap((r) => [
            cpuRow(`${r.variant.label}: login capacity`, r.capacityCpu),
            cpuRow(`${r.variant.label}: routes, no logins`, r.quiet.cpu),
            cpuRow(`${r.variant.label}: routes + ${FLOOD_RATE} logins/s`, r.flooded.cpu),
          ]),
        },
      ],
      targets,
      notes: [
        `Raised for this run (fleet env of the gateway): \`RATE_LIMIT_PER_MINUTE\`, ` +
        `\`LOGIN_IP_LIMIT_PER_MINUTE\` and \`LOGIN_FAILURES_PER_MINUTE\` to 100,000,000, since ` +
        `one client address sends everything; the checks (Redis calls) still run. Logins are ` +
        `spread over ${ACCOUNTS} accounts and all use the right password; each fleet signs its ` +
        `accounts up at its own setting.`,
        `Each login: gateway limits (2 Redis calls + a release), auth looks the user up, ` +
        `verifies argon2id (p=1, the setting's m and t) in its worker pool, inserts a ` +
        `refresh-token family; the gateway signs an ES256 access token.`,
        `Auth's settings per row: \`AUTH_ARGON2_MEMORY_KIB\`, \`AUTH_ARGON2_ITERATIONS\`, ` +
        `\`AUTH_HASH_MAX_DUTY_PERCENT\` as named; "no governor" sets the duty to 100 % and ` +
        `\`AUTH_HASH_LAG_LIMIT_MS\` out of reach, so the one hash worker may hash without pause ` +
        `(the behaviour before the governor). Otherwise the defaults: lag limit 10 ms, floor ` +
        `5 %, max wait 1 s.`,
        `"Mean duty": auth's \`auth_hash_duty_ratio\` read once a second over the phase, the ` +
        `share of wall time the governor let its hash worker hash.`,
        `Logins beyond what the hasher can start within its max wait (at its current duty) are ` +
        `answered 503 \`busy\` with Retry-After at once; a job whose request was aborted while ` +
        `waiting is dropped.`,
        `Auth hashes on one worker per core but one: on this 2-core machine one worker, beside ` +
        `the gateway, auth's request thread, PostgreSQL and the load generator.`,
        `Processes logged at \`${context.logLevel}\`.`,
        ...results.map((r) =>
          `CPU, ${r.variant.label}: capacity ${describeCpu(r.capacityCpu)}; routes alone ` +
          `${describeCpu(r.quiet.cpu)}; with logins ${describeCpu(r.flooded.cpu)}.`
        ),
      ],
      data: {
        accounts: ACCOUNTS,
        routeRate: ROUTE_RATE,
        phaseMs: PHASE_MS,
        floodRate: FLOOD_RATE,
        variants: results.map((r) => ({
          ...r.variant,
          capacity: {
            clients: CLIENTS,
            durationMs: CAPACITY_MS,
            logins: r.capacity.sent,
            errors: failures(r.capacity),
            outcomes: outcomeCounts(r.capacity),
            loginsPerSecond: r.loginsPerSecond,
            meanDuty: r.capacityMeanDuty,
            latency: r.capacitySummary,
            cpu: r.capacityCpu,
          },
          routes: {
            quiet: { ...r.summary.quiet, cpu: r.quiet.cpu },
            flooded: { ...r.summary.flooded, cpu: r.flooded.cpu },
            p99Ratio: r.ratio,
          },
          flood: {
            sent: r.floodLogins.sent,
            outcomes: outcomeCounts(r.floodLogins),
            answeredPerSecond: r.floodAnswered / (PHASE_MS / 1000),
            meanDuty: r.flooded.meanDuty,
            quietMeanDuty: r.quiet.meanDuty,
            latency200: r.floodSummary,
          },
        })),
      },
    };
  },
};

/**
 * Reads auth's `auth_hash_duty_ratio` once a second until stopped; resolves with
 * the mean (what the governor allowed over a phase). One small request a second.
 */
function sampleDuty(metricsUrl: string) {
  const samples: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const text = await (await fetch(metricsUrl)).text();
      const value = text.match(/^auth_hash_duty_ratio (\S+)$/m)?.[1];
      if (value !== undefined) samples.push(Number(value));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  return async () => {
    running = false;
    await done;
    return samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN;
  };
}

/** One fresh fleet at `variant`: capacity, then the routes without and with the flood. */
async function measure(
  variant: Variant,
  logLevel: Parameters<typeof startBenchFleet>[1]["logLevel"],
  log: (message: string) => void,
) {
  const bench = await startBenchFleet("login", {
    logLevel,
    env: {
      // One client address and a few accounts send everything: lift the limits
      // that would otherwise answer 429 (their checks still run).
      gateway: {
        RATE_LIMIT_PER_MINUTE: "100000000",
        LOGIN_IP_LIMIT_PER_MINUTE: "100000000",
        LOGIN_FAILURES_PER_MINUTE: "100000000",
      },
      auth: {
        AUTH_ARGON2_MEMORY_KIB: String(variant.memoryKiB),
        AUTH_ARGON2_ITERATIONS: String(variant.iterations),
        AUTH_HASH_MAX_DUTY_PERCENT: String(variant.maxDuty),
        ...(variant.governor ? {} : { AUTH_HASH_LAG_LIMIT_MS: "1000000" }),
        ...(variant.lagLimitMs ? { AUTH_HASH_LAG_LIMIT_MS: String(variant.lagLimitMs) } : {}),
      },
    },
  });
  try {
    const { fleet } = bench;
    const id = crypto.randomUUID().slice(0, 8);
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

    log(`capacity: ${CLIENTS} closed-loop clients for ${CAPACITY_MS / 1000} s`);
    await closedLoop({ concurrency: CLIENTS, durationMs: CAPACITY_WARMUP_MS, send: login });
    const meter = await measureCpu(bench.pids());
    const capacityDuty = sampleDuty(fleet.metricsUrlOf("auth"));
    const capacity = await closedLoop({
      concurrency: CLIENTS,
      durationMs: CAPACITY_MS,
      send: login,
    });
    const capacityCpu = await meter.stop();
    const capacityMeanDuty = await capacityDuty();
    const loginsPerSecond = (capacity.sent - failures(capacity)) / (capacity.elapsedMs / 1000);

    const routes = async (flood: boolean) => {
      const start = (durationMs: number) => ({
        me: openLoop({ rate: ROUTE_RATE, durationMs, send: me }),
        livez: openLoop({ rate: ROUTE_RATE, durationMs, send: livez }),
        login: flood ? openLoop({ rate: FLOOD_RATE, durationMs, send: login }) : undefined,
      });
      log(`${flood ? "with" : "without"} a ${FLOOD_RATE}/s login flood`);
      const warmup = start(PHASE_WARMUP_MS);
      await Promise.all([warmup.me, warmup.livez]);
      const meter = await measureCpu(bench.pids());
      const duty = sampleDuty(fleet.metricsUrlOf("auth"));
      const phase = start(PHASE_MS);
      const [meResult, livezResult] = await Promise.all([phase.me, phase.livez]);
      // CPU over the phase itself; logins still queued in auth answer later.
      const cpu = await meter.stop();
      const meanDuty = await duty();
      const [, loginResult] = await Promise.all([warmup.login, phase.login]);
      return { me: meResult, livez: livezResult, login: loginResult, cpu, meanDuty };
    };
    const quiet = await routes(false);
    const flooded = await routes(true);

    const summary = {
      quiet: { me: okSummary(quiet.me), livez: okSummary(quiet.livez) },
      flooded: { me: okSummary(flooded.me), livez: okSummary(flooded.livez) },
    };
    const floodLogins = flooded.login!;
    return {
      capacity,
      capacityCpu,
      capacitySummary: okSummary(capacity),
      capacityMeanDuty,
      loginsPerSecond,
      quiet,
      flooded,
      summary,
      ratio: {
        me: summary.flooded.me.p99 / summary.quiet.me.p99,
        livez: summary.flooded.livez.p99 / summary.quiet.livez.p99,
      },
      floodLogins,
      floodAnswered: floodLogins.outcomes.filter((o) => o === 200).length,
      floodRefused: floodLogins.outcomes.filter((o) => o === 503).length,
      floodSummary: okSummary(floodLogins),
    };
  } finally {
    await bench.close();
  }
}
