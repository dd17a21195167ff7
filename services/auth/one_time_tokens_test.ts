/**
 * One live token per user and purpose: a new one retires the previous, even
 * when several are issued at the same moment (two forgot-password requests
 * whose lookups run together), on a real database.
 */
import assert from "node:assert/strict";
import { migrate } from "@mp/shared/db";
import { outboxMigration } from "@mp/shared/outbox";
import { freshDatabase } from "@mp/shared/testing";
import { consumeOneTimeToken, insertUser, issueOneTimeToken } from "./store.ts";

Deno.test("tokens issued concurrently for one user leave exactly one usable", async () => {
  const db = await freshDatabase("auth_one_time");
  try {
    await migrate(db.sql, new URL("./migrations/", import.meta.url), [outboxMigration]);
    const user = await insertUser(db.sql, {
      id: crypto.randomUUID(),
      email: "alice@example.com",
      username: "alice",
      passwordHash: "x",
      country: null,
    });
    const expiresAt = new Date(Date.now() + 60_000);
    for (let round = 0; round < 5; round++) {
      const hashes = Array.from({ length: 4 }, () => crypto.getRandomValues(new Uint8Array(32)));
      // Each in its own transaction, all at once: the interleaving that raced.
      await Promise.all(hashes.map((hash) =>
        db.sql.begin(async (tx) => {
          await issueOneTimeToken(tx, user.id, "reset_password", hash, expiresAt);
          // Hold the transaction open a moment, so the others start inside it.
          await tx`select pg_sleep(0.02)`;
        })
      ));
      const usable = [];
      for (const hash of hashes) {
        const userId = await db.sql.begin((tx) => consumeOneTimeToken(tx, "reset_password", hash));
        if (userId) usable.push(userId);
      }
      assert.deepEqual(usable, [user.id], `round ${round}: one token of four stays usable`);
    }
  } finally {
    await db.drop();
  }
});
