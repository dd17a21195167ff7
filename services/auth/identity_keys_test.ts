import assert from "node:assert/strict";
import { migrate } from "@mp/shared/db";
import { createTokenVerifier } from "@mp/shared/jwt";
import { outboxMigration } from "@mp/shared/outbox";
import { createTestKeys, freshDatabase, quietLogger } from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { backfillIdentityKeys } from "./identity_keys.ts";
import { createPasswordHasher } from "./password.ts";

const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** A database at migration 001 only, as auth stood before the canonical keys. */
async function databaseBefore002() {
  const db = await freshDatabase("auth_upgrade");
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(new URL("001_init.sql", MIGRATIONS), `${dir}/001_init.sql`);
  await migrate(db.sql, new URL(`file://${dir}/`), [outboxMigration]);
  await Deno.remove(dir, { recursive: true });
  return db;
}

Deno.test("migration 002 and the backfill give accounts created before them their canonical keys; they keep signing in", async () => {
  const db = await databaseBefore002();
  const hasher = createPasswordHasher({ workers: 1 });
  try {
    const passwordHash = await hasher.hash("correct horse battery");
    // Accounts as the old code stored them: email lower-cased, username in its own case.
    const legacy = [
      { email: "victim@example.com", username: "Victim" },
      { email: "strasse@example.com", username: "Strasse" },
      { email: "finn@example.com", username: "FINN_01" },
    ];
    for (const account of legacy) {
      await db.sql`insert into users (id, email, username, password_hash)
        values (${crypto.randomUUID()}, ${account.email}, ${account.username}, ${passwordHash})`;
    }

    assert.deepEqual(await migrate(db.sql, MIGRATIONS, [outboxMigration]), [
      "002_identity_keys.sql",
    ]);
    const outcome = await backfillIdentityKeys(db.sql, quietLogger(), 2); // batches of 2: paging too
    assert.deepEqual(outcome, { updated: 3, conflicts: [] });
    const keys = await db.sql`select email_key, username_key from users order by username_key`;
    assert.deepEqual(keys.map((r) => ({ ...r })), [
      { email_key: "finn@example.com", username_key: "finn_01" },
      { email_key: "strasse@example.com", username_key: "strasse" },
      { email_key: "victim@example.com", username_key: "victim" },
    ]);
    // Idempotent: a second start finds nothing to do.
    assert.deepEqual(await backfillIdentityKeys(db.sql, quietLogger()), {
      updated: 0,
      conflicts: [],
    });

    const keysOf = await createTestKeys();
    const { app } = createApp({
      sql: db.sql,
      hasher,
      log: quietLogger(),
      verifier: createTokenVerifier({
        jwks: keysOf.jwks,
        issuer: keysOf.issuer,
        audience: keysOf.audience,
      }),
      lifetimes: { refreshMs: 86_400_000, verifyEmailMs: 86_400_000, resetPasswordMs: 3_600_000 },
    });
    const post = async (path: string, body: unknown) => {
      const res = await app.request(`/api/v1/auth/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    for (
      const login of ["victim", "VİCTİM", "ｖｉｃｔｉｍ", "victim@example.com", "straße", "finn_01"]
    ) {
      const res = await post("login", { login, password: "correct horse battery" });
      assert.equal(res.status, 200, login);
    }
    const taken = await post("signup", {
      email: "new@example.com",
      username: "VICTIM",
      password: "correct horse battery",
    });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, "username_taken");
  } finally {
    hasher.close();
    await db.drop();
  }
});

Deno.test("the backfill leaves an old account whose canonical name another one holds without that key, and says so", async () => {
  const db = await databaseBefore002();
  try {
    // lower() told these apart; the full case fold does not. The data could
    // only have come in by hand (the schemas always kept usernames ASCII).
    const first = crypto.randomUUID();
    const second = crypto.randomUUID();
    await db.sql`insert into users (id, email, username, password_hash) values
      (${first}, 'one@example.com', 'strasse', 'x'), (${second}, 'two@example.com', 'straße', 'x')`;
    await migrate(db.sql, MIGRATIONS, [outboxMigration]);
    const outcome = await backfillIdentityKeys(db.sql, quietLogger());
    assert.equal(outcome.updated, 1);
    assert.equal(outcome.conflicts.length, 1);
    const rows = await db.sql<{ id: string; username_key: string | null }[]>`select id,
      username_key from users order by email`;
    assert.equal(rows.filter((r) => r.username_key === "strasse").length, 1);
    assert.deepEqual(rows.find((r) => r.username_key === null)?.id, outcome.conflicts[0]);
  } finally {
    await db.drop();
  }
});
