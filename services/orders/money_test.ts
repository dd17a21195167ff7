/** Fee and commission arithmetic of money.ts: integers only, the documented rounding rule. */
import assert from "node:assert/strict";
import { percentOf, quote } from "./money.ts";

const FEES = { buyerFeeBps: 550, buyerFeeFixed: 100, commissionBps: 2000 };

Deno.test("percentOf() rounds the percentage half up to a whole minor unit", () => {
  assert.equal(percentOf(2500, 550), 138); // 137.5 → 138
  assert.equal(percentOf(2499, 550), 137); // 137.445 → 137
  assert.equal(percentOf(1, 5000), 1); // 0.5 → 1
  assert.equal(percentOf(1, 4999), 0); // 0.4999 → 0
  assert.equal(percentOf(0, 550), 0);
  assert.equal(percentOf(12345, 0), 0);
  assert.equal(percentOf(12345, 10_000), 12345);
  // Far beyond any price: still exact (BigInt inside).
  assert.equal(percentOf(9_007_199_254_740_991, 1), 900_719_925_474);
});

Deno.test("percentOf() refuses negative, fractional and out-of-range inputs", () => {
  for (const [amount, bps] of [[-1, 10], [1.5, 10], [10, -1], [10, 10_001], [10, 0.5]]) {
    assert.throws(() => percentOf(amount, bps), RangeError, `${amount} ${bps}`);
  }
});

Deno.test("quote() prices from the package: fee on top for the buyer, commission kept from the seller", () => {
  assert.deepEqual(quote({ amount: 2500, currency: "USD" }, FEES), {
    currency: "USD",
    price: 2500,
    serviceFee: 238,
    total: 2738,
    commission: 500,
    sellerEarnings: 2000,
  });
  assert.deepEqual(quote({ amount: 999, currency: "EUR" }, { ...FEES, buyerFeeFixed: 0 }), {
    currency: "EUR",
    price: 999,
    serviceFee: 55, // 54.945 → 55
    total: 1054,
    commission: 200, // 199.8 → 200
    sellerEarnings: 799,
  });
});

Deno.test("quote() keeps price = earnings + commission and total = price + fee for every price", () => {
  // A small deterministic PRNG, so a failure names a reproducible input.
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let i = 0; i < 5_000; i++) {
    const amount = 1 + next() % 100_000_000;
    const fees = {
      buyerFeeBps: next() % 10_001,
      buyerFeeFixed: next() % 1_000,
      commissionBps: next() % 10_001,
    };
    const q = quote({ amount, currency: "GBP" }, fees);
    for (const value of Object.values(q)) {
      if (typeof value === "number") assert.ok(Number.isSafeInteger(value) && value >= 0);
    }
    assert.equal(q.total, q.price + q.serviceFee);
    assert.equal(q.price, q.sellerEarnings + q.commission);
    // Rounding never moves a percentage by half a unit or more.
    assert.ok(Math.abs(q.commission - amount * fees.commissionBps / 10_000) <= 0.5);
    assert.ok(
      Math.abs(q.serviceFee - fees.buyerFeeFixed - amount * fees.buyerFeeBps / 10_000) <= 0.5,
    );
  }
});

Deno.test("quote() refuses a price that is not a positive integer", () => {
  for (const amount of [0, -5, 10.5, Number.NaN]) {
    assert.throws(() => quote({ amount, currency: "USD" }, FEES), RangeError, String(amount));
  }
});
