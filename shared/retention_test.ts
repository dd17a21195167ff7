import assert from "node:assert/strict";
import type { EventEnvelope } from "./bus.ts";
import { connectDb, migrate, type Sql } from "./db.ts";
import { handleOnce, inboxMigration } from "./inbox.ts";
import type { Logger } from "./log.ts";
import { outboxMigration } from "./outbox.ts";
import { pruneInbox, pruneOutbox, RetentionJob } from "./retention.ts";
import { freshDatabase, quietLogger, waitFor } from "./testing/mod.ts";

const DAY_MS = 86_400_000;

/** A logger that keeps what it is told, to assert on. */
function capturingLogger() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, fields });
  const log: Logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  return { log, lines };
}

async function withTables(prefix: string, fn: (sql: Sql) => Promise<void>) {
  // No service migrations: just the shared tables.
  const emptyDir = await Deno.makeTempDir();
  const db = await freshDatabase(prefix);
  try {
    await migrate(db.sql, new URL(`file://${emptyDir}/`), [outboxMigration, inboxMigration]);
    await fn(db.sql);
  } finally {
    await db.drop();
    await Deno.remove(emptyDir);
  }
}

/** Inserts `count` outbox rows of `type`, published `publishedDaysAgo` days ago (null: unpublished). */
async function outboxRows(
  sql: Sql,
  type: string,
  count: number,
  publishedDaysAgo: number | null,
  occurredDaysAgo = 40,
) {
  await sql`insert into outbox (id, type, data, occurred_at, published_at)
    select gen_random_uuid(), ${type}, '{}',
      now() - make_interval(days => ${occurredDaysAgo}),
      case when ${publishedDaysAgo}::int is null then null
        else now() - make_interval(days => ${publishedDaysAgo}::int) end
    from generate_series(1, ${count})`;
}

async function countByType(sql: Sql, table: "outbox" | "inbox") {
  const rows = await sql<{ type: string; n: number }[]>`
    select type, count(*)::int as n from ${sql(table)} group by type order by type`;
  return Object.fromEntries(rows.map((r) => [r.type, r.n]));
}

Deno.test("pruneOutbox removes old published rows only, in batches until done", async () => {
  await withTables("retention_outbox", async (sql) => {
    await outboxRows(sql, "old.published", 23, 8);
    await outboxRows(sql, "old.unpublished", 3, null);
    await outboxRows(sql, "recent.published", 4, 6);

    // 23 rows in batches of 5: four full batches, then a short one ends the loop.
    assert.equal(await pruneOutbox(sql, { batchSize: 5 }), 23);
    assert.deepEqual(await countByType(sql, "outbox"), {
      "old.unpublished": 3,
      "recent.published": 4,
    });
    assert.equal(await pruneOutbox(sql), 0);
    // A shorter retention takes the recent ones too, never the unpublished.
    assert.equal(await pruneOutbox(sql, { olderThanMs: 5 * DAY_MS }), 4);
    assert.deepEqual(await countByType(sql, "outbox"), { "old.unpublished": 3 });
  });
});

Deno.test("pruneInbox removes old processed ids; a pruned id is accepted again (the trade-off)", async () => {
  await withTables("retention_inbox", async (sql) => {
    await sql`insert into inbox (event_id, type, processed_at)
      select gen_random_uuid(), 'old', now() - interval '31 days' from generate_series(1, 12)`;
    await sql`insert into inbox (event_id, type, processed_at)
      select gen_random_uuid(), 'recent', now() - interval '29 days' from generate_series(1, 2)`;
    const envelope: EventEnvelope = {
      id: crypto.randomUUID(),
      type: "thing.happened",
      occurredAt: new Date().toISOString(),
      data: {},
    };
    let effects = 0;
    const effect = () => Promise.resolve(void effects++);
    assert.equal(await handleOnce(sql, envelope, effect), true);
    await sql`update inbox set processed_at = now() - interval '31 days'
      where event_id = ${envelope.id}`;
    assert.equal(await handleOnce(sql, envelope, effect), false);

    assert.equal(await pruneInbox(sql, { batchSize: 5 }), 13);
    assert.deepEqual(await countByType(sql, "inbox"), { recent: 2 });
    // Its inbox row gone, a redelivery of the same event would be applied again:
    // why INBOX_RETENTION_MS stays far beyond any redelivery or replay window.
    assert.equal(await handleOnce(sql, envelope, effect), true);
    assert.equal(effects, 2);
  });
});

Deno.test("a database without an outbox, inbox or idempotency table is skipped", async () => {
  const db = await freshDatabase("retention_none");
  try {
    assert.equal(await pruneOutbox(db.sql), 0);
    assert.equal(await pruneInbox(db.sql), 0);
    const job = new RetentionJob({ sql: db.sql, log: quietLogger() });
    assert.deepEqual(await job.pruneOnce(), { outbox: 0, inbox: 0, idempotency: 0 });
  } finally {
    await db.drop();
  }
});

Deno.test("the job prunes after start, logs what it removed, and stops", async () => {
  await withTables("retention_job", async (sql) => {
    await outboxRows(sql, "old.published", 7, 8);
    await sql`insert into inbox (event_id, type, processed_at)
      select gen_random_uuid(), 'old', now() - interval '40 days' from generate_series(1, 3)`;
    const { log, lines } = capturingLogger();
    const job = new RetentionJob({ sql, log, batchSize: 2, firstDelayMs: 0 });
    job.start();
    try {
      const pruned = await waitFor(() => lines.find((l) => l.msg === "retention pruned old rows"));
      assert.equal(pruned.level, "info");
      assert.deepEqual(pruned.fields, { outbox: 7, inbox: 3, idempotency: 0 });
    } finally {
      await job.stop();
    }
    assert.deepEqual(await countByType(sql, "outbox"), {});
    assert.deepEqual(await countByType(sql, "inbox"), {});
  });
});

Deno.test("a failed prune is logged, not thrown, and stop() still returns", async () => {
  const db = await freshDatabase("retention_gone");
  // A pool of its own on a database that is then dropped: every prune fails.
  const sql = connectDb(db.url, { max: 1 });
  await db.drop();
  const { log, lines } = capturingLogger();
  const job = new RetentionJob({ sql, log, firstDelayMs: 0 });
  try {
    await assert.rejects(job.pruneOnce());
    job.start();
    const failed = await waitFor(() =>
      lines.find((l) => l.msg.startsWith("retention prune failed"))
    );
    assert.equal(failed.level, "warn");
    assert.ok(failed.fields?.error instanceof Error);
  } finally {
    await job.stop();
    await sql.end({ timeout: 1 });
  }
});

Deno.test("a database that recorded the v1 migrations gets the retention indexes from v2", async () => {
  const emptyDir = await Deno.makeTempDir();
  const db = await freshDatabase("retention_upgrade");
  try {
    const v1 = (migration: { sql: string }, version: string, index: string) => ({
      version,
      sql: migration.sql.replace(new RegExp(`create index if not exists ${index}[^;]*;`), ""),
    });
    const dir = new URL(`file://${emptyDir}/`);
    await migrate(db.sql, dir, [
      v1(outboxMigration, "shared/outbox_v1", "outbox_published_at"),
      v1(inboxMigration, "shared/inbox_v1", "inbox_processed_at"),
    ]);
    await outboxRows(db.sql, "old.published", 2, 8);
    const indexes = async () =>
      (await db.sql`select indexname from pg_indexes where indexname in
        ('outbox_published_at', 'inbox_processed_at') order by indexname`).map((r) => r.indexname);
    assert.deepEqual(await indexes(), []);
    assert.deepEqual(await migrate(db.sql, dir, [outboxMigration, inboxMigration]), [
      "shared/outbox_v2",
      "shared/inbox_v2",
    ]);
    assert.deepEqual(await indexes(), [
      "inbox_processed_at",
      "outbox_published_at",
    ]);
    assert.equal(await pruneOutbox(db.sql), 2);
  } finally {
    await db.drop();
    await Deno.remove(emptyDir);
  }
});
