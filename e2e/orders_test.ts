/**
 * The core loop through the gateway: order → pay (a signed Stripe webhook) →
 * deliver → revision → deliver → accept → balances → reviews both ways →
 * aggregates on the profile and the gig → mails. Then cancellation by
 * agreement with a refund, a late order cancelled by the buyer alone, an
 * extension, auto-completion, and the hostile cases.
 *
 * Stripe cannot be reached from here: the orders process talks, through the
 * real SDK, to the local double of services/orders/stripe_double.ts, and the
 * webhooks are signed with the SDK's own test-header helper.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { waitFor } from "@mp/shared/testing";
import { startStripeDouble } from "../services/orders/stripe_double.ts";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { type SignedUp, startMarketplace } from "./support.ts";

Deno.test({
  name:
    "buyers order, pay, get deliveries and revisions, accept; money moves through escrow; both sides review",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const stripe = startStripeDouble();
    const market = await startMarketplace("orders", {
      env: {
        orders: {
          PAYMENTS_MODE: "stripe",
          STRIPE_SECRET_KEY: stripe.secretKey,
          STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
          STRIPE_API_URL: stripe.url,
          // Seconds instead of days, so auto-completion and clearing happen within the test.
          AUTO_COMPLETE_DAYS: String(4 / 86_400),
          CLEARING_DAYS: String(2 / 86_400),
          SCHEDULER_POLL_MS: "300",
        },
      },
    });
    const ordersDb = postgres(market.fleet.databaseUrls.orders!, { max: 1, onnotice: () => {} });
    let ada: SignedUp; // seller
    let bob: SignedUp; // buyer
    let eve: SignedUp; // a stranger
    let gig: Json;
    const call = (
      who: SignedUp,
      method: string,
      path: string,
      body?: unknown,
      headers?: Record<string, string>,
    ) => who.client.request(method, path, { token: who.accessToken, body, headers });

    /** Places an order for the basic package and pays it with a signed webhook. */
    const placeAndPay = async (key = crypto.randomUUID()) => {
      const placed = await waitFor(async () => {
        const res = await call(bob, "POST", "/api/v1/orders", {
          gigId: gig.id,
          package: "basic",
          requirements: [{ questionId: gig.requirements[0].id, answer: "Bob's Bakery" }],
        }, { "idempotency-key": key });
        return res.status === 404 ? undefined : res; // until gig.created reached orders
      }, { what: "orders to know the gig" });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      const order = placed.body;
      await pay(order);
      return order;
    };
    const pay = async (order: Json) => {
      const intentId = order.payment.paymentIntentId;
      const signed = await stripe.sign(stripe.succeed(intentId));
      const hook = await market.client().request("POST", "/api/v1/payments/stripe/webhook", {
        raw: signed.body,
        headers: { "stripe-signature": signed.signature },
      });
      assert.equal(hook.status, 200, JSON.stringify(hook.body));
    };
    const get = async (who: SignedUp, id: string) =>
      (await call(who, "GET", `/api/v1/orders/${id}`)).body;

    try {
      await t.step("a seller with a gig, a buyer and a stranger", async () => {
        ada = await market.signup("ada");
        bob = await market.signup("bob");
        eve = await market.signup("eve");
        await becomeSeller(market, ada);
        gig = await publishGig(ada, gigBody("Minimalist logo design for startups", 2500));
      });

      let order: Json;
      await t.step(
        "the order is priced from the replica, never the request; a tampered price is refused",
        async () => {
          const tampered = await call(bob, "POST", "/api/v1/orders", {
            gigId: gig.id,
            package: "basic",
            requirements: [{ questionId: gig.requirements[0].id, answer: "x" }],
            price: { amount: 1, currency: "USD" },
          }, { "idempotency-key": crypto.randomUUID() });
          assert.equal(tampered.status, 400);
          order = await placeAndPay();
          assert.equal(order.price.amount, 2500);
          assert.equal(order.total.amount, 2500 + order.serviceFee.amount);
          const paid = await get(bob, order.id);
          assert.equal(paid.status, "in_progress");
          assert.ok(paid.dueAt);
          await market.mailTo("bob@example.com", /receipt|order/i);
          await market.mailTo("ada@example.com", /new order/i);
        },
      );

      await t.step(
        "strangers cannot see or touch the order; the wrong party cannot act",
        async () => {
          assert.equal((await call(eve, "GET", `/api/v1/orders/${order.id}`)).status, 404);
          assert.equal((await call(eve, "POST", `/api/v1/orders/${order.id}/accept`)).status, 404);
          const buyerDelivers = await call(bob, "POST", `/api/v1/orders/${order.id}/deliveries`, {
            message: "Here you go",
          });
          assert.equal(buyerDelivers.status, 403);
          const sellerAccepts = await call(ada, "POST", `/api/v1/orders/${order.id}/accept`);
          assert.equal(sellerAccepts.status, 403);
          const early = await call(bob, "POST", `/api/v1/orders/${order.id}/accept`);
          assert.equal(early.status, 409);
          assert.equal(early.body.currentStatus, "in_progress");
          assert.equal((await get(bob, order.id)).status, "in_progress");
        },
      );

      await t.step("deliver, ask for a revision, deliver again, accept", async () => {
        const first = await call(ada, "POST", `/api/v1/orders/${order.id}/deliveries`, {
          message: "First draft",
          files: ["https://files.example.com/logo-v1.png"],
        });
        assert.equal(first.status, 201);
        await market.mailTo("bob@example.com", /deliver/i);
        const revision = await call(bob, "POST", `/api/v1/orders/${order.id}/revisions`, {
          message: "Bigger, please",
        });
        assert.equal(revision.status, 201);
        await market.mailTo("ada@example.com", /revision/i);
        const noMore = await call(ada, "POST", `/api/v1/orders/${order.id}/deliveries`, {
          message: "Bigger",
        });
        assert.equal(noMore.status, 201);
        const second = await call(bob, "POST", `/api/v1/orders/${order.id}/revisions`, {
          message: "Again",
        });
        assert.equal(second.status, 409, "the basic package has one revision");
        const accept = await call(bob, "POST", `/api/v1/orders/${order.id}/accept`);
        assert.equal(accept.status, 200);
        const done = await get(ada, order.id);
        assert.equal(done.status, "completed");
        assert.ok(done.timeline.length >= 6);
        await market.mailTo("ada@example.com", /complete/i);
      });

      await t.step(
        "the seller's share clears to the available balance and can be paid out",
        async () => {
          const balance = await waitFor(async () => {
            const res = await call(ada, "GET", "/api/v1/sellers/me/balance");
            const usd = res.body.balances.find((b: Json) => b.currency === "USD");
            return usd?.available === 2000 ? usd : undefined; // 2500 minus 20 % commission
          }, { what: "cleared balance" });
          assert.equal(balance.pending, 0);
          const noAccount = await call(ada, "POST", "/api/v1/sellers/me/payouts", {
            currency: "USD",
          });
          assert.equal(noAccount.status, 409);
          const onboarding = await call(ada, "POST", "/api/v1/sellers/me/payment-account");
          assert.equal(onboarding.status, 201);
          assert.match(onboarding.body.onboardingUrl, /^https?:\/\//);
          const payout = await call(ada, "POST", "/api/v1/sellers/me/payouts", { currency: "USD" });
          assert.equal(payout.status, 201, JSON.stringify(payout.body));
          assert.equal(stripe.count("POST", "/v1/transfers"), 1);
          const after = (await call(ada, "GET", "/api/v1/sellers/me/balance")).body.balances[0];
          assert.deepEqual([after.available, after.paidOut], [0, 2000]);
          assert.equal(
            (await call(bob, "GET", "/api/v1/sellers/me/balance")).body.balances.length,
            0,
          );
        },
      );

      await t.step("both sides review once; aggregates reach the profile and the gig", async () => {
        const byBuyer = await waitFor(async () => {
          const res = await call(bob, "POST", `/api/v1/orders/${order.id}/reviews`, {
            rating: 5,
            comment: "Wonderful work.",
          });
          return res.status === 409 && res.body.code === "order_not_completed" ? undefined : res;
        }, { what: "reviews to learn the completion" });
        assert.equal(byBuyer.status, 201, JSON.stringify(byBuyer.body));
        const again = await call(bob, "POST", `/api/v1/orders/${order.id}/reviews`, {
          rating: 1,
          comment: "Changed my mind.",
        });
        assert.equal(again.status, 409);
        const bySeller = await call(ada, "POST", `/api/v1/orders/${order.id}/reviews`, {
          rating: 4,
          comment: "Clear brief.",
        });
        assert.equal(bySeller.status, 201);
        const stranger = await call(eve, "POST", `/api/v1/orders/${order.id}/reviews`, {
          rating: 1,
          comment: "Spam.",
        });
        assert.equal(stranger.status, 404);
        await market.mailTo("ada@example.com", /review/i);

        const sellerReviews = await market.client().request(
          "GET",
          "/api/v1/users/ada/reviews?as=seller",
        );
        assert.equal(sellerReviews.body.total, 1);
        assert.equal(sellerReviews.body.items[0].rating, 5);
        const gigReviews = await market.client().request("GET", `/api/v1/gigs/${gig.id}/reviews`);
        assert.equal(gigReviews.body.summary.average, 5);
        await waitFor(async () => {
          const profile = (await market.client().request("GET", "/api/v1/users/ada")).body;
          return profile.ratings.asSeller.count === 1 && profile.ratings.asSeller.average === 5;
        }, { what: "seller rating on the profile" });
        await waitFor(async () => {
          const profile = (await market.client().request("GET", "/api/v1/users/bob")).body;
          return profile.ratings.asBuyer.count === 1 && profile.ratings.asBuyer.average === 4;
        }, { what: "buyer rating on the profile" });
        await waitFor(async () => {
          const detail = (await market.client().request("GET", `/api/v1/gigs/${gig.id}`)).body.gig;
          return detail.rating.count === 1 && detail.rating.average === 5;
        }, { what: "gig rating" });
      });

      await t.step(
        "a webhook replayed ten times concurrently makes one transition; a forged one is a 400",
        async () => {
          const placed = await call(bob, "POST", "/api/v1/orders", {
            gigId: gig.id,
            package: "basic",
            requirements: [{ questionId: gig.requirements[0].id, answer: "Replay Ltd" }],
          }, { "idempotency-key": crypto.randomUUID() });
          const intentId = placed.body.payment.paymentIntentId;
          const event = stripe.succeed(intentId);
          const forged = await stripe.sign(event, { secret: "whsec_forged" });
          const rejected = await market.client().request(
            "POST",
            "/api/v1/payments/stripe/webhook",
            {
              raw: forged.body,
              headers: { "stripe-signature": forged.signature },
            },
          );
          assert.equal(rejected.status, 400);
          assert.equal((await get(bob, placed.body.id)).status, "pending_payment");
          const signed = await stripe.sign(event);
          const replies = await Promise.all(
            Array.from(
              { length: 10 },
              () =>
                market.client().request("POST", "/api/v1/payments/stripe/webhook", {
                  raw: signed.body,
                  headers: { "stripe-signature": signed.signature },
                }),
            ),
          );
          assert.ok(
            replies.every((r) => r.status === 200),
            JSON.stringify(replies.map((r) => [r.status, r.body])),
          );
          const paid = await get(bob, placed.body.id);
          assert.equal(paid.status, "in_progress");
          assert.equal(
            paid.timeline.filter((e: Json) => e.to === "in_progress").length,
            1,
          );
          order = placed.body;
        },
      );

      await t.step("cancellation by agreement refunds the buyer through Stripe", async () => {
        const ask = await call(bob, "POST", `/api/v1/orders/${order.id}/cancellation-requests`, {
          reason: "Plans changed",
        });
        assert.equal(ask.status, 201);
        await market.mailTo("ada@example.com", /cancel/i);
        const selfAnswer = await call(
          bob,
          "POST",
          `/api/v1/orders/${order.id}/cancellation-requests/${ask.body.requestId}/answer`,
          {
            accept: true,
          },
        );
        assert.equal(selfAnswer.status, 403);
        const answer = await call(
          ada,
          "POST",
          `/api/v1/orders/${order.id}/cancellation-requests/${ask.body.requestId}/answer`,
          {
            accept: true,
          },
        );
        assert.equal(answer.status, 200);
        assert.equal((await get(bob, order.id)).status, "cancelled");
        await waitFor(() => stripe.count("POST", "/v1/refunds") === 1, {
          what: "refund at Stripe",
        });
      });

      await t.step(
        "an extension moves the due date; a late order can be cancelled by the buyer alone",
        async () => {
          const late = await placeAndPay();
          const before = await get(bob, late.id);
          const ext = await call(ada, "POST", `/api/v1/orders/${late.id}/extension-requests`, {
            days: 2,
            reason: "Fonts",
          });
          assert.equal(ext.status, 201);
          const approve = await call(
            bob,
            "POST",
            `/api/v1/orders/${late.id}/extension-requests/${ext.body.requestId}/answer`,
            {
              approve: true,
            },
          );
          assert.equal(approve.status, 200);
          const after = await get(bob, late.id);
          assert.equal(Date.parse(after.dueAt) - Date.parse(before.dueAt), 2 * 86_400_000);
          assert.equal(
            (await call(bob, "POST", `/api/v1/orders/${late.id}/cancel`, { reason: "Too slow" }))
              .status,
            409,
          );
          // The clock cannot wait five days in a test: move the due date into the past instead.
          await ordersDb`update orders set due_at = now() - interval '1 hour' where id = ${late.id}`;
          assert.equal((await get(bob, late.id)).late, true);
          const cancel = await call(bob, "POST", `/api/v1/orders/${late.id}/cancel`, {
            reason: "Too slow",
          });
          assert.equal(cancel.status, 200);
          assert.equal((await get(ada, late.id)).status, "cancelled");
          await waitFor(() => stripe.count("POST", "/v1/refunds") === 2, { what: "second refund" });
        },
      );

      await t.step("a delivered order completes by itself after the quiet period", async () => {
        const quiet = await placeAndPay();
        assert.equal(
          (await call(ada, "POST", `/api/v1/orders/${quiet.id}/deliveries`, { message: "Done" }))
            .status,
          201,
        );
        const completed = await waitFor(async () => {
          const current = await get(bob, quiet.id);
          return current.status === "completed" ? current : undefined;
        }, { what: "auto-completion", timeoutMs: 20_000 });
        assert.equal(completed.completedBy, "auto");
      });

      await t.step(
        "the same Idempotency-Key ten times at once makes one order and one PaymentIntent",
        async () => {
          const key = crypto.randomUUID();
          const intents = stripe.count("POST", "/v1/payment_intents");
          const body = {
            gigId: gig.id,
            package: "premium",
            requirements: [{ questionId: gig.requirements[0].id, answer: "Same key" }],
          };
          const replies = await Promise.all(
            Array.from(
              { length: 10 },
              () => call(bob, "POST", "/api/v1/orders", body, { "idempotency-key": key }),
            ),
          );
          // The order, replayed, or 409 idempotency_key_in_use while the first still ran.
          assert.ok(
            replies.every((r) =>
              r.status === 201 || (r.status === 409 && r.body.code === "idempotency_key_in_use")
            ),
            JSON.stringify(replies.map((r) => r.status)),
          );
          const retried = await call(bob, "POST", "/api/v1/orders", body, {
            "idempotency-key": key,
          });
          assert.equal(retried.status, 201);
          assert.equal(retried.headers.get("idempotent-replayed"), "true");
          const placed = [...replies.filter((r) => r.status === 201), retried];
          assert.equal(new Set(placed.map((r) => r.body.id)).size, 1);
          assert.equal(stripe.count("POST", "/v1/payment_intents") - intents, 1);
          const reused = await call(bob, "POST", "/api/v1/orders", {
            gigId: gig.id,
            package: "basic",
            requirements: [{ questionId: gig.requirements[0].id, answer: "Other body" }],
          }, { "idempotency-key": key });
          assert.equal(reused.status, 422);
        },
      );
    } catch (error) {
      for (const name of market.fleet.names) {
        console.error(`--- ${name} ---\n${market.fleet.logs(name).slice(-3000)}`);
      }
      throw error;
    } finally {
      await ordersDb.end();
      await market.close();
      await stripe.close();
    }
  },
});
