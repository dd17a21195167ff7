/**
 * The search queries of the gig_search benchmark: a fixed, seeded-random list
 * of what buyers type and click, built from the seed's own catalog
 * (scripts/seed_catalog.ts) so that keywords match the loaded gigs:
 *
 * - keyword: a tag ("logo design") or a style and a word ("modern wordpress");
 * - typo: one of those with a word misspelt (letter swapped, dropped, doubled,
 *   replaced), which the service widens through `search_terms`;
 * - prefix: a word typed partly ("kuber", "wordpress webs");
 * - keyword + filters: a keyword within its category, a price range or a
 *   delivery time;
 * - browse: a category or subcategory, any sort;
 * - filters: a category or subcategory with a price range, delivery time or
 *   minimum rating;
 * - seller: one seller's gigs;
 * - sort only: everything, by price, rating or newest.
 *
 * Every query uses the default page size on pages 1–3 (mostly 1) and is
 * checked against the service's own `searchQuerySchema`. Its `key` is the
 * service's normalized search (`normalizeSearch`), which is what its Redis
 * cache is keyed by, so the benchmark can tell which requests the cache could
 * have answered.
 *
 * A share of the requests (`hotShare`) repeats a small set of popular queries,
 * as real traffic does; the rest are drawn fresh, so most requests miss the
 * 30-second search cache.
 */
import { CATEGORY_CONTENT, SERVICE_CONTENT } from "../scripts/seed_catalog.ts";
import type { Taxonomy } from "../scripts/seed_data.ts";
import { normalizeSearch, searchQuerySchema } from "../services/gigs/search.ts";
import { mulberry32 } from "./gig_catalog.ts";

/** The kinds of query, in the order results are shown. */
export const QUERY_KINDS = [
  "keyword",
  "typo",
  "prefix",
  "keyword + filters",
  "browse",
  "filters",
  "seller",
  "sort only",
] as const;

/** A kind of query. */
export type QueryKind = typeof QUERY_KINDS[number];

/** One search request. */
export interface SearchRequest {
  kind: QueryKind;
  /** Path and query string, e.g. `/api/v1/gigs?q=logo+design&page=2`. */
  path: string;
  /** The normalized search the service caches it under (as JSON). */
  key: string;
  /** Whether it is one of the popular queries that repeat. */
  hot: boolean;
}

/** Options of `searchMix`. */
export interface MixOptions {
  /** Seed of the PRNG: the same options give the same list. */
  seed: number;
  /** Requests in the list. */
  count: number;
  taxonomy: Taxonomy;
  /** Usernames of the sellers that own the gigs. */
  sellers: readonly string[];
  /** Share of requests that repeat one of the popular queries. */
  hotShare: number;
  /** How many popular queries there are (repeated with a Zipf-like skew). */
  hotQueries: number;
}

// How often each kind is asked, relative to the others.
const WEIGHTS: Record<QueryKind, number> = {
  "keyword": 22,
  "typo": 10,
  "prefix": 10,
  "keyword + filters": 14,
  "browse": 14,
  "filters": 16,
  "seller": 6,
  "sort only": 8,
};

const SORTS_WITHOUT_RELEVANCE = ["price_asc", "price_desc", "rating", "newest"] as const;
const MIN_PRICES = [1_000, 2_000, 3_000, 5_000, 10_000]; // minor units
const MAX_PRICES = [5_000, 10_000, 20_000, 50_000, 100_000];
const DELIVERY_DAYS = [1, 2, 3, 5, 7, 14];
const MIN_RATINGS = ["4", "4.5", "4.8"];

/** A seeded list of `count` search requests (see the module comment). */
export function searchMix(options: MixOptions): SearchRequest[] {
  const random = mulberry32(options.seed);
  const make = new QueryMaker(random, options.taxonomy, options.sellers);
  const kinds = Object.entries(WEIGHTS) as [QueryKind, number][];
  const weightSum = kinds.reduce((sum, [, w]) => sum + w, 0);
  const drawKind = (): QueryKind => {
    let x = random() * weightSum;
    for (const [kind, weight] of kinds) if ((x -= weight) < 0) return kind;
    return kinds[kinds.length - 1][0];
  };
  // Popular queries: first pages of plain keyword searches and browsing.
  const hot = Array.from({ length: options.hotQueries }, (_, i) => {
    const kind: QueryKind = i % 3 === 2 ? "browse" : "keyword";
    return { ...make.query(kind, { firstPage: true }), hot: true };
  });
  const zipf = hot.map((_, rank) => 1 / (rank + 1));
  const zipfSum = zipf.reduce((a, b) => a + b, 0);
  const drawHot = () => {
    let x = random() * zipfSum;
    for (let rank = 0; rank < hot.length; rank++) if ((x -= zipf[rank]) < 0) return hot[rank];
    return hot[hot.length - 1];
  };
  return Array.from({ length: options.count }, () => {
    if (hot.length > 0 && random() < options.hotShare) return drawHot();
    return { ...make.query(drawKind()), hot: false };
  });
}

/** Builds one query of a kind from the catalog's words. */
class QueryMaker {
  readonly #tags: { tag: string; subcategory: string; category: string }[] = [];
  readonly #styles: string[];
  /** Single words of 5+ letters (for typos and prefixes). */
  readonly #words: string[];

  constructor(
    private readonly random: () => number,
    private readonly taxonomy: Taxonomy,
    private readonly sellers: readonly string[],
  ) {
    for (const category of taxonomy.categories) {
      for (const subcategory of category.subcategories) {
        for (const tag of SERVICE_CONTENT[subcategory.slug]?.tags ?? []) {
          this.#tags.push({ tag, subcategory: subcategory.slug, category: category.slug });
        }
      }
    }
    this.#styles = [
      ...new Set(
        Object.values(CATEGORY_CONTENT).flatMap((c) => c.styles).filter((s) => /^[a-z]+$/.test(s)),
      ),
    ];
    this.#words = [
      ...new Set(
        this.#tags.flatMap(({ tag }) => tag.split(" ")).filter((w) => /^[a-z]{5,}$/.test(w)),
      ),
    ];
  }

  query(kind: QueryKind, options: { firstPage?: boolean } = {}): Omit<SearchRequest, "hot"> {
    const params: Record<string, string> = {};
    const tag = this.#pick(this.#tags);
    switch (kind) {
      case "keyword":
        params.q = this.random() < 0.6 ? tag.tag : `${this.#pick(this.#styles)} ${tag.tag}`;
        this.#keywordSort(params);
        break;
      case "typo": {
        const word = this.#pick(this.#words);
        const typo = this.#misspell(word);
        params.q = this.random() < 0.5 ? typo : `${this.#pick(this.#styles)} ${typo}`;
        this.#keywordSort(params);
        break;
      }
      case "prefix": {
        const word = this.#pick(this.#words);
        const partial = word.slice(0, 3 + Math.floor(this.random() * (word.length - 4)));
        params.q = this.random() < 0.5 ? partial : `${this.#pick(this.#styles)} ${partial}`;
        this.#keywordSort(params);
        break;
      }
      case "keyword + filters": {
        params.q = tag.tag;
        const filter = this.random();
        if (filter < 0.4) params.category = tag.category;
        else if (filter < 0.6) params.subcategory = tag.subcategory;
        else if (filter < 0.85) this.#priceRange(params);
        else params.maxDeliveryDays = String(this.#pick(DELIVERY_DAYS));
        if (this.random() < 0.3) params.maxDeliveryDays ??= String(this.#pick(DELIVERY_DAYS));
        this.#keywordSort(params);
        break;
      }
      case "browse":
        this.#place(params);
        this.#anySort(params);
        break;
      case "filters": {
        this.#place(params);
        const [price, delivery, rating] = [this.random(), this.random(), this.random()];
        if (price < 0.6) this.#priceRange(params);
        if (delivery < 0.4) params.maxDeliveryDays = String(this.#pick(DELIVERY_DAYS));
        if (rating < 0.35 || (price >= 0.6 && delivery >= 0.4)) {
          params.minRating = this.#pick(MIN_RATINGS);
        }
        this.#anySort(params);
        break;
      }
      case "seller":
        params.seller = this.#pick(this.sellers);
        this.#anySort(params);
        break;
      case "sort only":
        this.#anySort(params);
        break;
    }
    if (!options.firstPage) this.#page(params);
    const query = new URLSearchParams(params).toString();
    const key = JSON.stringify(normalizeSearch(searchQuerySchema.parse(params)));
    return { kind, path: `/api/v1/gigs${query ? `?${query}` : ""}`, key };
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  /** A category (half the time) or a subcategory. */
  #place(params: Record<string, string>) {
    const category = this.#pick(this.taxonomy.categories);
    if (this.random() < 0.5) params.category = category.slug;
    else params.subcategory = this.#pick(category.subcategories).slug;
  }

  #priceRange(params: Record<string, string>) {
    const shape = this.random();
    const min = this.#pick(MIN_PRICES);
    if (shape < 0.4) {
      params.minPrice = String(min);
      params.maxPrice = String(this.#pick(MAX_PRICES.filter((max) => max > min)));
    } else if (shape < 0.7) {
      params.maxPrice = String(this.#pick(MAX_PRICES));
    } else {
      params.minPrice = String(min);
    }
  }

  /** Mostly relevance (the default), sometimes another order. */
  #keywordSort(params: Record<string, string>) {
    if (this.random() < 0.3) params.sort = this.#pick(SORTS_WITHOUT_RELEVANCE);
  }

  /** The default (rating, without keywords) or any explicit sort. */
  #anySort(params: Record<string, string>) {
    if (this.random() < 0.75) params.sort = this.#pick(SORTS_WITHOUT_RELEVANCE);
  }

  /** Page 1 mostly, 2 and 3 less often (the default page size of 20). */
  #page(params: Record<string, string>) {
    const x = this.random();
    if (x >= 0.9) params.page = "3";
    else if (x >= 0.7) params.page = "2";
  }

  /** One typing mistake in a word (never the first letter, never the word itself). */
  #misspell(word: string): string {
    const letters = "abcdefghijklmnopqrstuvwxyz";
    for (;;) {
      const at = 1 + Math.floor(this.random() * (word.length - 1));
      const op = this.random();
      let typo: string;
      if (op < 0.3) { // replace
        typo = word.slice(0, at) + this.#pick([...letters]) + word.slice(at + 1);
      } else if (op < 0.55 && at < word.length - 1) { // swap neighbours
        typo = word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
      } else if (op < 0.8) { // drop
        typo = word.slice(0, at) + word.slice(at + 1);
      } else { // double
        typo = word.slice(0, at) + word[at] + word.slice(at);
      }
      if (typo !== word) return typo;
    }
  }
}
