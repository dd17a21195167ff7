/**
 * Gig search and gig detail through the gateway over 100,000 gigs (a million
 * in `gig_search_1m`): the real fleet, sellers made through the API by
 * `seed()`, the rest of the seed's gigs loaded with SQL (gig_catalog.ts says how and why), then a fixed rate of
 * searches from a seeded mix of query kinds (gig_queries.ts) beside a fixed
 * rate of `GET /livez`, then gig details with the cache cold and warm.
 *
 * The search cache (30 s per normalized search) answers repeats, so every
 * request is classified as a cache hit or miss: it is a hit exactly when an
 * identical search missed, was answered (and so stored) before it was sent
 * and less than the TTL earlier, nothing invalidating the cache meanwhile
 * (checked: the generation counter does not move). The classification is
 * cross-checked against Redis's own keyspace counters, and the misses'
 * latency is reported on its own as the cold number.
 *
 * Besides the target run: how many cold searches per second the fleet
 * completes (a few closed-loop clients), and what each kind of search costs
 * PostgreSQL when run alone (gig_search_cost.ts), so a missed target comes
 * with its cause.
 */
import { Redis } from "ioredis";
import { connectDb, type Sql } from "@mp/shared/db";
import { adminUrl } from "../shared/testing/database.ts";
import { seed } from "../scripts/seed.ts";
import { type Taxonomy, usernameOf } from "../scripts/seed_data.ts";
import { type CodeState, codeState, describeCodeState } from "./code_state.ts";
import { loadSeedGigs, mulberry32, taxonomyOf } from "./gig_catalog.ts";
import { QUERY_KINDS, searchMix, type SearchRequest } from "./gig_queries.ts";
import { type KindCost, searchCosts, waitForIdleDatabase } from "./gig_search_cost.ts";
import {
  closedLoop,
  httpSend,
  isOk,
  type LoadResult,
  openLoop,
  outcomeCounts,
  selectRequests,
} from "./load.ts";
import { type CpuUsage, describeCpu, measureCpu, redisUrl } from "./machine.ts";
import { type MailFleet, startMailFleet } from "./mail_fleet.ts";
import type { BenchContext, Benchmark, Table, Target } from "./report.ts";
import { ms, num, percentile } from "./stats.ts";

export const GIGS = 100_000;
const SELLERS = 100; // made through the API; the seed's 5,000 seller plans are folded onto them
const PREFIX = "bench"; // seed usernames: bench_seller_0001 …
const RATED_SHARE = 0.65;
const SEARCH_RATE = 100;
const LIVEZ_RATE = 50;
const SEARCH_WARMUP_MS = 5_000;
const SEARCH_MS = 30_000;
const SEARCH_TTL_MS = 30_000; // GIGS_SEARCH_CACHE_TTL_SECONDS, the service's default
const HOT_SHARE = 0.1;
const HOT_QUERIES = 40;
const MIX_SEED = 20_251_122;
const COST_SAMPLES = 20; // distinct searches per kind, timed one at a time
const CAPACITY_CLIENTS = 4;
const CAPACITY_MS = 10_000;
const BACKLOG_GRACE_MS = 3_000;
const DRAIN_TIMEOUT_MS = 30_000;
const DETAIL_RATE = 100;
const DETAIL_PREWARM_IDS = 200;
const DETAIL_IDS = 1_000;
const DETAIL_MS = 20_000;
const TARGET_P95_MS = 20;
const TARGET_LIVEZ_RATIO = 10;

/** count, p50, p90, p95, p99, max of latency samples (nearest rank, every sample). */
export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(samples: readonly number[]): Percentiles {
  const values = Array.from(Float64Array.from(samples).sort());
  return {
    count: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? values[values.length - 1] : NaN,
  };
}

/** Requests that did not answer 2xx, as "12 (504)" or "0". */
export function errorsOf(result: LoadResult): string {
  const failed = Object.entries(outcomeCounts(result)).filter(([o]) => !isOk(Number(o) || o));
  const count = failed.reduce((sum, [, n]) => sum + n, 0);
  return count === 0
    ? "0"
    : `${num(count)} (${failed.map(([o, n]) => `${num(n)}× ${o}`).join(", ")})`;
}

/**
 * The gig-search benchmark over `gigs` gigs: `gig_search` (100,000) and
 * `gig_search_1m` (1,000,000, issue 13; `BENCH_GIGS` makes it smaller for a trial run).
 */
function searchBenchmark(name: string, gigs: number): Benchmark {
  return {
    name,
    title: `search over ${num(gigs)} gigs, and gig details with the cache warm`,
    method: `The whole fleet; ${SELLERS} sellers made through the gateway by \`seed()\` ` +
      `(scripts/seed.ts: sign-up, verification link from the mail, seller profile, one gig each), ` +
      `then the seed's other ${num(gigs - SELLERS)} gigs of \`deno task seed -- --gigs ${gigs}\` ` +
      `INSERTed into the gigs database (same bodies, normalized by the service's own schema, ` +
      `through the table's triggers), then \`VACUUM ANALYZE\`. **Search:** a seeded list of ` +
      `queries (keyword, typo, prefix, keyword + filters, browse, filters, seller, sort only; ` +
      `pages 1–3; ${HOT_SHARE * 100} % repeats of ${HOT_QUERIES} popular ones) at a fixed ` +
      `${SEARCH_RATE}/s through the gateway with \`GET /livez\` at ${LIVEZ_RATE}/s beside it, ` +
      `open model, ${SEARCH_MS / 1000} s after ${SEARCH_WARMUP_MS / 1000} s of discarded ` +
      `warm-up; each request classed as a hit or miss of the 30-second search cache. Then the ` +
      `cold-search capacity (${CAPACITY_CLIENTS} closed-loop clients, ${CAPACITY_MS / 1000} s, ` +
      `searches never asked before) and each kind's PostgreSQL time run alone. **Detail:** ` +
      `\`GET /api/v1/gigs/{id}\` at ${DETAIL_RATE}/s: ${num(DETAIL_IDS)} gigs once each (cold: ` +
      `every one a cache miss), then ${DETAIL_MS / 1000} s of random picks among them (warm). ` +
      `Latency from each request's intended send time; percentiles over every request, failed ` +
      `ones included with their time to failure.`,
    async run(context) {
      const code = await codeState(["services/gigs", "gateway", "shared"]);
      const { bench, catalog, close } = await startCatalogFleet(
        name.replace(/_/g, ""),
        context,
        gigs,
      );
      const gigsUrl = bench.fleet.databaseUrls.gigs!;
      const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
      try {
        const search = await measureSearch(bench, redis, catalog.taxonomy, context);
        const backlog = await dropBacklog(bench, gigsUrl, context);
        context.log(`database time per kind, one search at a time`);
        const costs = await searchCosts(gigsUrl, search.mix, QUERY_KINDS, COST_SAMPLES);
        const capacity = await measureCapacity(bench, redis, catalog.taxonomy, context);
        await dropBacklog(bench, gigsUrl, context);
        const detail = await measureDetail(bench, redis, catalog.loadedIds, context);
        return report({ context, code, catalog, search, backlog, costs, capacity, detail });
      } finally {
        redis.disconnect();
        await close();
      }
    },
  };
}

/** Search over 100,000 gigs. */
export const gigSearch: Benchmark = searchBenchmark("gig_search", GIGS);

/** The same over 1,000,000 gigs (issue 13); `BENCH_GIGS=<n>` for a smaller trial run. */
export const gigSearchMillion: Benchmark = searchBenchmark(
  "gig_search_1m",
  Number(Deno.env.get("BENCH_GIGS") ?? 1_000_000),
);

// ---------------------------------------------------------------- data

/** The whole fleet with the 100,000 gigs loaded (`prepareCatalog`). */
export interface CatalogFleet {
  bench: MailFleet;
  /** The gigs service's database (3 connections). */
  gigsDb: Sql;
  catalog: Catalog;
  /** Closes `gigsDb` and stops the fleet, removing what it made. */
  close(): Promise<void>;
}

/** What `prepareCatalog` made: the taxonomy, the SQL-loaded gig ids and the setup's timings. */
export type Catalog = Awaited<ReturnType<typeof prepareCatalog>>;

/**
 * Starts the whole fleet (mail to a `MailSink`, the gateway's limits raised since one
 * client address does everything) and gives it the 100,000 gigs: 100 sellers
 * through the API, the rest with SQL (`prepareCatalog`). Shared with web_pages.ts.
 */
export async function startCatalogFleet(
  name: string,
  context: BenchContext,
  gigs = GIGS,
): Promise<CatalogFleet> {
  const bench = await startMailFleet(name, {
    logLevel: context.logLevel,
    // One client address does everything: lift the limits that would answer 429
    // (their checks still run).
    env: {
      gateway: {
        RATE_LIMIT_PER_MINUTE: "100000000",
        SIGNUP_LIMIT_PER_HOUR: "100000",
        LOGIN_IP_LIMIT_PER_MINUTE: "100000000",
        // seed() verifies every seller's email from one address.
        VERIFY_EMAIL_IP_LIMIT_PER_HOUR: "100000",
      },
    },
  });
  const gigsDb = connectDb(bench.fleet.databaseUrls.gigs!, { max: 3 });
  const close = async () => {
    await gigsDb.end({ timeout: 5 });
    await bench.close();
  };
  try {
    const catalog = await prepareCatalog(bench, gigsDb, context, gigs);
    return { bench, gigsDb, catalog, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function prepareCatalog(
  bench: MailFleet,
  gigsDb: Sql,
  context: BenchContext,
  gigs: number,
) {
  const { fleet } = bench;
  context.log(`${SELLERS} sellers with a gig each through the API (seed())`);
  const seedStarted = performance.now();
  const seeded = await seed({
    gateway: fleet.gatewayUrl,
    mailApi: bench.mail.apiUrl,
    buyers: 0,
    sellers: SELLERS,
    gigs: SELLERS,
    prefix: PREFIX,
    concurrency: 8,
    progress: "none",
    write: context.log,
  });
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const sellerIds = await sellerIdsOf(gigsDb);
  const categories = await (await fetch(`${fleet.gatewayUrl}/api/v1/gigs/categories`)).json();
  const taxonomy = taxonomyOf(categories.categories);

  context.log(`loading ${num(gigs - SELLERS)} gigs with SQL`);
  const loadStarted = performance.now();
  const loadedIds = await loadSeedGigs({
    sql: gigsDb,
    taxonomy,
    prefix: PREFIX,
    sellerIds,
    total: gigs,
    from: SELLERS,
    ratedShare: RATED_SHARE,
    progress: (n) => n % 20_000 === 0 && context.log(`  ${num(n)} loaded`),
  });
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const vacuumStarted = performance.now();
  for (const table of ["gigs", "search_terms", "category_counts", "sellers"]) {
    await gigsDb.unsafe(`vacuum analyze ${table}`);
  }
  // Write the load's dirty pages out now, not during the measurement: a server that
  // has been serving these gigs for a while has no bulk load pending.
  const admin = connectDb(adminUrl(), { max: 1 });
  try {
    await admin`checkpoint`;
  } finally {
    await admin.end({ timeout: 5 });
  }
  const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;
  // What PostgreSQL holds for the catalogue, beside the memory it is given.
  const [size] = await gigsDb<
    {
      heap: string;
      toast: string;
      indexes: string;
      total: string;
      terms: number;
      sharedBuffers: string;
    }[]
  >`
    select pg_size_pretty(pg_relation_size(c.oid)) as heap,
      pg_size_pretty(pg_indexes_size(c.oid)) as indexes,
      current_setting('shared_buffers') as "sharedBuffers",
      pg_size_pretty(pg_relation_size(c.reltoastrelid)) as toast,
      pg_size_pretty(pg_total_relation_size(c.oid)) as total,
      (select count(*)::int from search_terms) as terms
    from pg_class c where c.relname = 'gigs'`;
  // Through the gateway: every gig is visible to search (the unfiltered total is
  // category_counts', so this also checks the trigger counted each one).
  const visible = await (await fetch(`${fleet.gatewayUrl}/api/v1/gigs?limit=1`)).json();
  if (visible.total !== gigs) {
    throw new Error(`search sees ${visible.total} active gigs, expected ${gigs}`);
  }
  return {
    taxonomy,
    loadedIds,
    setup: {
      gigs,
      sellers: seeded.sellers.created + seeded.sellers.existing,
      apiGigs: seeded.gigs.created + seeded.gigs.existing,
      seedSeconds,
      loadSeconds,
      vacuumSeconds,
      size,
    },
  };
}

/** The user ids of the seeded sellers, by seller index, from the gigs service's replica. */
async function sellerIdsOf(gigsDb: Sql): Promise<string[]> {
  const rows = await gigsDb<{ user_id: string; username: string }[]>`
    select user_id, username from sellers where level is not null`;
  const byName = new Map(rows.map((r) => [r.username, r.user_id]));
  return Array.from({ length: SELLERS }, (_, k) => {
    const id = byName.get(usernameOf(PREFIX, "seller", k));
    if (!id) throw new Error(`gigs does not know seller ${usernameOf(PREFIX, "seller", k)}`);
    return id;
  });
}

const sellerNames = () =>
  Array.from({ length: SELLERS }, (_, k) => usernameOf(PREFIX, "seller", k));

/**
 * After a phase beyond capacity, gigs still works through requests whose
 * clients are gone (the gateway answered them 504 after its 10 s timeout; the
 * service does not stop a request whose client left), which would land in the
 * next phase. If its database is still busy after a moment, gigs is killed and
 * started again, which drops that queue; the caches in Redis stay.
 */
async function dropBacklog(bench: MailFleet, gigsUrl: string, context: BenchContext) {
  const quiet = await waitForIdleDatabase(gigsUrl, BACKLOG_GRACE_MS);
  if (quiet.idle) return { restarted: false };
  context.log("gigs is still working off requests the gateway gave up on: restarting it");
  await bench.fleet.kill("gigs", "SIGKILL");
  await bench.fleet.start("gigs");
  const after = await waitForIdleDatabase(gigsUrl, DRAIN_TIMEOUT_MS);
  if (!after.idle) throw new Error("the gigs database stayed busy after restarting gigs");
  return { restarted: true };
}

// ---------------------------------------------------------------- search

async function measureSearch(
  bench: MailFleet,
  redis: Redis,
  taxonomy: Taxonomy,
  context: BenchContext,
) {
  const { fleet } = bench;
  const warmupCount = (SEARCH_WARMUP_MS / 1000) * SEARCH_RATE;
  const mix = searchMix({
    seed: MIX_SEED,
    count: warmupCount + (SEARCH_MS / 1000) * SEARCH_RATE,
    taxonomy,
    sellers: sellerNames(),
    hotShare: HOT_SHARE,
    hotQueries: HOT_QUERIES,
  });
  // When each request was really sent and answered, for the cache classification.
  const timing = mix.map(() => ({ sent: NaN, done: NaN }));
  const searchSend = async (g: number) => {
    timing[g].sent = performance.now();
    try {
      const response = await fetch(`${fleet.gatewayUrl}${mix[g].path}`);
      await response.arrayBuffer();
      return response.status;
    } finally {
      timing[g].done = performance.now();
    }
  };
  const livez = httpSend(`${fleet.gatewayUrl}/livez`);
  const generationKey = `${bench.gigsRedisPrefix}search:gen`;
  const generationBefore = await redis.get(generationKey);
  context.log(`search: ${SEARCH_WARMUP_MS / 1000} s warm-up at ${SEARCH_RATE}/s`);
  await Promise.all([
    openLoop({ rate: SEARCH_RATE, durationMs: SEARCH_WARMUP_MS, send: searchSend }),
    openLoop({ rate: LIVEZ_RATE, durationMs: SEARCH_WARMUP_MS, send: livez }),
  ]);
  context.log(`search: measuring for ${SEARCH_MS / 1000} s`);
  const counters = await keyspaceMeter(redis);
  const checkpoints = await checkpointMeter();
  const meter = await measureCpu(bench.pids());
  const [result, livezResult] = await Promise.all([
    openLoop({
      rate: SEARCH_RATE,
      durationMs: SEARCH_MS,
      send: (i) => searchSend(warmupCount + i),
    }),
    openLoop({ rate: LIVEZ_RATE, durationMs: SEARCH_MS, send: livez }),
  ]);
  const cpu = await meter.stop();
  const checkpointed = await checkpoints.stop();
  const keyspace = await counters.stop();
  const generationAfter = await redis.get(generationKey);
  const hits = classifyHits(mix, timing, SEARCH_TTL_MS);
  return {
    mix,
    result,
    livez: livezResult,
    cpu,
    checkpointed,
    keyspace,
    generation: { before: generationBefore, after: generationAfter },
    /** Of the measured request `i` (not counting the warm-up). */
    kindOf: (i: number) => mix[warmupCount + i].kind,
    isHit: (i: number) => hits[warmupCount + i],
  };
}

/**
 * For each request (in send order), whether the search cache held its answer:
 * an identical search that missed was answered before this one was sent, and
 * less than `ttlMs` before (a hit does not renew the entry).
 */
export function classifyHits(
  requests: readonly Pick<SearchRequest, "key">[],
  timing: readonly { sent: number; done: number }[],
  ttlMs: number,
): boolean[] {
  const stored = new Map<string, number[]>(); // key → answer times of its misses
  return requests.map((request, i) => {
    const { sent, done } = timing[i];
    const answers = stored.get(request.key) ?? [];
    const hit = answers.some((at) => at < sent && sent < at + ttlMs);
    if (!hit) stored.set(request.key, [...answers, done]);
    return hit;
  });
}

/** Cold searches per second with a few clients that each wait for their answer. */
async function measureCapacity(
  bench: MailFleet,
  redis: Redis,
  taxonomy: Taxonomy,
  context: BenchContext,
) {
  context.log(`capacity: ${CAPACITY_CLIENTS} closed-loop clients, ${CAPACITY_MS / 1000} s`);
  // Another seed and no popular repeats: searches this run has not asked yet.
  const fresh = searchMix({
    seed: MIX_SEED + 3,
    count: 20_000,
    taxonomy,
    sellers: sellerNames(),
    hotShare: 0,
    hotQueries: 0,
  });
  const counters = await keyspaceMeter(redis);
  const meter = await measureCpu(bench.pids());
  const result = await closedLoop({
    concurrency: CAPACITY_CLIENTS,
    durationMs: CAPACITY_MS,
    send: (i) => httpSend(`${bench.fleet.gatewayUrl}${fresh[i % fresh.length].path}`)(i),
  });
  const cpu = await meter.stop();
  const keyspace = await counters.stop();
  const ok = result.outcomes.filter(isOk).length;
  return {
    result,
    perSecond: ok / (result.elapsedMs / 1000),
    // Per request one generation read (a hit) and one entry read.
    cacheHits: keyspace.hits - result.sent,
    cpu,
  };
}

// ---------------------------------------------------------------- detail

async function measureDetail(
  bench: MailFleet,
  redis: Redis,
  loadedIds: readonly string[],
  context: BenchContext,
) {
  const ids = sampleIds(loadedIds, DETAIL_PREWARM_IDS + DETAIL_IDS);
  const prewarm = ids.slice(0, DETAIL_PREWARM_IDS);
  const measured = ids.slice(DETAIL_PREWARM_IDS);
  const detail = (id: string) => httpSend(`${bench.fleet.gatewayUrl}/api/v1/gigs/${id}`)(0);
  context.log(`detail: warm-up, then ${num(DETAIL_IDS)} gigs cold at ${DETAIL_RATE}/s`);
  await openLoop({
    rate: DETAIL_RATE,
    durationMs: (DETAIL_PREWARM_IDS / DETAIL_RATE) * 1000,
    send: (i) => detail(prewarm[i]),
  });
  const coldCounters = await keyspaceMeter(redis);
  const cold = await openLoop({
    rate: DETAIL_RATE,
    durationMs: (DETAIL_IDS / DETAIL_RATE) * 1000,
    send: (i) => detail(measured[i]),
  });
  const coldKeyspace = await coldCounters.stop();

  context.log(`detail: ${DETAIL_MS / 1000} s warm at ${DETAIL_RATE}/s`);
  const random = mulberry32(MIX_SEED + 1);
  const picks = Array.from(
    { length: (DETAIL_MS / 1000) * DETAIL_RATE },
    () => measured[Math.floor(random() * measured.length)],
  );
  const warmCounters = await keyspaceMeter(redis);
  const meter = await measureCpu(bench.pids());
  const warm = await openLoop({
    rate: DETAIL_RATE,
    durationMs: DETAIL_MS,
    send: (i) => detail(picks[i]),
  });
  const cpu = await meter.stop();
  const warmKeyspace = await warmCounters.stop();
  return { cold, coldKeyspace, warm, warmKeyspace, cpu };
}

/** `count` distinct ids of `ids`, chosen with a fixed seed. */
function sampleIds(ids: readonly string[], count: number): string[] {
  const random = mulberry32(MIX_SEED + 2);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random() * ids.length));
  return [...chosen].map((i) => ids[i]);
}

/**
 * Checkpoints the whole PostgreSQL server made from now until `stop()`, and the
 * buffers they wrote: other databases' work (a test creating a database forces
 * one) stalls every query on the server's disk while it runs.
 */
async function checkpointMeter() {
  const sql = connectDb(adminUrl(), { max: 1 });
  const read = async () => {
    const [row] = await sql<{ checkpoints: number; buffers: number }[]>`
      select (checkpoints_timed + checkpoints_req)::int as checkpoints,
        buffers_checkpoint::int as buffers from pg_stat_bgwriter`;
    return row;
  };
  const before = await read();
  return {
    async stop() {
      try {
        const after = await read();
        return {
          checkpoints: after.checkpoints - before.checkpoints,
          buffers: after.buffers - before.buffers,
        };
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}

/** Redis's server-wide keyspace hits and misses from now until `stop()`. */
async function keyspaceMeter(redis: Redis) {
  const read = async () => {
    const info = await redis.info("stats");
    const field = (name: string) => Number(info.match(new RegExp(`^${name}:(\\d+)`, "m"))?.[1]);
    return { hits: field("keyspace_hits"), misses: field("keyspace_misses") };
  };
  const before = await read();
  return {
    async stop() {
      const after = await read();
      return { hits: after.hits - before.hits, misses: after.misses - before.misses };
    },
  };
}

// ---------------------------------------------------------------- report

function report(r: {
  context: BenchContext;
  code: CodeState;
  catalog: Catalog;
  search: Awaited<ReturnType<typeof measureSearch>>;
  backlog: { restarted: boolean };
  costs: KindCost[];
  capacity: Awaited<ReturnType<typeof measureCapacity>>;
  detail: Awaited<ReturnType<typeof measureDetail>>;
}) {
  const { search, capacity, detail, catalog: { setup } } = r;
  const latencies = (result: LoadResult) => percentiles(result.latencies);
  const pick = (keep: (i: number) => boolean) => selectRequests(search.result, keep);
  const misses = pick((i) => !search.isHit(i));
  const hits = pick(search.isHit);
  const all = latencies(search.result);
  const cold = latencies(misses);
  const livez = latencies(search.livez);
  const predictedHits = hits.sent;
  const hitShare = predictedHits / search.result.sent;
  // Per request: GET search:gen (a hit: the key exists) and GET of the entry.
  const redisHits = search.keyspace.hits - search.result.sent;
  const detailCold = latencies(detail.cold);
  const detailWarm = latencies(detail.warm);
  // Per request one MGET of the entry and its version key; SQL-loaded gigs were never
  // changed, so they have no version key: a miss each, and the entry a hit or a miss.
  const warmHitRatio = detail.warmKeyspace.hits / detail.warm.sent;
  const coldHitRatio = detail.coldKeyspace.hits / detail.cold.sent;

  const row = (label: string, result: LoadResult, p: Percentiles) => [
    label,
    num(result.sent),
    errorsOf(result),
    ms(p.p50),
    ms(p.p90),
    ms(p.p95),
    ms(p.p99),
    ms(p.max),
  ];
  const latencyColumns = ["", "requests", "failed", "p50", "p90", "p95", "p99", "max"];
  const cpuRow = (label: string, u: CpuUsage) => [
    label,
    `${u.processes.gateway ?? 0} %`,
    `${u.processes.gigs ?? 0} %`,
    `${u.servers.postgres} %`,
    `${u.servers.redis} %`,
    `${u.processes["load generator"] ?? 0} %`,
    `${u.machine} %`,
    `${u.other} %`,
  ];
  const byKind = QUERY_KINDS.map((kind) => {
    const ofKind = pick((i) => search.kindOf(i) === kind);
    const kindMisses = pick((i) => search.kindOf(i) === kind && !search.isHit(i));
    return { kind, all: ofKind, misses: kindMisses };
  });

  const tables: Table[] = [
    {
      title: `Search through the gateway at ${SEARCH_RATE}/s, with GET /livez at ${LIVEZ_RATE}/s ` +
        `in the same run (ms)`,
      columns: latencyColumns,
      rows: [
        row(`search, whole mix (${Math.round(hitShare * 100)} % cache hits)`, search.result, all),
        row("search, cache misses (cold)", misses, cold),
        row("search, cache hits", hits, latencies(hits)),
        row("GET /livez", search.livez, livez),
      ],
    },
    {
      title: "Search by kind of query, same run (ms)",
      columns: [
        "kind",
        "requests",
        "cache hits",
        "p50",
        "p90",
        "p95",
        "p99",
        "misses: n, p50, p95",
      ],
      rows: byKind.map(({ kind, all: ofKind, misses: kindMisses }) => {
        const a = latencies(ofKind);
        const m = latencies(kindMisses);
        return [
          kind,
          num(ofKind.sent),
          `${Math.round(((ofKind.sent - kindMisses.sent) / Math.max(1, ofKind.sent)) * 100)} %`,
          ms(a.p50),
          ms(a.p90),
          ms(a.p95),
          ms(a.p99),
          `${num(m.count)}, ${ms(m.p50)}, ${ms(m.p95)}`,
        ];
      }),
    },
    {
      title: `Cold-search capacity: ${CAPACITY_CLIENTS} clients in a closed loop, ` +
        `${CAPACITY_MS / 1000} s, searches not asked before`,
      columns: ["searches", "failed", "searches/s", "p50", "p95", "p99", "cache hits (Redis)"],
      rows: [(() => {
        const p = percentiles(capacity.result.latencies);
        return [
          num(capacity.result.sent),
          errorsOf(capacity.result),
          num(capacity.perSecond, 1),
          ms(p.p50),
          ms(p.p95),
          ms(p.p99),
          num(capacity.cacheHits),
        ];
      })()],
    },
    {
      title: `PostgreSQL time per search, one at a time with nothing else running ` +
        `(${COST_SAMPLES} distinct searches per kind; the service's own SQL; ms)`,
      columns: [
        "kind",
        "keywords",
        "items",
        "counts",
        "total (mean)",
        "slowest",
        "slowest search",
        "failed",
      ],
      rows: r.costs.map((c) => [
        c.kind,
        ms(c.mean.keywords),
        ms(c.mean.items),
        ms(c.mean.counts),
        ms(c.mean.total),
        ms(c.max),
        c.slowest.path.replace("/api/v1/gigs", ""),
        c.failed ? `${c.failed}: ${c.firstError}` : "0",
      ]),
    },
    {
      title: "The slowest search of each kind: EXPLAIN (ANALYZE, BUFFERS) of its two statements",
      columns: ["kind", "items query", "counts query"],
      rows: r.costs.map((c) => [c.kind, c.slowest.items, c.slowest.counts]),
    },
    {
      title: `Gig detail through the gateway at ${DETAIL_RATE}/s (ms)`,
      columns: [...latencyColumns, "cache hits"],
      rows: [
        [
          ...row(`cold: ${num(DETAIL_IDS)} gigs once each`, detail.cold, detailCold),
          `${(coldHitRatio * 100).toFixed(1)} %`,
        ],
        [
          ...row(`warm: random picks among them`, detail.warm, detailWarm),
          `${(warmHitRatio * 100).toFixed(1)} %`,
        ],
      ],
    },
    {
      title: "Cache hits: predicted from the requests vs Redis's keyspace counters",
      columns: ["phase", "requests", "hits, predicted", "Redis: hits", "Redis: misses"],
      rows: [
        [
          "search (measured part)",
          num(search.result.sent),
          num(predictedHits),
          `${num(redisHits)} (Δ keyspace_hits ${num(search.keyspace.hits)} − ${
            num(search.result.sent)
          } generation reads)`,
          `${num(search.keyspace.misses)} (predicted ${num(misses.sent)})`,
        ],
        [
          "detail, cold",
          num(detail.cold.sent),
          "0",
          num(detail.coldKeyspace.hits),
          `${num(detail.coldKeyspace.misses)} (predicted ${num(2 * detail.cold.sent)})`,
        ],
        [
          "detail, warm",
          num(detail.warm.sent),
          num(detail.warm.sent),
          num(detail.warmKeyspace.hits),
          `${num(detail.warmKeyspace.misses)} (predicted ${num(detail.warm.sent)})`,
        ],
      ],
    },
    {
      title: "CPU (% of one core; 200 % is the whole machine)",
      columns: [
        "phase",
        "gateway",
        "gigs",
        "postgres",
        "redis",
        "load generator",
        "machine",
        "not ours",
      ],
      rows: [
        cpuRow(`search ${SEARCH_RATE}/s + /livez`, search.cpu),
        cpuRow("cold-search capacity", capacity.cpu),
        cpuRow("detail, warm", detail.cpu),
      ],
    },
    {
      title: "Setup",
      columns: ["step", "count", "seconds"],
      rows: [
        [
          "sellers through the API (seed(): sign-up, verification mail, seller profile)",
          num(setup.sellers),
          setup.seedSeconds.toFixed(1),
        ],
        ["gigs through the API (POST /api/v1/gigs, one per seller)", num(setup.apiGigs), ""],
        ["gigs INSERTed with SQL", num(r.catalog.loadedIds.length), setup.loadSeconds.toFixed(1)],
        [
          `VACUUM ANALYZE and CHECKPOINT (gigs: heap ${setup.size.heap}, TOAST ${setup.size.toast}, ` +
          `indexes ${setup.size.indexes}, ${setup.size.total} in all; ${setup.size.terms} search ` +
          `terms; PostgreSQL's shared_buffers ${setup.size.sharedBuffers})`,
          "",
          setup.vacuumSeconds.toFixed(1),
        ],
      ],
    },
  ];

  const ratio = all.p95 / livez.p95;
  // A failed search never meets a target, however fast it failed.
  const failed = (result: LoadResult) => result.outcomes.filter((o) => !isOk(o)).length;
  const withFailures = (p95: number, result: LoadResult) =>
    `${ms(p95)} ms` + (failed(result) ? `, ${num(failed(result))} failed` : "");
  const targets: Target[] = [
    {
      what: `search p95 at ${SEARCH_RATE}/s, whole mix (${
        Math.round(hitShare * 100)
      } % cache hits)`,
      goal: `≤ ${TARGET_P95_MS} ms, none failed`,
      measured: withFailures(all.p95, search.result),
      met: all.p95 <= TARGET_P95_MS && failed(search.result) === 0,
    },
    {
      what: "search p95, cache misses only (cold)",
      goal: `≤ ${TARGET_P95_MS} ms, none failed`,
      measured: withFailures(cold.p95, misses),
      met: cold.p95 <= TARGET_P95_MS && failed(misses) === 0,
    },
    {
      what: "search p95 ÷ GET /livez p95, same run",
      goal: `≤ ${TARGET_LIVEZ_RATIO}×`,
      measured: `${ratio.toFixed(1)}× (${ms(all.p95)} ms vs ${ms(livez.p95)} ms)`,
      met: ratio <= TARGET_LIVEZ_RATIO && failed(search.result) === 0 &&
        failed(search.livez) === 0,
    },
  ];
  const generation = search.generation.before === search.generation.after
    ? `unchanged (${search.generation.before})`
    : `**changed** (${search.generation.before} → ${search.generation.after})`;
  return {
    tables,
    targets,
    notes: [
      describeCodeState(r.code),
      `**The gigs were loaded with SQL, not through the API**: publishing 100,000 gigs through ` +
      `the gateway takes about 35 minutes here (5,000 sign-ups with argon2id, event hops, a ` +
      `request per gig). ${SELLERS} sellers and their first gig went through the API; the ` +
      `other ${
        num(setup.gigs - SELLERS)
      } are the seed's own gig bodies for those indices, validated ` +
      `and normalized by the service's \`gigCreateSchema\`, with the derived price and delivery ` +
      `columns from its \`packageSummary\`, INSERTed into \`gigs\` so its triggers filled ` +
      `\`search_vector\`, \`search_terms\` and \`category_counts\` (bench/gig_catalog_test.ts ` +
      `checks that a loaded row equals one written by the service's \`insertGig\`). The seed's ` +
      `5,000 seller plans are folded onto the ${SELLERS} sellers, so each has about ` +
      `${num(setup.gigs / SELLERS)} gigs. No \`gig.created\` outbox rows were written for them ` +
      `(nothing downstream needs them).`,
      `The seed writes no reviews; so that minimum-rating filters and the rating sort do real ` +
      `work, ${RATED_SHARE * 100} % of the loaded gigs carry a rating as that many ` +
      `\`review.created\` events would leave it (1–300 reviews, 3.5–5.0 average).`,
      `\`VACUUM ANALYZE\` after loading, as autovacuum would have done by the time 100,000 ` +
      `inserted gigs are served (it also flushes the GIN pending list of \`search_vector\`).`,
      `Cache hits: a search counts as a hit when the same normalized search (the service's ` +
      `\`normalizeSearch\`, its cache key) missed and was answered before it was sent and ` +
      `less than 30 s earlier; the generation counter \`search:gen\` was ${generation} during ` +
      `the run. Redis's keyspace counters are server-wide: anything else using this Redis shows ` +
      `up as a difference from the prediction.`,
      `Gig detail: the SQL-loaded gigs have no version key (never changed), so each request's ` +
      `MGET is a miss for the version and a hit or a miss for the entry; hit ratio = ` +
      `Δ keyspace_hits ÷ requests.`,
      r.backlog.restarted
        ? `After the search run gigs was still working through requests the gateway had ` +
          `already answered 504 (after its 10 s \`UPSTREAM_TIMEOUT_MS\`): the service does not ` +
          `stop work whose client has gone. The benchmark killed and restarted gigs to drop ` +
          `that queue before the next phase.`
        : `After the search run the gigs database was idle within ${BACKLOG_GRACE_MS / 1000} s.`,
      `Under overload the hit prediction is approximate: a miss answered 504 by the gateway is ` +
      `stored by gigs only when it finishes later, and warm-up requests still queued in gigs ` +
      `read the cache during the measured window; the Redis columns show the difference.`,
      `Gateway limits raised for the run (\`RATE_LIMIT_PER_MINUTE\`, \`SIGNUP_LIMIT_PER_HOUR\`, ` +
      `\`LOGIN_IP_LIMIT_PER_MINUTE\`) since one client address sends everything; the checks ` +
      `still run. Processes logged at \`${r.context.logLevel}\`.`,
      `"postgres" includes PostgreSQL processes that ended during the phase, chiefly parallel ` +
      `query workers (\`max_parallel_workers_per_gather\` is 2 on this server) and closed ` +
      `connections, from the postmaster's reaped-children time (\`measureCpu\`, machine.ts).`,
      `PostgreSQL (the whole server) made ${search.checkpointed.checkpoints} checkpoint(s) ` +
      `writing ${num(search.checkpointed.buffers)} buffers during the measured search ` +
      `(the benchmark's own load was checkpointed before it; others' work on this server, such ` +
      `as tests creating databases, forces more).`,
      `CPU, search: ${describeCpu(search.cpu)}.`,
      `CPU, capacity: ${describeCpu(capacity.cpu)}.`,
      `CPU, detail (warm): ${describeCpu(detail.cpu)}.`,
    ],
    data: {
      code: r.code,
      gigs: setup.gigs,
      sellers: SELLERS,
      setup,
      search: {
        rate: SEARCH_RATE,
        durationMs: SEARCH_MS,
        all,
        misses: cold,
        hits: latencies(hits),
        outcomes: outcomeCounts(search.result),
        predictedHits,
        redis: { hits: redisHits, misses: search.keyspace.misses },
        byKind: Object.fromEntries(
          byKind.map((k) => [k.kind, { all: latencies(k.all), misses: latencies(k.misses) }]),
        ),
        cpu: search.cpu,
        checkpoints: search.checkpointed,
      },
      livez: { rate: LIVEZ_RATE, latency: livez, outcomes: outcomeCounts(search.livez) },
      capacity: {
        clients: CAPACITY_CLIENTS,
        durationMs: CAPACITY_MS,
        perSecond: capacity.perSecond,
        latency: percentiles(capacity.result.latencies),
        outcomes: outcomeCounts(capacity.result),
        cacheHits: capacity.cacheHits,
        cpu: capacity.cpu,
      },
      costs: r.costs,
      detail: {
        rate: DETAIL_RATE,
        cold: {
          latency: detailCold,
          keyspace: detail.coldKeyspace,
          outcomes: outcomeCounts(detail.cold),
        },
        warm: {
          latency: detailWarm,
          keyspace: detail.warmKeyspace,
          hitRatio: warmHitRatio,
          outcomes: outcomeCounts(detail.warm),
        },
        cpu: detail.cpu,
      },
    },
  };
}
