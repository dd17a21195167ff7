/**
 * `deno task bench`: runs the benchmarks one after another against real
 * processes and real PostgreSQL, RabbitMQ and Redis, prints a markdown section
 * per benchmark, and writes bench/results.json and bench/RESULTS.md.
 *
 *   deno task bench                                  every benchmark
 *   deno task bench -- --only=gateway_overhead       one (or a comma list)
 *   deno task bench -- --log-level=info              fleet processes log at info
 *   deno task bench -- --only=soak --minutes=8       the soak for 8 minutes instead of 30
 *
 * With --only, the other benchmarks' earlier records in results.json are kept,
 * each with the date and machine it was measured on.
 *
 * Adding a benchmark: a module in bench/ exporting a `Benchmark`
 * (report.ts), plus one import and one entry in BENCHMARKS below.
 */
import type { LogLevel } from "../scripts/fleet.ts";
import { chatLatency } from "./chat_latency.ts";
import { chatSockets } from "./chat_sockets.ts";
import { eventPipeline } from "./event_pipeline.ts";
import { forgotTiming } from "./forgot_timing.ts";
import { gatewayOverhead } from "./gateway_overhead.ts";
import { gigSearch, gigSearchMillion } from "./gig_search.ts";
import { gigSuggestions } from "./gig_suggestions.ts";
import { gigTypos } from "./gig_typos.ts";
import { loginFlood } from "./login_flood.ts";
import { observabilityOverhead } from "./observability_overhead.ts";
import { ordersE2e } from "./orders_e2e.ts";
import { soak } from "./soak.ts";
import { webPages } from "./web_pages.ts";
import { environment, waitForQuiet } from "./machine.ts";
import { type Benchmark, type BenchmarkRecord, renderRecord, renderResults } from "./report.ts";

/** Every benchmark, in the order `deno task bench` runs them. */
export const BENCHMARKS: readonly Benchmark[] = [
  gatewayOverhead,
  observabilityOverhead,
  loginFlood,
  forgotTiming,
  eventPipeline,
  gigSearch,
  gigTypos,
  gigSuggestions,
  gigSearchMillion,
  webPages,
  ordersE2e,
  chatSockets,
  chatLatency,
  soak,
];

const RESULTS_JSON = new URL("./results.json", import.meta.url);
const RESULTS_MD = new URL("./RESULTS.md", import.meta.url);
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
// Before each benchmark, wait up to QUIET_TIMEOUT_MS for the machine to use
// less than QUIET_BUSY % of one core (other people's test runs on a shared
// machine); the reading is recorded with the results whether or not it got there.
const QUIET_BUSY = 25;
const QUIET_TIMEOUT_MS = 20_000;

interface Options {
  only?: string[];
  logLevel: LogLevel;
  minutes?: number;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = { logLevel: "warn" };
  for (const arg of args) {
    if (arg === "--") continue; // `deno task bench -- --only=x` may pass it through
    const [flag, value] = arg.split(/=(.*)/s, 2);
    if (flag === "--only" && value) {
      options.only = value.split(",").map((name) => name.trim()).filter(Boolean);
    } else if (flag === "--log-level" && LOG_LEVELS.includes(value as LogLevel)) {
      options.logLevel = value as LogLevel;
    } else if (flag === "--minutes" && Number(value) > 0) {
      options.minutes = Number(value);
    } else {
      throw new Error(
        `unknown argument "${arg}"; use --only=<${
          BENCHMARKS.map((b) => b.name).join("|")
        }>[,…], --log-level=<${LOG_LEVELS.join("|")}> and --minutes=<N>`,
      );
    }
  }
  const unknown = options.only?.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown?.length) {
    throw new Error(
      `unknown benchmark ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}`,
    );
  }
  return options;
}

async function previousRecords(): Promise<BenchmarkRecord[]> {
  try {
    const json = JSON.parse(await Deno.readTextFile(RESULTS_JSON));
    return Array.isArray(json.benchmarks) ? json.benchmarks : [];
  } catch {
    return [];
  }
}

/** Runs `deno fmt` on generated files, so `deno task check` (fmt --check) stays clean. */
async function formatted(files: URL[]) {
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", ...files.map((url) => url.pathname)],
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`deno fmt failed: ${new TextDecoder().decode(stderr)}`);
}

async function main() {
  const options = parseArgs(Deno.args);
  const selected = BENCHMARKS.filter((b) => !options.only || options.only.includes(b.name));
  const started = performance.now();
  const log = (message: string) =>
    console.error(
      `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`,
    );

  const records: BenchmarkRecord[] = [];
  for (const benchmark of selected) {
    log(`${benchmark.name}: ${benchmark.title}`);
    const quiet = await waitForQuiet({ maxBusy: QUIET_BUSY, timeoutMs: QUIET_TIMEOUT_MS });
    if (quiet.busy > QUIET_BUSY) {
      log(`the machine is still ${quiet.busy} % busy (of one core) without us; measuring anyway`);
    }
    // Per benchmark, since the load and the date matter for each.
    const env = {
      ...await environment(),
      busyBefore: quiet.busy,
      waitedSeconds: quiet.waitedSeconds,
    };
    const at = performance.now();
    const context = {
      logLevel: options.logLevel,
      minutes: options.minutes,
      log: (message: string) => log(`${benchmark.name}: ${message}`),
    };
    const base = { name: benchmark.name, title: benchmark.title, method: benchmark.method };
    let record: BenchmarkRecord;
    try {
      const outcome = await benchmark.run(context);
      record = { ...base, environment: env, seconds: (performance.now() - at) / 1000, ...outcome };
    } catch (error) {
      const message = error instanceof Error ? error.stack ?? error.message : String(error);
      log(`${benchmark.name} failed: ${message}`);
      record = {
        ...base,
        environment: env,
        seconds: (performance.now() - at) / 1000,
        error: message,
      };
    }
    records.push(record);
    console.log(renderRecord(record));
  }

  // Keep earlier records of the benchmarks not run now, in BENCHMARKS order.
  const previous = options.only ? await previousRecords() : [];
  const merged = BENCHMARKS.flatMap((b) =>
    records.find((r) => r.name === b.name) ?? previous.find((r) => r.name === b.name) ?? []
  );
  await Deno.writeTextFile(
    RESULTS_JSON,
    JSON.stringify({ generatedBy: "deno task bench", benchmarks: merged }, null, 2) + "\n",
  );
  await Deno.writeTextFile(RESULTS_MD, renderResults(merged));
  await formatted([RESULTS_JSON, RESULTS_MD]);
  log(`wrote bench/results.json and bench/RESULTS.md`);
  if (records.some((r) => "error" in r)) Deno.exit(1);
}

if (import.meta.main) await main();
