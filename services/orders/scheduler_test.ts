/**
 * Scheduled work on a real database: two schedulers racing over the same due
 * orders complete and clear each exactly once; the work lives in the database,
 * so a scheduler started after a "restart" finds it; the polling loop does it
 * on its own with short real durations; refunds the provider refused for a
 * while are retried until they go through, once.
 */
import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { type OrdersFixture, ordersFixture, type TestGig, type TestUser } from "./test_support.ts";

const DAY = 86_400_000;

async function deliveredOrder(f: OrdersFixture, buyer: TestUser, seller: TestUser, gig: TestGig) {
  const order = await f.order(buyer, gig);
  await f.pay(order);
  const res = await f.call("POST", `/api/v1/orders/${order.id}/deliveries`, {
    token: seller.token,
    body: { message: "done" },
  });
  assert.equal(res.status, 201);
  return order;
}

async function counts(f: OrdersFixture) {
  const [row] = await f.sql`select
    (select count(*)::int from orders where status = 'completed' and completed_by = 'auto') as auto_completed,
    (select count(*)::int from ledger_transactions where kind = 'release') as releases,
    (select count(*)::int from ledger_transactions where kind = 'clear') as clears,
    (select count(*)::int from outbox where type = 'order.completed') as completed_events,
    (select count(*)::int from clearances where cleared_at is not null) as cleared`;
  return row;
}

Deno.test("two schedulers over one database auto-complete and clear each due order exactly once", async () => {
  const f = await ordersFixture({
    prefix: "orders_sched",
    autoCompleteMs: 3 * DAY,
    clearingMs: 14 * DAY,
  });
  try {
    const seller = await f.user("sam");
    const gig = await f.seedGig(seller);
    const orders = [];
    for (let i = 0; i < 12; i++) {
      orders.push(await deliveredOrder(f, await f.user(`b${i}`), seller, gig));
    }
    const one = f.scheduler();
    const two = f.scheduler();

    // Not yet due: nothing happens.
    f.clock.advance(3 * DAY - 60_000);
    await Promise.all([one.runOnce(), two.runOnce()]);
    assert.equal((await counts(f)).auto_completed, 0);

    f.clock.advance(120_000);
    const [a, b] = await Promise.all([one.runOnce(), two.runOnce()]);
    assert.equal(a.autoCompleted + b.autoCompleted, 12);
    assert.deepEqual(await counts(f), {
      auto_completed: 12,
      releases: 12,
      clears: 0,
      completed_events: 12,
      cleared: 0,
    });
    const [event] = await f.events("order.completed");
    assert.equal(event.data.by, "auto");

    let balance = await f.call("GET", "/api/v1/sellers/me/balance", { token: seller.token });
    assert.deepEqual(balance.body.balances, [{
      currency: "USD",
      pending: 24_000,
      available: 0,
      paidOut: 0,
    }]);

    f.clock.advance(14 * DAY);
    const [c, d] = await Promise.all([one.runOnce(), two.runOnce()]);
    assert.equal(c.cleared + d.cleared, 12);
    await Promise.all([one.runOnce(), two.runOnce()]);
    const after = await counts(f);
    assert.equal(after.clears, 12);
    assert.equal(after.cleared, 12);
    balance = await f.call("GET", "/api/v1/sellers/me/balance", { token: seller.token });
    assert.deepEqual(balance.body.balances, [{
      currency: "USD",
      pending: 0,
      available: 24_000,
      paidOut: 0,
    }]);
    assert.equal((await f.ledger()).total, 0);
  } finally {
    await f.close();
  }
});

Deno.test("due work survives a restart: a new scheduler finds what the stopped one left", async () => {
  const f = await ordersFixture({ prefix: "orders_restart" });
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const order = await deliveredOrder(f, buyer, seller, await f.seedGig(seller));
    const before = f.scheduler();
    before.start();
    await before.stop(); // the process goes away before anything is due

    f.clock.advance(3 * DAY + 1000);
    const after = f.scheduler(); // a new process, same database
    const report = await after.runOnce();
    assert.equal(report.autoCompleted, 1);
    assert.equal((await f.view(buyer, order.id)).status, "completed");
  } finally {
    await f.close();
  }
});

Deno.test("the polling loops of two replicas complete and clear on their own with short real durations", async () => {
  const f = await ordersFixture({ prefix: "orders_loop", autoCompleteMs: 300, clearingMs: 300 });
  const one = f.scheduler();
  const two = f.scheduler();
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const gig = await f.seedGig(seller);
    const orders = [
      await deliveredOrder(f, buyer, seller, gig),
      await deliveredOrder(f, buyer, seller, gig),
    ];
    one.start();
    two.start();
    await waitFor(async () => (await counts(f)).cleared === 2, { what: "two cleared orders" });
    for (const order of orders) assert.equal((await f.view(buyer, order.id)).completedBy, "auto");
    const c = await counts(f);
    assert.deepEqual([c.releases, c.clears, c.completed_events], [2, 2, 2]);
  } finally {
    await one.stop();
    await two.stop();
    await f.close();
  }
});

Deno.test("a refund Stripe refused for a while is retried by the scheduler until it goes through, once", async () => {
  const f = await ordersFixture({ prefix: "orders_refund_retry" });
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const order = await f.order(buyer, await f.seedGig(seller));
    await f.pay(order);
    f.clock.advance(4 * DAY);
    f.stripe.failNext("POST", "/v1/refunds", 2, 503);
    const cancelled = await f.call("POST", `/api/v1/orders/${order.id}/cancel`, {
      token: buyer.token,
      body: { reason: "late" },
    });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.order.status, "cancelled");
    assert.equal(cancelled.body.order.payment.status, "refund_pending");
    assert.equal(f.stripe.refunds.size, 0);

    const scheduler = f.scheduler();
    assert.equal((await scheduler.runOnce()).refundsSubmitted, 0, "waits for its retry time");
    f.clock.advance(10_000);
    await scheduler.runOnce(); // the second refused attempt
    assert.equal(f.stripe.refunds.size, 0);
    f.clock.advance(60_000);
    assert.equal((await scheduler.runOnce()).refundsSubmitted, 1);
    assert.equal(f.stripe.refunds.size, 1);
    const view = await f.view(buyer, order.id);
    assert.equal(view.payment.status, "refunded");
    assert.equal(view.payment.refund.status, "succeeded");
    // Every attempt used the same key, so Stripe could never refund twice.
    const keys = new Set(
      f.stripe.requests.filter((r) => r.path === "/v1/refunds").map((r) => r.idempotencyKey),
    );
    assert.deepEqual([...keys], [`refund-${order.id}`]);
    f.clock.advance(DAY);
    assert.equal((await scheduler.runOnce()).refundsSubmitted, 0);
  } finally {
    await f.close();
  }
});
