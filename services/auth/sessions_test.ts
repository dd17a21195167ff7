import assert from "node:assert/strict";
import { authFixture } from "./test_support.ts";

Deno.test("refresh rotates the token; presenting a rotated token revokes the whole family", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    const first = await f.call("POST", "refresh", { refreshToken: alice.refreshToken });
    assert.equal(first.status, 200);
    assert.notEqual(first.body.refreshToken, alice.refreshToken);
    assert.equal(first.body.user.id, alice.user.id);

    // The old token comes back (stolen copy): 401, and the newest token dies with it.
    const replay = await f.call("POST", "refresh", { refreshToken: alice.refreshToken });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.code, "invalid_refresh_token");
    const after = await f.call("POST", "refresh", { refreshToken: first.body.refreshToken });
    assert.equal(after.status, 401);
    const [family] = await f.db.sql`select revoked_reason from refresh_families`;
    assert.equal(family.revoked_reason, "reuse_detected");
  } finally {
    await f.close();
  }
});

Deno.test("refresh refuses unknown, malformed and expired tokens with 401 and a missing one with 400", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    await f.db.sql`update refresh_tokens set expires_at = now() - interval '1 second'`;
    assert.equal(
      (await f.call("POST", "refresh", { refreshToken: alice.refreshToken })).status,
      401,
    );
    assert.equal((await f.call("POST", "refresh", { refreshToken: "A".repeat(43) })).status, 401);
    assert.equal((await f.call("POST", "refresh", { refreshToken: "short" })).status, 401);
    assert.equal((await f.call("POST", "refresh", {})).status, 400);
    assert.equal((await f.call("POST", "refresh", { refreshToken: 5 })).status, 400);
  } finally {
    await f.close();
  }
});

Deno.test("concurrent refreshes of one token: exactly one succeeds, the rest count as reuse", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    const results = await Promise.all(
      Array.from(
        { length: 5 },
        () => f.call("POST", "refresh", { refreshToken: alice.refreshToken }),
      ),
    );
    // Row locks serialise them: the first rotates, the others present a rotated token.
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    const [{ n }] = await f.db.sql`select count(*)::int as n from refresh_tokens`;
    assert.equal(n, 2);
  } finally {
    await f.close();
  }
});

Deno.test("logout revokes the session's family and is idempotent", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    const other = await f.call("POST", "login", { login: "alice", password: alice.password });
    assert.equal(
      (await f.call("POST", "logout", { refreshToken: alice.refreshToken })).status,
      204,
    );
    assert.equal(
      (await f.call("POST", "logout", { refreshToken: alice.refreshToken })).status,
      204,
    );
    assert.equal(
      (await f.call("POST", "refresh", { refreshToken: alice.refreshToken })).status,
      401,
    );
    // Another device's session is untouched.
    assert.equal(
      (await f.call("POST", "refresh", { refreshToken: other.body.refreshToken })).status,
      200,
    );
  } finally {
    await f.close();
  }
});

Deno.test("verify-email consumes the mailed token once and publishes user.email_verified once", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    const [registered] = await f.events("user.registered");
    const token = registered.data.verificationToken;
    const ok = await f.call("POST", "verify-email", { token });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user.emailVerified, true);
    const again = await f.call("POST", "verify-email", { token });
    assert.equal(again.status, 400);
    assert.equal(again.body.code, "invalid_token");
    assert.equal((await f.events("user.email_verified")).length, 1);
    const me = await f.call("GET", "me", undefined, alice.accessToken);
    assert.equal(me.body.user.emailVerified, true);
    // Already verified: no new link.
    const resend = await f.call("POST", "resend-verification", undefined, alice.accessToken);
    assert.equal(resend.status, 409);
  } finally {
    await f.close();
  }
});

Deno.test("resend-verification issues a new token and retires the old one; it needs a signed-in caller", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    const [registered] = await f.events("user.registered");
    assert.equal((await f.call("POST", "resend-verification")).status, 401);
    const res = await f.call("POST", "resend-verification", undefined, alice.accessToken);
    assert.equal(res.status, 202);
    const [requested] = await f.events("user.email_verification_requested");
    assert.notEqual(requested.data.verificationToken, registered.data.verificationToken);
    assert.equal(
      (await f.call("POST", "verify-email", { token: registered.data.verificationToken })).status,
      400,
    );
    assert.equal(
      (await f.call("POST", "verify-email", { token: requested.data.verificationToken })).status,
      200,
    );
  } finally {
    await f.close();
  }
});

Deno.test("verify-email refuses an expired token and changes nothing", async () => {
  const f = await authFixture();
  try {
    await f.signup("alice");
    const [registered] = await f.events("user.registered");
    await f.db.sql`update one_time_tokens set expires_at = now() - interval '1 second'`;
    assert.equal(
      (await f.call("POST", "verify-email", { token: registered.data.verificationToken })).status,
      400,
    );
    const [user] = await f.db.sql`select email_verified_at from users`;
    assert.equal(user.email_verified_at, null);
  } finally {
    await f.close();
  }
});
