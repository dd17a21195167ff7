/**
 * Stripe event ids already handled, so a redelivered webhook does nothing.
 * Plain SQL; the rules live in order.ts and ledger.ts.
 */
import type { Sql, Tx } from "@mp/shared/db";

/** Either a pool or a transaction. */
type Db = Sql | Tx;

/** Records a Stripe event id; `false` if it was already handled (then do nothing). */
export async function recordStripeEvent(tx: Tx, id: string, type: string): Promise<boolean> {
  const rows = await tx`insert into stripe_events (event_id, type) values (${id}, ${type})
    on conflict (event_id) do nothing returning event_id`;
  return rows.length > 0;
}

/** Whether a Stripe event id was handled (a cheap check before any work). */
export async function isStripeEventHandled(db: Db, id: string): Promise<boolean> {
  const rows = await db`select 1 from stripe_events where event_id = ${id}`;
  return rows.length > 0;
}
