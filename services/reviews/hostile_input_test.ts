/**
 * Bad input on the write routes: malformed bodies, wrong types, unknown fields,
 * out-of-range ratings, oversized text, bad ids and bad tokens. Each is a 4xx
 * problem+json and leaves every table as it was.
 */
import assert from "node:assert/strict";
import { isDbReady } from "@mp/shared/db";
import { createTokenVerifier } from "@mp/shared/jwt";
import { createTestKeys, quietLogger } from "@mp/shared/testing";
import { createApp, MAX_BODY_BYTES } from "./app.ts";
import { assertProblem, reviewsFixture } from "./test_support.ts";

function base64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

Deno.test("malformed, mistyped, unknown-field and out-of-range review bodies are 400 and change nothing", async () => {
  const f = await reviewsFixture("bad_bodies");
  try {
    const buyer = await f.user("hbuyer1");
    const seller = await f.user("hseller1");
    const order = await f.completedOrder(buyer, seller);
    const before = await f.counts();

    // Hono's validator rejects unparsable JSON before shared/validate.ts sees it, so the
    // code is Hono's `bad_request` rather than `malformed_json`: still a 400 problem.
    assertProblem(await f.review(order, buyer, "{rating: 5,"), 400);
    assertProblem(await f.review(order, buyer, ""), 400);
    const cases: [unknown, string][] = [
      [[], "/"],
      [null, "/"],
      [5, "/"],
      [JSON.stringify("great"), "/"],
      [{ comment: "No stars" }, "/rating"],
      [{ rating: 0, comment: "x" }, "/rating"],
      [{ rating: 6, comment: "x" }, "/rating"],
      [{ rating: 4.5, comment: "x" }, "/rating"],
      [{ rating: -1, comment: "x" }, "/rating"],
      [{ rating: 1e3, comment: "x" }, "/rating"],
      [{ rating: "5", comment: "x" }, "/rating"],
      [{ rating: null, comment: "x" }, "/rating"],
      [{ rating: true, comment: "x" }, "/rating"],
      [{ rating: 5 }, "/comment"],
      [{ rating: 5, comment: "" }, "/comment"],
      [{ rating: 5, comment: " \n\t " }, "/comment"],
      [{ rating: 5, comment: "x".repeat(2001) }, "/comment"],
      [{ rating: 5, comment: 42 }, "/comment"],
      [{ rating: 5, comment: ["a"] }, "/comment"],
      [{ rating: 5, comment: "nul \u0000 byte" }, "/comment"],
      [{ rating: 5, comment: "lone \ud800 surrogate" }, "/comment"],
      // Mass assignment: the direction, the parties and the ids are never the client's to say.
      [{ rating: 5, comment: "x", direction: "seller_to_buyer" }, "/direction"],
      [{ rating: 5, comment: "x", reviewerId: seller.id }, "/reviewerId"],
      [{ rating: 5, comment: "x", revieweeId: buyer.id }, "/revieweeId"],
      [{ rating: 5, comment: "x", id: crypto.randomUUID() }, "/id"],
      [{ rating: 5, comment: "x", createdAt: "2000-01-01T00:00:00Z" }, "/createdAt"],
    ];
    for (const [body, pointer] of cases) {
      const answer = await f.review(order, buyer, body);
      assertProblem(answer, 400, "validation_failed");
      assert.ok(
        answer.body.errors.some((e: { pointer: string }) => e.pointer === pointer),
        `${JSON.stringify(body)?.slice(0, 80)} → ${JSON.stringify(answer.body.errors)}`,
      );
    }
    // The lone surrogate as the JSON escape a client would really send.
    assertProblem(
      await f.review(order, buyer, '{"rating":5,"comment":"a\\udc00b"}'),
      400,
      "validation_failed",
    );
    assertProblem(
      await f.call("POST", `/api/v1/orders/${order.orderId}/reviews`, {
        body: JSON.stringify({ rating: 5, comment: "x" }),
        token: buyer.token,
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    const huge = JSON.stringify({ rating: 5, comment: "x".repeat(MAX_BODY_BYTES) });
    assertProblem(await f.review(order, buyer, huge), 413, "body_too_large");
    // Bad order ids in the path: 400, never a lookup.
    for (const id of ["a%20b", "x".repeat(101), "%00", "..%2F..%2Fetc"]) {
      const answer = await f.call("POST", `/api/v1/orders/${id}/reviews`, {
        body: { rating: 5, comment: "x" },
        token: buyer.token,
      });
      assertProblem(answer, 400, "validation_failed");
    }
    assert.deepEqual(await f.counts(), before);

    // A valid review still goes through: nothing above left anything half done.
    const fine = await f.review(order, buyer, { rating: 5, comment: "é👍\n\tfine" });
    assert.equal(fine.status, 201);
    assert.equal(fine.body.comment, "é👍\n\tfine");
  } finally {
    await f.close();
  }
});

Deno.test("bad reply bodies are 400, 413 or 415 and change nothing", async () => {
  const f = await reviewsFixture("bad_replies");
  try {
    const buyer = await f.user("hbuyer2");
    const seller = await f.user("hseller2");
    const order = await f.completedOrder(buyer, seller);
    const review = await f.review(order, buyer);
    const before = await f.counts();
    const reply = (body: unknown) =>
      f.call("POST", `/api/v1/reviews/${review.body.id}/reply`, { body, token: seller.token });

    assertProblem(await reply("{"), 400);
    for (
      const body of [
        {},
        { reply: "" },
        { reply: "   " },
        { reply: "x".repeat(2001) },
        { reply: 1 },
        { reply: "ok", text: "extra" },
        { text: "ok" },
        [],
      ]
    ) {
      assertProblem(await reply(body), 400, "validation_failed");
    }
    assertProblem(
      await reply(JSON.stringify({ reply: "x".repeat(MAX_BODY_BYTES) })),
      413,
      "body_too_large",
    );
    assertProblem(
      await f.call("POST", `/api/v1/reviews/not-a-uuid/reply`, {
        body: { reply: "ok" },
        token: seller.token,
      }),
      400,
    );
    assert.deepEqual(await f.counts(), before);
  } finally {
    await f.close();
  }
});

Deno.test("every write and the order page answer 401 to missing, malformed, tampered, expired or foreign tokens, changing nothing", async () => {
  const f = await reviewsFixture("bad_tokens");
  try {
    const buyer = await f.user("hbuyer3");
    const seller = await f.user("hseller3");
    const outsider = await f.user("houtsider3");
    const order = await f.completedOrder(buyer, seller);
    const review = await f.review(order, buyer);
    const before = await f.counts();

    const valid = await f.keys.sign({ sub: outsider.id, username: outsider.username });
    const [header, payload, signature] = valid.split(".");
    const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
    const other = await createTestKeys();
    const now = Math.floor(Date.now() / 1000);
    const tokens: Record<string, string | undefined> = {
      missing: undefined,
      garbage: "garbage",
      "two parts": "abc.def",
      // The outsider's token with the seller's id put in: the signature no longer matches.
      tampered: `${header}.${base64url({ ...claims, sub: seller.id })}.${signature}`,
      "flipped signature": `${header}.${payload}.${
        signature.slice(0, -2) + (signature.endsWith("AA") ? "BB" : "AA")
      }`,
      expired: await f.keys.sign({ sub: seller.id, username: seller.username }, {
        expiresIn: now - 60,
      }),
      "wrong audience": await f.keys.sign({ sub: seller.id, username: seller.username }, {
        audience: "elsewhere",
      }),
      "wrong typ": await f.keys.sign({ sub: seller.id, username: seller.username }, {
        typ: "JWT",
      }),
      "unknown kid": await other.sign({ sub: seller.id, username: seller.username }),
      "foreign key, known kid": await other.sign({ sub: seller.id, username: seller.username }, {
        kid: f.keys.kid,
      }),
      "alg none": `${base64url({ alg: "none", typ: "at+jwt", kid: f.keys.kid })}.${
        base64url({ ...claims, sub: seller.id })
      }.`,
    };
    const requests = [
      {
        method: "POST",
        path: `/api/v1/orders/${order.orderId}/reviews`,
        body: { rating: 1, comment: "x" },
      },
      { method: "POST", path: `/api/v1/reviews/${review.body.id}/reply`, body: { reply: "x" } },
      { method: "GET", path: `/api/v1/orders/${order.orderId}/reviews`, body: undefined },
    ];
    for (const [name, token] of Object.entries(tokens)) {
      for (const request of requests) {
        const answer = await f.call(request.method, request.path, {
          body: request.body,
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        });
        assertProblem(answer, 401, "unauthorized");
        assert.ok(answer.status === 401, `${name} ${request.method} ${request.path}`);
      }
    }
    // Other schemes are not bearer tokens.
    assertProblem(
      await f.call("POST", `/api/v1/orders/${order.orderId}/reviews`, {
        body: { rating: 1, comment: "x" },
        headers: { authorization: "Basic c2VsbGVyOnB3" },
      }),
      401,
    );
    assert.deepEqual(await f.counts(), before);
  } finally {
    await f.close();
  }
});

Deno.test("/readyz is 503 with the failing check named; unknown routes are 404 problems", async () => {
  const f = await reviewsFixture("health");
  try {
    assert.equal((await f.call("GET", "/livez")).status, 200);
    const { app } = createApp({
      sql: f.db.sql,
      verifier: createTokenVerifier({
        jwks: f.keys.jwks,
        issuer: f.keys.issuer,
        audience: f.keys.audience,
      }),
      log: quietLogger(),
      reviewWindowMs: 86_400_000,
      readiness: { database: () => isDbReady(f.db.sql), broker: () => false },
    });
    const ready = await app.request("/readyz");
    assert.equal(ready.status, 503);
    assert.deepEqual((await ready.json()).checks, { database: true, broker: false });
    assertProblem(await f.call("GET", "/api/v1/reviews"), 404, "route_not_found");
    assertProblem(await f.call("DELETE", `/api/v1/reviews/${crypto.randomUUID()}`), 404);
    assertProblem(await f.call("PUT", `/api/v1/orders/${crypto.randomUUID()}/reviews`), 404);
  } finally {
    await f.close();
  }
});
