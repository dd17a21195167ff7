/**
 * The double-entry ledger: postings (balanced, see ledger.ts), a seller's
 * balances and entries, and the per-seller lock of balance-changing work.
 * Plain SQL; the rules live in order.ts and ledger.ts.
 */
import type { Sql, Tx } from "@mp/shared/db";
import { type Account, assertBalanced, type Posting } from "./ledger.ts";

/** Either a pool or a transaction. */
type Db = Sql | Tx;

/** Writes a balanced posting as one ledger transaction. */
export async function postLedger(tx: Tx, posting: Posting, at: Date): Promise<void> {
  assertBalanced(posting);
  const id = crypto.randomUUID();
  await tx`insert into ledger_transactions (id, kind, order_id, payout_id, created_at)
    values (${id}, ${posting.kind}, ${posting.orderId}, ${posting.payoutId}, ${at})`;
  for (const e of posting.entries) {
    await tx`insert into ledger_entries (transaction_id, account, owner, currency, amount)
      values (${id}, ${e.account}, ${e.owner}, ${e.currency}, ${e.amount})`;
  }
}

/** A seller's balances per currency (credit balances shown as positive amounts). */
export interface SellerBalance {
  currency: string;
  pending: number;
  available: number;
  paidOut: number;
}

/** Balances of a seller, one row per currency that has any entry. */
export async function sellerBalances(db: Db, sellerId: string): Promise<SellerBalance[]> {
  const rows = await db<{ currency: string; account: Account; balance: string }[]>`
    select currency, account, -sum(amount) as balance from ledger_entries
    where owner = ${sellerId} and account in ('seller_pending', 'seller_available', 'seller_paid_out')
    group by currency, account order by currency`;
  const out = new Map<string, SellerBalance>();
  for (const row of rows) {
    const b = out.get(row.currency) ??
      { currency: row.currency, pending: 0, available: 0, paidOut: 0 };
    const amount = Number(row.balance);
    if (row.account === "seller_pending") b.pending = amount;
    if (row.account === "seller_available") b.available = amount;
    if (row.account === "seller_paid_out") b.paidOut = amount;
    out.set(row.currency, b);
  }
  return [...out.values()];
}

/** One movement of a seller's balance. */
export interface SellerEntry {
  at: Date;
  kind: string;
  orderId: string | null;
  payoutId: string | null;
  balance: "pending" | "available" | "paid_out";
  /** Positive when the balance grows. */
  amount: number;
  currency: string;
}

/** A page of a seller's ledger entries, newest first. */
export async function sellerEntries(
  db: Db,
  sellerId: string,
  page: number,
  limit: number,
): Promise<{ items: SellerEntry[]; total: number }> {
  const rows = await db`
    select t.created_at, t.kind, t.order_id, t.payout_id, e.account, e.amount, e.currency
    from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
    where e.owner = ${sellerId}
      and e.account in ('seller_pending', 'seller_available', 'seller_paid_out')
    order by e.id desc limit ${limit} offset ${(page - 1) * limit}`;
  const [count] = await db<{ n: number }[]>`select count(*)::int as n from ledger_entries
    where owner = ${sellerId} and account in ('seller_pending', 'seller_available', 'seller_paid_out')`;
  return {
    items: rows.map((r) => ({
      at: r.created_at,
      kind: r.kind,
      orderId: r.order_id,
      payoutId: r.payout_id,
      balance: r.account === "seller_pending"
        ? "pending"
        : r.account === "seller_available"
        ? "available"
        : "paid_out",
      amount: -Number(r.amount),
      currency: r.currency,
    })),
    total: count.n,
  };
}

/**
 * Serialises balance-changing work of one seller (payout requests) for the
 * rest of the transaction, so two withdrawals cannot both spend one balance.
 */
export async function lockSeller(tx: Tx, sellerId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${"seller:" + sellerId}, 0))`;
}
