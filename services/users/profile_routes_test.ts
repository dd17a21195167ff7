/**
 * `/api/v1/users/*` through `createApp()` on real PostgreSQL, with profiles
 * created by `user.registered` events consumed from real RabbitMQ.
 */
import assert from "node:assert/strict";
import { createTestKeys } from "@mp/shared/testing";
import { MAX_BODY_BYTES } from "./app.ts";
import { usersFixture } from "./test_support.ts";

const PUBLIC_KEYS = [
  "avatarUrl",
  "bio",
  "country",
  "displayName",
  "isSeller",
  "languages",
  "memberSince",
  "ratings",
  "username",
];
const EMPTY_RATING = {
  average: null,
  count: 0,
  histogram: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 },
};

Deno.test("user.registered creates a profile: /users/me shows the private fields, /users/{username} only public ones", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("Ada", { country: "DE" });
    const [row] = await f.db.sql`select member_since from profiles`;

    const me = await f.call("GET", "/api/v1/users/me", undefined, ada.token);
    assert.equal(me.status, 200);
    assert.equal(me.headers.get("cache-control"), "private, no-store");
    assert.deepEqual(me.body, {
      username: "Ada",
      displayName: "Ada",
      avatarUrl: null,
      country: "DE",
      bio: "",
      languages: [],
      memberSince: row.member_since.toISOString(),
      isSeller: false,
      ratings: { asSeller: EMPTY_RATING, asBuyer: EMPTY_RATING },
      email: "ada@example.com",
      emailVerified: false,
      timeZone: null,
    });

    for (const name of ["Ada", "ada", "ADA"]) {
      const open = await f.call("GET", `/api/v1/users/${name}`);
      assert.equal(open.status, 200, name);
      assert.deepEqual(Object.keys(open.body).sort(), PUBLIC_KEYS);
      const text = JSON.stringify(open.body);
      assert.ok(!text.includes("ada@example.com"), "email leaked");
      assert.ok(!text.includes(ada.userId), "id leaked");
      assert.ok(!("timeZone" in open.body) && !("emailVerified" in open.body));
    }

    // user.email_verified flips the private flag.
    await f.deliver("user.email_verified", {
      userId: ada.userId,
      email: ada.email,
      username: "Ada",
    });
    const verified = await f.call("GET", "/api/v1/users/me", undefined, ada.token);
    assert.equal(verified.body.emailVerified, true);
  } finally {
    await f.close();
  }
});

Deno.test("PATCH /users/me changes the editable fields, publishes user.profile_updated, and a repeat publishes nothing", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { country: "DE" });
    const patch = {
      displayName: "  Ada Lovelace ",
      bio: "Analyst.\r\nPoet of science.",
      country: "GB",
      languages: ["en", "fr", "pt-BR"],
      avatarUrl: "https://cdn.example.com/ada.png",
      timeZone: "europe/london",
    };
    const res = await f.call("PATCH", "/api/v1/users/me", patch, ada.token);
    assert.equal(res.status, 200);
    assert.equal(res.body.displayName, "Ada Lovelace");
    assert.equal(res.body.bio, "Analyst.\nPoet of science.");
    assert.equal(res.body.country, "GB");
    assert.deepEqual(res.body.languages, ["en", "fr", "pt-BR"]);
    assert.equal(res.body.avatarUrl, "https://cdn.example.com/ada.png");
    assert.equal(res.body.timeZone, "Europe/London");
    assert.equal(res.body.username, "ada");

    const events = await f.outbox("user.profile_updated");
    assert.equal(events.length, 1);
    assert.deepEqual(events[0].data, {
      userId: ada.userId,
      username: "ada",
      displayName: "Ada Lovelace",
      avatarUrl: "https://cdn.example.com/ada.png",
      country: "GB",
      version: 2,
    });

    // The same values again: 200, nothing stored, nothing announced.
    const again = await f.call("PATCH", "/api/v1/users/me", patch, ada.token);
    assert.equal(again.status, 200);
    assert.equal((await f.outbox()).length, 1);

    // null clears an optional field.
    const cleared = await f.call(
      "PATCH",
      "/api/v1/users/me",
      { avatarUrl: null, country: null, timeZone: null },
      ada.token,
    );
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.avatarUrl, null);
    assert.equal(cleared.body.country, null);
    assert.equal(cleared.body.timeZone, null);
    const [, second] = await f.outbox("user.profile_updated");
    assert.equal(second.data.version, 3);
    assert.equal(second.data.avatarUrl, null);
    // A non-seller gets no seller event.
    assert.equal((await f.outbox("seller.updated")).length, 0);
  } finally {
    await f.close();
  }
});

Deno.test("PATCH /users/me rejects fields a user may not set (mass assignment) with a 400 naming the field, and changes nothing", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada");
    const before = await f.snapshot();
    const forbidden: Record<string, unknown> = {
      username: "root",
      rating: 5,
      ratings: { asSeller: { average: 5, count: 1000 } },
      level: "top_rated",
      id: crypto.randomUUID(),
      userId: crypto.randomUUID(),
      createdAt: "2001-01-01T00:00:00Z",
      updatedAt: "2001-01-01T00:00:00Z",
      memberSince: "2001-01-01T00:00:00Z",
      email: "other@example.com",
      emailVerified: true,
      isSeller: true,
      seller: { level: "top_rated" },
      version: 99,
    };
    for (const [field, value] of Object.entries(forbidden)) {
      // Alongside a valid change, which must not be applied either.
      const res = await f.call(
        "PATCH",
        "/api/v1/users/me",
        { displayName: "Changed", [field]: value },
        ada.token,
      );
      assert.equal(res.status, 400, field);
      assert.equal(res.type, "application/problem+json");
      assert.equal(res.body.code, "validation_failed");
      assert.deepEqual(res.body.errors.map((e: { pointer: string }) => e.pointer), [`/${field}`]);
    }
    assert.deepEqual(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("PATCH /users/me answers bad input with a 4xx problem listing the fields, and changes nothing", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada");
    const before = await f.snapshot();
    const cases: [unknown, number, string[]][] = [
      ["{not json", 400, []],
      ["[1,2", 400, []],
      ["null", 400, []],
      ["[]", 400, []],
      [{}, 400, ["/"]],
      [{ displayName: 42, bio: ["x"], languages: "en", country: 1 }, 400, [
        "/displayName",
        "/bio",
        "/languages",
        "/country",
      ]],
      [{ displayName: "x".repeat(51) }, 400, ["/displayName"]],
      [{ displayName: "x".repeat(100_000) }, 400, ["/displayName"]],
      [{ bio: "x".repeat(601) }, 400, ["/bio"]],
      [
        { languages: Array.from({ length: 11 }, (_, i) => `a${String.fromCharCode(97 + i)}`) },
        400,
        [
          "/languages",
        ],
      ],
      [{ languages: ["en", "en"] }, 400, ["/languages/1"]],
      [{ languages: ["English"] }, 400, ["/languages/0"]],
      [{ country: "Germany" }, 400, ["/country"]],
      [{ timeZone: "Nowhere/Atlantis" }, 400, ["/timeZone"]],
      [{ timeZone: "x".repeat(65) }, 400, ["/timeZone"]],
      [{ displayName: "new\nline" }, 400, ["/displayName"]],
      // A lone surrogate and NUL: PostgreSQL would refuse both, so they must be a 400, not a 500.
      [{ displayName: "\ud800" }, 400, ["/displayName"]],
      [{ bio: "nul \u0000 byte" }, 400, ["/bio"]],
      [{ bio: "half \udc00 pair" }, 400, ["/bio"]],
    ];
    for (const [body, status, pointers] of cases) {
      const res = await f.call("PATCH", "/api/v1/users/me", body, ada.token);
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal(res.type, "application/problem+json");
      const got = (res.body.errors ?? []).map((e: { pointer: string }) => e.pointer);
      for (const pointer of pointers) {
        assert.ok(got.includes(pointer), `${pointer} missing in ${got}`);
      }
    }
    const noType = await f.app.request("/api/v1/users/me", {
      method: "PATCH",
      headers: { authorization: `Bearer ${ada.token}` },
      body: JSON.stringify({ displayName: "x" }),
    });
    assert.equal(noType.status, 415);
    const huge = await f.call(
      "PATCH",
      "/api/v1/users/me",
      { bio: "x".repeat(MAX_BODY_BYTES) },
      ada.token,
    );
    assert.equal(huge.status, 413);
    assert.equal(huge.body.code, "body_too_large");
    assert.deepEqual(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("avatar URLs must be public https links: other schemes, credentials, loopback and private addresses are a 400", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada");
    const before = await f.snapshot();
    for (
      const url of [
        "http://cdn.example.com/a.png",
        "javascript:alert(document.cookie)",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "https://user:pw@cdn.example.com/a.png",
        "https://localhost/a.png",
        "https://127.0.0.1/a.png",
        "https://2130706433/a.png",
        "https://[::1]/a.png",
        "https://10.0.0.7/a.png",
        "https://192.168.0.1/a.png",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/a.png",
        "https://[::ffff:127.0.0.1]/a.png",
        "https://intranet/a.png",
        "https://nas.local/a.png",
        `https://cdn.example.com/${"a".repeat(2048)}`,
      ]
    ) {
      const res = await f.call("PATCH", "/api/v1/users/me", { avatarUrl: url }, ada.token);
      assert.equal(res.status, 400, url);
      assert.deepEqual(res.body.errors.map((e: { pointer: string }) => e.pointer), ["/avatarUrl"]);
    }
    assert.deepEqual(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("another user's data is out of reach: unknown usernames are 404 and no route edits someone else", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada");
    await f.register("bob");
    const before = await f.snapshot();
    for (const name of ["nobody", "x", "a%20b", "..%2Fada", "ada'--", "a".repeat(31)]) {
      const res = await f.call("GET", `/api/v1/users/${name}`);
      assert.equal(res.status, 404, name);
      assert.equal(res.type, "application/problem+json");
    }
    for (
      const [method, path] of [
        ["PATCH", "/api/v1/users/bob"],
        ["PUT", "/api/v1/users/bob"],
        ["DELETE", "/api/v1/users/bob"],
        ["PATCH", `/api/v1/users/${ada.userId}`],
        ["POST", "/api/v1/users"],
        ["DELETE", "/api/v1/users/me"],
      ]
    ) {
      const res = await f.call(method, path, { displayName: "Hacked" }, ada.token);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.type, "application/problem+json");
    }
    // Claims are not trusted beyond the signed subject: a token naming bob but for ada's id edits ada.
    const confused = await f.keys.sign({ sub: ada.userId, username: "bob" });
    const res = await f.call("PATCH", "/api/v1/users/me", { displayName: "Still Ada" }, confused);
    assert.equal(res.body.username, "ada");
    const bob = await f.call("GET", "/api/v1/users/bob");
    assert.equal(bob.body.displayName, "bob");
    assert.deepEqual(
      (await f.snapshot()).profiles.find((p: { username: string }) => p.username === "bob"),
      before.profiles.find((p: { username: string }) => p.username === "bob"),
    );
  } finally {
    await f.close();
  }
});

Deno.test("/users/me answers 401 for missing, malformed, tampered, foreign, expired, wrong-audience or alg:none tokens", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada");
    const before = await f.snapshot();
    const [header, payload, signature] = ada.token.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const b64url = (value: unknown) =>
      btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const stranger = await createTestKeys();
    const bad = [
      undefined,
      "garbage",
      `${header}.${b64url({ ...claims, sub: crypto.randomUUID() })}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -4)}AAAA`,
      `${b64url({ alg: "none", typ: "at+jwt" })}.${payload}.`,
      await stranger.sign({ sub: ada.userId, username: "ada" }, { kid: f.keys.kid }),
      await f.keys.sign({ sub: ada.userId, username: "ada" }, { audience: "someone-else" }),
      await f.keys.sign({ sub: ada.userId, username: "ada" }, {
        expiresIn: Math.floor(Date.now() / 1000) - 60,
      }),
      await f.keys.sign({ sub: ada.userId, username: "ada" }, { typ: "JWT" }),
      // Correctly signed, but the subject is not a user id.
      await f.keys.sign({ sub: "not-a-uuid'; drop table profiles; --", username: "ada" }),
    ];
    for (const token of bad) {
      for (const [method, body] of [["GET", undefined], ["PATCH", { displayName: "Hacked" }]]) {
        const res = await f.call(method as string, "/api/v1/users/me", body, token);
        assert.equal(res.status, 401, `${method} ${String(token).slice(0, 40)}`);
        assert.equal(res.type, "application/problem+json");
      }
    }
    assert.deepEqual(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("/users/me answers 404 profile_not_found for a valid token whose profile has not arrived yet", async () => {
  const f = await usersFixture();
  try {
    const token = await f.keys.sign({ sub: crypto.randomUUID(), username: "early" });
    const get = await f.call("GET", "/api/v1/users/me", undefined, token);
    assert.equal(get.status, 404);
    assert.equal(get.body.code, "profile_not_found");
    const patch = await f.call("PATCH", "/api/v1/users/me", { displayName: "Early" }, token);
    assert.equal(patch.status, 404);
    assert.equal((await f.outbox()).length, 0);
  } finally {
    await f.close();
  }
});
