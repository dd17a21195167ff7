/**
 * Clearances: released earnings that move from pending to available once
 * `clears_at` has passed.
 * Plain SQL; the rules live in order.ts and ledger.ts.
 */
import type { Tx } from "@mp/shared/db";

/** Schedules an order's earnings to clear. */
export async function insertClearance(tx: Tx, input: {
  orderId: string;
  sellerId: string;
  currency: string;
  amount: number;
  clearsAt: Date;
}): Promise<void> {
  await tx`insert into clearances (order_id, seller_id, currency, amount, clears_at)
    values (${input.orderId}, ${input.sellerId}, ${input.currency}, ${input.amount}, ${input.clearsAt})`;
}

/**
 * Locks up to `limit` due clearances no other transaction holds (SKIP LOCKED:
 * two schedulers never take the same row).
 */
export async function claimDueClearances(tx: Tx, now: Date, limit: number): Promise<{
  orderId: string;
  sellerId: string;
  currency: string;
  amount: number;
}[]> {
  const rows = await tx`select order_id, seller_id, currency, amount from clearances
    where cleared_at is null and clears_at <= ${now}
    order by clears_at limit ${limit} for update skip locked`;
  return rows.map((r) => ({
    orderId: r.order_id,
    sellerId: r.seller_id,
    currency: r.currency,
    amount: Number(r.amount),
  }));
}

/** Marks a clearance done. */
export async function markCleared(tx: Tx, orderId: string, at: Date): Promise<void> {
  await tx`update clearances set cleared_at = ${at} where order_id = ${orderId}`;
}
