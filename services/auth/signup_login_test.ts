import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { authFixture } from "./test_support.ts";

Deno.test("signup creates the account, a session and a user.registered event, and stores no secret in clear", async () => {
  const f = await authFixture();
  try {
    const res = await f.call("POST", "signup", {
      email: "Alice@Example.com",
      username: "Alice",
      password: "correct horse battery",
      country: "DE",
    });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body.user).sort(), [
      "country",
      "createdAt",
      "email",
      "emailVerified",
      "id",
      "username",
    ]);
    assert.equal(res.body.user.email, "alice@example.com");
    assert.equal(res.body.user.username, "Alice");
    assert.equal(res.body.user.emailVerified, false);
    assert.match(res.body.refreshToken, /^[A-Za-z0-9_-]{43}$/);

    const [event] = await f.events("user.registered");
    assert.equal(event.data.userId, res.body.user.id);
    assert.equal(event.data.email, "alice@example.com");
    assert.match(event.data.verificationToken, /^[A-Za-z0-9_-]{43}$/);

    const [user] = await f.db.sql`select password_hash from users`;
    assert.match(user.password_hash, /^\$argon2id\$/);
    const dump = JSON.stringify(await f.db.sql`select * from refresh_tokens`) +
      JSON.stringify(await f.db.sql`select * from one_time_tokens`);
    assert.ok(!dump.includes(res.body.refreshToken), "refresh token stored in clear");
    assert.ok(!dump.includes(event.data.verificationToken), "verification token stored in clear");
  } finally {
    await f.close();
  }
});

Deno.test("signup refuses a taken email or username whatever their case, with 409 and no change", async () => {
  const f = await authFixture();
  try {
    await f.signup("alice");
    const before = await f.counts();
    const email = await f.call("POST", "signup", {
      email: "ALICE@example.com",
      username: "other",
      password: "correct horse battery",
    });
    assert.equal(email.status, 409);
    assert.equal(email.body.code, "email_taken");
    assert.equal(email.type, "application/problem+json");
    const name = await f.call("POST", "signup", {
      email: "new@example.com",
      username: "ALICE",
      password: "correct horse battery",
    });
    assert.equal(name.status, 409);
    assert.equal(name.body.code, "username_taken");
    assert.deepEqual(await f.counts(), before);
  } finally {
    await f.close();
  }
});

Deno.test("two concurrent signups for one username: one 201, one 409", async () => {
  const f = await authFixture();
  try {
    const results = await Promise.all(
      [1, 2].map((i) =>
        f.call("POST", "signup", {
          email: `racer${i}@example.com`,
          username: "racer",
          password: "correct horse battery",
        })
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
    assert.equal((await f.counts()).users, 1);
  } finally {
    await f.close();
  }
});

Deno.test("signup rejects bad input with a 4xx problem listing the fields, and creates nothing", async () => {
  const f = await authFixture();
  try {
    const cases: [unknown, number, string[]][] = [
      ["{not json", 400, []],
      [{ email: 42, username: ["x"], password: true }, 400, ["/email", "/username", "/password"]],
      [{ email: "a@example.com", username: "alice", password: "short" }, 400, ["/password"]],
      [{ email: "a@example.com", username: "alice", password: "alice" + "" }, 400, ["/password"]],
      [{ email: "alice@example.com", username: "bob", password: "alice@example.com" }, 400, [
        "/password",
      ]],
      [
        {
          email: "a@example.com",
          username: "alice",
          password: "correct horse",
          emailVerified: true,
        },
        400,
        [
          "/emailVerified",
        ],
      ],
      [
        {
          email: "a@example.com",
          username: "alice",
          password: "correct horse",
          country: "Germany",
        },
        400,
        ["/country"],
      ],
      [{ email: "not-an-email", username: "alice", password: "correct horse" }, 400, ["/email"]],
      [{ email: "a@example.com", username: "alice", password: "x".repeat(5000) }, 400, [
        "/password",
      ]],
    ];
    for (const [body, status, pointers] of cases) {
      const res = await f.call("POST", "signup", body);
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal(res.type, "application/problem+json");
      const got = (res.body.errors ?? []).map((e: { pointer: string }) => e.pointer);
      for (const pointer of pointers) {
        assert.ok(got.includes(pointer), `${pointer} missing in ${got}`);
      }
    }
    const noType = await f.app.request("/api/v1/auth/signup", { method: "POST", body: "{}" });
    assert.equal(noType.status, 415);
    assert.deepEqual(await f.counts(), { users: 0, families: 0, outbox: 0 });
  } finally {
    await f.close();
  }
});

Deno.test("login accepts email or username in any case and answers one 401 for every wrong credential", async () => {
  const f = await authFixture();
  try {
    await f.signup("alice");
    for (const login of ["alice", "ALICE", "alice@example.com", "Alice@Example.com"]) {
      const res = await f.call("POST", "login", { login, password: "correct horse battery" });
      assert.equal(res.status, 200, login);
      assert.equal(res.body.user.username, "alice");
      assert.match(res.body.refreshToken, /^[A-Za-z0-9_-]{43}$/);
    }
    const wrongPassword = await f.call("POST", "login", {
      login: "alice",
      password: "wrong horse battery",
    });
    const unknownUser = await f.call("POST", "login", {
      login: "nobody",
      password: "correct horse battery",
    });
    assert.equal(wrongPassword.status, 401);
    assert.deepEqual(wrongPassword.body, unknownUser.body);
    assert.equal(wrongPassword.body.code, "invalid_credentials");
    const bad = await f.call("POST", "login", { login: "alice", password: "x", extra: 1 });
    assert.equal(bad.status, 400);
  } finally {
    await f.close();
  }
});

Deno.test("me answers the caller's own account and 401 for missing, tampered, foreign, expired or alg:none tokens", async () => {
  const f = await authFixture();
  try {
    const alice = await f.signup("alice");
    const ok = await f.call("GET", "me", undefined, alice.accessToken);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user.id, alice.user.id);

    const [header, payload, signature] = alice.accessToken.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const forged = btoa(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).replace(/=+$/, "")
      .replace(/\+/g, "-").replace(/\//g, "_");
    const none = btoa(JSON.stringify({ alg: "none", typ: "at+jwt" })).replace(/=+$/, "");
    const { createTestKeys } = await import("@mp/shared/testing");
    const stranger = await createTestKeys();
    const bad = [
      undefined,
      "garbage",
      `${header}.${forged}.${signature}`,
      `${none}.${payload}.`,
      await stranger.sign({ sub: alice.user.id, username: "alice" }, { kid: f.keys.kid }),
      await f.keys.sign({ sub: alice.user.id, username: "alice" }, { audience: "someone-else" }),
      await f.keys.sign({ sub: alice.user.id, username: "alice" }, {
        expiresIn: Math.floor(Date.now() / 1000) - 60,
      }),
      await f.keys.sign({ sub: alice.user.id, username: "alice" }, { typ: "JWT" }),
    ];
    for (const token of bad) {
      const res = await f.call("GET", "me", undefined, token);
      assert.equal(res.status, 401, String(token).slice(0, 40));
      assert.equal(res.type, "application/problem+json");
    }
  } finally {
    await f.close();
  }
});

Deno.test("malformed JSON is a 400 malformed_json problem", async () => {
  const f = await authFixture();
  try {
    const res = await f.call("POST", "login", '{"login": ');
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "malformed_json");
  } finally {
    await f.close();
  }
});

Deno.test("a login flood beyond the hashing capacity is refused with 503 and Retry-After, not queued, and changes nothing", async () => {
  const f = await authFixture();
  try {
    await f.signup("alice");
    const before = await f.counts();
    // Two workers with eight waiting each: forty at once cannot all be taken.
    const replies = await Promise.all(
      Array.from({ length: 40 }, () => login(f, "alice")),
    );
    const statuses = replies.map((r) => r.status);
    assert.ok(statuses.includes(200), String(statuses));
    const refused = replies.filter((r) => r.status === 503);
    assert.ok(refused.length > 0, String(statuses));
    assert.ok(statuses.every((s) => s === 200 || s === 503), String(statuses));
    assertBusy(
      refused[0],
      (await Promise.all(replies.map((r) => r.json())))[replies.indexOf(refused[0])],
    );
    // Only the answered logins started sessions.
    const after = await f.counts();
    assert.equal(after.families - before.families, statuses.filter((s) => s === 200).length);
    assert.equal(after.users, before.users);
  } finally {
    await f.close();
  }
});

Deno.test("while the process is slow, logins are throttled and refused sooner with 503, and served again once calm", async () => {
  const governor = { maxDuty: 0.5, minDuty: 0.05, lagLimitMs: 10, periodMs: 100 };
  const f = await authFixture({ governor, maxWaitMs: 1_000 });
  try {
    await f.signup("alice");
    const before = await f.counts();
    // The rest of the process, busy: the event loop falls behind until hashing is at its floor.
    for (let i = 0; f.hasher.state().duty > governor.minDuty; i++) {
      assert.ok(i < 100, `never throttled: duty ${f.hasher.state().duty}`);
      const until = performance.now() + 60;
      while (performance.now() < until) { /* busy */ }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    // At 5 % two workers start a hash every few hundred ms: most of twelve are refused.
    const replies = await Promise.all(Array.from({ length: 12 }, () => login(f, "alice")));
    const statuses = replies.map((r) => r.status);
    const refused = replies.filter((r) => r.status === 503);
    assert.ok(refused.length > 0 && statuses.includes(200), String(statuses));
    assert.ok(statuses.every((s) => s === 200 || s === 503), String(statuses));
    assertBusy(refused[0], await refused[0].json());
    assert.equal(
      (await f.counts()).families - before.families,
      statuses.filter((s) => s === 200).length,
    );
    // Calm again: the duty climbs back and a login is answered.
    await waitFor(() => f.hasher.state().duty === governor.maxDuty, { what: "duty at its cap" });
    assert.equal((await login(f, "alice")).status, 200);
  } finally {
    await f.close();
  }
});

function login(f: Awaited<ReturnType<typeof authFixture>>, name: string) {
  return f.app.request("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: name, password: "correct horse battery" }),
  });
}

/** A 503 `busy` problem with a whole number of seconds to wait. */
function assertBusy(reply: Response, body: { code: string }) {
  assert.equal(reply.status, 503);
  assert.match(reply.headers.get("content-type") ?? "", /^application\/problem\+json/);
  assert.match(reply.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/);
  assert.equal(body.code, "busy");
}
