/**
 * `POST /api/v1/payments/stripe/webhook` with events built by the Stripe double
 * and signed by the SDK's own test-header helper: forged, tampered and stale
 * deliveries are refused and change nothing; replays, concurrent and shuffled
 * deliveries make exactly one transition; refunds and late payments keep the
 * ledger balanced.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import { type OrdersFixture, ordersFixture } from "./test_support.ts";

const WEBHOOK = "/api/v1/payments/stripe/webhook";

/** Counts of what a payment transition writes, per order. */
async function effects(f: OrdersFixture, orderId: string) {
  const [row] = await f.sql`select
    (select count(*)::int from ledger_transactions where order_id = ${orderId} and kind = 'capture') as captures,
    (select count(*)::int from ledger_transactions where order_id = ${orderId} and kind = 'refund') as refunds,
    (select count(*)::int from outbox where type = 'order.paid' and data->>'orderId' = ${orderId}) as paid_events,
    (select count(*)::int from outbox where type = 'order.cancelled' and data->>'orderId' = ${orderId}) as cancelled_events,
    (select count(*)::int from order_timeline where order_id = ${orderId} and kind = 'paid') as paid_entries,
    (select status from orders where id = ${orderId}) as status,
    (select payment_status from orders where id = ${orderId}) as payment_status`;
  return row;
}

/** Fisher–Yates with a seeded PRNG, so a failing order is reproducible. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

Deno.test("stripe webhooks", async (t) => {
  const f = await ordersFixture({ prefix: "orders_webhook" });
  const seller = await f.user("sam");
  const buyer = await f.user("bea");
  const gig = await f.seedGig(seller);
  try {
    await t.step(
      "forged, tampered, stale or unsigned deliveries are 400 and change nothing",
      async () => {
        const order = await f.order(buyer, gig);
        const event = f.stripe.succeed(order.payment.paymentIntentId);
        const before = await f.snapshot();
        const { body, signature } = await f.stripe.sign(event);
        const send = (payload: string, headers: Record<string, string>) =>
          f.call("POST", WEBHOOK, {
            body: payload,
            headers: { "content-type": "application/json", ...headers },
          });

        // Signed with another secret.
        assertProblem(await f.webhook(event, { secret: "whsec_forged" }), 400, "invalid_signature");
        // A valid signature over a different body (the amount changed after signing).
        assertProblem(
          await send(body.replace(`"amount": ${order.total.amount}`, `"amount": 1`), {
            "stripe-signature": signature,
          }),
          400,
          "invalid_signature",
        );
        // Older than the 300 s tolerance: a replayed capture of a once-valid delivery.
        assertProblem(
          await f.webhook(event, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
          400,
          "invalid_signature",
        );
        assertProblem(await send(body, {}), 400, "invalid_signature");
        assertProblem(
          await send(body, { "stripe-signature": "garbage" }),
          400,
          "invalid_signature",
        );
        assertProblem(
          await send(body, { "stripe-signature": "t=1,v1=00" }),
          400,
          "invalid_signature",
        );
        assertProblem(await send("", { "stripe-signature": signature }), 400, "invalid_signature");
        // Correctly signed, but not an event at all.
        assertProblem(await f.webhook("not json"), 400, "invalid_signature");
        assertProblem(
          await f.webhook(JSON.stringify({ hello: "world" })),
          400,
          "invalid_signature",
        );
        // Too big to be an event.
        assertProblem(await send("x".repeat(300_000), { "stripe-signature": signature }), 413);

        assert.deepEqual(await f.snapshot(), before);
        assert.equal((await effects(f, order.id)).status, "pending_payment");
        // The genuine delivery still works afterwards.
        const ok = await f.webhook(event);
        assert.equal(ok.status, 200);
        assert.deepEqual(ok.body, { received: true, eventId: event.id, result: "paid" });
      },
    );

    await t.step("one event delivered ten times concurrently makes one transition", async () => {
      const order = await f.order(buyer, gig);
      const event = f.stripe.succeed(order.payment.paymentIntentId);
      const answers = await Promise.all(Array.from({ length: 10 }, () => f.webhook(event)));
      for (const res of answers) assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(answers.filter((r) => r.body.result === "paid").length, 1);
      assert.deepEqual(await effects(f, order.id), {
        captures: 1,
        refunds: 0,
        paid_events: 1,
        cancelled_events: 0,
        paid_entries: 1,
        status: "in_progress",
        payment_status: "succeeded",
      });
      // And ten more times later, one after another.
      for (let i = 0; i < 10; i++) assert.equal((await f.webhook(event)).body.result, "duplicate");
      assert.equal((await effects(f, order.id)).captures, 1);
    });

    await t.step(
      "failed and succeeded events for one payment, shuffled and concurrent, end paid once",
      async () => {
        for (const seed of [1, 2, 3]) {
          const order = await f.order(buyer, gig);
          const intent = order.payment.paymentIntentId;
          // A declined card, then a successful retry (Stripe sends both, in any order, more than once).
          const failed = f.stripe.fail(intent);
          const failedAgain = f.stripe.fail(intent, "Insufficient funds");
          const succeeded = f.stripe.succeed(intent);
          const deliveries = shuffle(
            [
              failed,
              failed,
              failedAgain,
              succeeded,
              succeeded,
              succeeded,
              failed,
              succeeded,
              failedAgain,
              succeeded,
            ],
            seed,
          );
          const answers = await Promise.all(deliveries.map((e) => f.webhook(e)));
          for (const res of answers) assert.equal(res.status, 200, JSON.stringify(res.body));
          const e = await effects(f, order.id);
          assert.equal(e.captures, 1, `seed ${seed}`);
          assert.equal(e.paid_events, 1, `seed ${seed}`);
          assert.equal(e.paid_entries, 1, `seed ${seed}`);
          assert.equal(e.status, "in_progress", `seed ${seed}`);
          assert.equal(e.payment_status, "succeeded", `seed ${seed}`);
        }
      },
    );

    await t.step(
      "a failed payment is recorded and the order waits; a later success pays it",
      async () => {
        const order = await f.order(buyer, gig);
        const intent = order.payment.paymentIntentId;
        const failed = await f.webhook(f.stripe.fail(intent, "Your card was declined."));
        assert.equal(failed.body.result, "payment_failed");
        let view = await f.view(buyer, order.id);
        assert.equal(view.status, "pending_payment");
        assert.equal(view.payment.status, "failed");
        assert.equal(view.payment.error, "Your card was declined.");
        assert.ok(view.payment.clientSecret, "the buyer can try again with the same intent");
        await f.pay(order);
        view = await f.view(buyer, order.id);
        assert.equal(view.status, "in_progress");
        assert.equal(view.payment.error, null);
        // A failure reported after the success changes nothing: Stripe says the intent succeeded.
        assert.equal((await f.webhook(f.stripe.fail(intent))).body.result, "already_paid");
        assert.equal((await f.view(buyer, order.id)).status, "in_progress");
      },
    );

    await t.step(
      "a signed succeeded event is not trusted over Stripe: an unpaid intent stays unpaid",
      async () => {
        const order = await f.order(buyer, gig);
        // Build the event without paying: the intent at Stripe still requires a payment method.
        const intent = f.stripe.paymentIntents.get(order.payment.paymentIntentId)!;
        const fake = f.stripe.event("payment_intent.succeeded", { ...intent, status: "succeeded" });
        const res = await f.webhook(fake);
        assert.equal(res.status, 200);
        assert.equal(res.body.result, "ignored");
        assert.equal((await effects(f, order.id)).status, "pending_payment");
      },
    );

    await t.step(
      "events for unknown intents and other types are acknowledged and ignored",
      async () => {
        const before = await f.snapshot();
        const other = f.stripe.event("customer.created", { id: "cus_1", object: "customer" });
        assert.deepEqual((await f.webhook(other)).body, {
          received: true,
          eventId: other.id,
          result: "ignored",
        });
        const stray = f.stripe.event("payment_intent.succeeded", {
          id: "pi_not_ours",
          object: "payment_intent",
        });
        assert.equal((await f.webhook(stray)).body.result, "ignored");
        const strayRefund = f.stripe.event("charge.refunded", {
          id: "ch_x",
          object: "charge",
          payment_intent: "pi_not_ours",
          refunded: true,
        });
        assert.equal((await f.webhook(strayRefund)).body.result, "ignored");
        const after = await f.snapshot();
        assert.deepEqual(after, before);
      },
    );

    await t.step(
      "while Stripe cannot be reached the webhook is a 503 (Stripe retries) and nothing changes",
      async () => {
        const order = await f.order(buyer, gig);
        const event = f.stripe.succeed(order.payment.paymentIntentId);
        f.stripe.failNext("GET", "/v1/payment_intents/", 1, 503);
        assertProblem(await f.webhook(event), 503, "payment_provider_unavailable");
        assert.equal((await effects(f, order.id)).status, "pending_payment");
        assert.equal((await f.webhook(event)).body.result, "paid");
      },
    );

    await t.step("charge.refunded confirms our refund once", async () => {
      const order = await f.order(buyer, gig);
      await f.pay(order);
      f.clock.advance(6 * 86_400_000); // past the three days of the basic package: late
      // The double answers refunds with "succeeded", so the order is refunded at once…
      const cancel = await f.call("POST", `/api/v1/orders/${order.id}/cancel`, {
        token: buyer.token,
        body: { reason: "late" },
      });
      assert.equal(cancel.body.order.payment.status, "refunded");
      // …and Stripe's confirmation, delivered twice, changes nothing more.
      const event = f.stripe.chargeRefunded(order.payment.paymentIntentId);
      assert.equal((await f.webhook(event)).body.result, "ignored");
      assert.equal((await f.webhook(event)).body.result, "duplicate");
      const e = await effects(f, order.id);
      assert.equal(e.refunds, 1);
      assert.equal(e.cancelled_events, 1);
    });

    await t.step(
      "a refund from Stripe's dashboard cancels an order under way, refunded, once",
      async () => {
        const order = await f.order(buyer, gig);
        await f.pay(order);
        const event = f.stripe.refundOutside(order.payment.paymentIntentId);
        const answers = await Promise.all([f.webhook(event), f.webhook(event), f.webhook(event)]);
        assert.deepEqual(answers.map((a) => a.body.result).sort(), [
          "duplicate",
          "duplicate",
          "refunded",
        ]);
        const view = await f.view(buyer, order.id);
        assert.equal(view.status, "cancelled");
        assert.equal(view.cancellation.by, "system");
        assert.equal(view.payment.status, "refunded");
        const e = await effects(f, order.id);
        assert.equal(e.refunds, 1);
        assert.equal(e.cancelled_events, 1);
        assert.equal(f.stripe.count("POST", "/v1/refunds"), 1, "no second refund of our own");
      },
    );

    await t.step(
      "a refund event that overtakes the success event pays and cancels the order",
      async () => {
        const order = await f.order(buyer, gig);
        const succeeded = f.stripe.succeed(order.payment.paymentIntentId);
        const refunded = f.stripe.refundOutside(order.payment.paymentIntentId);
        assert.equal((await f.webhook(refunded)).body.result, "refunded");
        assert.equal((await f.webhook(succeeded)).body.result, "already_paid");
        const e = await effects(f, order.id);
        assert.deepEqual([e.captures, e.refunds, e.status, e.payment_status], [
          1,
          1,
          "cancelled",
          "refunded",
        ]);
      },
    );

    await t.step(
      "a payment that lands after the buyer abandoned the order is captured and refunded",
      async () => {
        const order = await f.order(buyer, gig);
        await f.call("POST", `/api/v1/orders/${order.id}/cancel`, { token: buyer.token, body: {} });
        const event = f.stripe.succeed(order.payment.paymentIntentId);
        const res = await f.webhook(event);
        assert.equal(res.body.result, "refund_queued");
        const view = await f.view(buyer, order.id);
        assert.equal(view.status, "cancelled");
        assert.equal(view.payment.status, "refunded");
        const refund = [...f.stripe.refunds.values()].find((r) =>
          r.payment_intent === order.payment.paymentIntentId
        );
        assert.equal(refund?.amount, order.total.amount);
        assert.equal((await f.webhook(event)).body.result, "duplicate");
        const again = f.stripe.event(
          "payment_intent.succeeded",
          f.stripe.paymentIntents.get(order.payment.paymentIntentId)!,
        );
        assert.equal((await f.webhook(again)).body.result, "already_paid");
        const e = await effects(f, order.id);
        assert.deepEqual([e.captures, e.refunds, e.paid_events], [1, 1, 0]);
      },
    );

    await t.step("after all of it the ledger balances", async () => {
      const ledger = await f.ledger();
      assert.equal(ledger.total, 0);
      const [escrow] = await f
        .sql`select coalesce(sum(e.amount), 0)::bigint as open from ledger_entries e
        join orders o on o.id = e.owner::uuid where e.account = 'escrow' and o.status = 'cancelled'`;
      assert.equal(Number(escrow.open), 0, "cancelled orders hold nothing in escrow");
    });
  } finally {
    await f.close();
  }
});

Deno.test("an order paid for a different amount than its total is not moved", async () => {
  const f = await ordersFixture({ prefix: "orders_mismatch" });
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const order = await f.order(buyer, await f.seedGig(seller));
    const intent = f.stripe.paymentIntents.get(order.payment.paymentIntentId)!;
    intent.amount = 1; // someone changed the intent at Stripe
    const res = await f.webhook(f.stripe.succeed(order.payment.paymentIntentId));
    assert.equal(res.body.result, "ignored");
    assert.equal((await effects(f, order.id)).status, "pending_payment");
  } finally {
    await f.close();
  }
});
