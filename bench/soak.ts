/**
 * Memory under a steady load: the whole fleet driven for a long while (30
 * minutes by default, `--minutes=N`) by order journeys and reads through the
 * gateway (e2e/faults/steady_load.ts), with every process's RSS sampled from
 * /proc and the V8 heap left after each full GC read from its `--trace-gc`
 * lines (DENO_V8_FLAGS, which the fleet passes to every child; V8 prints them
 * through buffered stdio, so they are read once the processes have exited). A process
 * whose RSS grows while its heap after full GCs stays flat is growing its
 * allocator or V8's reservations, not leaking objects.
 */
import { startMarketplace } from "../e2e/support.ts";
import { prepareWorld, SteadyLoad } from "../e2e/faults/steady_load.ts";
import type { ProcessName } from "../scripts/fleet.ts";
import { codeState, describeCodeState } from "./code_state.ts";
import type { Benchmark, Table } from "./report.ts";

const JOURNEYS_PER_SECOND = 2;
const READS_PER_SECOND = 20;
const SAMPLE_MS = 10_000;
const REFRESH_MS = 10 * 60_000; // access tokens last 15 minutes
const GROWTH_TARGET = 0.1;
// "  4543 ms: Mark-Compact 58.9 (73.6) -> 46.8 (62.0) MB" (or Scavenge, Minor
// Mark-Sweep): ms since the isolate started, the heap used after the GC, and in
// brackets the heap V8 holds (committed pages), which is in the RSS.
const GC_LINE =
  /\s(\d+) ms: ([A-Za-z -]+?)(?: \([a-z ]+\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\)/;

/** One sample: minutes since the load started, RSS in MiB per process. */
interface Sample {
  minute: number;
  rss: Record<string, number | null>;
}

/** VmRSS of a process in MiB, or null if it is gone. */
async function rssMiB(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null;
  }
}

/** One GC of a process: minutes since it started, heap used and held after it, MiB. */
interface Gc {
  minute: number;
  full: boolean;
  heap: number;
  committed: number;
}

/** Each GC in a log file. */
async function gcLines(file: string | undefined): Promise<Gc[]> {
  const text = file ? await Deno.readTextFile(file).catch(() => "") : "";
  return text.split("\n").flatMap((line) => {
    const match = line.match(GC_LINE);
    return match
      ? [{
        minute: Number(match[1]) / 60_000,
        full: /Mark-Compact/.test(match[2]),
        heap: Number(match[3]),
        committed: Number(match[4]),
      }]
      : [];
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
}

const mib = (
  value: number | null,
) => (value === null || Number.isNaN(value) ? "–" : value.toFixed(1));

/** The soak benchmark. */
export const soak: Benchmark = {
  name: "soak",
  title: "memory under a steady load: each process's RSS over time",
  method: `The whole fleet (real processes, real flags) with ${JOURNEYS_PER_SECOND} order ` +
    `journeys a second (place with an Idempotency-Key, pay in the local test mode, deliver, ` +
    `accept, review, each answer awaited before the next step) and ${READS_PER_SECOND} reads a ` +
    `second (gig, profile, search, the buyer's orders, an order) through the gateway, for 30 ` +
    `minutes by default (\`--minutes=N\`). Every ${SAMPLE_MS / 1000} s: each process's RSS ` +
    `(VmRSS from /proc); each process's V8 heap after every full GC (from \`--trace-gc\`, set for ` +
    `every process through DENO_V8_FLAGS). RSS growth compares the median of the last three ` +
    `samples with the median of the three at the end of warm-up (a sixth of the run, at least a ` +
    `minute); heap after full GC, the medians of the first and the last fifth after warm-up.`,
  async run(context) {
    const minutes = context.minutes ?? 30;
    const durationMs = minutes * 60_000;
    const warmupMs = Math.max(60_000, durationMs / 6);
    const code = await codeState(["services", "gateway", "shared"]);
    const logDir = await Deno.makeTempDir({ prefix: "soak-logs-" });
    // The fleet passes DENO_* to every child: each full GC's heap size goes to its log.
    const v8Flags = Deno.env.get("DENO_V8_FLAGS");
    Deno.env.set("DENO_V8_FLAGS", "--trace-gc");
    const fleetStarted = performance.now();
    let market;
    try {
      market = await startMarketplace("soak", {
        logLevel: context.logLevel,
        output: "files",
        logDir,
        env: { gateway: { SIGNUP_LIMIT_PER_HOUR: "1000" } },
      });
    } finally {
      if (v8Flags === undefined) Deno.env.delete("DENO_V8_FLAGS");
      else Deno.env.set("DENO_V8_FLAGS", v8Flags);
    }
    const { fleet } = market;
    const names = fleet.names as ProcessName[];
    const samples: Sample[] = [];
    let load: SteadyLoad | undefined;
    let loadStarted = NaN;
    try {
      context.log("a seller, a gig and buyers");
      const world = await prepareWorld(market, 4);
      load = new SteadyLoad(world, {
        journeysPerSecond: JOURNEYS_PER_SECOND,
        readsPerSecond: READS_PER_SECOND,
      });
      const started = loadStarted = performance.now();
      const sample = async () => {
        const entry: Sample = { minute: (performance.now() - started) / 60_000, rss: {} };
        for (const name of names) entry.rss[name] = await rssMiB(fleet.pid(name));
        samples.push(entry);
      };
      await sample();
      load.start();
      context.log(`load for ${minutes} min (warm-up ${(warmupMs / 60_000).toFixed(1)} min)`);
      let nextRefresh = REFRESH_MS;
      while (performance.now() - started < durationMs) {
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
        await sample();
        const last = samples.at(-1)!;
        if (samples.length % 6 === 0) {
          context.log(
            `${last.minute.toFixed(1)} min: ` +
              names.map((n) => `${n} ${mib(last.rss[n])}`).join(", ") + " MiB",
          );
        }
        if (performance.now() - started > nextRefresh) {
          await load.refreshTokens();
          nextRefresh += REFRESH_MS;
        }
      }
      await load.stop();
    } finally {
      await load?.stop();
      await market.close();
    }
    // The processes have exited: their GC lines are all in the logs now.
    const offset = (loadStarted - fleetStarted) / 60_000;
    const gcs: Record<string, Gc[]> = {};
    for (const name of names) {
      gcs[name] = (await gcLines(fleet.logFile(name))).map((gc) => ({
        ...gc,
        minute: gc.minute - offset,
      }));
    }
    const fullGcs = (name: string) => gcs[name].filter((gc) => gc.full);
    // What V8 held at a sample: the committed heap after the last GC before it.
    const heldAt = (name: string, minute: number) =>
      gcs[name].findLast((gc) => gc.minute <= minute)?.committed ?? NaN;
    const failed = Object.keys(load?.summary() ?? {}).some((key) => / 5\d\d$/.test(key));
    if (failed) context.log(`there were 5xx answers: the fleet's logs are kept in ${logDir}`);
    else await Deno.remove(logDir, { recursive: true }).catch(() => {});

    const warm = samples.filter((s) => s.minute * 60_000 >= warmupMs);
    const atWarm = warm.slice(0, 3);
    const atEnd = warm.slice(-3);
    const pick = (set: Sample[], name: string) =>
      median(set.map((s) => s.rss[name]).filter((v): v is number => v !== null));
    // Heap after full GC: the median over the first and the last fifth of the measured period.
    const warmMinutes = warmupMs / 60_000;
    const fifth = (minutes - warmMinutes) / 5;
    const heapIn = (name: string, from: number, to: number) =>
      median(
        fullGcs(name).filter((gc) => gc.minute >= from && gc.minute < to).map((gc) => gc.heap),
      );
    const heldIn = (set: Sample[], name: string) =>
      median(set.map((s) => heldAt(name, s.minute)).filter((v) => !Number.isNaN(v)));
    const rows = names.map((name) => {
      const from = pick(atWarm, name);
      const to = pick(atEnd, name);
      const peak = Math.max(...samples.map((s) => s.rss[name] ?? 0));
      const growth = (to - from) / from;
      return {
        name,
        start: samples[0]?.rss[name] ?? null,
        from,
        to,
        peak,
        growth,
        heapFrom: heapIn(name, warmMinutes, warmMinutes + fifth),
        heapTo: heapIn(name, minutes - fifth, minutes + 1),
        fullGcs: fullGcs(name).filter((gc) => gc.minute >= warmMinutes).length,
        heldFrom: heldIn(atWarm, name),
        heldTo: heldIn(atEnd, name),
      };
    });
    const summary: Table = {
      title: "RSS and heap after full GC, MiB",
      columns: [
        "process",
        "RSS at start",
        "RSS after warm-up",
        "RSS at end",
        "peak",
        "growth after warm-up",
        "heap after full GC: after warm-up → end (full GCs)",
        "V8 heap held: after warm-up → end",
        "RSS outside the V8 heap: after warm-up → end",
      ],
      rows: rows.map((r) => [
        r.name,
        mib(r.start),
        mib(r.from),
        mib(r.to),
        mib(r.peak),
        `${(r.growth * 100).toFixed(1)} %`,
        `${mib(r.heapFrom)} → ${mib(r.heapTo)} (${r.fullGcs})`,
        `${mib(r.heldFrom)} → ${mib(r.heldTo)}`,
        `${mib(r.from - r.heldFrom)} → ${mib(r.to - r.heldTo)}`,
      ]),
    };
    const everyMinute = samples.filter((s, i) =>
      i === 0 || Math.floor(s.minute) > Math.floor(samples[i - 1].minute)
    );
    const series: Table = {
      title: "RSS over time, MiB (the first sample of each minute)",
      columns: ["minute", ...names],
      rows: everyMinute.map((s) => [s.minute.toFixed(1), ...names.map((n) => mib(s.rss[n]))]),
    };
    const journeys = load?.journeys ?? [];
    return {
      tables: [summary, series],
      targets: rows.map((r) => ({
        what: `${r.name}: RSS growth after warm-up`,
        goal: `≤ ${GROWTH_TARGET * 100} %`,
        measured: `${(r.growth * 100).toFixed(1)} % (${mib(r.from)} → ${mib(r.to)} MiB)`,
        met: r.growth <= GROWTH_TARGET,
      })),
      notes: [
        `Ran ${minutes} min${minutes < 30 ? ` (**shortened**; the full soak is 30 min)` : ""}, ` +
        `warm-up ${(warmupMs / 60_000).toFixed(1)} min. ${journeys.length} journeys started, ` +
        `${journeys.filter((j) => j.reviewId).length} finished; answers: ` +
        `${JSON.stringify(load?.summary() ?? {})}.`,
        `${load?.serverErrors.length ?? 0} answers were 5xx other than 502/503/504. POSTs that ` +
        `met a 502/503/504 were retried with the same Idempotency-Key (up to 8 times, backing off); ` +
        `reads were not.`,
        describeCodeState(code),
      ],
      data: {
        minutes,
        warmupMs,
        samples,
        fullGcs: Object.fromEntries(names.map((name) => [name, fullGcs(name)])),
        heldAtSamples: Object.fromEntries(
          names.map((name) => [name, samples.map((s) => heldAt(name, s.minute))]),
        ),
        answers: load?.summary() ?? {},
      },
    };
  },
};
