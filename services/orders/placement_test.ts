/**
 * `POST /api/v1/orders` against a real PostgreSQL database and the real Stripe
 * SDK talking to the Stripe double: prices come from the replica, the
 * Idempotency-Key makes one order and one PaymentIntent however often (and
 * however concurrently) it is sent, and every refused request changes nothing.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import { type OrdersFixture, ordersFixture } from "./test_support.ts";

async function unchanged(f: OrdersFixture, before: unknown, intentsBefore: number) {
  assert.deepEqual(await f.snapshot(), before);
  assert.equal(f.stripe.paymentIntents.size, intentsBefore);
}

Deno.test("placing an order", async (t) => {
  const f = await ordersFixture({ prefix: "orders_place" });
  const seller = await f.user("sam");
  const buyer = await f.user("bea");
  const gig = await f.seedGig(seller);
  const post = (body: unknown, key: string | null = crypto.randomUUID(), token = buyer.token) =>
    f.call("POST", "/api/v1/orders", {
      token,
      body,
      headers: key === null ? {} : { "idempotency-key": key },
    });
  const valid = (tier = "standard") => ({
    gigId: gig.gigId,
    package: tier,
    requirements: [
      { questionId: gig.requirements[0].id, answer: "  Acme  " },
      { questionId: gig.requirements[1].id, answer: "flat" },
    ],
  });
  try {
    await t.step(
      "prices from the replica and creates a PaymentIntent for price + service fee",
      async () => {
        const res = await post(valid());
        assert.equal(res.status, 201, JSON.stringify(res.body));
        const order = res.body;
        assert.equal(res.headers.get("location"), `/api/v1/orders/${order.id}`);
        assert.equal(order.status, "pending_payment");
        assert.equal(order.role, "buyer");
        assert.deepEqual(order.price, { amount: 5000, currency: "USD" });
        // 5.5 % of 50.00 = 2.75, plus the fixed 1.00.
        assert.deepEqual(order.serviceFee, { amount: 375, currency: "USD" });
        assert.deepEqual(order.total, { amount: 5375, currency: "USD" });
        assert.equal(order.deliveryDays, 5);
        assert.deepEqual(order.revisions, { included: 2, used: 0, left: 2 });
        assert.equal(order.sellerEarnings, undefined, "the buyer does not see the seller's share");
        assert.deepEqual(order.requirements, [
          {
            questionId: gig.requirements[0].id,
            question: "What is your brand name?",
            answer: "Acme",
          },
          { questionId: gig.requirements[1].id, question: "Which style?", answer: "flat" },
        ]);
        const intent = f.stripe.paymentIntents.get(order.payment.paymentIntentId)!;
        assert.equal(intent.amount, 5375);
        assert.equal(intent.currency, "usd");
        assert.deepEqual(intent.metadata, {
          order_id: order.id,
          buyer_id: buyer.userId,
          gig_id: gig.gigId,
        });
        assert.equal(order.payment.clientSecret, intent.client_secret);
        assert.equal(order.payment.status, "requires_payment");
        const [created] = f.stripe.requests.filter((r) => r.path === "/v1/payment_intents");
        assert.equal(created.idempotencyKey, `order-${order.id}`);

        const [event] = await f.events("order.created");
        assert.deepEqual(event.data, {
          orderId: order.id,
          gigId: gig.gigId,
          buyerId: buyer.userId,
          sellerId: seller.userId,
          package: "standard",
          gigTitle: gig.title,
          price: { amount: 5000, currency: "USD" },
          serviceFee: { amount: 375, currency: "USD" },
          total: { amount: 5375, currency: "USD" },
          createdAt: order.createdAt,
          offerId: null,
        });
        // The seller sees the order, their earnings (price − 20 %) and no client secret.
        const sellerView = await f.view(seller, order.id);
        assert.equal(sellerView.role, "seller");
        assert.deepEqual(sellerView.sellerEarnings, { amount: 4000, currency: "USD" });
        assert.deepEqual(sellerView.commission, { amount: 1000, currency: "USD" });
        assert.equal(sellerView.payment.clientSecret, undefined);
      },
    );

    await t.step(
      "a price in the request is refused as an unknown field and changes nothing",
      async () => {
        const before = await f.snapshot();
        const intents = f.stripe.paymentIntents.size;
        for (
          const extra of [
            { price: { amount: 1, currency: "USD" } },
            { total: 1 },
            { amount: 1 },
            { currency: "EUR" },
            { sellerId: buyer.userId },
          ]
        ) {
          const res = await post({ ...valid(), ...extra });
          assertProblem(res, 400, "validation_failed");
          assert.ok(res.body.errors.some((e: { detail: string }) => e.detail === "Unknown field."));
        }
        const tampered = await post({ ...valid(), package: { tier: "basic", price: 1 } });
        assertProblem(tampered, 400, "validation_failed");
        await unchanged(f, before, intents);
      },
    );

    await t.step(
      "refuses own gigs, paused, deleted and unknown gigs, missing packages",
      async () => {
        const before = await f.snapshot();
        const intents = f.stripe.paymentIntents.size;
        assertProblem(await post(valid(), undefined, seller.token), 403, "own_gig");
        const paused = await f.seedGig(seller, { status: "paused" });
        assertProblem(await post({ ...valid(), gigId: paused.gigId }), 409, "gig_paused");
        const deleted = await f.seedGig(seller);
        await f.gigEvent("gig.deleted", {
          gigId: deleted.gigId,
          sellerId: seller.userId,
          deletedAt: new Date().toISOString(),
        });
        assertProblem(await post({ ...valid(), gigId: deleted.gigId }), 404, "gig_not_found");
        assertProblem(await post({ ...valid(), gigId: crypto.randomUUID() }), 404, "gig_not_found");
        const res = await post(valid("premium"));
        assertProblem(res, 400, "validation_failed");
        assert.equal(res.body.errors[0].pointer, "/package");
        await unchanged(f, before, intents);
      },
    );

    await t.step(
      "requires every required answer, known questions once, choices from the list",
      async () => {
        const before = await f.snapshot();
        const intents = f.stripe.paymentIntents.size;
        const [brand, style] = gig.requirements;
        const cases: [unknown[], string][] = [
          [[], "/requirements"],
          [[{ questionId: style.id, answer: "flat" }], "/requirements"],
          [[{ questionId: brand.id, answer: "   " }], "/requirements/0/answer"],
          [
            [{ questionId: brand.id, answer: "x" }, { questionId: "nope", answer: "y" }],
            "/requirements/1/questionId",
          ],
          [
            [{ questionId: brand.id, answer: "x" }, { questionId: brand.id, answer: "y" }],
            "/requirements/1/questionId",
          ],
          [
            [{ questionId: brand.id, answer: "x" }, { questionId: style.id, answer: "baroque" }],
            "/requirements/1/answer",
          ],
          [[{ questionId: brand.id, answer: "x".repeat(5001) }], "/requirements/0/answer"],
        ];
        for (const [requirements, pointer] of cases) {
          const res = await post({ gigId: gig.gigId, package: "basic", requirements });
          assertProblem(res, 400, "validation_failed");
          assert.ok(
            res.body.errors.some((e: { pointer: string }) => e.pointer === pointer),
            `${JSON.stringify(requirements).slice(0, 80)}: ${JSON.stringify(res.body.errors)}`,
          );
        }
        await unchanged(f, before, intents);
      },
    );

    await t.step(
      "bad input is a 4xx problem: no key, bad key, malformed JSON, wrong types, no token, huge body",
      async () => {
        const before = await f.snapshot();
        const intents = f.stripe.paymentIntents.size;
        assertProblem(await post(valid(), null), 400, "idempotency_key_required");
        assertProblem(await post(valid(), "has space"), 400, "idempotency_key_invalid");
        assertProblem(await post(valid(), "k".repeat(256)), 400, "idempotency_key_invalid");
        assertProblem(await post("{not json"), 400, "malformed_json");
        assertProblem(
          await post({ gigId: "not-a-uuid", package: "basic" }),
          400,
          "validation_failed",
        );
        assertProblem(await post({ gigId: gig.gigId, package: "gold" }), 400, "validation_failed");
        assertProblem(await post({ gigId: gig.gigId, package: "basic", requirements: "x" }), 400);
        assertProblem(await post([valid()]), 400, "validation_failed");
        assertProblem(
          await f.call("POST", "/api/v1/orders", {
            body: "gigId=1",
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              "idempotency-key": "k1",
            },
            token: buyer.token,
          }),
          415,
        );
        assertProblem(
          await f.call("POST", "/api/v1/orders", {
            body: valid(),
            headers: { "idempotency-key": "k" },
          }),
          401,
        );
        assertProblem(
          await f.call("POST", "/api/v1/orders", {
            body: valid(),
            token: `${buyer.token.slice(0, -3)}abc`,
            headers: { "idempotency-key": "k" },
          }),
          401,
        );
        const huge = {
          ...valid(),
          requirements: [{ questionId: "q", answer: "x".repeat(70_000) }],
        };
        assertProblem(await post(huge), 413, "body_too_large");
        await unchanged(f, before, intents);
      },
    );

    await t.step(
      "the same key again returns the same order; with another body it is a 422",
      async () => {
        const key = crypto.randomUUID();
        const first = await post(valid("basic"), key);
        assert.equal(first.status, 201);
        const again = await post(valid("basic"), key);
        assert.equal(again.status, 201);
        assert.equal(again.headers.get("idempotent-replayed"), "true");
        assert.equal(again.body.id, first.body.id);
        assert.equal(again.body.payment.paymentIntentId, first.body.payment.paymentIntentId);
        // Answers in another order and with other spacing are the same request.
        const reordered = await post({
          ...valid("basic"),
          requirements: [...valid().requirements].reverse(),
        }, key);
        assert.equal(reordered.body.id, first.body.id);

        const before = await f.snapshot();
        const intents = f.stripe.paymentIntents.size;
        const other = await post(valid("standard"), key);
        assertProblem(other, 422, "idempotency_key_reused");
        await unchanged(f, before, intents);
        // Keys belong to their buyer: another buyer's identical key is a new order.
        const otherBuyer = await f.user("olga");
        const theirs = await post(valid("basic"), key, otherBuyer.token);
        assert.equal(theirs.status, 201);
        assert.notEqual(theirs.body.id, first.body.id);
      },
    );

    await t.step(
      "ten concurrent requests with one key make one order and one PaymentIntent; duplicates in flight are 409s",
      async () => {
        const key = crypto.randomUUID();
        const ordersBefore = (await f.snapshot()).orders;
        const intentCalls = f.stripe.count("POST", "/v1/payment_intents");
        const answers = await Promise.all(Array.from({ length: 10 }, () => post(valid(), key)));
        // Each is the order (first or replayed) or a 409 while the first still ran.
        for (const res of answers) {
          if (res.status === 409) assertProblem(res, 409, "idempotency_key_in_use");
          else assert.equal(res.status, 201, JSON.stringify(res.body));
        }
        const placed = answers.filter((r) => r.status === 201);
        assert.equal(
          placed.filter((r) => r.headers.get("idempotent-replayed") !== "true").length,
          1,
        );
        const retried = await post(valid(), key);
        assert.equal(retried.headers.get("idempotent-replayed"), "true");
        const ids = new Set([...placed, retried].map((r) => r.body.id));
        const intents = new Set([...placed, retried].map((r) => r.body.payment.paymentIntentId));
        assert.equal(ids.size, 1);
        assert.equal(intents.size, 1);
        assert.equal((await f.snapshot()).orders, ordersBefore + 1);
        assert.equal(f.stripe.count("POST", "/v1/payment_intents"), intentCalls + 1);
        const created = (await f.events("order.created")).filter((e) =>
          e.data.orderId === [...ids][0]
        );
        assert.equal(created.length, 1);
      },
    );

    await t.step(
      "a Stripe outage is a 502, leaves nothing behind, and the same key works once Stripe is back",
      async () => {
        const key = crypto.randomUUID();
        const before = await f.snapshot();
        f.stripe.failNext("POST", "/v1/payment_intents", 1, 503);
        const down = await post(valid(), key);
        assertProblem(down, 502, "payment_provider_error");
        assert.deepEqual(await f.snapshot(), before);
        const retried = await post(valid(), key);
        assert.equal(retried.status, 201);
        assert.equal(retried.headers.get("idempotent-replayed"), null);
      },
    );
  } finally {
    await f.close();
  }
});

Deno.test("a gig update changes the price of new orders, never of orders already placed", async () => {
  const f = await ordersFixture({ prefix: "orders_reprice" });
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const gig = await f.seedGig(seller);
    const before = await f.order(buyer, gig, "basic");
    const packages = structuredClone(gig.packages);
    packages[0].price.amount = 9900;
    packages[0].deliveryDays = 7;
    await f.gigEvent("gig.updated", {
      ...gig,
      packages,
      updatedAt: new Date(Date.now() + 1000).toISOString(),
    });
    const after = await f.order(buyer, gig, "basic");
    assert.equal(after.price.amount, 9900);
    assert.equal(after.deliveryDays, 7);
    const old = await f.view(buyer, before.id);
    assert.equal(old.price.amount, 2500);
    assert.equal(old.deliveryDays, 3);
  } finally {
    await f.close();
  }
});

Deno.test("local test payment mode: local_test ids, no Stripe call, and the buyer completes the payment", async () => {
  const f = await ordersFixture({ prefix: "orders_local", mode: "local_test" });
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const stranger = await f.user("eve");
    const gig = await f.seedGig(seller);
    const order = await f.order(buyer, gig);
    assert.equal(order.payment.provider, "local_test");
    assert.match(order.payment.paymentIntentId, /^local_test_pi_/);
    assert.equal(order.payment.clientSecret, null);
    assert.equal(
      order.payment.localTest.succeedPath,
      `/api/v1/payments/local-test/${order.id}/succeed`,
    );
    assert.equal(f.stripe.requests.length, 0);

    const path = order.payment.localTest.succeedPath;
    assertProblem(await f.call("POST", path, { token: stranger.token }), 404, "not_found");
    assertProblem(await f.call("POST", path, { token: seller.token }), 403, "wrong_party");
    assertProblem(await f.call("POST", path), 401);
    // The Stripe webhook does not exist in this mode.
    assert.equal(
      (await f.call("POST", "/api/v1/payments/stripe/webhook", { body: "{}" })).status,
      404,
    );

    const paid = await f.call("POST", path, { token: buyer.token });
    assert.equal(paid.status, 200);
    assert.equal(paid.body.localTest, true);
    assert.equal(paid.body.result, "paid");
    assert.equal(paid.body.order.status, "in_progress");
    const again = await f.call("POST", path, { token: buyer.token });
    assert.equal(again.body.result, "already_paid");
    assert.equal((await f.events("order.paid")).length, 1);
    assert.equal((await f.ledger()).accounts["escrow:USD"], -order.total.amount);

    // A late cancellation refunds at once (no money ever moved).
    f.clock.advance(4 * 86_400_000);
    const cancelled = await f.call("POST", `/api/v1/orders/${order.id}/cancel`, {
      token: buyer.token,
      body: { reason: "Too late" },
    });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.order.payment.status, "refunded");
    assert.equal(cancelled.body.order.payment.refund.status, "succeeded");
  } finally {
    await f.close();
  }
});
