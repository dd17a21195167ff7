import assert from "node:assert/strict";
import { gigBody, gigsFixture, pkg, type TestResponse } from "./test_support.ts";

function assertProblem(res: TestResponse, status: number, what: string) {
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
  assert.equal(res.type, "application/problem+json", what);
  assert.equal(res.body.status, status, what);
  assert.equal(typeof res.body.code, "string", what);
}

Deno.test("a buyer (no seller profile, or only a user profile) cannot publish a gig: 403 not_a_seller, nothing stored", async () => {
  const f = await gigsFixture();
  try {
    const bob = await f.buyer("bob");
    const before = await f.snapshot();
    const res = await f.call("POST", "", gigBody(), bob.token);
    assertProblem(res, 403, "buyer");
    assert.equal(res.body.code, "not_a_seller");

    // A profile change for a user who is not a seller does not make them one.
    await f.deliver("user.profile_updated", {
      userId: bob.userId,
      username: "bob",
      displayName: "Bob",
      avatarUrl: null,
      country: null,
    });
    assertProblem(await f.call("POST", "", gigBody(), bob.token), 403, "profile only");
    assert.equal(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("another seller cannot edit, pause, activate or delete my gig: 403 when it is public, 404 when hidden, nothing changed", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const eve = await f.seller("eve");
    const publicGig = await f.createGig(ada.token);
    const hiddenGig = await f.createGig(ada.token);
    await f.call("POST", `/${hiddenGig.id}/pause`, undefined, ada.token);
    const before = await f.snapshot();

    const attempts = (id: string) =>
      [
        ["PATCH", `/${id}`, { title: "Stolen title for this gig" }],
        ["DELETE", `/${id}`],
        ["POST", `/${id}/pause`],
        ["POST", `/${id}/activate`],
      ] as const;
    for (const [method, path, body] of attempts(publicGig.id)) {
      const res = await f.call(method, path, body, eve.token);
      assertProblem(res, 403, `${method} ${path}`);
      assert.equal(res.body.code, "not_owner");
    }
    for (const [method, path, body] of attempts(hiddenGig.id)) {
      assertProblem(await f.call(method, path, body, eve.token), 404, `${method} hidden`);
    }
    // A favorite of a hidden gig is refused like an unknown one.
    assertProblem(
      await f.call("PUT", `/${hiddenGig.id}/favorite`, undefined, eve.token),
      404,
      "fav",
    );
    assert.equal(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("mass assignment of rating, owner, status, id or prices is a 400 naming each field, on create and on edit", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const eve = await f.seller("eve");
    const gig = await f.createGig(ada.token);
    const before = await f.snapshot();
    const smuggled = {
      rating: { average: 5, count: 1000 },
      sellerId: eve.userId,
      seller: { id: eve.userId },
      status: "active",
      id: crypto.randomUUID(),
      startingPrice: { amount: 1, currency: "USD" },
      createdAt: "2001-01-01T00:00:00Z",
    };
    const created = await f.call("POST", "", gigBody(smuggled), ada.token);
    assertProblem(created, 400, "create");
    assert.deepEqual(
      created.body.errors.map((e: { pointer: string }) => e.pointer).sort(),
      ["/createdAt", "/id", "/rating", "/seller", "/sellerId", "/startingPrice", "/status"],
    );
    const edited = await f.call(
      "PATCH",
      `/${gig.id}`,
      { title: "A new title here", ...smuggled },
      ada.token,
    );
    assertProblem(edited, 400, "edit");
    // Inside a package too.
    const inner = await f.call("PATCH", `/${gig.id}`, {
      packages: [{ ...pkg("basic", 100, 1), sellerId: eve.userId }],
    }, ada.token);
    assertProblem(inner, 400, "package field");
    assert.deepEqual(inner.body.errors.map((e: { pointer: string }) => e.pointer), [
      "/packages/0/sellerId",
    ]);
    assert.equal(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("bad prices and packages are 400s: negative, zero, fractional, string, too large, mixed currency, no basic, duplicate tier, four packages", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    const before = await f.snapshot();
    const withPrice = (amount: unknown, currency: unknown = "USD") => [
      { ...pkg("basic", 1, 1), price: { amount, currency } },
    ];
    const cases: [string, unknown][] = [
      ["negative", withPrice(-500)],
      ["zero", withPrice(0)],
      ["fraction", withPrice(10.5)],
      ["string", withPrice("2500")],
      ["too large", withPrice(1e12)],
      ["unknown currency", withPrice(100, "XYZ")],
      ["lower-case currency", withPrice(100, "usd")],
      ["mixed currency", [pkg("basic", 100, 1), pkg("standard", 200, 1, "EUR")]],
      ["no basic", [pkg("standard", 100, 1)]],
      ["duplicate tier", [pkg("basic", 100, 1), pkg("basic", 200, 1)]],
      ["four", [
        pkg("basic", 1, 1),
        pkg("standard", 2, 1),
        pkg("premium", 3, 1),
        pkg("basic", 4, 1),
      ]],
      ["none", []],
      ["zero delivery", [{ ...pkg("basic", 100, 1), deliveryDays: 0 }]],
      ["negative revisions", [{ ...pkg("basic", 100, 1), revisions: -1 }]],
    ];
    for (const [what, packages] of cases) {
      assertProblem(
        await f.call("POST", "", gigBody({ packages }), ada.token),
        400,
        `create ${what}`,
      );
      assertProblem(
        await f.call("PATCH", `/${gig.id}`, { packages }, ada.token),
        400,
        `edit ${what}`,
      );
    }
    const negative = await f.call("POST", "", gigBody({ packages: withPrice(-500) }), ada.token);
    assert.deepEqual(negative.body.errors.map((e: { pointer: string }) => e.pointer), [
      "/packages/0/price/amount",
    ]);
    assert.equal(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("a malformed or mismatched category or subcategory is a 400", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    const before = await f.snapshot();
    const cases: [string, Record<string, unknown>][] = [
      ["unknown", { category: "Graphics Design" }],
      ["injection", { category: "graphics-design'; drop table gigs; --" }],
      ["number", { category: 7 }],
      ["huge", { category: "x".repeat(10_000) }],
      ["unknown subcategory", { subcategory: "logo_design" }],
      ["other category's subcategory", { subcategory: "web-development" }],
    ];
    for (const [what, fields] of cases) {
      assertProblem(await f.call("POST", "", gigBody(fields), ada.token), 400, `create ${what}`);
    }
    // An edit of only one side must still match the other.
    const res = await f.call("PATCH", `/${gig.id}`, { category: "business" }, ada.token);
    assertProblem(res, 400, "edit category only");
    assert.equal(res.body.errors[0].pointer, "/category");
    assertProblem(
      await f.call("PATCH", `/${gig.id}`, { subcategory: "seo" }, ada.token),
      400,
      "edit subcategory only",
    );
    assert.equal(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("image URLs must be public https: http, private, loopback, link-local, localhost, credentials and scripts are 400s", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    const before = await f.snapshot();
    const bad = [
      "http://cdn.example.com/a.png",
      "https://10.0.0.7/a.png",
      "https://192.168.1.1/a.png",
      "https://172.16.0.1/a.png",
      "https://127.0.0.1/a.png",
      "https://2130706433/a.png",
      "https://0x7f.1/a.png",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/a.png",
      "https://[fe80::1]/a.png",
      "https://[::ffff:10.0.0.1]/a.png",
      "https://localhost/a.png",
      "https://img.localhost/a.png",
      "https://metadata.google.internal/a.png",
      "https://intranet/a.png",
      "https://user:secret@cdn.example.com/a.png",
      "javascript:alert(1)",
      "data:image/png;base64,AAAA",
      "//cdn.example.com/a.png",
      `https://cdn.example.com/${"a".repeat(2100)}.png`,
    ];
    for (const url of bad) {
      const res = await f.call("POST", "", gigBody({ images: [url] }), ada.token);
      assertProblem(res, 400, url);
      assert.equal(res.body.errors[0].pointer, "/images/0", url);
      assertProblem(await f.call("PATCH", `/${gig.id}`, { images: [url] }, ada.token), 400, url);
    }
    assert.equal(await f.snapshot(), before);
    // A public https link is fine, and never fetched: the host does not exist.
    const ok = await f.call("PATCH", `/${gig.id}`, {
      images: ["https://images.no-such-host.example/a.png"],
    }, ada.token);
    assert.equal(ok.status, 200);
  } finally {
    await f.close();
  }
});

Deno.test("requests without a valid token, with malformed bodies or ids get 4xx problems and change nothing", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    const forged = await f.keys.sign({ sub: ada.userId, username: "ada" }, { audience: "other" });
    const before = await f.snapshot();

    assertProblem(await f.call("POST", "", gigBody()), 401, "no token");
    assertProblem(await f.call("POST", "", gigBody(), forged), 401, "wrong audience");
    assertProblem(await f.call("POST", "", gigBody(), `${ada.token}x`), 401, "tampered");
    assertProblem(
      await f.call("GET", `/${gig.id}`, undefined, "not.a.token"),
      401,
      "bad token on read",
    );
    assertProblem(await f.call("PATCH", `/${gig.id}`, { title: "A fine new title" }), 401, "edit");
    assertProblem(await f.call("DELETE", `/${gig.id}`), 401, "delete");
    assertProblem(await f.call("GET", "/favorites"), 401, "favorites");

    assertProblem(await f.call("POST", "", "{not json", ada.token), 400, "malformed json");
    assertProblem(
      await f.call("POST", "", "title=x", ada.token, { "content-type": "text/plain" }),
      415,
      "content type",
    );
    assertProblem(await f.call("POST", "", "[]", ada.token), 400, "array body");
    assertProblem(
      await f.call("POST", "", gigBody({ description: "x".repeat(70_000) }), ada.token),
      413,
      "oversized",
    );
    assertProblem(await f.call("POST", "", gigBody({ title: "short" }), ada.token), 400, "title");
    assertProblem(
      await f.call("POST", "", gigBody({ title: "A title with a\u0000 null byte" }), ada.token),
      400,
      "control character",
    );
    assertProblem(
      await f.call("POST", "", gigBody({ tags: ["a", "b", "c", "d", "e", "f"] }), ada.token),
      400,
      "too many tags",
    );
    assertProblem(
      await f.call("POST", "", gigBody({ tags: ["<script>"] }), ada.token),
      400,
      "tag characters",
    );
    assertProblem(
      await f.call(
        "POST",
        "",
        gigBody({ requirements: [{ question: "Pick", type: "choice" }] }),
        ada.token,
      ),
      400,
      "choice without choices",
    );
    assertProblem(
      await f.call(
        "POST",
        "",
        gigBody({
          requirements: [{ id: crypto.randomUUID(), question: "Your name?" }],
        }),
        ada.token,
      ),
      400,
      "requirement id on create",
    );
    assertProblem(
      await f.call("PATCH", `/${gig.id}`, {
        requirements: [{ id: crypto.randomUUID(), question: "Your name?" }],
      }, ada.token),
      400,
      "unknown requirement id",
    );
    assertProblem(await f.call("PATCH", `/${gig.id}`, {}, ada.token), 400, "empty edit");
    assertProblem(await f.call("GET", "/not-a-uuid"), 400, "malformed id");
    assertProblem(
      await f.call("PATCH", "/1%20or%201=1", { title: "A fine new title" }, ada.token),
      400,
      "id",
    );
    assertProblem(await f.call("GET", `/${crypto.randomUUID()}`), 404, "unknown id");
    assertProblem(
      await f.call("DELETE", `/${crypto.randomUUID()}`, undefined, ada.token),
      404,
      "unknown",
    );
    assert.equal(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});
