/**
 * Writing reviews: order events published on a real exchange as orders publishes
 * them, consumed by the real handlers into a real database, then reviews posted
 * through `createApp()` with real tokens.
 */
import assert from "node:assert/strict";
import { assertProblem, reviewsFixture } from "./test_support.ts";

const DAY = 86_400_000;

Deno.test("after order.completed the buyer and the seller each review the other once, and review.created follows the contract", async () => {
  const f = await reviewsFixture("rev_both");
  try {
    const buyer = await f.user("buyer1");
    const seller = await f.user("seller1");
    const order = await f.completedOrder(buyer, seller);

    const byBuyer = await f.review(order, buyer, { rating: 4, comment: "  Quick and careful.  " });
    assert.equal(byBuyer.status, 201);
    assert.equal(byBuyer.headers.get("location"), `/api/v1/reviews/${byBuyer.body.id}`);
    assert.deepEqual({ ...byBuyer.body, id: "-", createdAt: "-" }, {
      id: "-",
      orderId: order.orderId,
      gigId: order.gigId,
      gigTitle: order.gigTitle,
      direction: "buyer_to_seller",
      rating: 4,
      comment: "Quick and careful.",
      reviewer: { username: "buyer1" },
      reply: null,
      createdAt: "-",
    });
    const bySeller = await f.review(order, seller, { rating: 5, comment: "Clear brief." });
    assert.equal(bySeller.status, 201);
    assert.equal(bySeller.body.direction, "seller_to_buyer");
    assert.equal(bySeller.body.reviewer.username, "seller1");

    // Exactly the CONTRACTS shape, one event per review, in the same transaction.
    const events = await f.outbox("review.created");
    assert.equal(events.length, 2);
    assert.deepEqual(events[0].data, {
      reviewId: byBuyer.body.id,
      orderId: order.orderId,
      gigId: order.gigId,
      reviewerId: buyer.id,
      revieweeId: seller.id,
      direction: "buyer_to_seller",
      rating: 4,
      comment: "Quick and careful.",
      createdAt: byBuyer.body.createdAt,
    });
    assert.deepEqual(events[1].data, {
      reviewId: bySeller.body.id,
      orderId: order.orderId,
      gigId: order.gigId,
      reviewerId: seller.id,
      revieweeId: buyer.id,
      direction: "seller_to_buyer",
      rating: 5,
      comment: "Clear brief.",
      createdAt: bySeller.body.createdAt,
    });
    assert.ok(!Number.isNaN(Date.parse(byBuyer.body.createdAt)));

    const single = await f.call("GET", `/api/v1/reviews/${byBuyer.body.id}`);
    assert.equal(single.status, 200);
    assert.deepEqual(single.body, byBuyer.body);
  } finally {
    await f.close();
  }
});

Deno.test("a second review of the same order by the same party is 409 already_reviewed and changes nothing", async () => {
  const f = await reviewsFixture("rev_twice");
  try {
    const buyer = await f.user("buyer2");
    const seller = await f.user("seller2");
    const order = await f.completedOrder(buyer, seller);
    const first = await f.review(order, buyer, { rating: 2, comment: "Late." });
    assert.equal(first.status, 201);
    const before = await f.counts();

    const again = await f.review(order, buyer, { rating: 5, comment: "Actually great!" });
    assertProblem(again, 409, "already_reviewed");
    assert.deepEqual(await f.counts(), before);
    const kept = await f.call("GET", `/api/v1/reviews/${first.body.id}`);
    assert.equal(kept.body.rating, 2);
    assert.equal(kept.body.comment, "Late.");
  } finally {
    await f.close();
  }
});

Deno.test("the same party posting twice at once gets one 201 and one 409", async () => {
  const f = await reviewsFixture("rev_race");
  try {
    const buyer = await f.user("buyer3");
    const seller = await f.user("seller3");
    const order = await f.completedOrder(buyer, seller);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => f.review(order, buyer, { rating: 5, comment: `#${i}` })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) {
      assertProblem(answer, 409, "already_reviewed");
    }
    const counts = await f.counts();
    assert.equal(counts.reviews, 1);
    assert.equal((await f.outbox("review.created")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("before order.completed a review is 409 order_not_completed; once completed it is accepted", async () => {
  const f = await reviewsFixture("rev_early");
  try {
    const buyer = await f.user("buyer4");
    const seller = await f.user("seller4");
    const order = f.newOrder(buyer, seller);
    await f.deliver("order.created", f.orderEvent.created(order));

    for (const party of [buyer, seller]) {
      assertProblem(await f.review(order, party), 409, "order_not_completed");
    }
    assert.deepEqual(await f.counts(), { reviews: 0, replies: 0, outbox: 0 });
    const status = await f.call("GET", `/api/v1/orders/${order.orderId}/reviews`, {
      token: buyer.token,
    });
    assert.equal(status.status, 200);
    assert.deepEqual(status.body, {
      orderId: order.orderId,
      canReview: false,
      reason: "order_not_completed",
      reviewableUntil: null,
      items: [],
    });

    await f.deliver("order.completed", f.orderEvent.completed(order));
    assert.equal((await f.review(order, buyer)).status, 201);
  } finally {
    await f.close();
  }
});

Deno.test("someone not party to the order gets 404, exactly as for an unknown order, and nothing changes", async () => {
  const f = await reviewsFixture("rev_outsider");
  try {
    const buyer = await f.user("buyer5");
    const seller = await f.user("seller5");
    const outsider = await f.user("mallory");
    const order = await f.completedOrder(buyer, seller);

    const foreign = await f.review(order, outsider);
    assertProblem(foreign, 404, "order_not_found");
    const unknown = await f.call("POST", `/api/v1/orders/${crypto.randomUUID()}/reviews`, {
      body: { rating: 5, comment: "x" },
      token: outsider.token,
    });
    assertProblem(unknown, 404, "order_not_found");
    // Same status, code and words: the answer does not tell that the order exists.
    assert.deepEqual(foreign.body, unknown.body);
    // Nor does the order page.
    const page = await f.call("GET", `/api/v1/orders/${order.orderId}/reviews`, {
      token: outsider.token,
    });
    assertProblem(page, 404, "order_not_found");
    // A token that claims the buyer's *name* but is another user's id is still an outsider.
    const impostor = await f.keys.sign({ sub: outsider.id, username: buyer.username });
    assertProblem(
      await f.call("POST", `/api/v1/orders/${order.orderId}/reviews`, {
        body: { rating: 1, comment: "x" },
        token: impostor,
      }),
      404,
      "order_not_found",
    );
    assert.deepEqual(await f.counts(), { reviews: 0, replies: 0, outbox: 0 });
  } finally {
    await f.close();
  }
});

Deno.test("a cancelled order cannot be reviewed (409 order_cancelled), even if it also completed", async () => {
  const f = await reviewsFixture("rev_cancel");
  try {
    const buyer = await f.user("buyer6");
    const seller = await f.user("seller6");
    const cancelled = f.newOrder(buyer, seller);
    await f.deliver("order.created", f.orderEvent.created(cancelled));
    await f.deliver("order.cancelled", f.orderEvent.cancelled(cancelled));
    for (const party of [buyer, seller]) {
      assertProblem(await f.review(cancelled, party), 409, "order_cancelled");
    }
    // Orders never does both; if it did, cancellation (a refund) wins whatever the order.
    const both = await f.completedOrder(buyer, seller);
    await f.deliver("order.cancelled", f.orderEvent.cancelled(both));
    assertProblem(await f.review(both, buyer), 409, "order_cancelled");
    const page = await f.call("GET", `/api/v1/orders/${both.orderId}/reviews`, {
      token: seller.token,
    });
    assert.equal(page.body.canReview, false);
    assert.equal(page.body.reason, "order_cancelled");
    assert.equal(page.body.reviewableUntil, null);
    assert.deepEqual(await f.counts(), { reviews: 0, replies: 0, outbox: 0 });
  } finally {
    await f.close();
  }
});

Deno.test("after the review window (REVIEW_WINDOW_DAYS after completion) a review is 409 review_window_closed", async () => {
  const f = await reviewsFixture("rev_window", { reviewWindowDays: 14 });
  try {
    const buyer = await f.user("buyer7");
    const seller = await f.user("seller7");
    const old = await f.completedOrder(buyer, seller, {
      completedAt: new Date(Date.now() - 15 * DAY),
    });
    assertProblem(await f.review(old, buyer), 409, "review_window_closed");
    const recentAt = new Date(Date.now() - 13 * DAY);
    const recent = await f.completedOrder(buyer, seller, { completedAt: recentAt });
    const page = await f.call("GET", `/api/v1/orders/${recent.orderId}/reviews`, {
      token: buyer.token,
    });
    assert.equal(page.body.canReview, true);
    assert.equal(page.body.reason, null);
    assert.equal(page.body.reviewableUntil, new Date(recentAt.getTime() + 14 * DAY).toISOString());
    assert.equal((await f.review(recent, buyer)).status, 201);
    assert.equal((await f.counts()).reviews, 1);
  } finally {
    await f.close();
  }
});

Deno.test("GET /orders/{id}/reviews shows the parties both reviews and whether the caller may still write theirs", async () => {
  const f = await reviewsFixture("rev_orderpage");
  try {
    const buyer = await f.user("buyer8");
    const seller = await f.user("seller8");
    const order = await f.completedOrder(buyer, seller);
    const written = await f.review(order, buyer, { rating: 3, comment: "OK" });

    const asBuyer = await f.call("GET", `/api/v1/orders/${order.orderId}/reviews`, {
      token: buyer.token,
    });
    assert.equal(asBuyer.status, 200);
    assert.equal(asBuyer.headers.get("cache-control"), "private, no-store");
    assert.equal(asBuyer.body.canReview, false);
    assert.equal(asBuyer.body.reason, "already_reviewed");
    assert.deepEqual(asBuyer.body.items, [written.body]);

    const asSeller = await f.call("GET", `/api/v1/orders/${order.orderId}/reviews`, {
      token: seller.token,
    });
    assert.equal(asSeller.body.canReview, true);
    assert.equal(asSeller.body.reason, null);
    assertProblem(await f.call("GET", `/api/v1/orders/${order.orderId}/reviews`), 401);
  } finally {
    await f.close();
  }
});

Deno.test("a reviewer whose user.registered has not arrived is named from their verified token", async () => {
  const f = await reviewsFixture("rev_unknown_name");
  try {
    const buyerId = crypto.randomUUID();
    const buyer = {
      id: buyerId,
      username: "latecomer",
      token: await f.keys.sign({ sub: buyerId, username: "latecomer" }),
    };
    const seller = await f.user("seller9");
    const order = await f.completedOrder(buyer, seller);
    const posted = await f.review(order, buyer);
    assert.equal(posted.status, 201);
    assert.equal(posted.body.reviewer.username, "latecomer");
    // The event arriving afterwards is the authority, and changes nothing visible here.
    await f.deliver("user.registered", { userId: buyerId, username: "latecomer", email: "l@x.io" });
    const list = await f.call("GET", "/api/v1/users/latecomer/reviews?as=buyer");
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 0);
    const sellerList = await f.call("GET", "/api/v1/users/seller9/reviews");
    assert.equal(sellerList.body.items[0].reviewer.username, "latecomer");
  } finally {
    await f.close();
  }
});
