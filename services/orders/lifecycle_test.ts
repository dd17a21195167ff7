/**
 * The order routes after placement, against a real PostgreSQL database and the
 * Stripe double: delivery, revisions, acceptance, extension and cancellation
 * requests, late cancellation, abandonment, the events each publishes (in the
 * shapes of docs/CONTRACTS.md), the list, and every way of acting on someone
 * else's order or in the wrong role: 404/403/409 problems that change nothing.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import {
  type OrdersFixture,
  ordersFixture,
  type TestGig,
  type TestResponse,
  type TestUser,
} from "./test_support.ts";

const DAY = 86_400_000;

interface Cast {
  seller: TestUser;
  buyer: TestUser;
  stranger: TestUser;
  gig: TestGig;
}

async function cast(f: OrdersFixture): Promise<Cast> {
  const seller = await f.user("sam");
  return {
    seller,
    buyer: await f.user("bea"),
    stranger: await f.user("eve"),
    gig: await f.seedGig(seller),
  };
}

/** A paid order of the cast's gig, as the buyer sees it. */
async function paidOrder(f: OrdersFixture, c: Cast, tier = "standard") {
  const order = await f.order(c.buyer, c.gig, tier);
  await f.pay(order);
  return order;
}

const post = (f: OrdersFixture, user: TestUser | null, path: string, body?: unknown) =>
  f.call("POST", path, { token: user?.token, body });

Deno.test("an order's life: paid, delivered, revised, delivered, accepted, with its events and timeline", async () => {
  const f = await ordersFixture({ prefix: "orders_life", autoCompleteMs: 2 * DAY });
  try {
    const c = await cast(f);
    const order = await paidOrder(f, c);
    const base = `/api/v1/orders/${order.id}`;
    const ref = {
      orderId: order.id,
      gigId: c.gig.gigId,
      buyerId: c.buyer.userId,
      sellerId: c.seller.userId,
    };
    const gigTitle = c.gig.title;

    let view = await f.view(c.buyer, order.id);
    assert.equal(view.status, "in_progress");
    assert.equal(view.late, false);
    assert.equal(view.payment.status, "succeeded");
    assert.equal(view.payment.clientSecret, undefined, "no client secret once paid");
    assert.equal(Date.parse(view.dueAt) - Date.parse(view.paidAt), 5 * DAY);
    const [paid] = await f.events("order.paid");
    assert.deepEqual(paid.data, {
      ...ref,
      gigTitle,
      total: { amount: 5375, currency: "USD" },
      paidAt: view.paidAt,
      dueAt: view.dueAt,
    });

    const delivered = await post(f, c.seller, `${base}/deliveries`, {
      message: "First draft",
      files: ["https://files.example/logo-v1.png"],
    });
    assert.equal(delivered.status, 201, JSON.stringify(delivered.body));
    assert.equal(delivered.body.order.status, "delivered");
    const [deliveredEvent] = await f.events("order.delivered");
    assert.deepEqual(deliveredEvent.data, {
      ...ref,
      gigTitle,
      deliveryId: delivered.body.deliveryId,
      fileMediaIds: [],
      deliveredAt: delivered.body.order.deliveredAt,
      autoCompleteAt: delivered.body.order.autoCompleteAt,
    });
    assert.equal(
      Date.parse(delivered.body.order.autoCompleteAt) -
        Date.parse(delivered.body.order.deliveredAt),
      2 * DAY,
    );

    const revised = await post(f, c.buyer, `${base}/revisions`, { message: "Bigger, please" });
    assert.equal(revised.status, 201);
    assert.equal(revised.body.order.status, "in_revision");
    assert.deepEqual(revised.body.order.revisions, { included: 2, used: 1, left: 1 });
    assert.equal(revised.body.order.autoCompleteAt, null);
    const [revisionEvent] = await f.events("order.revision_requested");
    assert.deepEqual(revisionEvent.data, {
      ...ref,
      gigTitle,
      revisionsLeft: 1,
      requestedAt: revised.body.order.revisionRequests[0].requestedAt,
    });

    await post(f, c.seller, `${base}/deliveries`, { message: "Second draft" });
    const accepted = await post(f, c.buyer, `${base}/accept`);
    assert.equal(accepted.status, 200);
    view = accepted.body.order;
    assert.equal(view.status, "completed");
    assert.equal(view.completedBy, "buyer");
    assert.equal(view.deliveries.length, 2);
    assert.deepEqual(view.deliveries[0].files, ["https://files.example/logo-v1.png"]);
    assert.deepEqual(view.deliveries[1].files, []);
    assert.equal(view.revisionRequests[0].message, "Bigger, please");
    assert.deepEqual(view.timeline.map((e: { kind: string }) => e.kind), [
      "placed",
      "paid",
      "delivered",
      "revision_requested",
      "delivered",
      "completed",
    ]);
    const [completed] = await f.events("order.completed");
    assert.deepEqual(completed.data, {
      ...ref,
      gigTitle,
      price: { amount: 5000, currency: "USD" },
      sellerEarnings: { amount: 4000, currency: "USD" },
      completedAt: view.completedAt,
      by: "buyer",
    });
    assert.deepEqual((await f.events()).map((e) => e.type), [
      "order.created",
      "order.paid",
      "order.delivered",
      "order.revision_requested",
      "order.delivered",
      "order.completed",
    ]);
    // Released: the seller's share is pending, the fee and commission are the platform's.
    const { accounts, total } = await f.ledger();
    assert.equal(total, 0);
    assert.equal(accounts["escrow:USD"], 0);
    assert.equal(accounts["seller_pending:USD"], -4000);
    assert.equal(accounts["platform_fees:USD"], -1375);
    assert.equal(accounts["stripe_clearing:USD"], 5375);
    // Done is done.
    assertProblem(await post(f, c.buyer, `${base}/accept`), 409, "illegal_transition");
  } finally {
    await f.close();
  }
});

Deno.test("revisions run out: the next request is a 409 and the buyer must accept", async () => {
  const f = await ordersFixture({ prefix: "orders_revs" });
  try {
    const c = await cast(f);
    const order = await paidOrder(f, c, "basic"); // one revision
    const base = `/api/v1/orders/${order.id}`;
    await post(f, c.seller, `${base}/deliveries`, { message: "v1" });
    assert.equal((await post(f, c.buyer, `${base}/revisions`, { message: "again" })).status, 201);
    await post(f, c.seller, `${base}/deliveries`, { message: "v2" });
    const before = await f.snapshot();
    const res = await post(f, c.buyer, `${base}/revisions`, { message: "once more" });
    assertProblem(res, 409, "no_revisions_left");
    assert.equal(res.body.currentStatus, "delivered");
    assert.deepEqual(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});

Deno.test("extension requests: the seller asks, the buyer approves (due date moves) or declines", async () => {
  const f = await ordersFixture({ prefix: "orders_ext" });
  try {
    const c = await cast(f);
    const order = await paidOrder(f, c);
    const base = `/api/v1/orders/${order.id}`;
    const due = Date.parse((await f.view(c.buyer, order.id)).dueAt);

    assertProblem(
      await post(f, c.buyer, `${base}/extension-requests`, { days: 2, reason: "x" }),
      403,
    );
    const asked = await post(f, c.seller, `${base}/extension-requests`, {
      days: 2,
      reason: "Sick",
    });
    assert.equal(asked.status, 201);
    const requestId = asked.body.requestId;
    assertProblem(
      await post(f, c.seller, `${base}/extension-requests`, { days: 1, reason: "More" }),
      409,
      "extension_pending",
    );
    assertProblem(
      await post(f, c.seller, `${base}/extension-requests/${requestId}/answer`, { approve: true }),
      403,
      "wrong_party",
    );
    assertProblem(
      await post(f, c.buyer, `${base}/extension-requests/${crypto.randomUUID()}/answer`, {
        approve: true,
      }),
      409,
      "request_not_open",
    );
    const approved = await post(f, c.buyer, `${base}/extension-requests/${requestId}/answer`, {
      approve: true,
    });
    assert.equal(approved.status, 200);
    assert.equal(Date.parse(approved.body.order.dueAt) - due, 2 * DAY);
    assert.equal(approved.body.order.extensionDays, 2);
    assert.equal(approved.body.order.extensionRequests[0].status, "approved");
    assertProblem(
      await post(f, c.buyer, `${base}/extension-requests/${requestId}/answer`, { approve: true }),
      409,
      "illegal_transition",
    );

    const second = await post(f, c.seller, `${base}/extension-requests`, {
      days: 5,
      reason: "Again",
    });
    const declined = await post(
      f,
      c.buyer,
      `${base}/extension-requests/${second.body.requestId}/answer`,
      {
        approve: false,
      },
    );
    assert.equal(declined.body.order.dueAt, approved.body.order.dueAt);
    assert.equal(declined.body.order.extensionDays, 2);

    const requested = await f.events("order.extension_requested");
    assert.deepEqual(requested[0].data, {
      orderId: order.id,
      gigId: c.gig.gigId,
      buyerId: c.buyer.userId,
      sellerId: c.seller.userId,
      gigTitle: c.gig.title,
      days: 2,
      reason: "Sick",
      requestId,
    });
    const answered = await f.events("order.extension_answered");
    assert.deepEqual(answered.map((e) => [e.data.requestId, e.data.approved, e.data.dueAt]), [
      [requestId, true, approved.body.order.dueAt],
      [second.body.requestId, false, approved.body.order.dueAt],
    ]);

    // Delivering withdraws an open extension request: it is moot.
    const third = await post(f, c.seller, `${base}/extension-requests`, {
      days: 1,
      reason: "Last",
    });
    const delivered = await post(f, c.seller, `${base}/deliveries`, { message: "Done" });
    const withdrawn = delivered.body.order.extensionRequests.find(
      (r: { id: string }) => r.id === third.body.requestId,
    );
    assert.equal(withdrawn.status, "withdrawn");
  } finally {
    await f.close();
  }
});

Deno.test("cancellation requests: declined changes nothing, accepted cancels and refunds the total through Stripe", async () => {
  const f = await ordersFixture({ prefix: "orders_cancel" });
  try {
    const c = await cast(f);
    const order = await paidOrder(f, c);
    const base = `/api/v1/orders/${order.id}`;

    const first = await post(f, c.seller, `${base}/cancellation-requests`, {
      reason: "Cannot do it",
    });
    assert.equal(first.status, 201);
    assertProblem(
      await post(f, c.buyer, `${base}/cancellation-requests`, { reason: "Me too" }),
      409,
      "cancellation_pending",
    );
    assertProblem(
      await post(f, c.seller, `${base}/cancellation-requests/${first.body.requestId}/answer`, {
        accept: true,
      }),
      403,
      "wrong_party",
    );
    const declined = await post(
      f,
      c.buyer,
      `${base}/cancellation-requests/${first.body.requestId}/answer`,
      {
        accept: false,
      },
    );
    assert.equal(declined.status, 200);
    assert.equal(declined.body.order.status, "in_progress");

    const second = await post(f, c.buyer, `${base}/cancellation-requests`, {
      reason: "Changed my mind",
    });
    const accepted = await post(
      f,
      c.seller,
      `${base}/cancellation-requests/${second.body.requestId}/answer`,
      {
        accept: true,
      },
    );
    assert.equal(accepted.status, 200);
    const view = accepted.body.order;
    assert.equal(view.status, "cancelled");
    assert.deepEqual(view.cancellation, { by: "seller", reason: "Changed my mind" });
    // Refunded through Stripe with the order's key; the double answered "succeeded".
    const [refund] = [...f.stripe.refunds.values()];
    assert.equal(refund.amount, 5375);
    assert.equal(refund.payment_intent, order.payment.paymentIntentId);
    const refundCall = f.stripe.requests.find((r) => r.path === "/v1/refunds")!;
    assert.equal(refundCall.idempotencyKey, `refund-${order.id}`);
    assert.equal(view.payment.status, "refunded");
    assert.deepEqual(view.payment.refund, { amount: 5375, currency: "USD", status: "succeeded" });
    const ledger = await f.ledger();
    assert.equal(ledger.total, 0);
    assert.equal(ledger.accounts["escrow:USD"], 0);
    assert.equal(ledger.accounts["buyer_refunds:USD"], -5375);

    const ref = {
      orderId: order.id,
      gigId: c.gig.gigId,
      buyerId: c.buyer.userId,
      sellerId: c.seller.userId,
    };
    const requested = await f.events("order.cancellation_requested");
    assert.deepEqual(requested.map((e) => e.data), [
      {
        ...ref,
        gigTitle: c.gig.title,
        requestId: first.body.requestId,
        requestedBy: "seller",
        reason: "Cannot do it",
      },
      {
        ...ref,
        gigTitle: c.gig.title,
        requestId: second.body.requestId,
        requestedBy: "buyer",
        reason: "Changed my mind",
      },
    ]);
    const answered = await f.events("order.cancellation_answered");
    assert.deepEqual(answered.map((e) => [e.data.requestId, e.data.accepted]), [
      [first.body.requestId, false],
      [second.body.requestId, true],
    ]);
    const [cancelled] = await f.events("order.cancelled");
    assert.deepEqual(cancelled.data, {
      ...ref,
      gigTitle: c.gig.title,
      reason: "Changed my mind",
      refund: { amount: 5375, currency: "USD" },
      cancelledAt: view.cancelledAt,
    });
    // Nothing moves a cancelled order.
    assertProblem(
      await post(f, c.seller, `${base}/deliveries`, { message: "late" }),
      409,
      "illegal_transition",
    );
  } finally {
    await f.close();
  }
});

Deno.test("the buyer cancels a late order alone; on time it is a 409; an unpaid order is abandoned without refund", async () => {
  const f = await ordersFixture({ prefix: "orders_late" });
  try {
    const c = await cast(f);
    const order = await paidOrder(f, c); // five days to deliver
    const base = `/api/v1/orders/${order.id}`;
    const early = await post(f, c.buyer, `${base}/cancel`, { reason: "Impatient" });
    assertProblem(early, 409, "not_late");
    assert.equal(early.body.currentStatus, "in_progress");
    assertProblem(await post(f, c.seller, `${base}/cancel`, { reason: "x" }), 403, "wrong_party");

    f.clock.advance(5 * DAY + 60_000);
    const view = await f.view(c.buyer, order.id);
    assert.equal(view.late, true);
    const list = await f.call("GET", "/api/v1/orders?status=active", { token: c.seller.token });
    assert.equal(list.body.items[0].late, true);
    const cancelled = await post(f, c.buyer, `${base}/cancel`, { reason: "Never delivered" });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.order.status, "cancelled");
    assert.equal(cancelled.body.order.late, false);
    assert.equal(cancelled.body.order.payment.status, "refunded");

    const unpaid = await f.order(c.buyer, c.gig);
    const abandoned = await post(f, c.buyer, `/api/v1/orders/${unpaid.id}/cancel`, {});
    assert.equal(abandoned.status, 200);
    assert.equal(abandoned.body.order.status, "cancelled");
    assert.equal(abandoned.body.order.cancellation.reason, "Abandoned before payment.");
    const events = await f.events("order.cancelled");
    assert.deepEqual(events.map((e) => e.data.refund), [{ amount: 5375, currency: "USD" }, null]);
    assert.equal(f.stripe.refunds.size, 1, "nothing to refund for the unpaid order");
    assert.equal((await f.ledger()).total, 0);
  } finally {
    await f.close();
  }
});

Deno.test("other users get 404 and the wrong party 403 on every order route; nothing changes", async () => {
  const f = await ordersFixture({ prefix: "orders_bola" });
  try {
    const c = await cast(f);
    const order = await paidOrder(f, c);
    const base = `/api/v1/orders/${order.id}`;
    const ext = await post(f, c.seller, `${base}/extension-requests`, { days: 1, reason: "r" });
    const can = await post(f, c.seller, `${base}/cancellation-requests`, { reason: "r" });
    const routes: [string, unknown][] = [
      [`${base}/deliveries`, { message: "m" }],
      [`${base}/revisions`, { message: "m" }],
      [`${base}/accept`, undefined],
      [`${base}/cancel`, { reason: "r" }],
      [`${base}/cancellation-requests`, { reason: "r" }],
      [`${base}/cancellation-requests/${can.body.requestId}/answer`, { accept: true }],
      [`${base}/extension-requests`, { days: 1, reason: "r" }],
      [`${base}/extension-requests/${ext.body.requestId}/answer`, { approve: true }],
    ];
    const before = await f.snapshot();
    const refundsBefore = f.stripe.refunds.size;

    const read = await f.call("GET", base, { token: c.stranger.token });
    assertProblem(read, 404, "not_found");
    const unknown = await f.call("GET", `/api/v1/orders/${crypto.randomUUID()}`, {
      token: c.buyer.token,
    });
    assert.deepEqual(read.body.detail, unknown.body.detail, "another's order looks like no order");
    for (const [path, body] of routes) {
      assertProblem(await post(f, c.stranger, path, body), 404, "not_found");
      assertProblem(await post(f, null, path, body), 401, "unauthorized");
    }
    // Role-specific moves by the wrong party.
    assertProblem(
      await post(f, c.buyer, `${base}/deliveries`, { message: "m" }),
      403,
      "wrong_party",
    );
    assertProblem(await post(f, c.seller, `${base}/accept`), 403, "wrong_party");
    assertProblem(
      await post(f, c.seller, `${base}/revisions`, { message: "m" }),
      403,
      "wrong_party",
    );
    assertProblem(await post(f, c.seller, `${base}/cancel`, { reason: "r" }), 403, "wrong_party");
    assertProblem(
      await post(f, c.seller, `${base}/extension-requests/${ext.body.requestId}/answer`, {
        approve: true,
      }),
      403,
    );
    // An illegal move names the current status.
    const notYet = await post(f, c.buyer, `${base}/accept`);
    assertProblem(notYet, 409, "illegal_transition");
    assert.equal(notYet.body.currentStatus, "in_progress");
    const notDelivered = await post(f, c.buyer, `${base}/revisions`, { message: "m" });
    assertProblem(notDelivered, 409, "illegal_transition");
    assert.equal(notDelivered.body.currentStatus, "in_progress");
    assert.match(notDelivered.body.detail, /in_progress/);

    // Bad ids and bodies: 400, never 500.
    assertProblem(await f.call("GET", "/api/v1/orders/not-a-uuid", { token: c.buyer.token }), 400);
    assertProblem(await post(f, c.seller, "/api/v1/orders/1/deliveries", { message: "m" }), 400);
    assertProblem(await post(f, c.seller, `${base}/deliveries`, { message: "" }), 400);
    assertProblem(
      await post(f, c.seller, `${base}/deliveries`, {
        message: "m",
        files: ["http://x.example/a"],
      }),
      400,
    );
    assertProblem(
      await post(f, c.seller, `${base}/deliveries`, {
        message: "m",
        files: ["javascript:alert(1)"],
      }),
      400,
    );
    assertProblem(await post(f, c.seller, `${base}/deliveries`, { message: "m", extra: 1 }), 400);
    assertProblem(await post(f, c.seller, `${base}/deliveries`, { message: "a\u0000b" }), 400);
    assertProblem(
      await post(f, c.seller, `${base}/extension-requests`, { days: 31, reason: "r" }),
      400,
    );
    assertProblem(
      await post(f, c.seller, `${base}/extension-requests`, { days: "2", reason: "r" }),
      400,
    );
    assertProblem(
      await post(f, c.buyer, `${base}/cancellation-requests/${can.body.requestId}/answer`, {
        accept: "yes",
      }),
      400,
    );
    assertProblem(
      await post(f, c.buyer, `${base}/cancellation-requests/x/answer`, { accept: true }),
      400,
    );
    assertProblem(
      await f.call("POST", `${base}/revisions`, { token: c.buyer.token, body: "{" }),
      400,
      "malformed_json",
    );

    assert.deepEqual(await f.snapshot(), before);
    assert.equal(f.stripe.refunds.size, refundsBefore);
  } finally {
    await f.close();
  }
});

Deno.test("GET /orders lists the caller's orders by role and status, newest first, paged; bad queries are 400", async () => {
  const f = await ordersFixture({ prefix: "orders_list" });
  try {
    const c = await cast(f);
    const otherGig = await f.seedGig(c.buyer); // the buyer also sells
    const unpaid = await f.order(c.buyer, c.gig);
    const active = await paidOrder(f, c);
    const done = await paidOrder(f, c);
    await post(f, c.seller, `/api/v1/orders/${done.id}/deliveries`, { message: "m" });
    await post(f, c.buyer, `/api/v1/orders/${done.id}/accept`);
    const abandoned = await f.order(c.buyer, c.gig);
    await post(f, c.buyer, `/api/v1/orders/${abandoned.id}/cancel`, {});
    const sold = await f.order(c.seller, otherGig); // the seller buys from the buyer

    const list = (user: TestUser, query = "") =>
      f.call("GET", `/api/v1/orders${query}`, { token: user.token });
    const ids = (res: TestResponse) => res.body.items.map((o: { id: string }) => o.id);

    const all = await list(c.buyer);
    assert.deepEqual(ids(all), [sold.id, abandoned.id, done.id, active.id, unpaid.id]);
    assert.equal(all.body.total, 5);
    assert.deepEqual(ids(await list(c.buyer, "?role=buyer")), [
      abandoned.id,
      done.id,
      active.id,
      unpaid.id,
    ]);
    assert.deepEqual(ids(await list(c.buyer, "?role=seller")), [sold.id]);
    assert.deepEqual(ids(await list(c.buyer, "?role=buyer&status=active")), [active.id, unpaid.id]);
    assert.deepEqual(ids(await list(c.buyer, "?status=completed")), [done.id]);
    assert.deepEqual(ids(await list(c.buyer, "?status=cancelled")), [abandoned.id]);
    const page2 = await list(c.buyer, "?limit=2&page=2");
    assert.deepEqual(ids(page2), [done.id, active.id]);
    assert.equal(page2.body.total, 5);
    const sellerView = (await list(c.seller, "?role=seller")).body.items[0];
    assert.equal(sellerView.role, "seller");
    assert.ok(sellerView.sellerEarnings);
    assert.equal(sellerView.total, undefined);
    assert.equal((await list(c.stranger)).body.total, 0);

    for (
      const query of [
        "?limit=51",
        "?limit=0",
        "?limit=abc",
        "?page=1.5",
        "?page=-1",
        "?page=1001",
        "?role=admin",
        "?status=late",
        "?sort=price",
        "?limit=1&limit=2",
      ]
    ) {
      assertProblem(await list(c.buyer, query), 400, "validation_failed");
    }
    assertProblem(await f.call("GET", "/api/v1/orders"), 401);
  } finally {
    await f.close();
  }
});
