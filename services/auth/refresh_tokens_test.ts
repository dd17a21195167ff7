import assert from "node:assert/strict";
import { migrate } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { outboxMigration } from "@mp/shared/outbox";
import { freshDatabase } from "@mp/shared/testing";
import {
  endSession,
  judgeRefresh,
  rotateRefreshToken,
  type RotateResult,
  startSession,
} from "./refresh_tokens.ts";
import { insertUser, type RefreshTokenState } from "./store.ts";

const now = new Date("2026-06-01T12:00:00Z");
const live: RefreshTokenState = {
  id: "t1",
  family_id: "f1",
  user_id: "u1",
  expires_at: new Date(now.getTime() + 1),
  used_at: null,
  family_revoked_at: null,
};

Deno.test("judgeRefresh() rotates a live token and names why it refuses the others", () => {
  assert.equal(judgeRefresh(live, now), "rotate");
  assert.equal(judgeRefresh(undefined, now), "unknown");
  assert.equal(judgeRefresh({ ...live, family_revoked_at: now }, now), "revoked");
  assert.equal(judgeRefresh({ ...live, used_at: now }, now), "reused");
  assert.equal(judgeRefresh({ ...live, expires_at: now }, now), "expired", "expiry is exclusive");
  // A revoked family wins over reuse: its tokens are dead, nothing more to revoke.
  assert.equal(judgeRefresh({ ...live, used_at: now, family_revoked_at: now }, now), "revoked");
});

/** A logger that keeps its warnings, to assert on. */
function warnings() {
  const seen: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    debug: () => {},
    info: () => {},
    warn: (msg, fields) => void seen.push({ msg, fields }),
    error: () => {},
  };
  return { log, seen };
}

async function withUser(
  fn: (db: Awaited<ReturnType<typeof freshDatabase>>, userId: string) => Promise<void>,
) {
  const db = await freshDatabase("auth_refresh");
  try {
    await migrate(db.sql, new URL("./migrations/", import.meta.url), [outboxMigration]);
    const user = await insertUser(db.sql, {
      id: crypto.randomUUID(),
      email: "alice@example.com",
      username: "alice",
      passwordHash: "x",
      country: null,
    });
    await fn(db, user.id);
  } finally {
    await db.drop();
  }
}

const issued = (result: RotateResult) => {
  if (!result.ok) throw new Error(`refused: ${result.verdict}`);
  return result;
};

Deno.test("rotateRefreshToken() replaces the token in its family; the rotated one coming back revokes the family", async () => {
  await withUser(async (db, userId) => {
    const { log, seen } = warnings();
    const options = { lifetimeMs: 60_000, log };
    const first = await startSession(db.sql, userId, 60_000);
    assert.ok(first.expiresAt.getTime() > Date.now());

    const second = issued(await rotateRefreshToken(db.sql, first.token, options));
    assert.equal(second.user.id, userId);
    assert.notEqual(second.refresh.token, first.token);
    const third = issued(await rotateRefreshToken(db.sql, second.refresh.token, options));
    assert.equal(seen.length, 0);

    // A copy of the first token is presented: reuse; the family ends, the newest token with it.
    assert.deepEqual(await rotateRefreshToken(db.sql, first.token, options), {
      ok: false,
      verdict: "reused",
    });
    assert.deepEqual(await rotateRefreshToken(db.sql, third.refresh.token, options), {
      ok: false,
      verdict: "revoked",
    });
    const families = await db.sql`select user_id, revoked_reason from refresh_families`;
    assert.deepEqual([...families], [{ user_id: userId, revoked_reason: "reuse_detected" }]);
    const [{ n }] = await db.sql`select count(*)::int as n from refresh_tokens`;
    assert.equal(n, 3, "a refused refresh issues nothing");
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.msg, "refresh token reuse, family revoked");
    assert.equal(seen[0]?.fields?.userId, userId);
  });
});

Deno.test("rotateRefreshToken() refuses malformed, unknown and expired tokens and changes nothing", async () => {
  await withUser(async (db, userId) => {
    const options = { lifetimeMs: 60_000, log: warnings().log };
    const session = await startSession(db.sql, userId, 60_000);
    assert.deepEqual(await rotateRefreshToken(db.sql, "short", options), {
      ok: false,
      verdict: "unknown",
    });
    assert.deepEqual(await rotateRefreshToken(db.sql, "A".repeat(43), options), {
      ok: false,
      verdict: "unknown",
    });
    await db.sql`update refresh_tokens set expires_at = now() - interval '1 second'`;
    assert.deepEqual(await rotateRefreshToken(db.sql, session.token, options), {
      ok: false,
      verdict: "expired",
    });
    const [state] = await db.sql`select t.used_at, f.revoked_at from refresh_tokens t
      join refresh_families f on f.id = t.family_id`;
    assert.deepEqual({ ...state }, { used_at: null, revoked_at: null });
  });
});

Deno.test("rotateRefreshToken() called concurrently with one token rotates it once and revokes the family once", async () => {
  await withUser(async (db, userId) => {
    const options = { lifetimeMs: 60_000, log: warnings().log };
    const session = await startSession(db.sql, userId, 60_000);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => rotateRefreshToken(db.sql, session.token, options)),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);
    // Row locks serialise them: the next one finds a rotated token and ends the family,
    // the others find it ended.
    const refused = results.flatMap((r) => r.ok ? [] : [r.verdict]).sort();
    assert.deepEqual(refused, ["reused", "revoked", "revoked"]);
  });
});

Deno.test("endSession() revokes the token's family as a logout; an unknown or malformed token changes nothing", async () => {
  await withUser(async (db, userId) => {
    const options = { lifetimeMs: 60_000, log: warnings().log };
    const kept = await startSession(db.sql, userId, 60_000);
    const ended = await startSession(db.sql, userId, 60_000);
    await endSession(db.sql, "not a token");
    await endSession(db.sql, "A".repeat(43));
    await endSession(db.sql, ended.token);
    await endSession(db.sql, ended.token); // twice is fine
    assert.deepEqual(await rotateRefreshToken(db.sql, ended.token, options), {
      ok: false,
      verdict: "revoked",
    });
    issued(await rotateRefreshToken(db.sql, kept.token, options));
    const reasons = await db
      .sql`select revoked_reason from refresh_families order by revoked_reason`;
    assert.deepEqual(reasons.map((r) => r.revoked_reason), ["logout", null]);
  });
});
