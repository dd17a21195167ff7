import assert from "node:assert/strict";
import { migrate } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { outboxMigration } from "@mp/shared/outbox";
import { freshDatabase } from "@mp/shared/testing";
import { gigCreateSchema } from "../services/gigs/gig.ts";
import { search } from "../services/gigs/search.ts";
import * as store from "../services/gigs/store.ts";
import { TAXONOMY } from "../services/gigs/taxonomy.ts";
import { planSeller, planSellerGigs } from "../scripts/seed_data.ts";
import { gigRow, insertGigRows, loadSeedGigs, ratingOf, taxonomyOf } from "./gig_catalog.ts";

const MIGRATIONS = new URL("../services/gigs/migrations/", import.meta.url);
const taxonomy = taxonomyOf(TAXONOMY.map((c) => ({ ...c, subcategories: [...c.subcategories] })));

async function gigsDatabase() {
  const db = await freshDatabase("bench_catalog");
  await migrate(db.sql, MIGRATIONS, [outboxMigration, inboxMigration]);
  const sellerId = crypto.randomUUID();
  await store.upsertSeller(db.sql, {
    userId: sellerId,
    username: "bench_seller_0001",
    displayName: "Ada",
    avatarUrl: null,
    level: "new",
    rating: { average: null, count: 0 },
  }, new Date());
  return { db, sellerId };
}

Deno.test("a gig loaded with SQL is stored exactly as the service's own insert stores it", async () => {
  const { db, sellerId } = await gigsDatabase();
  try {
    const seller = planSeller("bench", 3, taxonomy);
    const [{ body }] = planSellerGigs(seller, 10, 40, taxonomy);
    const loaded = gigRow(body, sellerId);
    await insertGigRows(db.sql, [loaded]);
    // The service's path: its schema, then store.insertGig (same requirement ids, to compare).
    const input = gigCreateSchema.parse(body);
    const viaService = crypto.randomUUID();
    await db.sql.begin((tx) =>
      store.insertGig(tx, viaService, sellerId, { ...input, requirements: loaded.requirements })
    );

    const rows = await db.sql`select title, description, category, subcategory, tags, images,
        packages, requirements, faq, currency, starting_price, min_delivery_days, status,
        rating_sum, rating_count, rating_average, search_vector::text as search_vector
      from gigs where id in (${loaded.id}, ${viaService})`;
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], rows[1]);
    assert.ok(String(rows[0].search_vector).length > 0);

    const counts = await db.sql`select active from category_counts
      where category = ${body.category} and subcategory = ${body.subcategory}`;
    assert.deepEqual(counts.map((r) => r.active), [2]);
    const words = body.title.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3);
    const terms = await db.sql`select term from search_terms where term in ${db.sql(words)}`;
    assert.equal(terms.length, new Set(words).size);
  } finally {
    await db.drop();
  }
});

Deno.test("loadSeedGigs() loads the seed's gigs from an index on, folded onto the real sellers, searchable", async () => {
  const { db, sellerId } = await gigsDatabase();
  try {
    const ids = await loadSeedGigs({
      sql: db.sql,
      taxonomy,
      prefix: "bench",
      sellerIds: [sellerId],
      total: 60,
      from: 5,
      ratedShare: 0.5,
      batchSize: 16,
    });
    assert.equal(ids.length, 55);
    assert.equal(new Set(ids).size, 55);
    const [{ n }] = await db.sql`select count(*)::int as n from gigs where seller_id = ${sellerId}`;
    assert.equal(n, 55);
    // Gig 5 is the body the seed posts for index 5 (20 sellers for 60 gigs: plan 5, its first).
    const expected = planSellerGigs(planSeller("bench", 5, taxonomy), 20, 60, taxonomy)[0];
    assert.equal(expected.index, 5);
    const [five] = await db.sql`select title, rating_sum, rating_count from gigs
      where id = ${ids[0]}`;
    assert.equal(five.title, expected.body.title);
    const rating = ratingOf(5, 0.5);
    assert.deepEqual([Number(five.rating_sum), five.rating_count], [rating.sum, rating.count]);
    // The triggers made them findable by keyword and counted them per subcategory.
    const word = expected.body.tags[0].split(" ")[0];
    const found = await search(db.sql, {
      words: [word],
      sort: "relevance",
      page: 1,
      limit: 50,
    });
    assert.ok(found.total > 0);
    const [{ active }] = await db.sql`select sum(active)::int as active from category_counts`;
    assert.equal(active, 55);
  } finally {
    await db.drop();
  }
});
