/**
 * Idempotent consumer (inbox). The event id is recorded in the same transaction
 * as the handler's effect, so a redelivered event changes nothing.
 */
import type { z } from "zod";
import { type EventEnvelope, PoisonMessageError } from "./bus.ts";
import type { Sql, Tx } from "./db.ts";
import { eventMetrics } from "./metrics.ts";

/**
 * DDL of the inbox table, applied by `migrate()` through its `include` option.
 * v2 adds the index retention prunes by (shared/retention.ts); every statement
 * is idempotent, so a database that recorded v1 gets just that index from v2.
 */
export const inboxMigration = {
  version: "shared/inbox_v2",
  sql: `
    create table if not exists inbox (
      event_id uuid primary key,
      type text not null,
      processed_at timestamptz not null default now()
    );
    create index if not exists inbox_processed_at on inbox (processed_at);
  `,
};

/**
 * Runs `effect` in a transaction unless this event id was already processed.
 * Returns `false` for a duplicate.
 */
export async function handleOnce(
  sql: Sql,
  envelope: EventEnvelope,
  effect: (tx: Tx) => Promise<void>,
): Promise<boolean> {
  const done = await sql.begin(async (tx) => {
    const inserted =
      await tx`insert into inbox (event_id, type) values (${envelope.id}, ${envelope.type})
      on conflict (event_id) do nothing returning event_id`;
    if (inserted.length === 0) return false;
    await effect(tx);
    return true;
  });
  // Counted after the transaction: a retried transaction is one duplicate at most.
  if (!done) eventMetrics.duplicates.inc({ type: envelope.type });
  return done;
}

/**
 * Parses an event's data with the consumer's own schema (only the fields it
 * uses; unknown fields are ignored). A mismatch can never succeed on retry, so
 * it is a poison message.
 */
export function parseEventData<S extends z.ZodType>(
  schema: S,
  envelope: EventEnvelope,
): z.infer<S> {
  const result = schema.safeParse(envelope.data);
  if (!result.success) {
    throw new PoisonMessageError(`${envelope.type} ${envelope.id}: ${result.error.message}`);
  }
  return result.data;
}
