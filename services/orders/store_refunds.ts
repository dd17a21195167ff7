/**
 * Refunds of an order's payment, queued and retried until the provider takes them.
 * Plain SQL; the rules live in order.ts and ledger.ts.
 */
import type { Sql, Tx } from "@mp/shared/db";

/** Queues a refund of an order's payment. */
export async function insertRefund(tx: Tx, input: {
  orderId: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  status?: "pending" | "succeeded";
}): Promise<void> {
  await tx`insert into refunds (order_id, payment_intent_id, amount, currency, status)
    values (${input.orderId}, ${input.paymentIntentId}, ${input.amount}, ${input.currency},
      ${input.status ?? "pending"})
    on conflict (order_id) do nothing`;
}

/** A refund claimed for an attempt. */
export interface ClaimedRefund {
  orderId: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  attempts: number;
}

/**
 * Claims a pending refund that is due (a given order's, or the oldest), moving
 * its next attempt past `leaseMs` so no other worker takes it meanwhile.
 */
export async function claimRefund(
  sql: Sql,
  now: Date,
  leaseMs: number,
  orderId?: string,
): Promise<ClaimedRefund | undefined> {
  const which = orderId ? sql`and order_id = ${orderId}` : sql``;
  const [row] = await sql`
    update refunds set attempts = attempts + 1,
      next_attempt_at = ${new Date(now.getTime() + leaseMs)}, updated_at = now()
    where order_id = (select order_id from refunds
      where status = 'pending' and next_attempt_at <= ${now} ${which}
      order by next_attempt_at limit 1 for update skip locked)
    returning order_id, payment_intent_id, amount, currency, attempts`;
  return row
    ? {
      orderId: row.order_id,
      paymentIntentId: row.payment_intent_id,
      amount: Number(row.amount),
      currency: row.currency,
      attempts: row.attempts,
    }
    : undefined;
}

/** Records a refund attempt's outcome. */
export async function settleRefund(
  sql: Sql | Tx,
  orderId: string,
  outcome:
    | { status: "submitted" | "succeeded"; providerRefundId: string }
    | { status: "failed"; error: string }
    | { status: "pending"; error: string; retryAt: Date },
): Promise<void> {
  if (outcome.status === "pending") {
    await sql`update refunds set last_error = ${outcome.error}, next_attempt_at = ${outcome.retryAt},
      updated_at = now() where order_id = ${orderId} and status = 'pending'`;
  } else if (outcome.status === "failed") {
    await sql`update refunds set status = 'failed', last_error = ${outcome.error}, updated_at = now()
      where order_id = ${orderId} and status = 'pending'`;
  } else {
    await sql`update refunds set status = ${outcome.status},
      provider_refund_id = coalesce(provider_refund_id, ${outcome.providerRefundId}),
      last_error = null, updated_at = now()
      where order_id = ${orderId} and status in ('pending', 'submitted')`;
  }
}

/** Marks a refund confirmed by the provider (charge.refunded); returns whether one was open. */
export async function confirmRefund(tx: Tx, orderId: string): Promise<boolean> {
  const rows = await tx`update refunds set status = 'succeeded', updated_at = now()
    where order_id = ${orderId} and status <> 'succeeded' returning order_id`;
  return rows.length > 0;
}
