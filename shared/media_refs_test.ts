/**
 * The media replica against real PostgreSQL and RabbitMQ: its migration through the kit's runner,
 * `media.uploaded` consumed idempotently, and `requireOwnedMedia`'s refusals and its wait for an
 * event that is still on its way.
 */
import assert from "node:assert/strict";
import { inboxMigration } from "./inbox.ts";
import {
  MEDIA_NOT_USABLE,
  mediaRefsMigration,
  mediaUploadedHandler,
  migrateMediaRefs,
  requireOwnedMedia,
} from "./media_refs.ts";
import { AppError } from "./problem.ts";
import {
  consumerHarness,
  envelope,
  freshDatabase,
  quietLogger,
  settleAll,
  testBus,
  type TestDatabase,
} from "./testing/mod.ts";
import { migrate } from "./db.ts";

const log = quietLogger();

function uploaded(ownerId: string, purpose = "avatar", extra: Record<string, unknown> = {}) {
  return {
    mediaId: crypto.randomUUID(),
    ownerId,
    purpose,
    contentType: "image/png",
    size: 1234,
    name: "me.png",
    uploadedAt: new Date().toISOString(),
    ...extra,
  };
}

async function serviceDir(): Promise<URL> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/001_init.sql`, "create table things (id int primary key);");
  return new URL(`file://${dir}/`);
}

async function withReplica(
  fn: (db: TestDatabase, insert: (data: ReturnType<typeof uploaded>) => Promise<void>) => unknown,
) {
  const db = await freshDatabase("media_refs");
  try {
    await migrate(db.sql, await serviceDir(), [inboxMigration, mediaRefsMigration]);
    const handler = mediaUploadedHandler({ sql: db.sql, log });
    await fn(db, (data) => handler(envelope("media.uploaded", data), {}));
  } finally {
    await db.drop();
  }
}

/** Runs `fn`, expecting the 422 problem; answers its field errors. */
async function refused(fn: () => Promise<unknown>) {
  const error = await fn().then(() => undefined, (e) => e);
  assert.ok(error instanceof AppError, `expected a refusal, got ${error}`);
  assert.equal(error.status, 422);
  assert.equal(error.code, MEDIA_NOT_USABLE);
  return error.extra.errors as { pointer: string; detail: string }[];
}

Deno.test("migrateMediaRefs adds the replica after a service's own migrations, once", async () => {
  const db = await freshDatabase("media_refs_migrate");
  try {
    const dir = await serviceDir();
    await migrate(db.sql, dir);
    await migrateMediaRefs(db.sql, dir);
    await migrateMediaRefs(db.sql, dir);
    const versions = (await db.sql<{ version: string }[]>`
      select version from schema_migrations order by version`).map((r) => r.version);
    assert.deepEqual(versions, ["001_init.sql", "shared/media_refs_v1"]);
    const [{ count }] = await db.sql`select count(*)::int from media_refs`;
    assert.equal(count, 0);
  } finally {
    await db.drop();
  }
});

Deno.test("media.uploaded over RabbitMQ: one row per file, redeliveries change nothing, a URL fills in", async () => {
  const db = await freshDatabase("media_refs_events");
  const broker = testBus("media_refs");
  const harness = await (async () => {
    await migrate(db.sql, await serviceDir(), [inboxMigration, mediaRefsMigration]);
    return await consumerHarness({
      broker,
      service: "media-refs-test",
      handlers: { "media.uploaded": mediaUploadedHandler({ sql: db.sql, log }) },
      log,
    });
  })();
  try {
    const owner = crypto.randomUUID();
    const data = uploaded(owner, "gig_image", { unknownField: "ignored" });
    const event = envelope("media.uploaded", data);
    await harness.deliver(event);
    await harness.deliver(event); // redelivered: the inbox has it
    const again = envelope("media.uploaded", { ...data, url: "http://store.test/media/x.png" });
    await harness.deliver(again); // the same file under a new event id (a repeated relay)
    const rows = await db.sql`select * from media_refs`;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].id, data.mediaId);
    assert.equal(rows[0].owner_id, owner);
    assert.equal(rows[0].purpose, "gig_image");
    assert.equal(rows[0].content_type, "image/png");
    assert.equal(Number(rows[0].size), 1234);
    assert.equal(rows[0].url, "http://store.test/media/x.png");

    // A malformed event is a poison message: tried, never handled, nothing stored.
    const bad = envelope("media.uploaded", { ...uploaded(owner), mediaId: "not-a-uuid" });
    await harness.deliver(bad, "attempted");
    assert.equal(harness.count(bad.id), 0);
    const [{ count }] = await db.sql`select count(*)::int from media_refs`;
    assert.equal(count, 1);
  } finally {
    await settleAll([() => harness.close(), () => broker.cleanup(), () => db.drop()]);
  }
});

Deno.test("requireOwnedMedia accepts the caller's files of the purpose, in the order asked", async () => {
  await withReplica(async ({ sql }, insert) => {
    const owner = crypto.randomUUID();
    const a = uploaded(owner, "gig_image", { url: "http://store.test/a.png" });
    const b = uploaded(owner, "gig_image");
    await insert(a);
    await insert(b);
    const refs = await requireOwnedMedia(sql, [b.mediaId, a.mediaId], owner, "gig_image", "ids");
    assert.deepEqual(refs.map((r) => r.id), [b.mediaId, a.mediaId]);
    assert.equal(refs[1].url, "http://store.test/a.png");
    assert.equal(refs[0].url, null);
    assert.equal(refs[0].size, 1234);
    // Upper-case spelling of the same id is the same file.
    const [same] = await requireOwnedMedia(sql, a.mediaId.toUpperCase(), owner, "gig_image", "x");
    assert.equal(same.id, a.mediaId);
    assert.deepEqual(await requireOwnedMedia(sql, [], owner, "gig_image", "ids"), []);
    // Where the file is shown by its URL, one without is refused.
    const noUrl = await refused(() =>
      requireOwnedMedia(sql, [a.mediaId, b.mediaId], owner, "gig_image", "ids", {
        publicUrl: true,
      })
    );
    assert.deepEqual(noUrl, [{ pointer: "/ids/1", detail: `${b.mediaId} has no public URL.` }]);
  });
});

Deno.test("requireOwnedMedia refuses another user's file and another purpose at once, naming the field", async () => {
  await withReplica(async ({ sql }, insert) => {
    const owner = crypto.randomUUID();
    const stranger = crypto.randomUUID();
    const theirs = uploaded(stranger, "avatar");
    const mine = uploaded(owner, "avatar");
    const mineAsGig = uploaded(owner, "gig_image");
    await insert(theirs);
    await insert(mine);
    await insert(mineAsGig);
    // A long wait would show: known files are never waited for.
    const options = { waitMs: 60_000 };
    const single = await refused(() =>
      requireOwnedMedia(sql, theirs.mediaId, owner, "avatar", "avatarMediaId", options)
    );
    assert.deepEqual(single, [{
      pointer: "/avatarMediaId",
      detail: `${theirs.mediaId} is not a ready file of yours.`,
    }]);
    const listed = await refused(() =>
      requireOwnedMedia(
        sql,
        [mine.mediaId, mineAsGig.mediaId, theirs.mediaId],
        owner,
        "avatar",
        "imageMediaIds",
        options,
      )
    );
    assert.deepEqual(listed.map((e) => e.pointer), ["/imageMediaIds/1", "/imageMediaIds/2"]);
    assert.match(listed[0].detail, /uploaded as gig_image, not as avatar/);
    // The stranger may use their own.
    const [ok] = await requireOwnedMedia(sql, theirs.mediaId, stranger, "avatar", "a");
    assert.equal(ok.ownerId, stranger);
  });
});

Deno.test("requireOwnedMedia waits for an event still on its way, and refuses an id never announced", async () => {
  await withReplica(async ({ sql }, insert) => {
    const owner = crypto.randomUUID();
    const late = uploaded(owner, "avatar");
    // The client used the id before its media.uploaded arrived.
    const arriving = new Promise((resolve) => setTimeout(resolve, 300)).then(() => insert(late));
    const [ref] = await requireOwnedMedia(sql, late.mediaId, owner, "avatar", "avatarMediaId");
    await arriving;
    assert.equal(ref.id, late.mediaId);

    const unknown = crypto.randomUUID();
    const started = Date.now();
    const errors = await refused(() =>
      requireOwnedMedia(sql, [late.mediaId, unknown], owner, "avatar", "ids", { waitMs: 400 })
    );
    assert.ok(Date.now() - started >= 400, "refused before the wait was over");
    assert.deepEqual(errors, [{
      pointer: "/ids/1",
      detail: `${unknown} is not a ready file of yours.`,
    }]);

    // Not an id at all: refused like an unknown one, without reaching SQL's uuid cast.
    const garbage = await refused(() =>
      requireOwnedMedia(sql, ["'; drop table media_refs; --"], owner, "avatar", "ids", {
        waitMs: 0,
      })
    );
    assert.equal(garbage[0].pointer, "/ids/0");
    const [{ count }] = await sql`select count(*)::int from media_refs`;
    assert.equal(count, 1);
  });
});
