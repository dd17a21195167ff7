/**
 * The ledger's rules as the database enforces them, whatever code writes to it:
 * an unbalanced transaction fails at commit, entries cannot be changed or
 * removed, and an order's capture (or any one-per-order effect) cannot be
 * posted twice.
 */
import assert from "node:assert/strict";
import { capturePosting, type OrderMoney } from "./ledger.ts";
import { postLedger } from "./store_ledger.ts";
import { ordersFixture } from "./test_support.ts";

async function sqlState(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

Deno.test("the database refuses unbalanced, edited, deleted or repeated ledger postings", async () => {
  const f = await ordersFixture({ prefix: "orders_ledger_db" });
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const order = await f.order(buyer, await f.seedGig(seller));
    await f.pay(order); // one capture exists now
    const before = await f.ledger();
    const sql = f.sql;

    // Off by one unit: the deferred trigger rejects the commit.
    const unbalanced = await sqlState(() =>
      sql.begin(async (tx) => {
        const id = crypto.randomUUID();
        await tx`insert into ledger_transactions (id, kind, order_id, created_at)
          values (${id}, 'clear', ${order.id}, now())`;
        await tx`insert into ledger_entries (transaction_id, account, owner, currency, amount)
          values (${id}, 'seller_pending', ${seller.userId}, 'USD', 10),
                 (${id}, 'seller_available', ${seller.userId}, 'USD', -9)`;
      })
    );
    assert.equal(unbalanced, "23514");

    // Balanced in total but across two currencies: still refused.
    const mixed = await sqlState(() =>
      sql.begin(async (tx) => {
        const id = crypto.randomUUID();
        await tx`insert into ledger_transactions (id, kind, order_id, created_at)
          values (${id}, 'clear', ${order.id}, now())`;
        await tx`insert into ledger_entries (transaction_id, account, owner, currency, amount)
          values (${id}, 'seller_pending', ${seller.userId}, 'USD', 10),
                 (${id}, 'seller_available', ${seller.userId}, 'EUR', -10)`;
      })
    );
    assert.equal(mixed, "23514");

    assert.equal(
      await sqlState(() => sql`update ledger_entries set amount = amount + 1`),
      "23514",
    );
    assert.equal(await sqlState(() => sql`delete from ledger_entries`), "23514");
    assert.equal(await sqlState(() => sql`delete from ledger_transactions`), "23514");

    // A second capture of the same order, even balanced and through the posting code.
    const money: OrderMoney = {
      orderId: order.id,
      sellerId: seller.userId,
      currency: "USD",
      total: order.total.amount,
      serviceFee: order.serviceFee.amount,
      commission: 0,
      sellerEarnings: order.price.amount,
    };
    const twice = await sqlState(
      () => sql.begin((tx) => postLedger(tx, capturePosting(money), new Date())),
    );
    assert.equal(twice, "23505");

    assert.deepEqual(await f.ledger(), before);
  } finally {
    await f.close();
  }
});
