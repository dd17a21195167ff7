/**
 * Gig search in PostgreSQL.
 *
 * - Keywords: each word of the query matches as typed or as one of the known
 *   title/tag words (`search_terms`) it begins, so "desi" asks for "design"; a
 *   word that is not a word of any title or tag is also widened with its
 *   corrections within Elasticsearch's `fuzziness: AUTO` budget (a swap counts
 *   one edit), so "logo desgin" also asks for "design" (`planWords`).
 *   The tsquery is matched against `search_vector` (title, tags, description)
 *   through the GIN index `gigs_search`, which also holds category and
 *   subcategory, so a keyword search within a place is one index scan. The
 *   first `MATCH_CAP` matches are ordered; by relevance, `ts_rank` over
 *   `rank_vector` (title A, tags B): a description can make a gig match but
 *   only its title and tags rank it.
 * - Filters: category, subcategory, price range (in each gig's own currency),
 *   fastest delivery, minimum rating, seller; all combinable. Without keywords
 *   every filter and sort is answered by covering B-tree indexes (migration
 *   003), index-only, partial on `status = 'active'`.
 * - Counts: one grouped query over the same filters minus category/subcategory,
 *   stopping after `MATCH_CAP + 1` matches, gives the total and the category
 *   facets together (flagged inexact when capped). An unfiltered browse reads
 *   the trigger-kept `category_counts` instead of counting every gig.
 * - The page is chosen over gigs' search columns alone, then joined to the gig
 *   rows and the seller replica, so only the cards shown pay for the join.
 *
 * The gigs database makes sequential scans a last resort and turns JIT off
 * (migration 004 says why); the search plan test reads the plans.
 */
import { pageParams, queryInt } from "@mp/shared/paging";
import { z } from "zod";
import type { Sql, Tx } from "@mp/shared/db";
import { line } from "@mp/shared/text";
import { categorySchema, GIG_LIMITS, subcategorySchema } from "./gig.ts";
import { type Card, type CardRow, toCard } from "./store.ts";
import { belongsTo } from "./taxonomy.ts";

type Db = Sql | Tx;

/** Largest page a client may ask for (a larger one is a 400, not silently clamped). */
export const MAX_LIMIT = 50;
const DEFAULT_LIMIT = 20;
/** Deepest result reachable by paging; deeper offsets only cost the database. */
export const MAX_OFFSET = 10_000;
/** Longest keyword query. */
export const MAX_QUERY_LENGTH = 200;
/** Words of a query that are searched; the rest are ignored. */
export const MAX_WORDS = 8;
/** Nearest known words added for an unknown word. */
const ALTERNATIVES = 3;
/** Known words a partly typed word is completed to. */
const COMPLETIONS = 5;
/** Shortest word that is completed (a 1–2 letter prefix would begin too many words). */
const MIN_PREFIX = 3;
/**
 * Most matching gigs that are counted, and that a keyword search orders. Beyond
 * it `total` is this cap with `totalExact: false`, facets are counted over the
 * first `MATCH_CAP + 1` matches (`facets.approximate: true`), and a keyword
 * search shows the best of its first `MATCH_CAP` matches (in index order) by
 * the sort asked for. Bounds the work of every search whatever it matches.
 */
export const MATCH_CAP = 1_000;

/** Sort orders. `relevance` without keywords falls back to rating. */
export const SORTS = ["relevance", "price_asc", "price_desc", "rating", "newest"] as const;
/** A sort order. */
export type Sort = typeof SORTS[number];

/** `page` and `limit` of every list of gigs (search, favorites, own gigs). */
export const pageFields = (() => {
  const { page, limit } = pageParams({ maxPage: MAX_OFFSET, maxLimit: MAX_LIMIT });
  return {
    page: page.meta({
      description: `Page number from 1 (default 1); pages reach the first ${MAX_OFFSET} items.`,
    }),
    limit: limit.meta({
      description: `Items per page, 1-${MAX_LIMIT} (default ${DEFAULT_LIMIT}); more is a 400.`,
    }),
  };
})();

const USERNAME = /^[A-Za-z][A-Za-z0-9_]{2,29}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Query parameters of `GET /api/v1/gigs`; unknown parameters are a 400. */
export const searchQuerySchema = z.strictObject({
  q: line(MAX_QUERY_LENGTH, 0).optional().meta({
    description: `Keywords (at most ${MAX_QUERY_LENGTH} characters); only letters and digits ` +
      `count, at most ${MAX_WORDS} words. Partly typed words and typos also match.`,
  }),
  category: categorySchema.optional().meta({ description: "A category slug." }),
  subcategory: subcategorySchema.optional().meta({
    description: "A subcategory slug (of `category`, if both are given).",
  }),
  minPrice: queryInt(GIG_LIMITS.maxAmount, 0).optional().meta({
    description: "Starting price at least this, in integer minor units of each gig's own " +
      "currency (no conversion: 5000 is 50.00 USD or 50.00 EUR).",
  }),
  maxPrice: queryInt(GIG_LIMITS.maxAmount, 0).optional().meta({
    description: "Starting price at most this, likewise; not below `minPrice`.",
  }),
  maxDeliveryDays: queryInt(365).optional().meta({
    description: "The fastest package delivers within this many days.",
  }),
  minRating: z.string().regex(/^\d(\.\d{1,2})?$/, "Must be a number from 0 to 5.")
    .transform(Number).pipe(z.number().min(0).max(5)).optional().meta({
      description: "Rating average at least this (0-5, two decimals); unrated gigs do not match.",
    }),
  seller: z.string().refine(
    (value) => USERNAME.test(value) || UUID.test(value),
    "Must be a seller's username or id.",
  ).optional().meta({ description: "A seller's username (any case) or user id." }),
  sort: z.enum(SORTS).optional().meta({
    description: "`relevance` (default: keyword rank, then rating; without `q` it is " +
      "`rating`), `price_asc` / `price_desc` (starting price), `rating` (average, then " +
      "review count; unrated last), `newest` (publication date). Ties end in the gig id.",
  }),
  ...pageFields,
}).superRefine((query, ctx) => {
  if (
    query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice
  ) {
    ctx.addIssue({ code: "custom", path: ["maxPrice"], message: "Must not be below minPrice." });
  }
  if (query.category && query.subcategory && !belongsTo(query.category, query.subcategory)) {
    ctx.addIssue({
      code: "custom",
      path: ["subcategory"],
      message: `Must be a subcategory of ${query.category}.`,
    });
  }
  const offset = ((query.page ?? 1) - 1) * (query.limit ?? DEFAULT_LIMIT);
  if (offset >= MAX_OFFSET) {
    ctx.addIssue({
      code: "custom",
      path: ["page"],
      message: `Pages reach the first ${MAX_OFFSET} results; narrow the search instead.`,
    });
  }
});

/** Validated query parameters. */
export type SearchQuery = z.infer<typeof searchQuerySchema>;

/** A search with every default applied: also the cache key's content. */
export interface SearchParams {
  /** Keyword words, lower-case, in order (empty: no keyword filter). */
  words: string[];
  category?: string;
  subcategory?: string;
  minPrice?: number;
  maxPrice?: number;
  maxDeliveryDays?: number;
  minRating?: number;
  seller?: { id: string } | { username: string };
  sort: Sort;
  page: number;
  limit: number;
}

/** Applies defaults and splits the keywords into words. */
export function normalizeSearch(query: SearchQuery): SearchParams {
  const seller = query.seller === undefined
    ? undefined
    : UUID.test(query.seller)
    ? { id: query.seller.toLowerCase() }
    : { username: query.seller.toLowerCase() };
  return {
    words: keywordWords(query.q ?? ""),
    category: query.category,
    subcategory: query.subcategory,
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    maxDeliveryDays: query.maxDeliveryDays,
    minRating: query.minRating,
    seller,
    sort: query.sort ?? "relevance",
    page: query.page ?? 1,
    limit: query.limit ?? DEFAULT_LIMIT,
  };
}

/**
 * The words of a keyword query: runs of letters and digits, lower-cased, at most
 * `MAX_WORDS`. Everything else (punctuation, tsquery operators) separates words,
 * so nothing a client types reaches the tsquery syntax.
 */
export function keywordWords(q: string): string[] {
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_WORDS);
}

/** A word as tsquery syntax may carry it (letters and digits only). */
const SAFE_WORD = /^[\p{L}\p{N}]+$/u;

/** Longest word whose every single edit (substitutions and insertions too) is looked up. */
const ALL_EDITS_UP_TO = 7;
/** Longest known word: the gigs trigger keeps title and tag words of 3–40 characters. */
const MAX_TERM = 40;
/** Shortest key of `search_term_deletions`: a word of 6+ letters less two deletions. */
const MIN_KEY = 4;

/**
 * Edits a query word may carry and still be corrected, as Elasticsearch's
 * `fuzziness: AUTO`: none for 1–2 characters, one for 3–5, two for longer.
 */
export function editBudget(word: string): number {
  const n = [...word].length;
  return n < 3 ? 0 : n <= 5 ? 1 : 2;
}

/**
 * The edit distance between `a` and `b` where an insertion, a deletion, a
 * substitution or a swap of two neighbouring characters each count one
 * (Damerau, as optimal string alignment). Anything above `max` is `max + 1`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  const s = [...a], t = [...b];
  if (Math.abs(s.length - t.length) > max) return max + 1;
  let before = new Array<number>(t.length + 1).fill(0); // row i - 2
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j); // row i - 1
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        d = Math.min(d, before[j - 2] + 1);
      }
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    before = previous;
    previous = row;
  }
  return Math.min(previous[t.length], max + 1);
}

/**
 * Strings one edit from `word`: every deletion and swap of neighbours, and for
 * words up to `ALL_EDITS_UP_TO` characters every substitution and insertion of
 * a letter or digit (a–z, 0–9 and the word's own characters). Looked up
 * exactly, they find single edits that trigrams cannot see: a swap in a short
 * word changes most of its trigrams ("lgoo" shares one of nine with "logo").
 */
export function oneEditVariants(word: string): string[] {
  const s = [...word];
  const out = new Set<string>();
  const join = (parts: string[]) => parts.join("");
  for (let i = 0; i < s.length; i++) out.add(join([...s.slice(0, i), ...s.slice(i + 1)]));
  for (let i = 0; i + 1 < s.length; i++) {
    out.add(join([...s.slice(0, i), s[i + 1], s[i], ...s.slice(i + 2)]));
  }
  if (s.length <= ALL_EDITS_UP_TO) {
    const alphabet = new Set([..."abcdefghijklmnopqrstuvwxyz0123456789", ...s]);
    for (const c of alphabet) {
      for (let i = 0; i <= s.length; i++) {
        out.add(join([...s.slice(0, i), c, ...s.slice(i)]));
        if (i < s.length) out.add(join([...s.slice(0, i), c, ...s.slice(i + 1)]));
      }
    }
  }
  out.delete(word);
  return [...out].filter((v) => v.length >= 3);
}

/**
 * `word` and every string made by deleting one or two of its characters, at
 * least 4 characters long: the keys under which migration 009's
 * `search_term_keys` stores every known word in `search_term_deletions`. Two
 * words are within two edits (Damerau, as `editDistance`) only if they share
 * such a key (a substitution or swap is one deletion on each side), so looking
 * up a word's keys finds every known word within two edits of it, however few
 * trigrams they share. Characters are code points, as PostgreSQL's `substr`.
 */
export function deletionVariants(word: string): string[] {
  const s = [...word];
  const out = new Set<string>();
  if (s.length >= MIN_KEY) out.add(word);
  for (let i = 0; i < s.length && s.length > MIN_KEY; i++) {
    const once = [...s.slice(0, i), ...s.slice(i + 1)];
    out.add(once.join(""));
    for (let j = i; j < once.length && once.length > MIN_KEY; j++) {
      out.add([...once.slice(0, j), ...once.slice(j + 1)].join(""));
    }
  }
  return [...out];
}

/** How one query word is searched. */
export interface WordPlan {
  /** The word as typed (lower-case). */
  word: string;
  /** Whether it is a word of some title or tag (then it is never corrected). */
  known: boolean;
  /** Known words it begins, shortest first. */
  completions: string[];
  /**
   * For an unknown word, the known words within its edit budget (`editBudget`),
   * best first: fewest edits, then most trigrams in common. At most `ALTERNATIVES`.
   */
  corrections: string[];
}

/**
 * Reads, in one round trip, how each word is searched: whether it is known, the
 * known words it begins (`COMPLETIONS`, shortest first, for words of 3+
 * characters), and for an unknown word its candidate corrections, all exact
 * primary-key lookups: a word of 3–5 characters (one edit) looks up its single
 * edits in `search_terms`; a longer one (two edits) looks up its deletions
 * (`deletionVariants`) in `search_term_deletions`, which finds every known
 * word within two edits. Candidates are then kept only within the word's true
 * edit distance (`editDistance`).
 */
export async function planWords(db: Db, words: string[]): Promise<WordPlan[]> {
  if (words.length === 0) return [];
  const editTerms: string[] = [];
  const editWords: number[] = [];
  const keyTerms: string[] = [];
  const keyWords: number[] = [];
  words.forEach((word, i) => {
    const budget = editBudget(word);
    if (budget === 1) {
      for (const v of oneEditVariants(word)) {
        editTerms.push(v);
        editWords.push(i + 1);
      }
    } else if (budget === 2 && [...word].length <= MAX_TERM + 2) {
      // Trigrams missed two edits: 19 of 91 in the gig_typos benchmark shared
      // under 0.3 of their trigrams with the word meant ("stkatgey" 0.12 of
      // "strategy"), and longer words had no bound on candidates to read.
      for (const k of deletionVariants(word)) {
        keyTerms.push(k);
        keyWords.push(i + 1);
      }
    }
  });
  const rows = await db<
    { word: string; known: boolean; completions: string[]; candidates: string[] }[]
  >`
    select w.word, k.known,
      array(
        select t.term from search_terms t
        -- The words that begin with w.word, as a byte-order range the
        -- text_pattern_ops index answers (LIKE would need a constant pattern).
        where length(w.word) >= ${MIN_PREFIX}
          and t.term ~>=~ w.word and t.term ~<~ (w.word || chr(1114111)) and t.term <> w.word
        order by length(t.term), t.term
        limit ${COMPLETIONS}
      ) as completions,
      -- Candidate corrections only for unknown words of 3+ characters.
      case when k.known or length(w.word) < 3 then '{}'::text[] else array(
        select c.term from (
          -- Each single edit probes search_terms' primary key, each deletion
          -- key search_term_deletions' (migration 009).
          select t.term
          from unnest(${editTerms}::text[], ${editWords}::int[]) as v(term, n)
          join search_terms t on t.term = v.term
          where v.n = w.n
          union
          select d.term
          from unnest(${keyTerms}::text[], ${keyWords}::int[]) as v(key, n)
          join search_term_deletions d on d.key = v.key
          where v.n = w.n
        ) c
        order by similarity(c.term, w.word) desc, c.term
      ) end as candidates
    from unnest(${words}::text[]) with ordinality as w(word, n)
    cross join lateral (
      select exists (select 1 from search_terms t where t.term = w.word) as known
    ) k
    order by w.n`;
  return rows.map(({ word, known, completions, candidates }) => {
    const budget = editBudget(word);
    const corrections = candidates
      .filter((c) => c !== word && SAFE_WORD.test(c))
      .map((term, order) => ({ term, order, d: editDistance(word, term, budget) }))
      .filter((c) => c.d <= budget)
      .sort((a, b) => a.d - b.d || a.order - b.order)
      .slice(0, ALTERNATIVES)
      .map((c) => c.term);
    return {
      word,
      known,
      completions: completions.filter((c) => SAFE_WORD.test(c)),
      corrections: known ? [] : corrections,
    };
  });
}

/** One word's alternatives as tsquery text: as typed, completed, and (if asked) corrected. */
function group(plan: WordPlan, withCorrections: boolean): string {
  const options = new Set([plan.word, ...plan.completions]);
  if (withCorrections) { for (const c of plan.corrections) options.add(c); }
  return options.size === 1 ? plan.word : `(${[...options].join(" | ")})`;
}

/** The tsquery text of planned words (undefined for none), with or without corrections. */
export function tsqueryOf(plans: WordPlan[], withCorrections = true): string | undefined {
  if (plans.length === 0) return undefined;
  return plans.map((p) => group(p, withCorrections)).join(" & ");
}

/**
 * Builds the tsquery text for `words`. Each word matches as typed (stemmed), or
 * as one of the few known title/tag words it begins, or, when no title or tag
 * has it, as one of its corrections (`planWords`). Every alternative is an
 * exact lexeme: a `word:*` prefix tsquery would make the GIN index read the
 * posting list of every lexeme starting so, descriptions included (`exp:*`
 * reads most of the table). Undefined when there are no words.
 */
export async function keywordQuery(db: Db, words: string[]): Promise<string | undefined> {
  return tsqueryOf(await planWords(db, words));
}

/** The filters of one search, keywords already turned into a tsquery. */
export interface SearchPlan extends Omit<SearchParams, "words"> {
  tsquery?: string;
  /**
   * For each corrected word, its alternatives without the corrections (tsquery
   * text): relevance ranks a gig whose title or tags have a word as typed or
   * completed above one that has only a correction of it.
   */
  tiers?: string[];
}

// Sort orders as SQL; `p` qualifies the columns (the outer query re-sorts the page).
const ORDER: Record<Sort, (p: string) => string> = {
  relevance: (p) => `${p}rank desc, ${ORDER.rating(p)}`,
  price_asc: (p) => `${p}starting_price asc, ${p}id asc`,
  price_desc: (p) => `${p}starting_price desc, ${p}id desc`,
  rating: (p) => `${p}rating_average desc nulls last, ${p}rating_count desc, ${p}id asc`,
  newest: (p) => `${p}created_at desc, ${p}id desc`,
};

function orderOf(plan: SearchPlan): Sort {
  return plan.sort === "relevance" && !plan.tsquery ? "rating" : plan.sort;
}

/** `true` when only category/subcategory narrow the search (counts come from category_counts). */
function isBrowse(plan: SearchPlan): boolean {
  return !plan.tsquery && plan.minPrice === undefined && plan.maxPrice === undefined &&
    plan.maxDeliveryDays === undefined && plan.minRating === undefined && !plan.seller;
}

/** The WHERE clause over `gigs`; `withCategory` false drops category and subcategory (facets). */
function where(db: Db, plan: SearchPlan, withCategory: boolean) {
  const empty = db``;
  const seller = plan.seller;
  return db`status = 'active'
    ${plan.tsquery ? db`and search_vector @@ to_tsquery('english', ${plan.tsquery})` : empty}
    ${withCategory && plan.category ? db`and category = ${plan.category}` : empty}
    ${withCategory && plan.subcategory ? db`and subcategory = ${plan.subcategory}` : empty}
    ${plan.minPrice !== undefined ? db`and starting_price >= ${plan.minPrice}` : empty}
    ${plan.maxPrice !== undefined ? db`and starting_price <= ${plan.maxPrice}` : empty}
    ${
    plan.maxDeliveryDays !== undefined
      ? db`and min_delivery_days <= ${plan.maxDeliveryDays}`
      : empty
  }
    ${plan.minRating !== undefined ? db`and rating_average >= ${plan.minRating}` : empty}
    ${
    !seller ? empty : "id" in seller ? db`and seller_id = ${seller.id}` : db`and seller_id in (
      select user_id from sellers where lower(username) = ${seller.username})`
  }`;
}

/** The query for one page of cards (exported so a test can EXPLAIN it). */
export function itemsQuery(db: Db, plan: SearchPlan) {
  const order = orderOf(plan);
  const offset = (plan.page - 1) * plan.limit;
  const sortOrder = db.unsafe(ORDER[order](""));
  // Without keywords the page is chosen from the sort and filter columns alone,
  // which every search index carries (migration 003): an index-only scan, and
  // only the cards shown read their gig rows below.
  // With keywords, the first MATCH_CAP matches come from the GIN index (the
  // LIMIT in a materialized CTE fences the planner off walking a sort index and
  // testing every gig's out-of-line tsvector), then only they are sorted.
  const relevance = order === "relevance";
  // With corrections, each corrected word the title or tags have as typed or
  // completed counts 1 and ts_rank, normalized into [0, 1), orders within.
  const tiers = plan.tiers ?? [];
  const rank = !relevance
    ? db`, null::real as rank`
    : tiers.length === 0
    ? db`, ts_rank(rank_vector, to_tsquery('english', ${plan.tsquery ?? ""})) as rank`
    : db`, (${
      tiers.reduce(
        (sum, tier) => db`${sum} + (rank_vector @@ to_tsquery('english', ${tier}))::int`,
        db`0`,
      )
    } + ts_rank(rank_vector, to_tsquery('english', ${plan.tsquery ?? ""}), 32))::real as rank`;
  const keys = db`id, starting_price, rating_average, rating_count, created_at`;
  const page = plan.tsquery
    ? db`with matches as materialized (
        select ${keys} ${rank}
        from gigs
        where ${where(db, plan, true)}
        limit ${MATCH_CAP}
      )
      select * from matches
      order by ${sortOrder}
      limit ${plan.limit} offset ${offset}`
    : db`select ${keys}, null::real as rank
      from gigs
      where ${where(db, plan, true)}
      order by ${sortOrder}
      limit ${plan.limit} offset ${offset}`;
  return db<CardRow[]>`select p.id, g.title, p.starting_price, g.currency, g.images[1] as image,
      p.rating_average, p.rating_count, s.username, s.display_name, s.level, s.avatar_url
    from (${page}) p
    join gigs g on g.id = p.id
    join sellers s on s.user_id = g.seller_id
    order by ${db.unsafe(ORDER[order]("p."))}`;
}

/**
 * The query counting matches per subcategory without the category filters,
 * over at most `MATCH_CAP + 1` matches (exported so a test can EXPLAIN it). An
 * unfiltered browse reads the exact kept counts instead.
 */
export function countsQuery(db: Db, plan: SearchPlan) {
  type Count = { category: string; subcategory: string; n: number };
  if (isBrowse(plan)) {
    return db<Count[]>`select category, subcategory, active as n from category_counts
      where active > 0`;
  }
  return db<Count[]>`select category, subcategory, count(*)::int as n
    from (
      select category, subcategory from gigs
      where ${where(db, plan, false)}
      limit ${MATCH_CAP + 1}
    ) m
    group by category, subcategory`;
}

/**
 * The query counting matches with every filter, up to `MATCH_CAP + 1`
 * (exported so a test can EXPLAIN it). Needed only when a category or
 * subcategory is selected and the facet counts were capped.
 */
export function totalQuery(db: Db, plan: SearchPlan) {
  return db<{ n: number }[]>`select count(*)::int as n
    from (select 1 from gigs where ${where(db, plan, true)} limit ${MATCH_CAP + 1}) m`;
}

/** Whether any gig matches `plan` (one entry of the GIN index, or none). */
async function anyMatch(db: Db, plan: SearchPlan): Promise<boolean> {
  const rows = await db`select 1 from gigs where ${where(db, plan, true)} limit 1`;
  return rows.length > 0;
}

/**
 * The words to search and how, and the corrected query to announce. A word
 * with corrections is searched as typed, completed or corrected, typed and
 * completed ranking first; but when the words as typed and completed match no
 * gig (with the filters), the search is for the corrected words instead, as if
 * typed so, and says so (`correctedQuery`): the best correction of each word
 * first, then the next best, until one finds gigs. If none does, the search
 * keeps every alternative and announces nothing. (Exported for the typo
 * recall benchmark, which measures what these tsqueries match.)
 */
export async function keywordsOf(
  db: Db,
  words: string[],
  filters: Omit<SearchPlan, "tsquery" | "tiers">,
): Promise<{ tsquery?: string; tiers?: string[]; correctedQuery: string | null }> {
  const plans = await planWords(db, words);
  const tsquery = tsqueryOf(plans);
  const corrected = plans.filter((p) => p.corrections.length > 0);
  if (corrected.length === 0) return { tsquery, correctedQuery: null };
  if (await anyMatch(db, { ...filters, tsquery: tsqueryOf(plans, false) })) {
    return { tsquery, tiers: corrected.map((p) => group(p, false)), correctedQuery: null };
  }
  const tried = new Set<string>();
  for (let i = 0; i < ALTERNATIVES; i++) {
    const fixed = plans.map((p) =>
      p.corrections.length ? p.corrections[Math.min(i, p.corrections.length - 1)] : p.word
    );
    const text = fixed.join(" ");
    if (tried.has(text)) continue;
    tried.add(text);
    const instead = tsqueryOf(await planWords(db, fixed));
    if (await anyMatch(db, { ...filters, tsquery: instead })) {
      return { tsquery: instead, correctedQuery: text };
    }
  }
  return { tsquery, correctedQuery: null };
}

/** One page of results with the total and category facets. */
export interface SearchResult {
  items: Card[];
  page: number;
  limit: number;
  /** Matches, exact up to `MATCH_CAP`; `MATCH_CAP` (with `totalExact: false`) beyond. */
  total: number;
  /** False when more than `MATCH_CAP` gigs match: show "1,000+". */
  totalExact: boolean;
  /**
   * When the words as typed found nothing and corrected words did, the words
   * searched instead (the results are theirs); null otherwise.
   */
  correctedQuery: string | null;
  facets: {
    categories: { slug: string; count: number }[];
    /** Within the selected category, when one is selected. */
    subcategories?: { slug: string; count: number }[];
    /** True when the counts are of the first `MATCH_CAP + 1` matches only. */
    approximate: boolean;
  };
}

/** Runs a search. */
export async function search(db: Db, params: SearchParams): Promise<SearchResult> {
  const { words, ...rest } = params;
  const { tsquery, tiers, correctedQuery } = await keywordsOf(db, words, rest);
  const plan: SearchPlan = { ...rest, tsquery, tiers };
  const [rows, counts] = await Promise.all([itemsQuery(db, plan), countsQuery(db, plan)]);

  const perCategory = new Map<string, number>();
  const perSubcategory = new Map<string, number>();
  let total = 0;
  let counted = 0;
  for (const { category, subcategory, n } of counts) {
    counted += n;
    perCategory.set(category, (perCategory.get(category) ?? 0) + n);
    if (plan.category && category === plan.category) {
      perSubcategory.set(subcategory, (perSubcategory.get(subcategory) ?? 0) + n);
    }
    if (
      (!plan.category || category === plan.category) &&
      (!plan.subcategory || subcategory === plan.subcategory)
    ) total += n;
  }
  // Browse counts come from category_counts and are exact however many there are.
  const approximate = !isBrowse(plan) && counted > MATCH_CAP;
  if (approximate && (plan.category || plan.subcategory)) {
    // The capped facets hold only some of the selected category's matches.
    [{ n: total }] = await totalQuery(db, plan);
  }
  const totalExact = isBrowse(plan) || total <= MATCH_CAP;
  const facet = (counts: Map<string, number>) =>
    [...counts].map(([slug, count]) => ({ slug, count }))
      .sort((a, b) => b.count - a.count || a.slug.localeCompare(b.slug));
  return {
    items: rows.map(toCard),
    page: params.page,
    limit: params.limit,
    total: totalExact ? total : MATCH_CAP,
    totalExact,
    correctedQuery,
    facets: {
      categories: facet(perCategory),
      ...(plan.category ? { subcategories: facet(perSubcategory) } : {}),
      approximate,
    },
  };
}
