/**
 * `Idempotency-Key` on every state-changing POST of orders: a retry gets the
 * first answer (status and body, byte for byte) and changes nothing, whatever
 * happened to the order in between; the key with another body or route is a
 * 422; another user's identical key is theirs alone; a bad key is a 400.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import { legacyRequestHash } from "./placement.ts";
import {
  type OrdersFixture,
  ordersFixture,
  type TestGig,
  type TestResponse,
  type TestUser,
} from "./test_support.ts";

const DAY = 86_400_000;

/** POST with a token, a body and an Idempotency-Key. */
function post(f: OrdersFixture, who: TestUser, path: string, body: unknown, key?: string) {
  return f.call("POST", path, {
    token: who.token,
    body,
    headers: key === undefined ? {} : { "idempotency-key": key },
  });
}

/**
 * Sends `path` twice with one key and checks the second is the first answer
 * replayed, with nothing changed by it. Returns the first answer.
 */
async function sentTwice(
  f: OrdersFixture,
  who: TestUser,
  path: string,
  body: unknown,
  status = 200,
): Promise<TestResponse> {
  const key = crypto.randomUUID();
  const first = await post(f, who, path, body, key);
  assert.equal(first.status, status, `${path}: ${JSON.stringify(first.body)}`);
  assert.equal(first.headers.get("idempotent-replayed"), null);
  const before = await f.snapshot();
  const intents = f.stripe.requests.length;
  const again = await post(f, who, path, body, key);
  assert.equal(again.status, status, path);
  assert.equal(again.headers.get("idempotent-replayed"), "true", path);
  assert.deepEqual(again.body, first.body, path);
  assert.deepEqual(await f.snapshot(), before, path);
  assert.equal(f.stripe.requests.length, intents, `${path}: no provider call on a retry`);
  return first;
}

async function paidOrder(f: OrdersFixture, gig: TestGig) {
  const buyer = await f.user("bob");
  const order = await f.order(buyer, gig);
  await f.pay(order);
  return { buyer, order };
}

Deno.test("Idempotency-Key on the order actions", async (t) => {
  const f = await ordersFixture({ prefix: "orders_idem" });
  try {
    const seller = await f.user("ada");
    const gig = await f.seedGig(seller);

    await t.step(
      "a retried delivery gets the first answer after the order moved on, and delivers nothing twice",
      async () => {
        const { buyer, order } = await paidOrder(f, gig);
        const path = `/api/v1/orders/${order.id}/deliveries`;
        const body = { message: "Here is the logo." };
        const key = crypto.randomUUID();
        const first = await post(f, seller, path, body, key);
        assert.equal(first.status, 201);
        // Meanwhile the buyer asks for a revision: a plain re-run would deliver again.
        const revision = await post(f, buyer, `/api/v1/orders/${order.id}/revisions`, {
          message: "Bigger, please.",
        });
        assert.equal(revision.status, 201);
        const before = await f.snapshot();
        const again = await post(f, seller, path, body, key);
        assert.equal(again.status, 201);
        assert.equal(again.headers.get("idempotent-replayed"), "true");
        assert.deepEqual(again.body, first.body);
        assert.equal(again.body.order.status, "delivered");
        assert.deepEqual(await f.snapshot(), before);
        assert.equal((await f.view(seller, order.id)).status, "in_revision");
      },
    );

    await t.step(
      "the key with another body or on another route is a 422 that changes nothing",
      async () => {
        const { order } = await paidOrder(f, gig);
        const other = await paidOrder(f, gig);
        const key = crypto.randomUUID();
        const path = `/api/v1/orders/${order.id}/deliveries`;
        assert.equal((await post(f, seller, path, { message: "v1" }, key)).status, 201);
        const before = await f.snapshot();
        assertProblem(
          await post(f, seller, path, { message: "v2" }, key),
          422,
          "idempotency_key_reused",
        );
        assertProblem(
          await post(f, seller, `/api/v1/orders/${other.order.id}/deliveries`, {
            message: "v1",
          }, key),
          422,
          "idempotency_key_reused",
        );
        assert.deepEqual(await f.snapshot(), before);
        assert.equal((await f.view(seller, other.order.id)).status, "in_progress");
      },
    );

    await t.step("another user's identical key is independent", async () => {
      const { buyer, order } = await paidOrder(f, gig);
      const key = "shared-key-1";
      const delivered = await post(f, seller, `/api/v1/orders/${order.id}/deliveries`, {
        message: "done",
      }, key);
      assert.equal(delivered.status, 201);
      const accepted = await post(f, buyer, `/api/v1/orders/${order.id}/accept`, undefined, key);
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.headers.get("idempotent-replayed"), null);
      assert.equal(accepted.body.order.status, "completed");
    });

    await t.step("a bad key is a 400 problem that changes nothing", async () => {
      const { order } = await paidOrder(f, gig);
      const before = await f.snapshot();
      for (const bad of ["", "two words", "k".repeat(256), "naïve"]) {
        assertProblem(
          await post(f, seller, `/api/v1/orders/${order.id}/deliveries`, { message: "x" }, bad),
          400,
          "idempotency_key_invalid",
        );
      }
      assert.deepEqual(await f.snapshot(), before);
    });

    await t.step("every other action replays its first answer and changes nothing", async () => {
      // Requests and their answers, accept.
      const a = await paidOrder(f, gig);
      const asked = await sentTwice(
        f,
        a.buyer,
        `/api/v1/orders/${a.order.id}/cancellation-requests`,
        {
          reason: "Plans changed.",
        },
        201,
      );
      await sentTwice(
        f,
        seller,
        `/api/v1/orders/${a.order.id}/cancellation-requests/${asked.body.requestId}/answer`,
        { accept: false },
      );
      const extension = await sentTwice(
        f,
        seller,
        `/api/v1/orders/${a.order.id}/extension-requests`,
        { days: 2, reason: "More detail needed." },
        201,
      );
      await sentTwice(
        f,
        a.buyer,
        `/api/v1/orders/${a.order.id}/extension-requests/${extension.body.requestId}/answer`,
        { approve: true },
      );
      await sentTwice(f, seller, `/api/v1/orders/${a.order.id}/deliveries`, { message: "1" }, 201);
      await sentTwice(f, a.buyer, `/api/v1/orders/${a.order.id}/revisions`, { message: "2" }, 201);
      await sentTwice(f, seller, `/api/v1/orders/${a.order.id}/deliveries`, { message: "3" }, 201);
      await sentTwice(f, a.buyer, `/api/v1/orders/${a.order.id}/accept`, undefined);

      // A cancellation with its refund: the answer shows the refund submitted after the commit.
      const b = await paidOrder(f, gig);
      f.clock.advance(10 * DAY); // late, so the buyer may cancel alone
      const cancelled = await sentTwice(f, b.buyer, `/api/v1/orders/${b.order.id}/cancel`, {
        reason: "Too late.",
      });
      assert.equal(cancelled.body.order.status, "cancelled");
      assert.equal(cancelled.body.order.payment.status, "refunded");
      assert.equal(f.stripe.count("POST", "/v1/refunds"), 1);
    });

    await t.step("payouts and the payment account replay their first answer", async () => {
      const earner = await f.user("sam");
      const ownGig = await f.seedGig(earner);
      const buyer = await f.user("b");
      const order = await f.order(buyer, ownGig);
      await f.pay(order);
      await post(f, earner, `/api/v1/orders/${order.id}/deliveries`, { message: "done" });
      await post(f, buyer, `/api/v1/orders/${order.id}/accept`, undefined);
      f.clock.advance(15 * DAY);
      await f.scheduler().runOnce();

      const account = await sentTwice(
        f,
        earner,
        "/api/v1/sellers/me/payment-account",
        undefined,
        201,
      );
      assert.match(account.body.onboardingUrl, /^https:\/\//);
      const payout = await sentTwice(f, earner, "/api/v1/sellers/me/payouts", {
        currency: "USD",
        amount: 1000,
      }, 201);
      // The transfer ran after the commit, and the stored answer says so.
      assert.equal(payout.body.payout.status, "paid");
      assert.equal(f.stripe.count("POST", "/v1/transfers"), 1);
      // Without a key the route works as before: a second withdrawal.
      const plain = await post(f, earner, "/api/v1/sellers/me/payouts", {
        currency: "USD",
        amount: 1000,
      });
      assert.equal(plain.status, 201);
      assert.notEqual(plain.body.payout.id, payout.body.payout.id);
    });

    await t.step(
      "a placement key recorded before the shared mechanism still returns its order",
      async () => {
        const buyer = await f.user("legacy");
        const key = crypto.randomUUID();
        const body = { gigId: gig.gigId, package: "basic", requirements: f.answers(gig) };
        const order = await f.order(buyer, gig);
        // As the old code recorded keys: buyer, key, request hash, order.
        const hash = await legacyRequestHash({ ...body, package: "basic" });
        await f.sql`insert into idempotency_keys (buyer_id, key, request_hash, order_id)
          values (${buyer.userId}, ${key}, ${hash}, ${order.id})`;
        const before = await f.snapshot();
        const again = await post(f, buyer, "/api/v1/orders", body, key);
        assert.equal(again.status, 201);
        assert.equal(again.body.id, order.id);
        assert.deepEqual(await f.snapshot(), before);
        assertProblem(
          await post(f, buyer, "/api/v1/orders", { ...body, package: "standard" }, key),
          422,
          "idempotency_key_reused",
        );
      },
    );
  } finally {
    await f.close();
  }
});
