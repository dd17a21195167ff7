/**
 * The orders service's business counters (shared/metrics.ts serves them on
 * `GET /metrics`). Each is counted once its transaction has committed
 * (`afterCommit`), so a rolled-back or retried transaction counts nothing.
 */
import { counter } from "@mp/shared/metrics";

/** Status changes by the status left (`none` for a new order) and entered. */
export const orderStatusChanges = counter(
  "orders_status_changes_total",
  "Order status changes, by the status left (none: placed) and the status entered",
  ["from", "to"],
);

/** Escrow movements of buyers' payments: `captured` (paid) and `refunded`. */
export const orderPayments = counter(
  "orders_payments_total",
  "Buyers' payments captured into escrow and refunded",
  ["outcome"],
);
