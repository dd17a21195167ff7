/**
 * `Idempotency-Key` through the gateway, on the real fleet: a retried
 * placement, an order action whose client saw a 5xx because the orders
 * process was killed after the commit (its Stripe call after the commit held
 * by a TCP proxy), and a review: each retry with the same key gets the first
 * answer, marked `Idempotent-Replayed`, and changes nothing.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { waitFor } from "@mp/shared/testing";
import { startStripeDouble } from "../services/orders/stripe_double.ts";
import { startTcpProxy } from "../services/orders/test_support.ts";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { type SignedUp, startMarketplace } from "./support.ts";

Deno.test({
  name:
    "retries with the same Idempotency-Key get the first answer through the gateway, also across a crash after the commit",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const stripe = startStripeDouble();
    const stripeTarget = new URL(stripe.url);
    // Orders reaches the Stripe double through this proxy, so a test can hold Stripe's answers.
    const stripeProxy = startTcpProxy({
      hostname: stripeTarget.hostname,
      port: Number(stripeTarget.port),
    });
    const market = await startMarketplace("idempotency", {
      env: {
        orders: {
          PAYMENTS_MODE: "stripe",
          STRIPE_SECRET_KEY: stripe.secretKey,
          STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
          STRIPE_API_URL: `http://127.0.0.1:${stripeProxy.port}`,
        },
      },
    });
    const ordersDb = postgres(market.fleet.databaseUrls.orders!, { max: 1, onnotice: () => {} });
    let ada: SignedUp; // seller
    let bob: SignedUp; // buyer
    let gig: Json;
    const call = (
      who: SignedUp,
      method: string,
      path: string,
      body?: unknown,
      key?: string,
    ) =>
      who.client.request(method, path, {
        token: who.accessToken,
        body,
        headers: key ? { "idempotency-key": key } : {},
      });
    const orderBody = () => ({
      gigId: gig.id,
      package: "basic",
      requirements: [{ questionId: gig.requirements[0].id, answer: "Bob's Bakery" }],
    });
    const counts = async () =>
      (await ordersDb`select
        (select count(*)::int from orders) as orders,
        (select count(*)::int from order_timeline) as timeline,
        (select count(*)::int from cancellation_requests) as cancellations,
        (select count(*)::int from ledger_entries) as ledger,
        (select count(*)::int from outbox) as outbox`)[0];
    const pay = async (order: Json) => {
      const signed = await stripe.sign(stripe.succeed(order.payment.paymentIntentId));
      const hook = await market.client().request("POST", "/api/v1/payments/stripe/webhook", {
        raw: signed.body,
        headers: { "stripe-signature": signed.signature },
      });
      assert.equal(hook.status, 200, JSON.stringify(hook.body));
    };

    try {
      await t.step("a seller with a gig and a buyer", async () => {
        ada = await market.signup("ada");
        bob = await market.signup("bob");
        await becomeSeller(market, ada);
        gig = await publishGig(ada, gigBody("Hand-lettered logo for bakeries", 2500));
      });

      let order: Json;
      await t.step("a retried placement is the first order, replayed", async () => {
        const key = crypto.randomUUID();
        const first = await waitFor(async () => {
          const res = await call(bob, "POST", "/api/v1/orders", orderBody(), key);
          return res.status === 404 ? undefined : res; // until gig.created reached orders
        }, { what: "orders to know the gig" });
        assert.equal(first.status, 201, JSON.stringify(first.body));
        const before = await counts();
        const again = await call(bob, "POST", "/api/v1/orders", orderBody(), key);
        assert.equal(again.status, 201);
        assert.equal(again.headers.get("idempotent-replayed"), "true");
        assert.equal(again.headers.get("location"), `/api/v1/orders/${first.body.id}`);
        assert.deepEqual(again.body, first.body);
        assert.deepEqual(await counts(), before);
        const reused = await call(bob, "POST", "/api/v1/orders", {
          ...orderBody(),
          package: "premium",
        }, key);
        assert.equal(reused.status, 422);
        assert.equal(reused.body.code, "idempotency_key_reused");
        const bad = await call(bob, "POST", "/api/v1/orders", orderBody(), "not a key");
        assert.equal(bad.status, 400);
        assert.equal(bad.type, "application/problem+json");
        assert.equal(bad.body.code, "idempotency_key_invalid");
        order = first.body;
        await pay(order);
      });

      await t.step(
        "the orders process killed after committing a cancellation: the client saw a 5xx, the retry gets the committed answer",
        async () => {
          const asked = await call(
            bob,
            "POST",
            `/api/v1/orders/${order.id}/cancellation-requests`,
            {
              reason: "Plans changed.",
            },
          );
          assert.equal(asked.status, 201, JSON.stringify(asked.body));
          const path =
            `/api/v1/orders/${order.id}/cancellation-requests/${asked.body.requestId}/answer`;
          const key = crypto.randomUUID();
          // The refund call after the commit never gets Stripe's answer...
          stripeProxy.holdFromTarget();
          const refundsBefore = stripe.count("POST", "/v1/refunds");
          const pending = call(ada, "POST", path, { accept: true }, key);
          await waitFor(() => stripe.count("POST", "/v1/refunds") > refundsBefore, {
            what: "the refund call after the commit",
          });
          // ...and the process dies there: committed, but no answer sent.
          await market.fleet.kill("orders", "SIGKILL");
          const lost = await pending;
          assert.ok(lost.status >= 500, `the client saw ${lost.status}`);
          const [row] = await ordersDb`select status from orders where id = ${order.id}`;
          assert.equal(row.status, "cancelled");

          stripeProxy.release();
          await market.fleet.start("orders");
          const before = await counts();
          const retried = await call(ada, "POST", path, { accept: true }, key);
          assert.equal(retried.status, 200, JSON.stringify(retried.body));
          assert.equal(retried.headers.get("idempotent-replayed"), "true");
          assert.equal(retried.body.order.status, "cancelled");
          assert.equal(
            retried.body.order.cancellationRequests.filter((r: Json) => r.status === "accepted")
              .length,
            1,
          );
          assert.deepEqual(await counts(), before);
          // Without the key the same answer is refused: the order is cancelled already.
          const plain = await call(ada, "POST", path, { accept: true });
          assert.equal(plain.status, 409);
        },
      );

      await t.step("a retried review is the first review, replayed", async () => {
        const key = crypto.randomUUID();
        const second = await waitFor(async () => {
          const res = await call(bob, "POST", "/api/v1/orders", orderBody(), crypto.randomUUID());
          return res.status === 201 ? res.body : undefined;
        }, { what: "orders back after the restart" });
        await pay(second);
        const delivered = await call(ada, "POST", `/api/v1/orders/${second.id}/deliveries`, {
          message: "Here it is.",
        });
        assert.equal(delivered.status, 201, JSON.stringify(delivered.body));
        assert.equal((await call(bob, "POST", `/api/v1/orders/${second.id}/accept`)).status, 200);
        const review = { rating: 5, comment: "Lovely lettering." };
        const first = await waitFor(async () => {
          const res = await call(bob, "POST", `/api/v1/orders/${second.id}/reviews`, review, key);
          const early = res.status === 404 ||
            (res.status === 409 && res.body.code === "order_not_completed");
          return early ? undefined : res; // until the order's events reached reviews
        }, { what: "reviews to learn the completion" });
        assert.equal(first.status, 201, JSON.stringify(first.body));
        const again = await call(bob, "POST", `/api/v1/orders/${second.id}/reviews`, review, key);
        assert.equal(again.status, 201);
        assert.equal(again.headers.get("idempotent-replayed"), "true");
        assert.deepEqual(again.body, first.body);
      });
    } finally {
      await ordersDb.end();
      await market.close();
      await stripeProxy.close();
      await stripe.close();
    }
  },
});
