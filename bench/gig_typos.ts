/**
 * Typo recall of gig search (issue 13) over the seeded catalogue: for title
 * words of 5+ letters, each kind of single edit (swap of neighbours, deletion,
 * insertion, substitution), and two edits for words of 8+ letters, what share
 * of the gigs the intended word finds the misspelt one finds too.
 *
 * No fleet: recall is a property of the service's SQL, so the benchmark loads
 * the seed's gigs (gig_catalog.ts `loadSeedGigs`, as gig_search does) into a
 * fresh migrated gigs database and asks the service's own `keywordsOf` (the
 * tsquery a search runs, corrections and `correctedQuery` logic included) for
 * the typo, then counts in SQL how many of the gigs the intended word matches
 * (as a plain stemmed lexeme, without the prefix completions a search adds)
 * the typo's tsquery matches too. A typo that is
 * itself a word of some title or tag (`search_terms`: "form" for "from") is a
 * different word to the service, not a typo; it is drawn again.
 *
 * `BENCH_GIGS` (default 100,000) sets the catalogue size for a trial run.
 */
import { migrate, type Sql } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { outboxMigration } from "@mp/shared/outbox";
import { freshDatabase } from "@mp/shared/testing";
import { editDistance, keywordsOf } from "../services/gigs/search.ts";
import { TAXONOMY } from "../services/gigs/taxonomy.ts";
import { loadSeedGigs, mulberry32, taxonomyOf } from "./gig_catalog.ts";
import type { Benchmark, Table, Target } from "./report.ts";
import { ms, num, percentile } from "./stats.ts";

const DEFAULT_GIGS = 100_000;
const SELLERS = 100;
const RATED_SHARE = 0.65;
const SEED = 20_261_203;
/** Distinct title words sampled for single edits (5+ letters) and for two edits (8+). */
const SINGLE_WORDS = 300;
const DOUBLE_WORDS = 150;
const DRAWS = 8; // attempts to draw a typo that is not itself a known word
const TARGET_SINGLE = 0.99;
const TARGET_DOUBLE = 0.9;
const LETTERS = "abcdefghijklmnopqrstuvwxyz";

const KINDS = ["swap", "deletion", "insertion", "substitution", "two edits"] as const;
type Kind = typeof KINDS[number];

/** One random edit of `kind` applied to `word` (undefined when the word has no such edit). */
function edit(word: string, kind: Exclude<Kind, "two edits">, random: () => number) {
  const s = [...word];
  const at = (n: number) => Math.floor(random() * n);
  const letter = () => LETTERS[at(LETTERS.length)];
  switch (kind) {
    case "swap": {
      const spots = s.slice(0, -1).map((_, i) => i).filter((i) => s[i] !== s[i + 1]);
      if (!spots.length) return undefined;
      const i = spots[at(spots.length)];
      [s[i], s[i + 1]] = [s[i + 1], s[i]];
      break;
    }
    case "deletion":
      s.splice(at(s.length), 1);
      break;
    case "insertion":
      s.splice(at(s.length + 1), 0, letter());
      break;
    case "substitution": {
      const i = at(s.length);
      let c = letter();
      while (c === s[i]) c = letter();
      s[i] = c;
      break;
    }
  }
  return s.join("");
}

const SINGLE: Exclude<Kind, "two edits">[] = ["swap", "deletion", "insertion", "substitution"];

/** A typo of `kind` exactly 1 (or 2) edits from `word` that is no known term. */
function typoOf(
  word: string,
  kind: Kind,
  random: () => number,
  known: Set<string>,
): string | undefined {
  const wanted = kind === "two edits" ? 2 : 1;
  for (let n = 0; n < DRAWS; n++) {
    let typo: string | undefined = word;
    if (kind === "two edits") {
      for (let k = 0; k < 2 && typo; k++) {
        typo = edit(typo, SINGLE[Math.floor(random() * 4)], random);
      }
    } else typo = edit(word, kind, random);
    if (typo && !known.has(typo) && editDistance(word, typo, 3) === wanted) return typo;
  }
  return undefined;
}

/** `count` items of `list` chosen with `random` (all of them when fewer). */
function sample<T>(list: readonly T[], count: number, random: () => number): T[] {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}

interface Sample {
  kind: Kind;
  word: string;
  typo: string;
  intended: number;
  found: number;
  corrected: string | null;
  /** What the typo searched for, kept for a miss (which candidates it had, or lacked). */
  tsquery?: string;
  ms: number;
}

const FILTERS = { sort: "relevance", page: 1, limit: 20 } as const;

async function measure(sql: Sql, word: string, typo: string, kind: Kind): Promise<Sample> {
  const started = performance.now();
  const typed = await keywordsOf(sql, [typo], FILTERS);
  const took = performance.now() - started;
  const [row] = await sql<{ intended: number; found: number }[]>`
    select count(*)::int as intended,
      count(*) filter (where search_vector @@ to_tsquery('english', ${typed.tsquery ?? ""}))::int
        as found
    from gigs
    where status = 'active' and search_vector @@ to_tsquery('english', ${word})`;
  const tsquery = row.found < row.intended ? typed.tsquery ?? "" : undefined;
  return { kind, word, typo, ...row, corrected: typed.correctedQuery, tsquery, ms: took };
}

/** The typo recall benchmark. */
export const gigTypos: Benchmark = {
  name: "gig_typos",
  title: "typo recall of gig search over the seeded catalogue",
  method: `The seed's gigs (\`deno task seed -- --gigs ${num(DEFAULT_GIGS)}\` unless ` +
    `\`BENCH_GIGS\` says otherwise; the notes give the count), loaded with SQL ` +
    `as gig_search does, ${SELLERS} sellers) in a fresh migrated gigs database. ` +
    `${SINGLE_WORDS} distinct title words of 5+ letters (seeded sample) each get one random ` +
    `swap of neighbours, deletion, insertion and substitution; ${DOUBLE_WORDS} words of 8+ ` +
    `letters get two random edits (Damerau distance exactly 2). A typo that is itself a title ` +
    `or tag word is drawn again. For each, the service's own \`keywordsOf\` gives the tsquery ` +
    `a search runs for the typo; recall = share of the gigs the word matches (its stemmed ` +
    `lexeme, without completions) ` +
    `that the typo's tsquery matches too (per word, then averaged; and over all gigs).`,
  async run(context) {
    const gigs = Number(Deno.env.get("BENCH_GIGS") ?? DEFAULT_GIGS);
    const db = await freshDatabase("bench_typos");
    const sql = db.sql;
    try {
      await migrate(sql, new URL("../services/gigs/migrations/", import.meta.url), [
        outboxMigration,
        inboxMigration,
      ]);
      const random = mulberry32(SEED);
      const sellers = Array.from({ length: SELLERS }, (_, k) => ({
        user_id: crypto.randomUUID(),
        username: `typo_seller_${k}`,
      }));
      await sql`insert into sellers (user_id, username, display_name, profile_at, level, seller_at)
        select s.user_id, s.username, s.username, now(), 'level_1', now()
        from jsonb_to_recordset(${sql.json(sellers as never)}::jsonb) as s(user_id uuid,
          username text)`;
      context.log(`loading ${num(gigs)} seed gigs with SQL`);
      const loadStarted = performance.now();
      await loadSeedGigs({
        sql,
        taxonomy: taxonomyOf(TAXONOMY.map((c) => ({ ...c, subcategories: [...c.subcategories] }))),
        prefix: "typo",
        sellerIds: sellers.map((s) => s.user_id),
        total: gigs,
        from: 0,
        ratedShare: RATED_SHARE,
        progress: (n) => n % 20_000 === 0 && context.log(`  ${num(n)} loaded`),
      });
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      for (const table of ["gigs", "search_terms"]) await sql.unsafe(`vacuum analyze ${table}`);

      const known = new Set(
        (await sql<{ term: string }[]>`select term from search_terms`).map((r) => r.term),
      );
      const titleWords = (await sql<{ word: string }[]>`
        select distinct word from gigs, regexp_split_to_table(lower(title), '[^[:alnum:]]+') word
        where status = 'active' and word ~ '^[a-z]{5,}$' order by word`).map((r) => r.word);
      const singles = sample(titleWords, SINGLE_WORDS, random);
      const doubles = sample(titleWords.filter((w) => w.length >= 8), DOUBLE_WORDS, random);
      context.log(
        `${num(titleWords.length)} title words of 5+ letters; measuring ${singles.length} × 4 ` +
          `single edits and ${doubles.length} double edits`,
      );
      const samples: Sample[] = [];
      const skipped: Record<string, number> = {};
      const plan: [string, Kind][] = [
        ...singles.flatMap((w) => SINGLE.map((k) => [w, k] as [string, Kind])),
        ...doubles.map((w) => [w, "two edits"] as [string, Kind]),
      ];
      for (const [word, kind] of plan) {
        const typo = typoOf(word, kind, random, known);
        if (!typo) {
          skipped[kind] = (skipped[kind] ?? 0) + 1;
          continue;
        }
        samples.push(await measure(sql, word, typo, kind));
      }
      return report({ gigs, loadSeconds, titleWords: titleWords.length, samples, skipped });
    } finally {
      await db.drop();
    }
  },
};

function report(r: {
  gigs: number;
  loadSeconds: number;
  titleWords: number;
  samples: Sample[];
  skipped: Record<string, number>;
}) {
  const byKind = KINDS.map((kind) => {
    const of = r.samples.filter((s) => s.kind === kind && s.intended > 0);
    const perWord = of.map((s) => s.found / s.intended);
    const mean = perWord.reduce((a, b) => a + b, 0) / Math.max(1, perWord.length);
    const gigs = of.reduce((n, s) => n + s.intended, 0);
    const found = of.reduce((n, s) => n + s.found, 0);
    const times = Float64Array.from(of.map((s) => s.ms)).sort();
    const misses = of.filter((s) => s.found < s.intended);
    return {
      kind,
      words: of.length,
      mean,
      fullyFound: of.length - misses.length,
      overGigs: found / Math.max(1, gigs),
      corrected: of.filter((s) => s.corrected !== null).length,
      p50: percentile(Array.from(times), 50),
      p95: percentile(Array.from(times), 95),
      examples: misses.slice(0, 6).map((s) =>
        `${s.typo}→${s.word} ${s.found}/${s.intended} (searched ${s.tsquery})`
      ),
    };
  });
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const tables: Table[] = [{
    title: "Recall of the intended gigs per kind of typo",
    columns: [
      "typo",
      "words",
      "recall (mean per word)",
      "words fully found",
      "recall over all gigs",
      "announced correctedQuery",
      "keywords p50 / p95 (ms)",
      "some misses (typo→word found/intended, the tsquery searched)",
    ],
    rows: byKind.map((k) => [
      k.kind,
      num(k.words),
      pct(k.mean),
      `${num(k.fullyFound)} (${pct(k.fullyFound / Math.max(1, k.words))})`,
      pct(k.overGigs),
      num(k.corrected),
      `${ms(k.p50)} / ${ms(k.p95)}`,
      k.examples.join(", ") || "–",
    ]),
  }];
  const targets: Target[] = byKind.map((k) => {
    const goal = k.kind === "two edits" ? TARGET_DOUBLE : TARGET_SINGLE;
    return {
      what: `recall, ${k.kind}${k.kind === "two edits" ? " (8+ letters)" : " (5+ letters)"}`,
      goal: `≥ ${goal * 100} % (mean per word)`,
      measured: pct(k.mean),
      met: k.words > 0 && k.mean >= goal,
    };
  });
  return {
    tables,
    targets,
    notes: [
      `${num(r.gigs)} seed gigs loaded with SQL in ${r.loadSeconds.toFixed(1)} s; ` +
      `${num(r.titleWords)} distinct title words of 5+ letters.`,
      `Words left out of a kind because none of ${DRAWS} draws gave a typo at the wanted ` +
      `distance that is no known word: ${JSON.stringify(r.skipped)}.`,
      `"keywords" is the time of \`keywordsOf\` for the typo (planWords and, when the typed ` +
      `words match nothing, the probes for a corrected query), one at a time on an idle database.`,
    ],
    data: { gigs: r.gigs, byKind, skipped: r.skipped, samples: r.samples },
  };
}
