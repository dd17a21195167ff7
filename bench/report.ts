/**
 * What a benchmark returns, and how results become markdown (printed, and
 * written to bench/RESULTS.md) and JSON (bench/results.json).
 */
import type { LogLevel } from "../scripts/fleet.ts";
import type { Environment } from "./machine.ts";

/** A markdown table. */
export interface Table {
  title?: string;
  columns: string[];
  rows: string[][];
}

/** A goal and whether the run met it. */
export interface Target {
  what: string;
  goal: string;
  measured: string;
  met: boolean;
}

/** What a benchmark's `run` returns. */
export interface Outcome {
  tables: Table[];
  targets: Target[];
  /** Conditions of the run a reader needs (rates, raised limits, CPU use, caveats). */
  notes: string[];
  /** The raw numbers, for results.json. */
  data: Record<string, unknown>;
}

/** Given to every benchmark. */
export interface BenchContext {
  /** A progress line on stderr (stdout carries the results). */
  log(message: string): void;
  /** LOG_LEVEL of the fleet's processes. */
  logLevel: LogLevel;
  /** `--minutes=N`: how long a duration-bound benchmark (the soak) runs. */
  minutes?: number;
}

/** One benchmark: a module in bench/ exporting one of these. */
export interface Benchmark {
  /** What `--only=<name>` selects; snake_case. */
  name: string;
  title: string;
  /** How it measures, in a sentence or three (markdown). */
  method: string;
  run(context: BenchContext): Promise<Outcome>;
}

/** A finished (or failed) benchmark as recorded in results.json. */
export type BenchmarkRecord =
  & { name: string; title: string; method: string; environment: Environment; seconds: number }
  & (Outcome | { error: string });

/** The markdown section of one benchmark. */
export function renderRecord(record: BenchmarkRecord): string {
  const env = record.environment;
  const lines = [
    `## ${record.name}: ${record.title}`,
    "",
    `Measured ${env.date.replace("T", " ").slice(0, 16)} UTC on ${env.cpu}, **${env.cores} cores ` +
    `shared by the load generator and everything it measures** (fleet, PostgreSQL ` +
    `${env.postgres}, RabbitMQ ${env.rabbitmq}, Redis ${env.redis}); ${env.deno.join(", ")}; ` +
    `Linux ${env.kernel}; load average at start ${env.loadAverage.join(" / ")}` +
    (env.busyBefore === undefined
      ? ""
      : `, machine ${env.busyBefore} % busy (of one core) just before` +
        (env.waitedSeconds ? ` after waiting ${env.waitedSeconds} s for it to quiet down` : "")) +
    `; took ${Math.round(record.seconds)} s.`,
    "",
    record.method,
    "",
  ];
  if ("error" in record) {
    lines.push(`**Failed:** ${record.error}`, "");
    return lines.join("\n");
  }
  for (const table of record.tables) lines.push(...renderTable(table), "");
  if (record.targets.length) {
    lines.push(
      ...renderTable({
        columns: ["target", "goal", "measured", "met"],
        rows: record.targets.map((
          t,
        ) => [t.what, t.goal, t.measured, t.met ? "met" : "**not met**"]),
      }),
      "",
    );
  }
  if (record.notes.length) lines.push(...record.notes.map((note) => `- ${note}`), "");
  return lines.join("\n");
}

function renderTable(table: Table): string[] {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  return [
    ...(table.title ? [`**${table.title}**`, ""] : []),
    `| ${table.columns.map(escape).join(" | ")} |`,
    `| ${table.columns.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(" | ")} |`),
  ];
}

/** The whole RESULTS.md. */
export function renderResults(records: readonly BenchmarkRecord[]): string {
  return [
    "# Benchmark results",
    "",
    "Written by `deno task bench` (see bench/README.md for how each benchmark measures); " +
    "do not edit by hand. Latencies are in milliseconds.",
    "",
    ...records.map(renderRecord),
  ].join("\n");
}
