/**
 * Where a search's time goes in PostgreSQL, for the gig_search benchmark: the
 * service's own search SQL (services/gigs/search.ts: `keywordQuery`,
 * `itemsQuery`, `countsQuery`) run one query at a time on its database, with
 * nothing else running, so each number is the database's service time without
 * any queueing. For the slowest search of each kind, `EXPLAIN (ANALYZE,
 * BUFFERS)` of its items and counts queries is boiled down to the scans it
 * made, so a reader sees *why* (a sequential scan, thousands of heap rows…).
 */
import postgres from "postgres";
import {
  countsQuery,
  itemsQuery,
  keywordQuery,
  normalizeSearch,
  type SearchPlan,
  searchQuerySchema,
} from "../services/gigs/search.ts";
import type { QueryKind, SearchRequest } from "./gig_queries.ts";

/** What one kind of search costs the database. */
export interface KindCost {
  kind: QueryKind;
  searches: number;
  /** Mean ms of each statement of a search, and of the whole search. */
  mean: { keywords: number; items: number; counts: number; total: number };
  /** The slowest whole search (ms). */
  max: number;
  /** Searches whose SQL failed (not in the times), and the first error. */
  failed: number;
  firstError?: string;
  slowest: { path: string; items: string; counts: string };
}

interface Timed {
  ms: number;
  /** The statement sent (text and parameters), to EXPLAIN it. */
  statement?: { text: string; args: unknown[] };
}

interface Run {
  path: string;
  keywords: Timed;
  items: Timed;
  counts: Timed;
}

/**
 * Runs up to `perKind` distinct searches of each kind of `requests` against
 * the gigs database at `url` (one connection, one statement at a time).
 */
export async function searchCosts(
  url: string,
  requests: readonly SearchRequest[],
  kinds: readonly QueryKind[],
  perKind: number,
): Promise<KindCost[]> {
  let captured: { text: string; args: unknown[] }[] = [];
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection, text, args) => captured.push({ text, args: args as unknown[] }),
  });
  // One query before any with an array parameter: on a new pool, npm:postgres
  // loads the array types with the first query, and seen here (Deno 2.9,
  // postgres 3.4.9) a first query's text[] parameter was sometimes bound before
  // they had loaded ("malformed array literal"), breaking that statement for the
  // connection. The services never meet this: their first query is the migration.
  await sql`select 1`;
  const timed = async (run: () => Promise<unknown>): Promise<Timed> => {
    captured = [];
    const started = performance.now();
    await run();
    return { ms: performance.now() - started, statement: captured.at(-1) };
  };
  try {
    const costs: KindCost[] = [];
    for (const kind of kinds) {
      const seen = new Set<string>();
      const runs: Run[] = [];
      let failed = 0;
      let firstError: string | undefined;
      for (const request of requests) {
        if (request.kind !== kind || request.hot || seen.has(request.key)) continue;
        if (seen.add(request.key).size > perKind) break;
        const query = Object.fromEntries(new URL(request.path, "http://gateway").searchParams);
        const { words, ...rest } = normalizeSearch(searchQuerySchema.parse(query));
        try {
          let tsquery: string | undefined;
          const keywords = await timed(async () => tsquery = await keywordQuery(sql, words));
          const plan: SearchPlan = { ...rest, tsquery };
          const items = await timed(() => itemsQuery(sql, plan));
          const counts = await timed(() => countsQuery(sql, plan));
          runs.push({ path: request.path, keywords, items, counts });
        } catch (error) {
          // The service answers such a search 500: say so rather than stop the benchmark.
          failed++;
          firstError ??= `${decodeURIComponent(request.path)}: ${(error as Error).message}`;
        }
      }
      if (runs.length === 0) {
        costs.push({
          kind,
          searches: 0,
          mean: { keywords: NaN, items: NaN, counts: NaN, total: NaN },
          max: NaN,
          failed,
          firstError,
          slowest: { path: "–", items: "–", counts: "–" },
        });
        continue;
      }
      const total = (r: Run) => r.keywords.ms + r.items.ms + r.counts.ms;
      const mean = (pick: (r: Run) => number) =>
        runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
      const slowest = runs.reduce((a, b) => total(b) > total(a) ? b : a);
      costs.push({
        kind,
        searches: runs.length,
        mean: {
          keywords: mean((r) => r.keywords.ms),
          items: mean((r) => r.items.ms),
          counts: mean((r) => r.counts.ms),
          total: mean(total),
        },
        max: total(slowest),
        failed,
        firstError,
        slowest: {
          path: decodeURIComponent(slowest.path),
          items: await explain(sql, slowest.items.statement),
          counts: await explain(sql, slowest.counts.statement),
        },
      });
    }
    return costs;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  "Workers Launched"?: number;
  Plans?: PlanNode[];
}

/**
 * `EXPLAIN (ANALYZE, BUFFERS)` of a statement as one line: its execution time,
 * the buffers it touched, and each scan with the rows it returned, e.g.
 * `93 ms, 25,000 buffers: Parallel Seq Scan on gigs (97,065 rows)`.
 */
async function explain(
  sql: postgres.Sql,
  statement: { text: string; args: unknown[] } | undefined,
): Promise<string> {
  if (!statement) return "–";
  const [row] = await sql.unsafe(
    `explain (analyze, buffers, format json) ${statement.text}`,
    statement.args as postgres.ParameterOrJSON<never>[],
  );
  const [{ Plan: plan, "Execution Time": ms }] = row["QUERY PLAN"] as [
    { Plan: PlanNode; "Execution Time": number },
  ];
  const scans: string[] = [];
  const walk = (node: PlanNode) => {
    if (node["Node Type"].includes("Scan") && node["Relation Name"]) {
      const index = node["Index Name"] ? ` using ${node["Index Name"]}` : "";
      const rows = node["Actual Rows"] * node["Actual Loops"];
      scans.push(
        `${node["Node Type"]} on ${node["Relation Name"]}${index} (${
          rows.toLocaleString("en-US")
        } rows)`,
      );
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan);
  const buffers = (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0);
  return `${ms.toFixed(1)} ms, ${buffers.toLocaleString("en-US")} buffers: ${scans.join("; ")}`;
}

/**
 * Waits (up to `timeoutMs`) until no statement but ours runs on the database
 * at `url` (three looks in a row, 100 ms apart). Returns whether it got there.
 */
export async function waitForIdleDatabase(
  url: string,
  timeoutMs: number,
): Promise<{ idle: boolean; seconds: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const started = performance.now();
  try {
    let quietLooks = 0;
    while (quietLooks < 3 && performance.now() - started < timeoutMs) {
      const [{ active }] = await sql<{ active: number }[]>`
        select count(*)::int as active from pg_stat_activity
        where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
          and backend_type = 'client backend'`;
      quietLooks = active === 0 ? quietLooks + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { idle: quietLooks >= 3, seconds: (performance.now() - started) / 1000 };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
