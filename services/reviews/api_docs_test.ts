/**
 * The service's OpenAPI document describes what its routes really answer:
 * every answer of every route, in each state that changes its body (no review
 * yet, reviewed, replied, cancelled, a title no event carried, empty and full
 * lists, a replayed retry) and each refusal, is checked against the document
 * the service serves at `GET /openapi.json` (the end-to-end contract checker).
 */
import assert from "node:assert/strict";
import { contractOf } from "../../e2e/contract.ts";
import type { TestRequest } from "@mp/shared/testing";
import { reviewsFixture } from "./test_support.ts";

Deno.test("every answer of every reviews route matches the service's OpenAPI document", async () => {
  const f = await reviewsFixture("api_docs");
  try {
    const served = await f.call("GET", "/openapi.json");
    assert.equal(served.status, 200);
    const document = served.body;
    assert.deepEqual(Object.keys(document.paths).sort(), [
      "/api/v1/gigs/{id}/reviews",
      "/api/v1/orders/{id}/reviews",
      "/api/v1/reviews/{id}",
      "/api/v1/reviews/{id}/reply",
      "/api/v1/users/{username}/reviews",
    ]);
    for (const path of ["/api/v1/orders/{id}/reviews", "/api/v1/reviews/{id}/reply"]) {
      const names = document.paths[path].post.parameters.map((p: { name: string }) => p.name);
      assert.ok(names.includes("Idempotency-Key"), path);
    }
    const check = contractOf(document);
    const checked: string[] = [];
    const call = async (method: string, path: string, request: TestRequest) => {
      const answer = await f.call(method, path, request);
      const broken = check(method, path, answer.status, answer.type, answer.body);
      assert.equal(broken, undefined, JSON.stringify(answer.body));
      checked.push(`${method} ${path.split("?")[0]} ${answer.status}`);
      return answer;
    };

    const buyer = await f.user("dbuyer");
    const seller = await f.user("dseller");
    const outsider = await f.user("doutsider");
    const order = f.newOrder(buyer, seller);
    await f.deliver("order.created", f.orderEvent.created(order));
    const orderPath = `/api/v1/orders/${order.orderId}/reviews`;
    const pending = await call("GET", orderPath, { token: buyer.token });
    assert.equal(pending.body.reason, "order_not_completed");
    assert.equal(pending.body.reviewableUntil, null);
    await call("POST", orderPath, { body: { rating: 5, comment: "x" }, token: buyer.token });
    await f.deliver("order.completed", f.orderEvent.completed(order));

    const key = { "idempotency-key": crypto.randomUUID() };
    const body = { rating: 4, comment: "Good work." };
    const review = await call("POST", orderPath, { body, token: buyer.token, headers: key });
    assert.equal(review.status, 201);
    const replayed = await call("POST", orderPath, { body, token: buyer.token, headers: key });
    assert.deepEqual(replayed.body, review.body);
    await call("POST", orderPath, {
      body: { ...body, rating: 3 },
      token: buyer.token,
      headers: key,
    });
    await call("POST", orderPath, { body, token: buyer.token });
    await call("POST", orderPath, { body, token: buyer.token, headers: { "idempotency-key": "" } });
    await call("POST", orderPath, { body, token: outsider.token });
    await call("POST", orderPath, { body: { rating: 9 }, token: seller.token });
    await call("POST", orderPath, { body: "{", token: seller.token });
    await call("POST", orderPath, {
      body: JSON.stringify(body),
      token: seller.token,
      headers: { "content-type": "text/plain" },
    });
    await call("POST", orderPath, { body });
    await call("POST", "/api/v1/orders/not%20an%20id/reviews", { body, token: seller.token });
    await call("POST", orderPath, { body, token: seller.token });
    const page = await call("GET", orderPath, { token: seller.token });
    assert.equal(page.body.items.length, 2);
    assert.equal(page.body.reason, "already_reviewed");
    await call("GET", orderPath, { token: outsider.token });
    await call("GET", orderPath, {});
    await call("GET", "/api/v1/orders/not%20an%20id/reviews", { token: buyer.token });

    const replyPath = `/api/v1/reviews/${review.body.id}/reply`;
    await call("POST", replyPath, { body: { reply: "Thanks!" }, token: buyer.token });
    const replied = await call("POST", replyPath, {
      body: { reply: "Thanks!" },
      token: seller.token,
      headers: key, // keys are per caller: the buyer's key is the seller's to use too
    });
    assert.equal(replied.status, 201);
    assert.equal(replied.body.reply.text, "Thanks!");
    await call("POST", replyPath, { body: { reply: "Other" }, token: seller.token, headers: key });
    await call("POST", replyPath, { body: { reply: "Again" }, token: seller.token });
    await call("POST", replyPath, { body: { reply: "" }, token: seller.token });
    await call("POST", replyPath, {
      body: JSON.stringify({ reply: "Hi" }),
      token: seller.token,
      headers: { "content-type": "text/plain" },
    });
    await call("POST", replyPath, { body: { reply: "Hi" } });
    await call("POST", `/api/v1/reviews/${crypto.randomUUID()}/reply`, {
      body: { reply: "Hm" },
      token: seller.token,
    });
    await call("GET", `/api/v1/reviews/${review.body.id}`, {});
    await call("GET", `/api/v1/reviews/${crypto.randomUUID()}`, {});
    await call("GET", "/api/v1/reviews/nope", {});

    // A title no event carried, and a cancelled order.
    const bare = f.newOrder(buyer, seller);
    const { gigTitle: _, ...untitled } = f.orderEvent.completed(bare);
    await f.deliver("order.completed", untitled);
    const noTitle = await call("POST", `/api/v1/orders/${bare.orderId}/reviews`, {
      body,
      token: seller.token,
    });
    assert.equal(noTitle.body.gigTitle, null);
    const cancelled = f.newOrder(buyer, seller);
    await f.deliver("order.cancelled", f.orderEvent.cancelled(cancelled));
    const gone = await call("GET", `/api/v1/orders/${cancelled.orderId}/reviews`, {
      token: buyer.token,
    });
    assert.equal(gone.body.reason, "order_cancelled");

    for (const as of ["seller", "buyer"]) {
      const list = await call("GET", `/api/v1/users/dseller/reviews?as=${as}&limit=1`, {});
      assert.equal(list.body.as, as);
    }
    await call("GET", "/api/v1/users/doutsider/reviews", {});
    await call("GET", "/api/v1/users/nobody_here/reviews", {});
    await call("GET", "/api/v1/users/dseller/reviews?as=admin", {});
    const gig = await call("GET", `/api/v1/gigs/${order.gigId}/reviews`, {});
    assert.equal(gig.body.summary.average, 4);
    await call("GET", `/api/v1/gigs/${crypto.randomUUID()}/reviews?page=2`, {});
    await call("GET", `/api/v1/gigs/${order.gigId}/reviews?limit=51`, {});

    // Every documented status of every route was seen at least once.
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, unknown>)) {
        for (const status of Object.keys((operation as { responses: object }).responses)) {
          const concrete = new RegExp(
            `^${method.toUpperCase()} ${path.replaceAll(/\{[^}]+\}/g, "[^/]+")} ${status}$`,
          );
          if (status === "413") continue; // the kit's body limit (hostile_input_test.ts)
          assert.ok(checked.some((c) => concrete.test(c)), `${method} ${path} ${status} unseen`);
        }
      }
    }
  } finally {
    await f.close();
  }
});
