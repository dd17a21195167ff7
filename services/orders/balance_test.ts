/**
 * Sellers' money: the balance (pending, available, paid out, with entries),
 * Stripe Connect onboarding, and withdrawals as Stripe transfers, including
 * concurrent withdrawals, refused and failing transfers, and bad input.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import { type OrdersFixture, ordersFixture, type TestUser } from "./test_support.ts";

const DAY = 86_400_000;

/** A seller with `count` completed and cleared basic orders (20.00 earned each). */
async function sellerWithEarnings(f: OrdersFixture, count: number): Promise<TestUser> {
  const seller = await f.user("sam");
  const gig = await f.seedGig(seller);
  for (let i = 0; i < count; i++) {
    const buyer = await f.user(`b${i}`);
    const order = await f.order(buyer, gig);
    await f.pay(order);
    await f.call("POST", `/api/v1/orders/${order.id}/deliveries`, {
      token: seller.token,
      body: { message: "done" },
    });
    await f.call("POST", `/api/v1/orders/${order.id}/accept`, { token: buyer.token });
  }
  return seller;
}

const balance = (f: OrdersFixture, user: TestUser, query = "") =>
  f.call("GET", `/api/v1/sellers/me/balance${query}`, { token: user.token });
const withdraw = (f: OrdersFixture, user: TestUser, body: unknown) =>
  f.call("POST", "/api/v1/sellers/me/payouts", { token: user.token, body });
const onboard = (f: OrdersFixture, user: TestUser) =>
  f.call("POST", "/api/v1/sellers/me/payment-account", { token: user.token });

Deno.test("a seller's balance moves pending → available → paid out, with its entries", async () => {
  const f = await ordersFixture({ prefix: "orders_balance" });
  try {
    const seller = await sellerWithEarnings(f, 2);
    let res = await balance(f, seller);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.balances, [{
      currency: "USD",
      pending: 4000,
      available: 0,
      paidOut: 0,
    }]);
    assert.equal(res.body.paymentAccount.connected, false);
    assert.deepEqual(
      res.body.entries.items.map((
        e: { kind: string; balance: string; amount: number },
      ) => [e.kind, e.balance, e.amount]),
      [["release", "pending", 2000], ["release", "pending", 2000]],
    );

    assertProblem(await withdraw(f, seller, { currency: "USD" }), 409, "no_payment_account");
    const link = await onboard(f, seller);
    assert.equal(link.status, 201, JSON.stringify(link.body));
    assert.match(link.body.onboardingUrl, /^https:\/\/connect\.stripe\.com\//);
    assert.match(link.body.accountId, /^acct_/);
    const account = f.stripe.accounts.get(link.body.accountId)!;
    assert.deepEqual(account.metadata, { seller_id: seller.userId });
    const linkCall = f.stripe.requests.find((r) => r.path === "/v1/account_links")!;
    assert.equal(
      linkCall.params.return_url,
      "https://market.example/seller/payouts?onboarding=done",
    );
    // Asking again gives a fresh link for the same account.
    const again = await onboard(f, seller);
    assert.equal(again.body.accountId, link.body.accountId);
    assert.equal(f.stripe.accounts.size, 1);

    // Nothing available yet.
    assertProblem(await withdraw(f, seller, { currency: "USD" }), 409, "insufficient_balance");

    f.clock.advance(15 * DAY);
    await f.scheduler().runOnce();
    res = await balance(f, seller);
    assert.deepEqual(res.body.balances, [{
      currency: "USD",
      pending: 0,
      available: 4000,
      paidOut: 0,
    }]);

    assertProblem(
      await withdraw(f, seller, { currency: "USD", amount: 4001 }),
      409,
      "insufficient_balance",
    );
    assertProblem(await withdraw(f, seller, { currency: "EUR" }), 409, "insufficient_balance");
    const part = await withdraw(f, seller, { currency: "USD", amount: 1500 });
    assert.equal(part.status, 201, JSON.stringify(part.body));
    assert.equal(part.body.payout.status, "paid");
    assert.deepEqual(part.body.payout.amount, { amount: 1500, currency: "USD" });
    const transfer = f.stripe.transfers.get(part.body.payout.transferId)!;
    assert.equal(transfer.amount, 1500);
    assert.equal(transfer.destination, link.body.accountId);
    const transferCall = f.stripe.requests.find((r) => r.path === "/v1/transfers")!;
    assert.equal(transferCall.idempotencyKey, `payout-${part.body.payout.id}`);

    const rest = await withdraw(f, seller, { currency: "USD" });
    assert.equal(rest.body.payout.amount.amount, 2500);
    res = await balance(f, seller, "?limit=3");
    assert.deepEqual(res.body.balances, [{
      currency: "USD",
      pending: 0,
      available: 0,
      paidOut: 4000,
    }]);
    assert.equal(res.body.payouts.length, 2);
    assert.equal(res.body.paymentAccount.connected, true);
    assert.equal(res.body.entries.total, 10);
    assert.deepEqual(
      res.body.entries.items.map((
        e: { kind: string; balance: string; amount: number },
      ) => [e.kind, e.balance, e.amount]),
      [["payout", "paid_out", 2500], ["payout", "available", -2500], ["payout", "paid_out", 1500]],
    );
    assert.equal((await f.ledger()).total, 0);

    // Someone else's balance is their own: a stranger sees nothing of it.
    const stranger = await f.user("eve");
    const theirs = await balance(f, stranger);
    assert.deepEqual(theirs.body.balances, []);
    assert.equal(theirs.body.entries.total, 0);
    assertProblem(await onboard(f, stranger), 403, "not_a_seller");
    assertProblem(await withdraw(f, stranger, { currency: "USD" }), 409, "no_payment_account");
  } finally {
    await f.close();
  }
});

Deno.test("concurrent withdrawals of one balance: one transfer, the others refused", async () => {
  const f = await ordersFixture({ prefix: "orders_payout_race" });
  try {
    const seller = await sellerWithEarnings(f, 1);
    await onboard(f, seller);
    f.clock.advance(15 * DAY);
    await f.scheduler().runOnce();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => withdraw(f, seller, { currency: "USD" })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409, 409, 409]);
    assert.equal(f.stripe.transfers.size, 1);
    const res = await balance(f, seller);
    assert.deepEqual(res.body.balances, [{
      currency: "USD",
      pending: 0,
      available: 0,
      paidOut: 2000,
    }]);
  } finally {
    await f.close();
  }
});

Deno.test("a transfer Stripe refuses restores the balance; one that fails for a while is retried once it can", async () => {
  const f = await ordersFixture({ prefix: "orders_payout_fail" });
  try {
    const seller = await sellerWithEarnings(f, 2);
    const link = await onboard(f, seller);
    f.clock.advance(15 * DAY);
    await f.scheduler().runOnce();

    // The connected account disappeared at Stripe: a definitive refusal.
    f.stripe.accounts.delete(link.body.accountId);
    const refused = await withdraw(f, seller, { currency: "USD", amount: 1000 });
    assert.equal(refused.status, 201);
    assert.equal(refused.body.payout.status, "failed");
    assert.match(refused.body.payout.error, /No such destination/);
    let res = await balance(f, seller);
    assert.deepEqual(res.body.balances, [{
      currency: "USD",
      pending: 0,
      available: 4000,
      paidOut: 0,
    }]);

    // Stripe back with the account, but down for a moment: the payout waits, then goes once.
    f.stripe.accounts.set(link.body.accountId, { id: link.body.accountId, object: "account" });
    f.stripe.failNext("POST", "/v1/transfers", 1, 500);
    const waiting = await withdraw(f, seller, { currency: "USD", amount: 1000 });
    assert.equal(waiting.body.payout.status, "pending");
    res = await balance(f, seller);
    assert.deepEqual(res.body.balances, [{
      currency: "USD",
      pending: 0,
      available: 3000,
      paidOut: 1000,
    }]);
    f.clock.advance(60_000);
    assert.equal((await f.scheduler().runOnce()).payoutsSubmitted, 1);
    res = await balance(f, seller);
    assert.equal(res.body.payouts[0].status, "paid");
    assert.equal(f.stripe.transfers.size, 1);
    const keys = f.stripe.requests.filter((r) => r.path === "/v1/transfers").map((r) =>
      r.idempotencyKey
    );
    assert.deepEqual(keys.slice(1), [
      `payout-${waiting.body.payout.id}`,
      `payout-${waiting.body.payout.id}`,
    ]);
    assert.equal((await f.ledger()).total, 0);
  } finally {
    await f.close();
  }
});

Deno.test("balance and payout routes refuse bad input and missing tokens with 4xx problems", async () => {
  const f = await ordersFixture({ prefix: "orders_payout_input" });
  try {
    const seller = await sellerWithEarnings(f, 1);
    await onboard(f, seller);
    const before = await f.snapshot();
    for (
      const body of [
        {},
        { currency: "usd" },
        { currency: "USD", amount: 0 },
        { currency: "USD", amount: -5 },
        { currency: "USD", amount: 1.5 },
        { currency: "USD", amount: "100" },
        { currency: "USD", to: "acct_attacker" },
      ]
    ) {
      assertProblem(await withdraw(f, seller, body), 400, "validation_failed");
    }
    assertProblem(
      await f.call("POST", "/api/v1/sellers/me/payouts", { token: seller.token, body: "{" }),
      400,
      "malformed_json",
    );
    assertProblem(
      await f.call("POST", "/api/v1/sellers/me/payouts", { body: { currency: "USD" } }),
      401,
    );
    assertProblem(await f.call("GET", "/api/v1/sellers/me/balance"), 401);
    assertProblem(await f.call("POST", "/api/v1/sellers/me/payment-account"), 401);
    assertProblem(await balance(f, seller, "?limit=500"), 400);
    assertProblem(await balance(f, seller, "?seller=other"), 400);
    assert.deepEqual(await f.snapshot(), before);
  } finally {
    await f.close();
  }
});
