/**
 * Reads the planner's choice for the main search shapes on a realistic number
 * of gigs and fails on any sequential scan of the gigs table. The queries
 * explained are the ones the service runs (built by search.ts), not copies.
 */
import assert from "node:assert/strict";
import { migrate, type Sql } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { outboxMigration } from "@mp/shared/outbox";
import { freshDatabase } from "@mp/shared/testing";
import {
  countsQuery,
  itemsQuery,
  keywordQuery,
  MATCH_CAP,
  normalizeSearch,
  search,
  type SearchPlan,
  searchQuerySchema,
  totalQuery,
} from "./search.ts";
import { TAXONOMY } from "./taxonomy.ts";
import { MIGRATIONS } from "./test_support.ts";

const GIGS = 30_000;
const SELLERS = 500;

/**
 * Fills the tables like a live marketplace: 500 sellers, 30,000 gigs over every
 * subcategory with log-uniform prices (5 to 1,000 in major units), delivery 1 to
 * 30 days, half of them rated, 5% paused and 3% deleted, titles and descriptions
 * drawn from a 1,000-word vocabulary, with "logo" in 2% and "design" in 3.3% of
 * titles. Descriptions have 150 words, so rows pass 2 KB and are toasted like a
 * real gig's (small heap rows, vectors out of line): the plans that went wrong
 * at 100,000 gigs appear here too. Deterministic (fixed random seed).
 */
async function seed(sql: Sql) {
  const pairs = TAXONOMY.flatMap((c) => c.subcategories.map((s) => [c.slug, s.slug]));
  await sql.begin(async (tx) => {
    await tx`select setseed(0.42)`;
    await tx`insert into sellers (user_id, username, display_name, profile_at, level, seller_at)
      select gen_random_uuid(), 'seller' || i, 'Seller ' || i, now(), 'level_1', now()
      from generate_series(1, ${SELLERS}) as i`;
    await tx`
      with vocabulary as (
        select array_agg(translate(substr(md5(k::text), 1, 7), '0123456789', 'ghijklmnop')) as w
        from generate_series(1, 1000) as k
      ),
      owners as (select array_agg(user_id order by username) as ids from sellers)
      insert into gigs (id, seller_id, title, description, category, subcategory, tags, images,
        packages, currency, starting_price, min_delivery_days, rating_sum, rating_count, status,
        created_at)
      select gen_random_uuid(),
        owners.ids[1 + i % ${SELLERS}],
        'I will ' || case when i % 50 = 0 then 'logo' else v.w[1 + (i * 7) % 1000] end || ' '
          || case when i % 30 = 0 then 'design' else v.w[1 + (i * 13) % 1000] end || ' '
          || v.w[1 + (i * 31) % 1000] || ' ' || v.w[1 + (i * 17) % 1000],
        (select string_agg(v.w[1 + ((i * 7919 + k * 104729) % 1000)], ' ')
          from generate_series(1, 150) as k),
        (${pairs.map((p) => p[0])}::text[])[1 + i % ${pairs.length}],
        (${pairs.map((p) => p[1])}::text[])[1 + i % ${pairs.length}],
        array[v.w[1 + (i * 3) % 1000], v.w[1 + (i * 11) % 1000]],
        array['https://cdn.example.com/gigs/' || i || '.png'],
        jsonb_build_array(jsonb_build_object(
          'tier', 'basic', 'name', 'Basic', 'description', 'The basic package of this gig.',
          'price', jsonb_build_object('amount', r.price, 'currency', 'USD'),
          'deliveryDays', r.days, 'revisions', 2, 'features', jsonb_build_array('Source files'))),
        'USD', r.price, r.days,
        round(r.reviews * (3 + 2 * r.quality)), r.reviews,
        case when i % 20 = 0 then 'paused' when i % 33 = 0 then 'deleted' else 'active' end,
        now() - make_interval(mins => i)
      from generate_series(1, ${GIGS}) as i
      cross join vocabulary v
      cross join owners
      cross join lateral (select
        (500 * power(200, random()))::bigint as price,
        1 + floor(random() * 30)::int as days,
        case when random() < 0.5 then 1 + floor(random() * 200)::int else 0 end as reviews,
        random() as quality
        where i > 0) r`;
  });
  // Statistics only, no VACUUM: without a visibility map index-only scans look
  // expensive, so this is the harder case for the planner (autovacuum only helps).
  await sql.unsafe("analyze gigs");
  await sql.unsafe("analyze sellers");
  await sql.unsafe("analyze search_terms");
}

// deno-lint-ignore no-explicit-any
type PlanNode = Record<string, any>;

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * Sequential scans of gigs that may read the whole table. A capped count
 * (`limit 1001` over a dense filter such as a wide price range) is rightly a
 * sequential scan that stops early: allowed when its parent is a Limit the
 * planner expects to end within a quarter of the scan.
 */
function fullScansOfGigs(plan: PlanNode, parent?: PlanNode): PlanNode[] {
  const here = plan["Node Type"] === "Seq Scan" && plan["Relation Name"] === "gigs" &&
      !(parent?.["Node Type"] === "Limit" && parent["Total Cost"] < plan["Total Cost"] / 4)
    ? [plan]
    : [];
  return [
    ...here,
    ...(plan.Plans ?? []).flatMap((child: PlanNode) => fullScansOfGigs(child, plan)),
  ];
}

/** Nodes that test keywords on gigs row by row (a Filter with `@@`) instead of through an index. */
function keywordFilters(plan: PlanNode): PlanNode[] {
  return nodes(plan).filter((n) =>
    n["Relation Name"] === "gigs" && String(n.Filter ?? "").includes("@@")
  );
}

/** Names of the indexes the plan reads (gigs' only: other tables' indexes are named otherwise). */
function indexesUsed(plan: PlanNode): Set<string> {
  return new Set(
    nodes(plan).map((n) => n["Index Name"]).filter((name) => name?.startsWith("gigs")),
  );
}

/** The covering indexes of migration 003: a search without keywords reads gigs only through them. */
const COVERING = new Set([
  "gigs_rating",
  "gigs_price",
  "gigs_newest",
  "gigs_delivery",
  "gigs_category_rating",
  "gigs_category_price",
  "gigs_category_newest",
  "gigs_subcategory_rating",
  "gigs_subcategory_price",
  "gigs_subcategory_newest",
  "gigs_seller_active",
]);

function describe(plan: PlanNode): string {
  return nodes(plan).map((n) =>
    `${n["Node Type"]}${n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""}${
      n["Index Name"] ? ` using ${n["Index Name"]}` : ""
    }`
  ).join(" > ");
}

/** The main shapes: keywords, category with price, seller, every sort, and combinations. */
const SHAPES: Record<string, Record<string, string>> = {
  "keyword": { q: "logo" },
  "keyword with a typo": { q: "logo dezign" },
  "keyword prefix": { q: "desi" },
  "keyword sorted by price": { q: "logo", sort: "price_asc" },
  "category and price range": { category: "graphics-design", minPrice: "2000", maxPrice: "5000" },
  "subcategory and price range by price": {
    subcategory: "logo-design",
    minPrice: "2000",
    maxPrice: "5000",
    sort: "price_asc",
  },
  "seller": { seller: "seller42" },
  "seller by newest": { seller: "seller42", sort: "newest" },
  "browse by relevance": {},
  "browse by price up": { sort: "price_asc" },
  "browse by price down": { sort: "price_desc" },
  "browse by rating": { sort: "rating" },
  "browse by newest": { sort: "newest" },
  "category by newest": { category: "programming-tech", sort: "newest" },
  "category by price, deep page": { category: "business", sort: "price_asc", page: "100" },
  "keyword, category, price, delivery and rating": {
    q: "design",
    category: "graphics-design",
    maxPrice: "20000",
    maxDeliveryDays: "7",
    minRating: "4",
  },
  "price range and rating": { minPrice: "1000", maxPrice: "1500", minRating: "4.5" },
  "category and rating by newest": {
    category: "programming-tech",
    minRating: "4.5",
    sort: "newest",
  },
  "three-letter prefix": { q: "des" },
  "two keywords by price": { q: "logo design", sort: "price_asc" },
};

Deno.test("EXPLAIN of the main search shapes on 30,000 gigs: no sequential scan of gigs, keywords through the GIN index, filters through covering indexes, counts stop at the cap", async () => {
  const db = await freshDatabase("gigs_plan");
  try {
    await migrate(db.sql, MIGRATIONS, [outboxMigration, inboxMigration]);
    await seed(db.sql);
    const [{ active }] = await db.sql`select count(*)::int as active from gigs
      where status = 'active'`;
    assert.ok(active > 25_000);

    for (const [shape, query] of Object.entries(SHAPES)) {
      const params = normalizeSearch(searchQuerySchema.parse(query));
      const { words, ...rest } = params;
      const plan: SearchPlan = { ...rest, tsquery: await keywordQuery(db.sql, words) };
      const parts = [["items", itemsQuery], ["counts", countsQuery], [
        "total",
        totalQuery,
      ]] as const;
      for (const [part, sqlQuery] of parts) {
        const [row] = await db.sql`explain (format json) ${sqlQuery(db.sql, plan)}`;
        const root = row["QUERY PLAN"][0].Plan as PlanNode;
        const seqScans = fullScansOfGigs(root);
        assert.equal(seqScans.length, 0, `${shape} (${part}) scans gigs: ${describe(root)}`);
        // Keywords are matched by the GIN index; tested row by row, each test
        // would fetch the gig's out-of-line search_vector.
        assert.equal(
          keywordFilters(root).length,
          0,
          `${shape} (${part}) tests keywords row by row: ${describe(root)}`,
        );
        const used = indexesUsed(root);
        if (plan.tsquery) {
          assert.ok(used.has("gigs_search"), `${shape} (${part}): ${describe(root)}`);
        } else {
          // The page's cards are read by key; everything else from covering indexes.
          const others = [...used].filter((name) => !COVERING.has(name) && name !== "gigs_pkey");
          assert.deepEqual(others, [], `${shape} (${part}): ${describe(root)}`);
        }
        if (Deno.env.get("TEST_LOG") === "debug") {
          console.log(`${shape} (${part}): ${describe(root)}`);
        }
      }
      // And the shape really finds something, so the plan is not of an empty answer.
      const result = await search(db.sql, params);
      assert.ok(result.total > 0, `${shape} finds nothing`);
      if (params.page === 1) assert.ok(result.items.length > 0, `${shape} shows nothing`);
    }

    // Counting stops after MATCH_CAP matches, and the answer says so.
    const run = (query: Record<string, string>) =>
      search(db.sql, normalizeSearch(searchQuerySchema.parse(query)));
    const broad = await run({ minPrice: "1" });
    assert.equal(broad.total, MATCH_CAP);
    assert.equal(broad.totalExact, false);
    assert.equal(broad.facets.approximate, true);
    const broadInCategory = await run({ category: "graphics-design", minPrice: "1" });
    assert.equal(broadInCategory.total, MATCH_CAP);
    assert.equal(broadInCategory.totalExact, false);
    // A browse counts from category_counts: exact however many.
    const browse = await run({});
    assert.equal(browse.total, active);
    assert.equal(browse.totalExact, true);
    assert.equal(browse.facets.approximate, false);
    // Fewer matches than the cap: exact, and the facets add up to the total.
    const narrow = await run({ q: "logo", minPrice: "50000" });
    assert.ok(narrow.total > 0 && narrow.total < MATCH_CAP, `${narrow.total}`);
    assert.equal(narrow.totalExact, true);
    assert.equal(narrow.facets.approximate, false);
    assert.equal(narrow.facets.categories.reduce((n, c) => n + c.count, 0), narrow.total);
  } finally {
    await db.drop();
  }
});
