/**
 * Suggestions as a buyer types (`GET /api/v1/gigs/suggestions?q=`, issue 13)
 * through the gateway at 200/s over the gig_search catalogue (100,000 gigs,
 * `startCatalogFleet`; `BENCH_GIGS` makes it smaller for a trial run).
 *
 * What is typed comes from the catalogue itself: a seeded sample of active
 * gigs' titles and tags, cut where a buyer pauses (whole words, then part of
 * the next, at least one letter), a share of them with two neighbouring letters
 * swapped in a word of 5+ letters (the corrections path), and a share repeating
 * a few popular ones. Each request is classed as a hit or miss of the service's
 * 30-second Redis cache, which keys suggestions by the lower-cased text.
 */
import { suggestQuerySchema } from "../services/gigs/suggest.ts";
import { mulberry32 } from "./gig_catalog.ts";
import { classifyHits, errorsOf, GIGS, percentiles, startCatalogFleet } from "./gig_search.ts";
import { httpSend, isOk, type LoadResult, openLoop, selectRequests } from "./load.ts";
import { describeCpu, measureCpu } from "./machine.ts";
import type { Benchmark, Table, Target } from "./report.ts";
import { ms, num } from "./stats.ts";

const RATE = 200;
const LIVEZ_RATE = 50;
const WARMUP_MS = 3_000;
const DURATION_MS = 20_000;
const TTL_MS = 30_000; // GIGS_SEARCH_CACHE_TTL_SECONDS, the service's default
const SOURCES = 3_000; // titles and tags sampled from the catalogue
const TYPO_SHARE = 0.15;
const HOT_SHARE = 0.1;
const HOT_TEXTS = 30;
const SEED = 20_261_204;
const TARGET_P95_MS = 10;

/** What a buyer has typed of `source` when they pause: words, then part of the next. */
function typed(source: string, random: () => number): string | undefined {
  const words = source.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return undefined;
  const whole = Math.floor(random() * Math.min(3, words.length));
  const next = words[whole];
  const part = next.slice(0, 1 + Math.floor(random() * next.length));
  let text = [...words.slice(0, whole), part].join(" ");
  if (random() < TYPO_SHARE) {
    // Two neighbouring letters swapped in the first word of 5+ letters.
    text = text.replace(/\p{L}{5,}/u, (w) => {
      const i = 1 + Math.floor(random() * (w.length - 2));
      return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
    });
  }
  return suggestQuerySchema.safeParse({ q: text }).success ? text : undefined;
}

/** The suggestions benchmark. */
export const gigSuggestions: Benchmark = {
  name: "gig_suggestions",
  title: "search-box suggestions through the gateway at 200/s",
  method: `The whole fleet with the gig_search catalogue (\`startCatalogFleet\`: ` +
    `${num(GIGS)} gigs, 100 sellers through the API, the rest with SQL). ` +
    `\`GET /api/v1/gigs/suggestions?q=\` at ${RATE}/s (open model, ${WARMUP_MS / 1000} s ` +
    `warm-up, ${DURATION_MS / 1000} s measured) with \`GET /livez\` at ${LIVEZ_RATE}/s beside ` +
    `it. The texts: ${num(SOURCES)} active gigs' titles and tags (seeded sample) cut after ` +
    `0–2 whole words and part of the next, ${TYPO_SHARE * 100} % with two neighbouring ` +
    `letters swapped in a word of 5+ letters, ${HOT_SHARE * 100} % repeats of ${HOT_TEXTS} ` +
    `popular ones; each request classed as a hit or miss of the 30-second cache.`,
  async run(context) {
    const gigs = Number(Deno.env.get("BENCH_GIGS") ?? GIGS);
    const { bench, gigsDb, close } = await startCatalogFleet("gigsuggest", context, gigs);
    try {
      const sources = await gigsDb<{ text: string }[]>`
        (select title as text from gigs where status = 'active'
          order by md5(id::text) limit ${SOURCES / 2})
        union all
        (select tag from search_tags order by md5(tag) limit ${SOURCES / 2})`;
      if (sources.length === 0) throw new Error("the catalogue has no active gigs or tags");
      const random = mulberry32(SEED);
      const fresh = () => {
        for (;;) {
          const text = typed(sources[Math.floor(random() * sources.length)].text, random);
          if (text) return text;
        }
      };
      const hot = Array.from({ length: HOT_TEXTS }, fresh);
      const total = ((WARMUP_MS + DURATION_MS) / 1000) * RATE;
      const texts = Array.from(
        { length: total },
        () => random() < HOT_SHARE ? hot[Math.floor(random() * hot.length)] : fresh(),
      );
      const timing = texts.map(() => ({ sent: NaN, done: NaN }));
      const send = async (i: number) => {
        timing[i].sent = performance.now();
        try {
          const url = `${bench.fleet.gatewayUrl}/api/v1/gigs/suggestions?q=${
            encodeURIComponent(texts[i])
          }`;
          const response = await fetch(url);
          await response.arrayBuffer();
          return response.status;
        } finally {
          timing[i].done = performance.now();
        }
      };
      const livez = httpSend(`${bench.fleet.gatewayUrl}/livez`);
      const warmupCount = (WARMUP_MS / 1000) * RATE;
      context.log(`warm-up ${WARMUP_MS / 1000} s at ${RATE}/s`);
      await Promise.all([
        openLoop({ rate: RATE, durationMs: WARMUP_MS, send }),
        openLoop({ rate: LIVEZ_RATE, durationMs: WARMUP_MS, send: livez }),
      ]);
      context.log(`measuring ${DURATION_MS / 1000} s`);
      const meter = await measureCpu(bench.pids());
      const [result, livezResult] = await Promise.all([
        openLoop({ rate: RATE, durationMs: DURATION_MS, send: (i) => send(warmupCount + i) }),
        openLoop({ rate: LIVEZ_RATE, durationMs: DURATION_MS, send: livez }),
      ]);
      const cpu = await meter.stop();
      const hits = classifyHits(texts.map((t) => ({ key: t })), timing, TTL_MS);
      const isHit = (i: number) => hits[warmupCount + i];
      const misses = selectRequests(result, (i) => !isHit(i));
      const hitRequests = selectRequests(result, isHit);

      const p = (r: LoadResult) => percentiles(r.latencies);
      const row = (label: string, r: LoadResult) => {
        const q = p(r);
        return [
          label,
          num(r.sent),
          errorsOf(r),
          ms(q.p50),
          ms(q.p90),
          ms(q.p95),
          ms(q.p99),
          ms(q.max),
        ];
      };
      const tables: Table[] = [{
        title: `Suggestions through the gateway at ${RATE}/s, GET /livez at ${LIVEZ_RATE}/s ` +
          `beside them (ms)`,
        columns: ["", "requests", "failed", "p50", "p90", "p95", "p99", "max"],
        rows: [
          row(
            `suggestions, whole mix (${
              Math.round((hitRequests.sent / Math.max(1, result.sent)) * 100)
            } % cache hits)`,
            result,
          ),
          row("suggestions, cache misses", misses),
          row("suggestions, cache hits", hitRequests),
          row("GET /livez", livezResult),
        ],
      }];
      const failed = result.outcomes.filter((o) => !isOk(o)).length;
      const all = p(result);
      const cold = p(misses);
      const targets: Target[] = [
        {
          what: `suggestions p95 at ${RATE}/s, whole mix`,
          goal: `≤ ${TARGET_P95_MS} ms, none failed`,
          measured: `${ms(all.p95)} ms${failed ? `, ${num(failed)} failed` : ""}`,
          met: all.p95 <= TARGET_P95_MS && failed === 0,
        },
        {
          what: "suggestions p95, cache misses only",
          goal: `≤ ${TARGET_P95_MS} ms`,
          measured: `${ms(cold.p95)} ms`,
          met: cold.p95 <= TARGET_P95_MS && failed === 0,
        },
      ];
      return {
        tables,
        targets,
        notes: [
          `${num(gigs)} gigs in the catalogue.`,
          `Cache hits: a text counts as a hit when the same lower-cased text missed and was ` +
          `answered before it was sent and less than 30 s earlier.`,
          `CPU: ${describeCpu(cpu)}.`,
        ],
        data: {
          gigs,
          rate: RATE,
          durationMs: DURATION_MS,
          all,
          misses: cold,
          hits: p(hitRequests),
          livez: p(livezResult),
          cpu,
        },
      };
    } finally {
      await close();
    }
  },
};
