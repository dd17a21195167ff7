/**
 * Custom offers accepted in chat become orders: `offer.accepted` delivered
 * through a real RabbitMQ exchange to the real handlers, over a real database,
 * with the npm:stripe SDK against the Stripe double (and the local test mode).
 * A good offer makes one `pending_payment` order priced from the offer, which
 * the buyer pays like any order; a bad one (unknown, deleted, paused or someone
 * else's gig, another currency) makes `offer.rejected` and nothing else; a
 * redelivered or repeated event makes no second order.
 */
import assert from "node:assert/strict";
import type { EventEnvelope } from "@mp/shared/bus";
import { consumerHarness, quietLogger, testBus, waitFor } from "@mp/shared/testing";
import { quote } from "./money.ts";
import { createOfferHandlers, orderIdForOffer } from "./offers.ts";
import { findOrderByOffer } from "./store_orders.ts";
import {
  envelope,
  type OrdersFixture,
  ordersFixture,
  TEST_FEES,
  type TestGig,
  type TestUser,
} from "./test_support.ts";

/** `offer.accepted` as chat publishes it (every field of the contract). */
function offerAccepted(
  seller: TestUser,
  buyer: TestUser,
  gig: TestGig,
  overrides: Record<string, unknown> = {},
): EventEnvelope {
  return envelope("offer.accepted", {
    offerId: crypto.randomUUID(),
    conversationId: crypto.randomUUID(),
    buyerId: buyer.userId,
    sellerId: seller.userId,
    gigId: gig.gigId,
    description: "A logo and a matching business card, two concepts.",
    price: { amount: 12_000, currency: "USD" },
    deliveryDays: 7,
    revisions: 3,
    acceptedAt: new Date().toISOString(),
    ...overrides,
  });
}

/** The fixture's app plus the real gig and offer handlers consuming from a test exchange. */
async function offerPipeline(prefix: string, mode: "stripe" | "local_test" = "stripe") {
  const f = await ordersFixture({ prefix, mode });
  const log = quietLogger("orders");
  const broker = testBus(prefix);
  const events = await consumerHarness({
    broker,
    service: "orders",
    log,
    handlers: {
      ...f.handlers,
      ...createOfferHandlers({
        sql: f.sql,
        log,
        payments: f.payments,
        fees: TEST_FEES,
        now: f.clock.now,
      }),
    },
  });
  return {
    f,
    events,
    broker,
    async close() {
      await events.close();
      await broker.cleanup();
      await f.close();
    },
  };
}

const ordersOf = async (f: OrdersFixture, offerId: string) =>
  (await f.sql<{ n: number }[]>`select count(*)::int as n from orders where offer_id = ${offerId}`)[
    0
  ]
    .n;

Deno.test("an accepted offer becomes one pending_payment order the buyer pays like any order", async (t) => {
  const { f, events, close } = await offerPipeline("orders_offers");
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const stranger = await f.user("eve");
    const gig = await f.seedGig(seller);
    const accepted = offerAccepted(seller, buyer, gig);
    const offerId = (accepted.data as { offerId: string }).offerId;
    let orderId = "";

    await t.step("priced from the offer, fees by the order rules, package custom", async () => {
      await events.deliver(accepted);
      const stored = await findOrderByOffer(f.sql, offerId);
      assert.ok(stored, "an order for the offer");
      orderId = stored.id;
      assert.equal(orderId, await orderIdForOffer(offerId));

      const order = await f.view(buyer, orderId);
      assert.equal(order.status, "pending_payment");
      assert.equal(order.package, "custom");
      assert.equal(order.offerId, offerId);
      assert.equal(order.gigId, gig.gigId);
      assert.equal(order.gigTitle, gig.title);
      assert.equal(order.buyerId, buyer.userId);
      assert.equal(order.sellerId, seller.userId);
      // The offer's 120.00, not any package's price; 5.5 % of it (6.60) plus the fixed 1.00.
      assert.deepEqual(order.price, { amount: 12_000, currency: "USD" });
      assert.deepEqual(order.serviceFee, { amount: 760, currency: "USD" });
      assert.deepEqual(order.total, { amount: 12_760, currency: "USD" });
      const rules = quote({ amount: 12_000, currency: "USD" }, TEST_FEES);
      assert.equal(order.total.amount, rules.total);
      assert.equal(order.deliveryDays, 7);
      assert.deepEqual(order.revisions, { included: 3, used: 0, left: 3 });
      assert.deepEqual(order.packageDetails, {
        tier: "custom",
        name: "Custom offer",
        description: "A logo and a matching business card, two concepts.",
        deliveryDays: 7,
        revisions: 3,
        features: [],
      });
      assert.deepEqual(order.requirements, []);
      assert.deepEqual(order.timeline.map((e: { kind: string }) => e.kind), ["placed"]);
      assert.deepEqual(order.timeline[0].details, {
        package: "custom",
        total: { amount: 12_760, currency: "USD" },
        offerId,
      });

      const sellerView = await f.view(seller, orderId);
      assert.deepEqual(sellerView.sellerEarnings, { amount: 9_600, currency: "USD" });
      assert.deepEqual(sellerView.commission, { amount: 2_400, currency: "USD" });
      assert.equal(sellerView.payment.clientSecret, undefined);
      assert.equal(
        (await f.call("GET", `/api/v1/orders/${orderId}`, { token: stranger.token })).status,
        404,
      );

      const intent = f.stripe.paymentIntents.get(order.payment.paymentIntentId)!;
      assert.equal(intent.amount, 12_760);
      assert.equal(intent.currency, "usd");
      assert.deepEqual(intent.metadata, {
        order_id: orderId,
        buyer_id: buyer.userId,
        gig_id: gig.gigId,
      });
      assert.equal(order.payment.clientSecret, intent.client_secret);
      const [created] = f.stripe.requests.filter((r) => r.path === "/v1/payment_intents");
      assert.equal(created.idempotencyKey, `order-${orderId}`);

      const createdEvents = await f.events("order.created");
      assert.equal(createdEvents.length, 1);
      assert.deepEqual(createdEvents[0].data, {
        orderId,
        gigId: gig.gigId,
        buyerId: buyer.userId,
        sellerId: seller.userId,
        package: "custom",
        gigTitle: gig.title,
        price: { amount: 12_000, currency: "USD" },
        serviceFee: { amount: 760, currency: "USD" },
        total: { amount: 12_760, currency: "USD" },
        createdAt: order.createdAt,
        offerId,
      });
      assert.deepEqual(await f.events("offer.rejected"), []);

      // Listed like any order, with its offer.
      const list = await f.call("GET", "/api/v1/orders?role=buyer", { token: buyer.token });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((o: { id: string; package: string; offerId: string }) => [
          o.id,
          o.package,
          o.offerId,
        ]),
        [[orderId, "custom", offerId]],
      );
    });

    await t.step("a redelivered event makes no second order", async () => {
      await events.deliver(accepted);
      assert.equal(events.count(accepted.id), 2);
      assert.equal(await ordersOf(f, offerId), 1);
      const [inbox] = await f
        .sql`select count(*)::int as n from inbox where event_id = ${accepted.id}`;
      assert.equal(inbox.n, 1);
    });

    await t.step("the same offer under another event id makes no second order", async () => {
      const again = { ...accepted, id: crypto.randomUUID() };
      await events.deliver(again);
      assert.equal(await ordersOf(f, offerId), 1);
      assert.equal((await f.events("order.created")).length, 1);
      assert.equal(f.stripe.count("POST", "/v1/payment_intents"), 1);
      assert.deepEqual(await f.events("offer.rejected"), []);
    });

    await t.step("the buyer pays it through the verified webhook, like any order", async () => {
      const order = await f.view(buyer, orderId);
      await f.pay(order);
      const paid = await f.view(buyer, orderId);
      assert.equal(paid.status, "in_progress");
      assert.equal(paid.payment.status, "succeeded");
      // Due 7 days (the offer's) after payment.
      assert.equal(Date.parse(paid.dueAt) - Date.parse(paid.paidAt), 7 * 86_400_000);
      const [event] = await f.events("order.paid");
      assert.equal(event.data.orderId, orderId);
      assert.deepEqual(event.data.total, { amount: 12_760, currency: "USD" });
      assert.equal((await f.ledger()).accounts["escrow:USD"], -12_760);
      assert.equal((await f.ledger()).total, 0);
    });
  } finally {
    await close();
  }
});

Deno.test("a bad offer becomes offer.rejected and no order", async (t) => {
  const { f, events, broker, close } = await offerPipeline("orders_offers_bad");
  try {
    const seller = await f.user("sam");
    const other = await f.user("olly");
    const buyer = await f.user("bea");
    const rejects = async (accepted: EventEnvelope, reason: string) => {
      const before = await f.snapshot();
      const intents = f.stripe.count("POST", "/v1/payment_intents");
      await events.deliver(accepted);
      const offerId = (accepted.data as { offerId: string }).offerId;
      const rejected = (await f.events("offer.rejected")).filter((e) => e.data.offerId === offerId);
      assert.deepEqual(rejected.map((e) => e.data), [{ offerId, reason }]);
      assert.equal(await ordersOf(f, offerId), 0);
      const after = await f.snapshot();
      assert.deepEqual({ ...after, outbox: after.outbox - 1 }, before, "only the rejection");
      assert.equal(f.stripe.count("POST", "/v1/payment_intents"), intents);
    };

    await t.step("an unknown gig", async () => {
      const unknown = { ...(await f.seedGig(seller)), gigId: crypto.randomUUID() };
      await rejects(offerAccepted(seller, buyer, unknown), "gig_not_found");
    });

    await t.step("a deleted gig", async () => {
      const gig = await f.seedGig(seller);
      await f.gigEvent("gig.deleted", {
        gigId: gig.gigId,
        sellerId: seller.userId,
        deletedAt: new Date().toISOString(),
      });
      await rejects(offerAccepted(seller, buyer, gig), "gig_not_found");
    });

    await t.step("a paused gig", async () => {
      const gig = await f.seedGig(seller, { status: "paused" });
      await rejects(offerAccepted(seller, buyer, gig), "gig_paused");
    });

    await t.step("someone else's gig", async () => {
      const gig = await f.seedGig(other);
      await rejects(offerAccepted(seller, buyer, gig), "not_gig_seller");
    });

    await t.step("another currency than the gig's", async () => {
      const gig = await f.seedGig(seller);
      await rejects(
        offerAccepted(seller, buyer, gig, { price: { amount: 12_000, currency: "EUR" } }),
        "currency_mismatch",
      );
    });

    await t.step("the buyer is the seller", async () => {
      const gig = await f.seedGig(seller);
      await rejects(offerAccepted(seller, seller, gig), "own_gig");
    });

    await t.step("a malformed offer is dead-lettered and changes nothing", async () => {
      const gig = await f.seedGig(seller);
      const before = await f.snapshot();
      const poison = offerAccepted(seller, buyer, gig, { price: { amount: -5, currency: "USD" } });
      await events.deliver(poison, "attempted");
      await waitFor(
        async () => (await broker.messageCount(events.consumer.deadLetterQueue)) === 1,
        { what: "one dead letter" },
      );
      assert.deepEqual(await f.snapshot(), before);
    });

    await t.step("after a rejection the same gig, once fixed, takes a new offer", async () => {
      const gig = await f.seedGig(seller, { status: "paused" });
      await rejects(offerAccepted(seller, buyer, gig), "gig_paused");
      await f.gigEvent("gig.updated", {
        ...gig,
        status: "active",
        updatedAt: new Date(Date.now() + 1000).toISOString(),
      });
      const accepted = offerAccepted(seller, buyer, gig);
      await events.deliver(accepted);
      assert.equal(await ordersOf(f, (accepted.data as { offerId: string }).offerId), 1);
    });
  } finally {
    await close();
  }
});

Deno.test("a payment provider outage is retried: one order, one PaymentIntent", async () => {
  const { f, events, close } = await offerPipeline("orders_offers_outage");
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const gig = await f.seedGig(seller);
    f.stripe.failNext("POST", "/v1/payment_intents", 1, 503);
    const accepted = offerAccepted(seller, buyer, gig);
    await events.deliver(accepted);
    assert.equal(events.count(accepted.id, "attempted"), 2);
    const offerId = (accepted.data as { offerId: string }).offerId;
    assert.equal(await ordersOf(f, offerId), 1);
    assert.equal((await f.events("order.created")).length, 1);
    const intents = f.stripe.requests.filter((r) =>
      r.path === "/v1/payment_intents" && r.status === 200
    );
    assert.equal(intents.length, 1);
    assert.equal(intents[0].idempotencyKey, `order-${await orderIdForOffer(offerId)}`);
  } finally {
    await close();
  }
});

Deno.test("two offer.accepted of one offer at once make one order", async () => {
  const { f, events, close } = await offerPipeline("orders_offers_race");
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const gig = await f.seedGig(seller);
    const first = offerAccepted(seller, buyer, gig);
    const copies = [
      first,
      ...Array.from({ length: 4 }, () => ({ ...first, id: crypto.randomUUID() })),
    ];
    await events.publish(...copies);
    await events.handledAll(...copies);
    const offerId = (first.data as { offerId: string }).offerId;
    assert.equal(await ordersOf(f, offerId), 1);
    assert.equal((await f.events("order.created")).length, 1);
    assert.equal(new Set([...f.stripe.paymentIntents.keys()]).size, 1);
  } finally {
    await close();
  }
});

Deno.test("local test mode: the offer's order is paid through the local-test route", async () => {
  const { f, events, close } = await offerPipeline("orders_offers_local", "local_test");
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const gig = await f.seedGig(seller);
    const accepted = offerAccepted(seller, buyer, gig);
    await events.deliver(accepted);
    const stored = await findOrderByOffer(f.sql, (accepted.data as { offerId: string }).offerId);
    assert.ok(stored);
    const order = await f.view(buyer, stored.id);
    assert.equal(order.payment.provider, "local_test");
    assert.match(order.payment.paymentIntentId, /^local_test_pi_/);
    assert.equal(
      order.payment.localTest.succeedPath,
      `/api/v1/payments/local-test/${order.id}/succeed`,
    );
    assert.equal(
      (await f.call("POST", order.payment.localTest.succeedPath, { token: seller.token })).status,
      403,
    );
    const paid = await f.call("POST", order.payment.localTest.succeedPath, { token: buyer.token });
    assert.equal(paid.status, 200);
    assert.equal(paid.body.result, "paid");
    assert.equal(paid.body.order.status, "in_progress");
    assert.equal(paid.body.order.package, "custom");
    assert.equal(f.stripe.requests.length, 0);
  } finally {
    await close();
  }
});
