/**
 * Search order against an oracle (issue 13): over a generated catalogue
 * (seeded, on real PostgreSQL) of more gigs matching one keyword than
 * `MATCH_CAP`, every sort × keywords × filters is paged through to the end
 * and the pages, concatenated, must equal a reference ordering computed here
 * in TypeScript over every row without keywords or wherever at most `MATCH_CAP` gigs match (beyond,
 * a keyword search orders the first `MATCH_CAP` matches the index returns, so
 * the test checks those are matches in the sort's order among themselves): matching, filtering and sorting done by this
 * file, with no cap and no index. PostgreSQL gives the reference only each
 * row's columns and, for relevance, its `ts_rank` read by a plain query over
 * every row (the rank function itself is not re-implemented).
 *
 * The vocabulary is chosen so that matching words in TypeScript equals
 * matching lexemes (checked first: each word is its own lexeme's only source,
 * none is a stop word or begins another, so no completion or correction
 * widens a query).
 */
import assert from "node:assert/strict";
import { migrate, type Sql } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { outboxMigration } from "@mp/shared/outbox";
import { freshDatabase } from "@mp/shared/testing";
import {
  MATCH_CAP,
  MAX_LIMIT,
  normalizeSearch,
  planWords,
  search,
  searchQuerySchema,
  tsqueryOf,
} from "./search.ts";
import { TAXONOMY } from "./taxonomy.ts";
import { MIGRATIONS } from "./test_support.ts";

const GIGS = 3_000;
const SELLERS = 12;
const SEED = 20_261_203;
/** "logo" is drawn far more often than the others: ~1,900 active gigs have it. */
const VOCABULARY = [
  "logo",
  "brand",
  "vector",
  "mascot",
  "poster",
  "banner",
  "flyer",
  "icon",
  "sketch",
  "podcast",
  "voice",
  "video",
  "script",
  "audit",
  "wordpress",
  "shopify",
  "python",
  "excel",
  "mockup",
  "emblem",
];
/** Few distinct values, so every sort meets ties that only the id breaks. */
const PRICES = [500, 1000, 1500, 2500, 5000, 10_000, 20_000];

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Row {
  id: string;
  seller_id: string;
  username: string;
  status: string;
  category: string;
  subcategory: string;
  words: Set<string>;
  starting_price: number;
  min_delivery_days: number;
  rating_average: number | null;
  rating_count: number;
  created_at: number;
}

/** Generates and inserts the catalogue; returns every row (paused and deleted ones too). */
async function seedCatalogue(sql: Sql): Promise<Row[]> {
  const random = mulberry32(SEED);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const word = () => random() < 0.12 ? "logo" : pick(VOCABULARY);
  const words = (n: number) => Array.from({ length: n }, word);
  // Two categories with two subcategories each, so place filters meet many gigs.
  const places = TAXONOMY.slice(0, 2).flatMap((c) =>
    c.subcategories.slice(0, 2).map((s) => [c.slug, s.slug] as const)
  );
  const sellers = Array.from({ length: SELLERS }, (_, k) => ({
    user_id: uuid(),
    username: `Seller${k}`,
  }));
  await sql`insert into sellers (user_id, username, display_name, profile_at, level, seller_at)
    select s.user_id, s.username, s.username, now(), 'level_1', now()
    from jsonb_to_recordset(${sql.json(sellers)}::jsonb) as s(user_id uuid, username text)`;
  const epoch = Date.UTC(2026, 0, 1);
  const gigs = Array.from({ length: GIGS }, () => {
    const title = words(3 + Math.floor(random() * 2));
    const tags = [...new Set(words(1 + Math.floor(random() * 2)))];
    const description = words(8);
    const [category, subcategory] = pick(places);
    const seller = pick(sellers);
    const rated = random() < 0.6;
    const count = rated ? 1 + Math.floor(random() * 6) : 0;
    const sum = rated ? count * (3 + Math.floor(random() * 3)) - Math.floor(random() * 2) : 0;
    const status = random() < 0.06 ? "paused" : random() < 0.06 ? "deleted" : "active";
    return {
      id: uuid(),
      seller_id: seller.user_id,
      username: seller.username,
      title: title.join(" "),
      description: description.join(" "),
      tags,
      category,
      subcategory,
      status,
      starting_price: pick(PRICES),
      min_delivery_days: 1 + Math.floor(random() * 10),
      rating_sum: sum,
      rating_count: count,
      // Whole minutes from a small range: many gigs share a publication time.
      created_at: new Date(epoch + Math.floor(random() * 600) * 60_000).toISOString(),
      words: new Set([...title, ...tags, ...description]),
    };
  });
  for (let i = 0; i < gigs.length; i += 500) {
    const batch = gigs.slice(i, i + 500).map(({ words: _, username: __, ...g }) => g);
    await sql`insert into gigs (id, seller_id, title, description, category, subcategory, tags,
        images, packages, currency, starting_price, min_delivery_days, rating_sum, rating_count,
        status, created_at)
      select g.id, g.seller_id, g.title, g.description, g.category, g.subcategory,
        array(select jsonb_array_elements_text(g.tags)), '{}', '[]', 'USD', g.starting_price,
        g.min_delivery_days, g.rating_sum, g.rating_count, g.status, g.created_at
      from jsonb_to_recordset(${sql.json(batch as never)}::jsonb) as g(id uuid, seller_id uuid,
        title text, description text, category text, subcategory text, tags jsonb,
        starting_price bigint, min_delivery_days integer, rating_sum bigint,
        rating_count integer, status text, created_at timestamptz)`;
  }
  await sql.unsafe("analyze gigs");
  // The columns as stored (the rating average is the table's generated column).
  const stored = await sql<{ id: string; rating_average: number | null }[]>`
    select id, rating_average::float8 as rating_average from gigs`;
  const average = new Map(stored.map((r) => [r.id, r.rating_average]));
  return gigs.map((g) => ({
    id: g.id,
    seller_id: g.seller_id,
    username: g.username,
    status: g.status,
    category: g.category,
    subcategory: g.subcategory,
    words: g.words,
    starting_price: g.starting_price,
    min_delivery_days: g.min_delivery_days,
    rating_average: average.get(g.id) ?? null,
    rating_count: g.rating_count,
    created_at: Date.parse(g.created_at),
  }));
}

type Query = Record<string, string>;

const byId = (a: Row, b: Row) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byRating = (a: Row, b: Row) =>
  (a.rating_average === null ? 1 : 0) - (b.rating_average === null ? 1 : 0) ||
  (b.rating_average ?? 0) - (a.rating_average ?? 0) || b.rating_count - a.rating_count ||
  byId(a, b);

/** The reference: every row, filtered and sorted here as the README defines each sort. */
function reference(rows: Row[], query: Query, rank: Map<string, number>): string[] {
  const words = query.q?.split(" ") ?? [];
  const seller = query.seller?.toLowerCase();
  const matches = rows.filter((r) =>
    r.status === "active" &&
    words.every((w) => r.words.has(w)) &&
    (!query.category || r.category === query.category) &&
    (!query.subcategory || r.subcategory === query.subcategory) &&
    (!query.minPrice || r.starting_price >= Number(query.minPrice)) &&
    (!query.maxPrice || r.starting_price <= Number(query.maxPrice)) &&
    (!query.maxDeliveryDays || r.min_delivery_days <= Number(query.maxDeliveryDays)) &&
    (!query.minRating ||
      (r.rating_average !== null && r.rating_average >= Number(query.minRating))) &&
    (!seller || r.seller_id === seller || r.username.toLowerCase() === seller)
  );
  const sort = query.sort ?? "relevance";
  const compare: Record<string, (a: Row, b: Row) => number> = {
    relevance: words.length
      ? (a, b) => rank.get(b.id)! - rank.get(a.id)! || byRating(a, b)
      : byRating,
    price_asc: (a, b) => a.starting_price - b.starting_price || byId(a, b),
    price_desc: (a, b) => b.starting_price - a.starting_price || byId(b, a),
    rating: byRating,
    newest: (a, b) => b.created_at - a.created_at || byId(b, a),
  };
  return matches.sort(compare[sort]).map((r) => r.id);
}

Deno.test("every sort pages through the true order wherever at most MATCH_CAP gigs match, and sorted matches beyond", async (t) => {
  const db = await freshDatabase("gigs_oracle");
  try {
    await migrate(db.sql, MIGRATIONS, [outboxMigration, inboxMigration]);
    const rows = await seedCatalogue(db.sql);
    const sellerId = rows.find((r) => r.username === "Seller3")!.seller_id;
    const keywordQueries = ["", "logo", "logo brand", "mascot", "vector poster"];

    await t.step(
      "the vocabulary matches as plain words: one lexeme each, no widening",
      async () => {
        const lexemes = await db.sql<{ word: string; lexemes: string[] }[]>`
        select w as word, tsvector_to_array(to_tsvector('english', w)) as lexemes
        from unnest(${VOCABULARY}::text[]) as w`;
        const seen = new Set<string>();
        for (const { word, lexemes: found } of lexemes) {
          assert.equal(found.length, 1, `${word} is a stop word or splits`);
          assert.ok(!seen.has(found[0]), `${word} shares its lexeme ${found[0]}`);
          seen.add(found[0]);
          assert.ok(!VOCABULARY.some((o) => o !== word && o.startsWith(word)), word);
        }
        for (const q of keywordQueries.filter(Boolean)) {
          const words = q.split(" ");
          assert.equal(tsqueryOf(await planWords(db.sql, words)), words.join(" & "), q);
        }
      },
    );

    // Each keyword query's rank of every gig, by a plain query over every row.
    const ranks = new Map<string, Map<string, number>>();
    for (const q of keywordQueries.filter(Boolean)) {
      const rank = await db.sql<{ id: string; rank: number }[]>`
        select id, ts_rank(rank_vector, to_tsquery('english', ${
        q.split(" ").join(" & ")
      }))::float8 as rank from gigs`;
      ranks.set(q, new Map(rank.map((r) => [r.id, r.rank])));
    }
    const broad = reference(rows, { q: "logo" }, ranks.get("logo")!).length;
    assert.ok(broad > MATCH_CAP + MAX_LIMIT, `"logo" matches only ${broad}`);

    const filters: Query[] = [
      {},
      { category: TAXONOMY[0].slug },
      { subcategory: TAXONOMY[1].subcategories[0].slug },
      { category: TAXONOMY[0].slug, minPrice: "1000", maxPrice: "5000" },
      { maxDeliveryDays: "4", minRating: "4.5" },
      { seller: "SELLER3" },
      { seller: sellerId, minPrice: "2500" },
      { minRating: "3", maxPrice: "1500", maxDeliveryDays: "8" },
    ];
    const sorts = ["relevance", "price_asc", "price_desc", "rating", "newest"];
    let checked = 0;
    for (const q of keywordQueries) {
      for (const filter of filters) {
        for (const sort of sorts) {
          const query: Query = { ...filter, sort, ...(q ? { q } : {}) };
          const expected = reference(rows, query, ranks.get(q) ?? new Map());
          const label = JSON.stringify(query);
          const limit = MAX_LIMIT;
          const got: string[] = [];
          // Every page, and one past the end (empty).
          for (let page = 1; (page - 1) * limit <= expected.length; page++) {
            const result = await search(
              db.sql,
              normalizeSearch(
                searchQuerySchema.parse({ ...query, page: `${page}`, limit: `${limit}` }),
              ),
            );
            got.push(...result.items.map((item) => item.id));
            assert.equal(result.correctedQuery, null, label);
            if (page === 1) {
              const browse = !q && Object.keys(filter).every((k) => k.endsWith("category"));
              if (browse || expected.length <= MATCH_CAP) {
                assert.equal(result.total, expected.length, label);
                assert.equal(result.totalExact, true, label);
              } else {
                assert.equal(result.total, MATCH_CAP, label);
                assert.equal(result.totalExact, false, label);
              }
            }
          }
          if (!q || expected.length <= MATCH_CAP) {
            assert.deepEqual(got, expected, label);
          } else {
            // Beyond the cap a keyword search orders only the first MATCH_CAP
            // matches the index returns (the gigs README says so): every gig
            // shown matches, none twice, in the sort's order among themselves.
            assert.equal(got.length, MATCH_CAP, label);
            assert.equal(new Set(got).size, got.length, label);
            const shown = new Set(got);
            assert.deepEqual(got, expected.filter((id) => shown.has(id)), label);
          }
          checked++;
        }
      }
    }
    assert.equal(checked, keywordQueries.length * filters.length * sorts.length);
  } finally {
    await db.drop();
  }
});
