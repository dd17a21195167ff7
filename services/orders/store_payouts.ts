/**
 * Sellers' connected payout accounts and payouts, queued and retried like refunds.
 * Plain SQL; the rules live in order.ts and ledger.ts.
 */
import type { Sql, Tx } from "@mp/shared/db";

/** Either a pool or a transaction. */
type Db = Sql | Tx;

/** The seller's connected account, if any. */
export async function findPaymentAccount(
  db: Db,
  sellerId: string,
): Promise<{ accountId: string; provider: string; createdAt: Date } | undefined> {
  const [row] = await db`select account_id, provider, created_at from payment_accounts
    where seller_id = ${sellerId}`;
  return row
    ? { accountId: row.account_id, provider: row.provider, createdAt: row.created_at }
    : undefined;
}

/** Stores the seller's connected account (the first one stays). Returns the stored id. */
export async function savePaymentAccount(
  sql: Db,
  sellerId: string,
  provider: string,
  accountId: string,
): Promise<string> {
  await sql`insert into payment_accounts (seller_id, provider, account_id)
    values (${sellerId}, ${provider}, ${accountId}) on conflict (seller_id) do nothing`;
  const [row] = await sql`select account_id from payment_accounts where seller_id = ${sellerId}`;
  return row.account_id;
}

/** A payout as the API shows it. */
export interface Payout {
  id: string;
  sellerId: string;
  currency: string;
  amount: number;
  destination: string;
  status: "pending" | "paid" | "failed";
  providerTransferId: string | null;
  lastError: string | null;
  createdAt: Date;
}

// deno-lint-ignore no-explicit-any
function toPayout(row: any): Payout {
  return {
    id: row.id,
    sellerId: row.seller_id,
    currency: row.currency,
    amount: Number(row.amount),
    destination: row.destination,
    status: row.status,
    providerTransferId: row.provider_transfer_id,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

/** Inserts a payout (status pending). */
export async function insertPayout(
  tx: Tx,
  payout: Omit<Payout, "status" | "providerTransferId" | "lastError">,
): Promise<void> {
  await tx`insert into payouts (id, seller_id, currency, amount, destination, status, created_at)
    values (${payout.id}, ${payout.sellerId}, ${payout.currency}, ${payout.amount},
      ${payout.destination}, 'pending', ${payout.createdAt})`;
}

/** A payout by id. */
export async function findPayout(db: Db, id: string): Promise<Payout | undefined> {
  const [row] = await db`select * from payouts where id = ${id}`;
  return row ? toPayout(row) : undefined;
}

/** The seller's latest payouts. */
export async function recentPayouts(db: Db, sellerId: string, limit = 20): Promise<Payout[]> {
  const rows = await db`select * from payouts where seller_id = ${sellerId}
    order by created_at desc, id desc limit ${limit}`;
  return rows.map(toPayout);
}

/** Claims a due pending payout (a given one, or the oldest) with a lease, like `claimRefund`. */
export async function claimPayout(
  sql: Sql,
  now: Date,
  leaseMs: number,
  payoutId?: string,
): Promise<Payout & { attempts: number } | undefined> {
  const which = payoutId ? sql`and id = ${payoutId}` : sql``;
  const [row] = await sql`
    update payouts set attempts = attempts + 1,
      next_attempt_at = ${new Date(now.getTime() + leaseMs)}, updated_at = now()
    where id = (select id from payouts where status = 'pending' and next_attempt_at <= ${now} ${which}
      order by next_attempt_at limit 1 for update skip locked)
    returning *`;
  return row ? { ...toPayout(row), attempts: row.attempts } : undefined;
}

/** Locks a payout row for its final update. */
export async function lockPayout(tx: Tx, id: string): Promise<Payout | undefined> {
  const [row] = await tx`select * from payouts where id = ${id} for update`;
  return row ? toPayout(row) : undefined;
}

/** Records a payout's outcome. */
export async function settlePayout(
  db: Db,
  id: string,
  outcome:
    | { status: "paid"; transferId: string }
    | { status: "failed"; error: string }
    | { status: "pending"; error: string; retryAt: Date },
): Promise<void> {
  if (outcome.status === "paid") {
    await db`update payouts set status = 'paid', provider_transfer_id = ${outcome.transferId},
      last_error = null, updated_at = now() where id = ${id} and status = 'pending'`;
  } else if (outcome.status === "failed") {
    await db`update payouts set status = 'failed', last_error = ${outcome.error}, updated_at = now()
      where id = ${id} and status = 'pending'`;
  } else {
    await db`update payouts set last_error = ${outcome.error}, next_attempt_at = ${outcome.retryAt},
      updated_at = now() where id = ${id} and status = 'pending'`;
  }
}
