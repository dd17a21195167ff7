/**
 * Becoming and being a seller: `/api/v1/sellers*` through `createApp()` on real
 * PostgreSQL, users registered and verified by events from real RabbitMQ.
 */
import assert from "node:assert/strict";
import { SELLER_LIMITS } from "./seller.ts";
import { sellerBody, usersFixture } from "./test_support.ts";

const SELLER_EVENT_KEYS = [
  "avatarUrl",
  "displayName",
  "languages",
  "level",
  "rating",
  "skills",
  "userId",
  "username",
  "version",
];

Deno.test("POST /sellers by a verified user creates the seller profile, answers 201 and publishes seller.created", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    const res = await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), "/api/v1/sellers/ada");
    assert.equal(res.body.isSeller, true);
    assert.equal(res.body.email, "ada@example.com"); // the caller's own view
    const seller = res.body.seller;
    assert.equal(seller.level, "new");
    assert.deepEqual(seller.skills, ["Web design", "TypeScript"]);
    assert.deepEqual(seller.languages, [
      { language: "en", level: "native" },
      { language: "de", level: "fluent" },
    ]);
    assert.deepEqual(seller.education, [{
      institution: "TU Berlin",
      degree: "MSc",
      field: "Computer Science",
      country: null,
      graduationYear: null,
    }]);
    assert.deepEqual(seller.portfolio, [{
      title: "Shop redesign",
      url: "https://portfolio.example.com/shop",
      description: null,
    }]);
    assert.match(seller.sellerSince, /^\d{4}-\d\d-\d\dT/);

    const [event] = await f.outbox("seller.created");
    assert.deepEqual(Object.keys(event.data).sort(), SELLER_EVENT_KEYS);
    assert.deepEqual(event.data, {
      userId: ada.userId,
      username: "ada",
      displayName: "ada",
      avatarUrl: null,
      level: "new",
      skills: ["Web design", "TypeScript"],
      languages: [{ language: "en", level: "native" }, { language: "de", level: "fluent" }],
      rating: { average: null, count: 0 },
      version: 1,
    });

    for (const path of ["/api/v1/sellers/ada", "/api/v1/sellers/ADA", "/api/v1/users/ada"]) {
      const open = await f.call("GET", path);
      assert.equal(open.status, 200, path);
      assert.equal(open.body.isSeller, true);
      assert.deepEqual(open.body.seller, seller);
      assert.ok(!JSON.stringify(open.body).includes("ada@example.com"), "email leaked");
      assert.deepEqual(Object.keys(open.body.ratings), ["asSeller", "asBuyer"]);
    }
  } finally {
    await f.close();
  }
});

Deno.test("POST /sellers by a user whose email is not verified is a 403 problem and creates nothing", async () => {
  const f = await usersFixture();
  try {
    const bob = await f.register("bob");
    const before = await f.snapshot();
    const res = await f.call("POST", "/api/v1/sellers", sellerBody(), bob.token);
    assert.equal(res.status, 403);
    assert.equal(res.type, "application/problem+json");
    assert.equal(res.body.code, "email_not_verified");
    assert.deepEqual(await f.snapshot(), before);
    // Once verified, the same request succeeds.
    await f.deliver("user.email_verified", {
      userId: bob.userId,
      email: bob.email,
      username: "bob",
    });
    assert.equal((await f.call("POST", "/api/v1/sellers", sellerBody(), bob.token)).status, 201);
  } finally {
    await f.close();
  }
});

Deno.test("a second seller profile is a 409, also when two requests race, and changes nothing", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    const racing = await Promise.all(
      [1, 2].map(() => f.call("POST", "/api/v1/sellers", sellerBody(), ada.token)),
    );
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, 409]);
    const before = await f.snapshot();
    const again = await f.call(
      "POST",
      "/api/v1/sellers",
      sellerBody({ description: "A completely different description of my work." }),
      ada.token,
    );
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "seller_exists");
    assert.deepEqual(await f.snapshot(), before);
    assert.equal((await f.outbox("seller.created")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("POST /sellers rejects read-only fields, oversized strings and lists, bad languages and non-public portfolio links, and creates nothing", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    const before = await f.snapshot();
    const many = <T>(n: number, item: (i: number) => T) =>
      Array.from({ length: n }, (_, i) => item(i));
    const cases: [unknown, number, string[]][] = [
      ["{not json", 400, []],
      [sellerBody({ level: "top_rated" }), 400, ["/level"]],
      [sellerBody({ rating: { average: 5, count: 999 } }), 400, ["/rating"]],
      [sellerBody({ id: crypto.randomUUID() }), 400, ["/id"]],
      [sellerBody({ userId: crypto.randomUUID() }), 400, ["/userId"]],
      [sellerBody({ createdAt: "2001-01-01T00:00:00Z" }), 400, ["/createdAt"]],
      [sellerBody({ username: "root" }), 400, ["/username"]],
      [{ skills: ["x"] }, 400, ["/description", "/languages"]],
      [sellerBody({ description: "short" }), 400, ["/description"]],
      [sellerBody({ description: "x".repeat(SELLER_LIMITS.description.max + 1) }), 400, [
        "/description",
      ]],
      [sellerBody({ skills: [] }), 400, ["/skills"]],
      [sellerBody({ skills: many(16, (i) => `skill ${i}`) }), 400, ["/skills"]],
      [sellerBody({ skills: ["x".repeat(41)] }), 400, ["/skills/0"]],
      [sellerBody({ skills: ["Design", "design"] }), 400, ["/skills/1"]],
      [sellerBody({ skills: ["Design \ud800"] }), 400, ["/skills/0"]],
      [sellerBody({ description: `${"x".repeat(30)}\u0000` }), 400, ["/description"]],
      [sellerBody({ portfolio: [{ title: "t\udfff", url: "https://example.com/" }] }), 400, [
        "/portfolio/0/title",
      ]],
      [sellerBody({ languages: [{ language: "en", level: "guru" }] }), 400, ["/languages/0/level"]],
      [sellerBody({ languages: [{ language: "en" }] }), 400, ["/languages/0/level"]],
      [sellerBody({ languages: [{ language: "en", level: "native", extra: 1 }] }), 400, [
        "/languages/0/extra",
      ]],
      [sellerBody({ education: many(11, () => ({ institution: "X", degree: "Y" })) }), 400, [
        "/education",
      ]],
      [sellerBody({ certifications: [{ name: "X", issuer: "Y", year: "2020" }] }), 400, [
        "/certifications/0/year",
      ]],
      [
        sellerBody({
          portfolio: many(21, (i) => ({ title: `t${i}`, url: `https://example.com/${i}` })),
        }),
        400,
        ["/portfolio"],
      ],
      [sellerBody({ portfolio: [{ title: "x", url: "http://example.com/" }] }), 400, [
        "/portfolio/0/url",
      ]],
      [sellerBody({ portfolio: [{ title: "x", url: "https://127.0.0.1:8080/admin" }] }), 400, [
        "/portfolio/0/url",
      ]],
      [sellerBody({ portfolio: [{ title: "x", url: "https://10.0.0.5/" }] }), 400, [
        "/portfolio/0/url",
      ]],
      [sellerBody({ portfolio: [{ title: "x", url: "https://[::1]/" }] }), 400, [
        "/portfolio/0/url",
      ]],
      [sellerBody({ portfolio: [{ title: "x", url: "https://localhost/" }] }), 400, [
        "/portfolio/0/url",
      ]],
      [sellerBody({ portfolio: [{ title: "x", url: "javascript:alert(1)" }] }), 400, [
        "/portfolio/0/url",
      ]],
    ];
    for (const [body, status, pointers] of cases) {
      const res = await f.call("POST", "/api/v1/sellers", body, ada.token);
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 120));
      assert.equal(res.type, "application/problem+json");
      const got = (res.body.errors ?? []).map((e: { pointer: string }) => e.pointer);
      for (const pointer of pointers) {
        assert.ok(got.includes(pointer), `${pointer} missing in ${got}`);
      }
    }
    assert.deepEqual(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("a full seller profile at every limit is accepted", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    const many = <T>(n: number, item: (i: number) => T) =>
      Array.from({ length: n }, (_, i) => item(i));
    const langs = ["en", "de", "fr", "es", "it", "pt", "nl", "sv", "pl", "cs"];
    const body = {
      description: "d".repeat(SELLER_LIMITS.description.max),
      skills: many(SELLER_LIMITS.skills, (i) => `${i}`.padEnd(SELLER_LIMITS.skill, "s")),
      languages: langs.map((language) => ({ language, level: "fluent" })),
      education: many(SELLER_LIMITS.education, (i) => ({
        institution: `${i}`.padEnd(100, "i"),
        degree: "d".repeat(100),
        field: "f".repeat(100),
        country: "DE",
        graduationYear: 2020,
      })),
      certifications: many(SELLER_LIMITS.certifications, () => ({
        name: "n".repeat(100),
        issuer: "i".repeat(100),
        year: 2021,
      })),
      portfolio: many(SELLER_LIMITS.portfolio, (i) => ({
        title: "t".repeat(80),
        url: `https://example.com/${i}/${"p".repeat(2000)}`,
        description: "d".repeat(300),
      })),
    };
    const res = await f.call("POST", "/api/v1/sellers", body, ada.token);
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 300));
    assert.equal(res.body.seller.portfolio.length, SELLER_LIMITS.portfolio);
  } finally {
    await f.close();
  }
});

Deno.test("PATCH /sellers/me replaces the given fields and publishes seller.updated; read-only fields are a 400; a non-seller gets 404", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    const bob = await f.register("bob", { verified: true });
    assert.equal((await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token)).status, 201);

    const res = await f.call("PATCH", "/api/v1/sellers/me", {
      skills: ["Logo design"],
      portfolio: [],
    }, ada.token);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.seller.skills, ["Logo design"]);
    assert.deepEqual(res.body.seller.portfolio, []);
    assert.equal(res.body.seller.description, sellerBody().description);
    const [updated] = await f.outbox("seller.updated");
    assert.deepEqual(updated.data.skills, ["Logo design"]);
    assert.equal(updated.data.version, 2);

    // Repeating the same values announces nothing, even with objects jsonb stored reordered.
    const same = await f.call("PATCH", "/api/v1/sellers/me", {
      education: sellerBody().education,
      skills: ["Logo design"],
    }, ada.token);
    assert.equal(same.status, 200);
    assert.equal((await f.outbox("seller.updated")).length, 1);

    const before = await f.snapshot();
    for (
      const [field, value] of Object.entries({
        level: "top_rated",
        rating: 5,
        username: "root",
        id: crypto.randomUUID(),
        createdAt: "2001-01-01T00:00:00Z",
        sellerSince: "2001-01-01T00:00:00Z",
      })
    ) {
      const bad = await f.call(
        "PATCH",
        "/api/v1/sellers/me",
        { skills: ["Changed"], [field]: value },
        ada.token,
      );
      assert.equal(bad.status, 400, field);
      assert.deepEqual(bad.body.errors.map((e: { pointer: string }) => e.pointer), [`/${field}`]);
    }
    assert.equal((await f.call("PATCH", "/api/v1/sellers/me", {}, ada.token)).status, 400);
    assert.equal((await f.call("PATCH", "/api/v1/sellers/me", "{oops", ada.token)).status, 400);

    const notSeller = await f.call("PATCH", "/api/v1/sellers/me", { skills: ["x"] }, bob.token);
    assert.equal(notSeller.status, 404);
    assert.equal(notSeller.body.code, "seller_not_found");
    // No route edits another seller.
    const other = await f.call("PATCH", "/api/v1/sellers/ada", { skills: ["x"] }, bob.token);
    assert.equal(other.status, 404);
    const unauthenticated = await f.call("PATCH", "/api/v1/sellers/me", { skills: ["x"] });
    assert.equal(unauthenticated.status, 401);
    assert.deepEqual(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("GET /sellers/{username} is 404 for a non-seller, an unknown or a malformed username", async () => {
  const f = await usersFixture();
  try {
    await f.register("bob", { verified: true });
    for (const name of ["bob", "nobody", "me", "x", "bob%00"]) {
      const res = await f.call("GET", `/api/v1/sellers/${name}`);
      assert.equal(res.status, 404, name);
      assert.equal(res.type, "application/problem+json");
    }
  } finally {
    await f.close();
  }
});

Deno.test("POST /sellers answers 401 without a valid token and 404 before the profile exists", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    const expired = await f.keys.sign({ sub: ada.userId, username: "ada" }, {
      expiresIn: Math.floor(Date.now() / 1000) - 60,
    });
    for (const token of [undefined, "not.a.token", expired]) {
      const res = await f.call("POST", "/api/v1/sellers", sellerBody(), token);
      assert.equal(res.status, 401);
    }
    const early = await f.keys.sign({ sub: crypto.randomUUID(), username: "early" });
    const res = await f.call("POST", "/api/v1/sellers", sellerBody(), early);
    assert.equal(res.status, 404);
    assert.equal(res.body.code, "profile_not_found");
    assert.equal((await f.outbox()).length, 0);
  } finally {
    await f.close();
  }
});

Deno.test("a seller changing display name or avatar also publishes seller.updated, so gig cards stay current", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token);
    await f.call("PATCH", "/api/v1/users/me", { bio: "Only the bio." }, ada.token);
    assert.equal((await f.outbox("seller.updated")).length, 0);
    await f.call("PATCH", "/api/v1/users/me", {
      displayName: "Ada L.",
      avatarUrl: "https://cdn.example.com/ada.png",
    }, ada.token);
    const [event] = await f.outbox("seller.updated");
    assert.equal(event.data.displayName, "Ada L.");
    assert.equal(event.data.avatarUrl, "https://cdn.example.com/ada.png");
    assert.equal(event.data.version, 2);
    assert.equal((await f.outbox("user.profile_updated")).length, 2);
  } finally {
    await f.close();
  }
});
