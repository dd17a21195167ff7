/**
 * The gigs of `deno task seed -- --gigs 100000`, written straight into the gigs
 * service's database for the gig_search benchmark.
 *
 * Why SQL: publishing 100,000 gigs through the gateway takes about 35 minutes on
 * the project's 2-core machines (sign-up hashing for 5,000 sellers, event hops,
 * one request per gig), far too long for a benchmark run. So a benchmark makes a
 * few sellers through the API, and this module adds the remaining gigs with
 * multi-row INSERTs, as close to the service's own write as SQL gets:
 *
 * - **The same gigs.** Gig `i` is the body `deno task seed -- --gigs N` posts for
 *   index `i` (scripts/seed_data.ts, same faker seed, the seed's default of
 *   `defaultSellers(N)` seller plans, so titles, tags, descriptions, packages,
 *   prices and categories are identical). Those plans are folded onto the real
 *   sellers: plan `p` belongs to real seller `p mod sellers`.
 * - **The service's own normalization.** Each body goes through the service's
 *   `gigCreateSchema` (trims, lower-cased tags, packages sorted by tier, defaults),
 *   `newRequirementIds`, and `packageSummary` for the derived columns
 *   (`currency`, `starting_price`, `min_delivery_days`), as `POST /api/v1/gigs`
 *   and `store.insertGig` do.
 * - **The same table and triggers.** Rows are INSERTed into `gigs`, so the
 *   triggers fill `search_vector`, `search_terms` and `category_counts` exactly
 *   as for a gig published through the API (gig_catalog_test.ts compares a row
 *   loaded here with one written by `store.insertGig`).
 *
 * What differs, on purpose: no `gig.created` outbox row (nothing downstream
 * needs these gigs, and relaying 100,000 events would run during the
 * measurement); no cache invalidation (nothing of these gigs is cached yet);
 * `created_at` is each batch's transaction time; and, optionally, ratings:
 * the seed writes no reviews, so every gig would be unrated, a minimum-rating
 * filter would match nothing and the rating sort would be a plain id order.
 * `ratedShare` of the gigs get `rating_sum`/`rating_count` as that many
 * `review.created` events would have left them (`rating_average` is the
 * table's generated column).
 */
import type { Sql } from "@mp/shared/db";
import {
  type FaqItem,
  gigCreateSchema,
  type GigPackage,
  newRequirementIds,
  packageSummary,
  type Requirement,
} from "../services/gigs/gig.ts";
import { defaultSellers } from "../scripts/seed.ts";
import { type GigBody, planSeller, planSellerGigs, type Taxonomy } from "../scripts/seed_data.ts";

/** One row of `gigs` as the service's insert would write it (minus the defaulted columns). */
export interface GigRowInput {
  id: string;
  seller_id: string;
  title: string;
  description: string;
  category: string;
  subcategory: string;
  tags: string[];
  images: string[];
  packages: GigPackage[];
  requirements: Requirement[];
  faq: FaqItem[];
  currency: string;
  starting_price: number;
  min_delivery_days: number;
  rating_sum: number;
  rating_count: number;
}

/** The taxonomy as the seed reads it from `GET /api/v1/gigs/categories` (seed.ts `loadTaxonomy`). */
export function taxonomyOf(
  categories: { slug: string; name: string; subcategories: { slug: string; name: string }[] }[],
): Taxonomy {
  return {
    categories: categories.filter((c) => c.subcategories.length > 0).map((c) => ({
      slug: c.slug,
      name: c.name,
      subcategories: c.subcategories.map((s) => ({ slug: s.slug, name: s.name })),
    })),
  };
}

/**
 * The row the service would store for `body` posted by `sellerId`: the body
 * validated and normalized by the service's schema, fresh requirement ids, the
 * columns derived from the packages. Throws if the service would answer 400.
 */
export function gigRow(
  body: GigBody,
  sellerId: string,
  rating: { sum: number; count: number } = { sum: 0, count: 0 },
): GigRowInput {
  const gig = gigCreateSchema.parse(body);
  const summary = packageSummary(gig.packages);
  return {
    id: crypto.randomUUID(),
    seller_id: sellerId,
    title: gig.title,
    description: gig.description,
    category: gig.category,
    subcategory: gig.subcategory,
    tags: gig.tags,
    images: gig.images,
    packages: gig.packages,
    requirements: newRequirementIds(gig.requirements),
    faq: gig.faq,
    currency: summary.currency,
    starting_price: summary.startingPrice,
    min_delivery_days: summary.minDeliveryDays,
    rating_sum: rating.sum,
    rating_count: rating.count,
  };
}

/**
 * Inserts rows into `gigs` in one statement (their triggers run per row). The
 * rows travel as one JSON parameter and are unpacked by `jsonb_to_recordset`.
 */
export async function insertGigRows(sql: Sql, rows: readonly GigRowInput[]): Promise<void> {
  await sql`insert into gigs (id, seller_id, title, description, category, subcategory, tags,
      images, packages, requirements, faq, currency, starting_price, min_delivery_days,
      rating_sum, rating_count)
    select r.id, r.seller_id, r.title, r.description, r.category, r.subcategory,
      array(select jsonb_array_elements_text(r.tags)),
      array(select jsonb_array_elements_text(r.images)),
      r.packages, r.requirements, r.faq, r.currency, r.starting_price, r.min_delivery_days,
      r.rating_sum, r.rating_count
    from jsonb_to_recordset(${sql.json(rows as never)}::jsonb) as r(id uuid, seller_id uuid,
      title text, description text, category text, subcategory text, tags jsonb, images jsonb,
      packages jsonb, requirements jsonb, faq jsonb, currency text, starting_price bigint,
      min_delivery_days integer, rating_sum bigint, rating_count integer)`;
}

/**
 * `insertGigRows`, again when PostgreSQL broke a deadlock by failing it: the two
 * lanes never share a `category_counts` row, but their triggers insert the same
 * new words into `search_terms` and tags into `search_tags` in different orders
 * (a unique-index wait each way). The failed statement rolled back whole, so
 * running it again is safe.
 */
async function insertRetryingDeadlocks(sql: Sql, rows: readonly GigRowInput[]): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      return await insertGigRows(sql, rows);
    } catch (error) {
      const deadlock = (error as { code?: string }).code === "40P01";
      if (!deadlock || attempt >= 5) throw error;
    }
  }
}

/** Options of `loadSeedGigs`. */
export interface LoadOptions {
  /** The gigs database, as its owner (the service's own DATABASE_URL). */
  sql: Sql;
  taxonomy: Taxonomy;
  /** The seed's username prefix (`seed()`'s `prefix`). */
  prefix: string;
  /** User ids of the real sellers, by seller index (seller `k` is `<prefix>_seller_<k+1>`). */
  sellerIds: readonly string[];
  /** Gigs in all (the seed's `--gigs`). */
  total: number;
  /** Gig indices below this exist already (published through the API). */
  from: number;
  /** Share of gigs given a rating (see the module comment); deterministic per index. */
  ratedShare: number;
  /** Rows per INSERT. */
  batchSize?: number;
  /** Called after each batch with the number of gigs loaded so far. */
  progress?: (loaded: number) => void;
}

/**
 * Loads gigs `from … total−1` of the seed. Returns the ids it created, by
 * index (`ids[i - from]` is gig `i`).
 *
 * Two lanes insert at once, each on its own connection, while this process
 * generates the next rows. Lanes split the gigs by category, so their
 * transactions never touch the same `category_counts` row (which the trigger
 * keeps locked until commit): they neither wait for nor deadlock with each other.
 */
export async function loadSeedGigs(options: LoadOptions): Promise<string[]> {
  const { sql, taxonomy, prefix, sellerIds, total, from, ratedShare } = options;
  const batchSize = options.batchSize ?? 500;
  const plans = defaultSellers(total);
  const ids = new Array<string>(total - from);
  let loaded = 0;
  const lanes = [0, 1].map(() => ({ rows: [] as GigRowInput[], inFlight: Promise.resolve() }));
  const laneOf = (category: string) =>
    lanes[Math.max(0, taxonomy.categories.findIndex((c) => c.slug === category)) % lanes.length];
  const flush = async (lane: typeof lanes[number]) => {
    await lane.inFlight; // at most one INSERT per lane in flight
    if (lane.rows.length === 0) return;
    const rows = lane.rows;
    lane.rows = [];
    lane.inFlight = insertRetryingDeadlocks(sql, rows).then(() => {
      loaded += rows.length;
      options.progress?.(loaded);
    });
  };
  let failure: unknown;
  try {
    // Plan by plan: each plan's gigs are drawn together (titles are unique per plan).
    for (let plan = 0; plan < plans; plan++) {
      const seller = planSeller(prefix, plan, taxonomy);
      const owner = sellerIds[plan % sellerIds.length];
      for (const gig of planSellerGigs(seller, plans, total, taxonomy)) {
        if (gig.index < from) continue;
        const row = gigRow(gig.body, owner, ratingOf(gig.index, ratedShare));
        ids[gig.index - from] = row.id;
        const lane = laneOf(row.category);
        lane.rows.push(row);
        if (lane.rows.length >= batchSize) await flush(lane);
      }
    }
    for (const lane of lanes) await flush(lane);
  } catch (error) {
    failure = error;
  }
  // Settle every INSERT, also when generating failed, so none is left unhandled.
  const settled = await Promise.allSettled(lanes.map((lane) => lane.inFlight));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure ?? rejected) throw failure ?? rejected!.reason;
  return ids;
}

/**
 * A deterministic rating for gig `index`: unrated with probability
 * `1 − ratedShare`; otherwise 1–300 reviews (log-uniform, most gigs have few)
 * averaging 3.5–5.0 stars, skewed high as marketplace ratings are.
 */
export function ratingOf(index: number, ratedShare: number): { sum: number; count: number } {
  const random = mulberry32(index * 2_654_435_761 + 97);
  if (random() >= ratedShare) return { sum: 0, count: 0 };
  const count = Math.max(1, Math.floor(Math.exp(random() * Math.log(300))));
  const average = 5 - 1.5 * random() ** 2;
  const sum = Math.min(5 * count, Math.max(count, Math.round(average * count)));
  return { sum, count };
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
