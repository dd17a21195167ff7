import assert from "node:assert/strict";
import { authFixture } from "./test_support.ts";

Deno.test("forgot-password answers the same for known and unknown emails; only a known one gets a reset event", async () => {
  const f = await authFixture();
  try {
    await f.signup("alice");
    const unknown = await f.call("POST", "forgot-password", { email: "nobody@example.com" });
    const known = await f.call("POST", "forgot-password", { email: "ALICE@example.com" });
    assert.equal(unknown.status, 202);
    assert.deepEqual(unknown, known);
    const events = await f.eventsEventually("user.password_reset_requested");
    assert.equal(events.length, 1);
    assert.equal(events[0].data.email, "alice@example.com");
    assert.equal((await f.call("POST", "forgot-password", { email: "not an email" })).status, 400);
  } finally {
    await f.close();
  }
});

Deno.test("forgot-password answers before it looks the email up, so known and unknown emails cost the same", async () => {
  const f = await authFixture();
  const holder = await f.db.sql.reserve();
  let locked = false;
  try {
    await f.signup("alice");
    // While the users table is locked, any lookup would wait: an answer now
    // proves the answer does not depend on the account (nor on its timing).
    await holder`begin`;
    await holder`lock table users in access exclusive mode`;
    locked = true;
    for (const email of ["alice@example.com", "nobody@example.com"]) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const answer = await Promise.race([
        f.call("POST", "forgot-password", { email }),
        new Promise<"waited">((resolve) => timer = setTimeout(() => resolve("waited"), 5_000)),
      ]);
      clearTimeout(timer);
      assert.notEqual(answer, "waited", `${email}: forgot-password waited on the database`);
      assert.equal((answer as { status: number }).status, 202);
    }
    assert.equal((await f.events("user.password_reset_requested")).length, 0);
    await holder`rollback`;
    locked = false;
    // The work still happens, afterwards, for the known email only.
    const [event] = await f.eventsEventually("user.password_reset_requested");
    assert.equal(event.data.email, "alice@example.com");
  } finally {
    if (locked) await holder`rollback`;
    holder.release();
    await f.close();
  }
});

Deno.test("reset-password sets the new password, signs out every session, and its token works once", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    await f.call("POST", "forgot-password", { email: "alice@example.com" });
    const [{ data }] = await f.eventsEventually("user.password_reset_requested");
    const reset = await f.call("POST", "reset-password", {
      token: data.resetToken,
      password: "brand new secret",
    });
    assert.equal(reset.status, 200);
    assert.equal(
      (await f.call("POST", "refresh", { refreshToken: alice.refreshToken })).status,
      401,
    );
    assert.equal(
      (await f.call("POST", "login", { login: "alice", password: alice.password })).status,
      401,
    );
    assert.equal(
      (await f.call("POST", "login", { login: "alice", password: "brand new secret" })).status,
      200,
    );
    const reuse = await f.call("POST", "reset-password", {
      token: data.resetToken,
      password: "another secret 1",
    });
    assert.equal(reuse.status, 400);
    assert.equal(
      (await f.call("POST", "login", { login: "alice", password: "brand new secret" })).status,
      200,
    );
    const [changed] = await f.events("user.password_changed");
    assert.equal(changed.data.via, "reset");
  } finally {
    await f.close();
  }
});

Deno.test("reset-password refuses an expired token, a weak password and a verify-email token, changing nothing", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    const [registered] = await f.events("user.registered");
    await f.call("POST", "forgot-password", { email: "alice@example.com" });
    const [{ data }] = await f.eventsEventually("user.password_reset_requested");
    const [before] = await f.db.sql`select password_hash from users`;

    const weak = await f.call("POST", "reset-password", {
      token: data.resetToken,
      password: "alice" + "@example.com",
    });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.errors[0].pointer, "/password");
    const wrongPurpose = await f.call("POST", "reset-password", {
      token: registered.data.verificationToken,
      password: "brand new secret",
    });
    assert.equal(wrongPurpose.status, 400);
    await f.db
      .sql`update one_time_tokens set expires_at = now() - interval '1 second' where purpose = 'reset_password'`;
    const expired = await f.call("POST", "reset-password", {
      token: data.resetToken,
      password: "brand new secret",
    });
    assert.equal(expired.status, 400);
    assert.equal(expired.body.code, "invalid_token");

    const [after] = await f.db.sql`select password_hash from users`;
    assert.equal(after.password_hash, before.password_hash);
    assert.equal(
      (await f.call("POST", "refresh", { refreshToken: alice.refreshToken })).status,
      200,
    );
    assert.equal((await f.events("user.password_changed")).length, 0);
  } finally {
    await f.close();
  }
});

Deno.test("change-password needs the current password, signs out every session and publishes user.password_changed", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    const noAuth = await f.call("POST", "change-password", {
      currentPassword: alice.password,
      newPassword: "x",
    });
    assert.equal(noAuth.status, 401);
    const wrong = await f.call("POST", "change-password", {
      currentPassword: "not my password",
      newPassword: "brand new secret",
    }, alice.accessToken);
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.code, "wrong_password");
    const same = await f.call("POST", "change-password", {
      currentPassword: alice.password,
      newPassword: alice.password,
    }, alice.accessToken);
    assert.equal(same.status, 400);
    assert.equal((await f.events("user.password_changed")).length, 0);

    const ok = await f.call("POST", "change-password", {
      currentPassword: alice.password,
      newPassword: "brand new secret",
    }, alice.accessToken);
    assert.equal(ok.status, 204);
    assert.equal(
      (await f.call("POST", "refresh", { refreshToken: alice.refreshToken })).status,
      401,
    );
    assert.equal(
      (await f.call("POST", "login", { login: "alice", password: "brand new secret" })).status,
      200,
    );
    const [changed] = await f.events("user.password_changed");
    assert.equal(changed.data.via, "change");
  } finally {
    await f.close();
  }
});
