/**
 * SQL of the orders service, one file per part: the gig replica, orders, their
 * requests and history, handled Stripe events, the ledger, clearances, refunds,
 * payout accounts and payouts. Plain queries; the rules live in order.ts and
 * ledger.ts, and transitions.ts decides what to write when. Modules import the
 * part they use; this index serves app.ts's `store.*` calls.
 */
export * from "./store_gigs.ts";
export * from "./store_orders.ts";
export * from "./store_history.ts";
export * from "./store_stripe_events.ts";
export * from "./store_ledger.ts";
export * from "./store_clearances.ts";
export * from "./store_refunds.ts";
export * from "./store_payouts.ts";
