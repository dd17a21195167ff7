/**
 * Upgrading a gigs database that already holds gigs: migrations 004 (small
 * rows, rank_vector, planner settings) and 005 (keyword index with place) run
 * over rows written under 001–003, and every gig stays searchable as before;
 * 009 (deletion keys of known words) backfills the words of gigs written
 * under 001–008.
 */
import assert from "node:assert/strict";
import { connectDb, migrate, type Sql } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { outboxMigration } from "@mp/shared/outbox";
import { freshDatabase } from "@mp/shared/testing";
import { deletionVariants, normalizeSearch, search, searchQuerySchema } from "./search.ts";
import { MIGRATIONS } from "./test_support.ts";

const SHARED = [outboxMigration, inboxMigration];

/** A directory holding this service's migrations up to and including `last`. */
async function migrationsUpTo(last: string): Promise<URL> {
  const dir = await Deno.makeTempDir({ prefix: "gigs_migrations_" });
  for await (const entry of Deno.readDir(MIGRATIONS)) {
    if (entry.isFile && entry.name.endsWith(".sql") && entry.name <= last) {
      await Deno.copyFile(new URL(entry.name, MIGRATIONS), `${dir}/${entry.name}`);
    }
  }
  return new URL(`file://${dir}/`);
}

async function insertGig(sql: Sql, sellerId: string, title: string, description: string) {
  const [{ id }] = await sql<{ id: string }[]>`
    insert into gigs (id, seller_id, title, description, category, subcategory, tags, packages,
      currency, starting_price, min_delivery_days)
    values (gen_random_uuid(), ${sellerId}, ${title}, ${description}, 'graphics-design',
      'logo-design', ${["branding"]}, '[]', 'USD', 2500, 3)
    returning id`;
  return id;
}

const find = (sql: Sql, query: Record<string, string>) =>
  search(sql, normalizeSearch(searchQuerySchema.parse(query)));

Deno.test("migrations 004 and 005 upgrade a database with gigs: each gets its rank vector, stays searchable, and sessions get the planner settings", async () => {
  const db = await freshDatabase("gigs_upgrade");
  const old = await migrationsUpTo("003");
  try {
    await migrate(db.sql, old, SHARED);
    const sellerId = crypto.randomUUID();
    await db.sql`insert into sellers (user_id, username, display_name, profile_at, level, seller_at)
      values (${sellerId}, 'upgrader', 'Up Grader', now(), 'new', now())`;
    // A row over 2 KB (PostgreSQL toasts it) and a short one.
    const long = await insertGig(
      db.sql,
      sellerId,
      "I will draw a mascot logo",
      `Every mascot is drawn by hand. ${"Sketches, colours and revisions included. ".repeat(80)}` +
        "Zebracorn included.",
    );
    const short = await insertGig(
      db.sql,
      sellerId,
      "I will letter a signature logo",
      "Hand lettered.",
    );

    await migrate(db.sql, MIGRATIONS, SHARED);

    // Each row's rank_vector is title (A) and tags (B), as the trigger computes it.
    const rows = await db.sql<
      { id: string; rank: string; expected: string; description: string }[]
    >`
      select id, rank_vector::text as rank, description,
        (setweight(to_tsvector('english', title), 'A') ||
         setweight(to_tsvector('english', array_to_string(tags, ' ')), 'B'))::text as expected
      from gigs order by title`;
    assert.deepEqual(rows.map((r) => r.id), [long, short]);
    for (const row of rows) assert.equal(row.rank, row.expected);
    assert.match(rows[0].rank, /'mascot':\d+A/);
    assert.match(rows[0].rank, /'brand':\d+B/);
    assert.ok(
      rows[0].description.endsWith("Zebracorn included."),
      "the long description is intact",
    );

    // Title, tag and description words still find the gigs; ranking reads rank_vector.
    assert.equal((await find(db.sql, { q: "logo" })).total, 2);
    assert.deepEqual((await find(db.sql, { q: "mascot" })).items.map((i) => i.id), [long]);
    assert.deepEqual((await find(db.sql, { q: "zebracorn" })).items.map((i) => i.id), [long]);
    assert.deepEqual(
      (await find(db.sql, { q: "branding", subcategory: "logo-design" })).total,
      2,
    );

    // A gig written after the upgrade gets its vectors from the trigger.
    const later = await insertGig(
      db.sql,
      sellerId,
      "I will animate a logo reveal",
      "Smooth motion.",
    );
    const [{ rank }] = await db.sql<{ rank: string }[]>`
      select rank_vector::text as rank from gigs where id = ${later}`;
    assert.match(rank, /'reveal':\d+A/);
    assert.match(rank, /'brand':\d+B/);
    assert.deepEqual((await find(db.sql, { q: "reveal" })).items.map((i) => i.id), [later]);

    // The planner settings hold for new sessions (alter database) and for the
    // session that ran the migration (set).
    const fresh = connectDb(db.url, { max: 1 });
    try {
      const [{ enable_seqscan, jit }] = await fresh<{ enable_seqscan: string; jit: string }[]>`
        select current_setting('enable_seqscan') as enable_seqscan, current_setting('jit') as jit`;
      assert.deepEqual({ enable_seqscan, jit }, { enable_seqscan: "off", jit: "off" });
    } finally {
      await fresh.end({ timeout: 1 });
    }
  } finally {
    await Deno.remove(old, { recursive: true });
    await db.drop();
  }
});

Deno.test("migration 009 keys the words of existing gigs, so their two-edit typos are found; run again it changes nothing", async () => {
  const db = await freshDatabase("gigs_upgrade_keys");
  const old = await migrationsUpTo("008_gig_image_media.sql");
  try {
    await migrate(db.sql, old, SHARED);
    const sellerId = crypto.randomUUID();
    await db.sql`insert into sellers (user_id, username, display_name, profile_at, level, seller_at)
      values (${sellerId}, 'upgrader', 'Up Grader', now(), 'new', now())`;
    const gig = await insertGig(
      db.sql,
      sellerId,
      "I will plan your brand strategy",
      "Workshops and a written plan.",
    );
    assert.deepEqual(await migrate(db.sql, MIGRATIONS, SHARED), ["009_search_term_deletions.sql"]);

    const keysOf = async (term: string) =>
      (await db.sql<{ key: string }[]>`
        select key from search_term_deletions where term = ${term}`).map((r) => r.key).sort();
    assert.deepEqual(await keysOf("strategy"), deletionVariants("strategy").sort());
    assert.deepEqual(await keysOf("branding"), deletionVariants("branding").sort());
    assert.deepEqual(await keysOf("will"), ["will"]);
    // Two edits sharing few trigrams ("stkatgey" 0.12 of "strategy"'s): found through the keys.
    assert.deepEqual((await find(db.sql, { q: "stkatgey" })).items.map((i) => i.id), [gig]);

    // A word first written after the upgrade is keyed by the trigger.
    const later = await insertGig(db.sql, sellerId, "I will film a testimonial", "On location.");
    assert.deepEqual(await keysOf("testimonial"), deletionVariants("testimonial").sort());
    assert.deepEqual((await find(db.sql, { q: "tsetimonail" })).items.map((i) => i.id), [later]);

    // The file applied again (a rerun by hand) leaves the same rows and one trigger.
    const [before] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from search_term_deletions`;
    await db.sql.unsafe(
      await Deno.readTextFile(new URL("009_search_term_deletions.sql", MIGRATIONS)),
    );
    const [after] = await db.sql<{ n: number; triggers: number }[]>`
      select count(*)::int as n,
        (select count(*)::int from pg_trigger where tgname = 'search_terms_keys') as triggers
      from search_term_deletions`;
    assert.deepEqual(after, { n: before.n, triggers: 1 });
  } finally {
    await Deno.remove(old, { recursive: true });
    await db.drop();
  }
});
