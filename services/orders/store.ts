/**
 * SQL of the orders service: the gig replica, orders and their requests and
 * timeline, idempotency keys, handled Stripe events, the ledger, clearances,
 * refunds, payout accounts and payouts. Plain queries; the rules live in
 * order.ts and ledger.ts, and transitions.ts decides what to write when.
 */
import type { Sql, Tx } from "@mp/shared/db";
import { type Account, assertBalanced, type Posting } from "./ledger.ts";
import type { Actor, OrderStatus, Party } from "./order.ts";

/** Either a pool or a transaction. */
type Db = Sql | Tx;

// ---------------------------------------------------------------- gig replica

/** A package of a replicated gig. */
export interface GigPackage {
  tier: "basic" | "standard" | "premium";
  name: string;
  description: string;
  price: { amount: number; currency: string };
  deliveryDays: number;
  revisions: number;
  features: string[];
}

/** A requirement question of a replicated gig. */
export interface GigRequirement {
  id: string;
  question: string;
  required: boolean;
  type: "text" | "choice";
  choices?: string[];
}

/** A gig as the replica knows it. */
export interface ReplicaGig {
  gigId: string;
  sellerId: string;
  title: string;
  status: "active" | "paused" | "deleted";
  packages: GigPackage[];
  requirements: GigRequirement[];
  updatedAt: Date;
}

/**
 * Applies `gig.created`/`gig.updated`: inserts the gig, or overwrites it only
 * when this version is newer than the stored one and the gig is not deleted.
 * Returns `false` when the event was stale (older, or about a deleted gig).
 */
export async function upsertGig(
  tx: Tx,
  gig: Omit<ReplicaGig, "status"> & {
    status: "active" | "paused";
  },
): Promise<boolean> {
  const rows = await tx`
    insert into gigs (gig_id, seller_id, title, status, packages, requirements, source_updated_at)
    values (${gig.gigId}, ${gig.sellerId}, ${gig.title}, ${gig.status},
      ${tx.json(gig.packages as never)}, ${tx.json(gig.requirements as never)}, ${gig.updatedAt})
    on conflict (gig_id) do update set
      seller_id = excluded.seller_id, title = excluded.title, status = excluded.status,
      packages = excluded.packages, requirements = excluded.requirements,
      source_updated_at = excluded.source_updated_at, received_at = now()
    where gigs.status <> 'deleted' and gigs.source_updated_at < excluded.source_updated_at
    returning gig_id`;
  return rows.length > 0;
}

/** Applies `gig.deleted`: a tombstone, final whatever arrives later. */
export async function markGigDeleted(
  tx: Tx,
  gig: { gigId: string; sellerId: string; deletedAt: Date },
): Promise<void> {
  await tx`
    insert into gigs (gig_id, seller_id, title, status, source_updated_at)
    values (${gig.gigId}, ${gig.sellerId}, '', 'deleted', ${gig.deletedAt})
    on conflict (gig_id) do update set status = 'deleted',
      source_updated_at = greatest(gigs.source_updated_at, excluded.source_updated_at),
      received_at = now()`;
}

/** The replica's gig, or undefined. */
export async function findGig(db: Db, gigId: string): Promise<ReplicaGig | undefined> {
  const [row] = await db<
    {
      gig_id: string;
      seller_id: string;
      title: string;
      status: ReplicaGig["status"];
      packages: GigPackage[];
      requirements: GigRequirement[];
      source_updated_at: Date;
    }[]
  >`select gig_id, seller_id, title, status, packages, requirements, source_updated_at
    from gigs where gig_id = ${gigId}`;
  if (!row) return undefined;
  return {
    gigId: row.gig_id,
    sellerId: row.seller_id,
    title: row.title,
    status: row.status,
    packages: row.packages,
    requirements: row.requirements,
    updatedAt: row.source_updated_at,
  };
}

// ---------------------------------------------------------------- orders

/** The package as ordered (a snapshot; later gig edits do not change it). */
export interface OrderedPackage {
  tier: GigPackage["tier"];
  name: string;
  description: string;
  deliveryDays: number;
  revisions: number;
  features: string[];
}

/** An answer to one requirement question, with the question as it was asked. */
export interface RequirementAnswer {
  questionId: string;
  question: string;
  answer: string;
}

/** Where a payment stands. */
export type PaymentStatus =
  | "requires_payment"
  | "failed"
  | "succeeded"
  | "refund_pending"
  | "refunded";

/** An order row. */
export interface Order {
  id: string;
  gigId: string;
  buyerId: string;
  sellerId: string;
  gigTitle: string;
  tier: GigPackage["tier"];
  package: OrderedPackage;
  requirements: RequirementAnswer[];
  currency: string;
  price: number;
  serviceFee: number;
  total: number;
  commission: number;
  sellerEarnings: number;
  deliveryDays: number;
  revisionsIncluded: number;
  revisionsUsed: number;
  extensionDays: number;
  status: OrderStatus;
  createdAt: Date;
  paidAt: Date | null;
  dueAt: Date | null;
  deliveredAt: Date | null;
  autoCompleteAt: Date | null;
  completedAt: Date | null;
  completedBy: "buyer" | "auto" | null;
  cancelledAt: Date | null;
  cancelledBy: Actor | null;
  cancelReason: string | null;
  paymentProvider: "stripe" | "local_test";
  paymentIntentId: string;
  paymentClientSecret: string | null;
  paymentStatus: PaymentStatus;
  paymentError: string | null;
}

// deno-lint-ignore no-explicit-any
function toOrder(row: any): Order {
  return {
    id: row.id,
    gigId: row.gig_id,
    buyerId: row.buyer_id,
    sellerId: row.seller_id,
    gigTitle: row.gig_title,
    tier: row.tier,
    package: row.package,
    requirements: row.requirements,
    currency: row.currency,
    price: Number(row.price),
    serviceFee: Number(row.service_fee),
    total: Number(row.total),
    commission: Number(row.commission),
    sellerEarnings: Number(row.seller_earnings),
    deliveryDays: row.delivery_days,
    revisionsIncluded: row.revisions_included,
    revisionsUsed: row.revisions_used,
    extensionDays: row.extension_days,
    status: row.status,
    createdAt: row.created_at,
    paidAt: row.paid_at,
    dueAt: row.due_at,
    deliveredAt: row.delivered_at,
    autoCompleteAt: row.auto_complete_at,
    completedAt: row.completed_at,
    completedBy: row.completed_by,
    cancelledAt: row.cancelled_at,
    cancelledBy: row.cancelled_by,
    cancelReason: row.cancel_reason,
    paymentProvider: row.payment_provider,
    paymentIntentId: row.payment_intent_id,
    paymentClientSecret: row.payment_client_secret,
    paymentStatus: row.payment_status,
    paymentError: row.payment_error,
  };
}

/** Inserts a new order (status `pending_payment`). */
export async function insertOrder(tx: Tx, order: Order): Promise<void> {
  await tx`
    insert into orders (id, gig_id, buyer_id, seller_id, gig_title, tier, package, requirements,
      currency, price, service_fee, total, commission, seller_earnings, delivery_days,
      revisions_included, status, created_at, payment_provider, payment_intent_id,
      payment_client_secret, payment_status)
    values (${order.id}, ${order.gigId}, ${order.buyerId}, ${order.sellerId}, ${order.gigTitle},
      ${order.tier}, ${tx.json(order.package as never)}, ${tx.json(order.requirements as never)},
      ${order.currency}, ${order.price}, ${order.serviceFee}, ${order.total}, ${order.commission},
      ${order.sellerEarnings}, ${order.deliveryDays}, ${order.revisionsIncluded}, ${order.status},
      ${order.createdAt}, ${order.paymentProvider}, ${order.paymentIntentId},
      ${order.paymentClientSecret}, ${order.paymentStatus})`;
}

/** The order, or undefined. */
export async function findOrder(db: Db, id: string): Promise<Order | undefined> {
  const [row] = await db`select * from orders where id = ${id}`;
  return row ? toOrder(row) : undefined;
}

/** The order, locked for the rest of the transaction. */
export async function lockOrder(tx: Tx, id: string): Promise<Order | undefined> {
  const [row] = await tx`select * from orders where id = ${id} for update`;
  return row ? toOrder(row) : undefined;
}

/** The order paid by a PaymentIntent, locked. */
export async function lockOrderByPaymentIntent(
  tx: Tx,
  paymentIntentId: string,
): Promise<Order | undefined> {
  const [row] =
    await tx`select * from orders where payment_intent_id = ${paymentIntentId} for update`;
  return row ? toOrder(row) : undefined;
}

/** Columns `updateOrder` may change. */
export interface OrderUpdate {
  status?: OrderStatus;
  paidAt?: Date;
  dueAt?: Date;
  deliveredAt?: Date;
  autoCompleteAt?: Date | null;
  completedAt?: Date;
  completedBy?: "buyer" | "auto";
  cancelledAt?: Date;
  cancelledBy?: Actor;
  cancelReason?: string;
  revisionsUsed?: number;
  extensionDays?: number;
  paymentStatus?: PaymentStatus;
  paymentError?: string | null;
}

const COLUMNS: Record<keyof OrderUpdate, string> = {
  status: "status",
  paidAt: "paid_at",
  dueAt: "due_at",
  deliveredAt: "delivered_at",
  autoCompleteAt: "auto_complete_at",
  completedAt: "completed_at",
  completedBy: "completed_by",
  cancelledAt: "cancelled_at",
  cancelledBy: "cancelled_by",
  cancelReason: "cancel_reason",
  revisionsUsed: "revisions_used",
  extensionDays: "extension_days",
  paymentStatus: "payment_status",
  paymentError: "payment_error",
};

/** Writes the given fields of an order; returns the updated row. */
export async function updateOrder(tx: Tx, id: string, update: OrderUpdate): Promise<Order> {
  const values: Record<string, unknown> = { updated_at: new Date() };
  for (const [key, value] of Object.entries(update)) {
    if (value !== undefined) values[COLUMNS[key as keyof OrderUpdate]] = value;
  }
  const [row] = await tx`update orders set ${tx(values as never)} where id = ${id} returning *`;
  return toOrder(row);
}

/** Filters of the order list. */
export interface OrderListQuery {
  userId: string;
  role?: Party;
  status?: "active" | "completed" | "cancelled";
  page: number;
  limit: number;
}

/** A page of the caller's orders, newest first, and the total over all pages. */
export async function listOrders(
  sql: Sql,
  query: OrderListQuery,
): Promise<{ items: Order[]; total: number }> {
  const { userId, role, status, page, limit } = query;
  const party = role === "buyer"
    ? sql`buyer_id = ${userId}`
    : role === "seller"
    ? sql`seller_id = ${userId}`
    : sql`(buyer_id = ${userId} or seller_id = ${userId})`;
  const filter = status === "completed"
    ? sql`and status = 'completed'`
    : status === "cancelled"
    ? sql`and status = 'cancelled'`
    : status === "active"
    ? sql`and status not in ('completed', 'cancelled')`
    : sql``;
  return await sql.begin("isolation level repeatable read read only", async (tx) => {
    const rows = await tx`select * from orders where ${party} ${filter}
      order by created_at desc, id desc limit ${limit} offset ${(page - 1) * limit}`;
    const [count] = await tx<{ n: number }[]>`select count(*)::int as n from orders
      where ${party} ${filter}`;
    return { items: rows.map(toOrder), total: count.n };
  });
}

// ---------------------------------------------------------------- idempotency keys

/**
 * A placement key recorded before shared/idempotency.ts (table `idempotency_keys`,
 * written no more). Placement still honours these for a day after the upgrade;
 * a later migration drops the table.
 */
export async function findIdempotencyKey(
  db: Db,
  buyerId: string,
  key: string,
): Promise<{ requestHash: string; orderId: string } | undefined> {
  const [row] = await db<{ request_hash: string; order_id: string }[]>`
    select request_hash, order_id from idempotency_keys where buyer_id = ${buyerId} and key = ${key}`;
  return row ? { requestHash: row.request_hash, orderId: row.order_id } : undefined;
}

// ---------------------------------------------------------------- requests and history

/** The open cancellation and extension requests of an order. */
export async function openRequests(tx: Db, orderId: string): Promise<{
  cancellation: { id: string; requestedBy: Party; reason: string } | null;
  extension: { id: string; days: number; reason: string } | null;
}> {
  const [cancellation] = await tx<{ id: string; requested_by: Party; reason: string }[]>`
    select id, requested_by, reason from cancellation_requests
    where order_id = ${orderId} and status = 'pending'`;
  const [extension] = await tx<{ id: string; days: number; reason: string }[]>`
    select id, days, reason from extension_requests where order_id = ${orderId} and status = 'pending'`;
  return {
    cancellation: cancellation
      ? { id: cancellation.id, requestedBy: cancellation.requested_by, reason: cancellation.reason }
      : null,
    extension: extension
      ? { id: extension.id, days: extension.days, reason: extension.reason }
      : null,
  };
}

/** Opens a cancellation request. */
export async function insertCancellationRequest(tx: Tx, input: {
  id: string;
  orderId: string;
  requestedBy: Party;
  reason: string;
  at: Date;
}): Promise<void> {
  await tx`insert into cancellation_requests (id, order_id, requested_by, reason, status, requested_at)
    values (${input.id}, ${input.orderId}, ${input.requestedBy}, ${input.reason}, 'pending', ${input.at})`;
}

/** Opens an extension request. */
export async function insertExtensionRequest(tx: Tx, input: {
  id: string;
  orderId: string;
  days: number;
  reason: string;
  at: Date;
}): Promise<void> {
  await tx`insert into extension_requests (id, order_id, days, reason, status, requested_at)
    values (${input.id}, ${input.orderId}, ${input.days}, ${input.reason}, 'pending', ${input.at})`;
}

/** Closes an open request with an outcome. */
export async function closeRequest(
  tx: Tx,
  request: "cancellation" | "extension",
  orderId: string,
  status: "accepted" | "declined" | "approved" | "withdrawn",
  at: Date,
): Promise<void> {
  if (request === "cancellation") {
    await tx`update cancellation_requests set status = ${status}, answered_at = ${at}
      where order_id = ${orderId} and status = 'pending'`;
  } else {
    await tx`update extension_requests set status = ${status}, answered_at = ${at}
      where order_id = ${orderId} and status = 'pending'`;
  }
}

/** Records a delivery. */
export async function insertDelivery(tx: Tx, input: {
  id: string;
  orderId: string;
  message: string;
  files: string[];
  at: Date;
}): Promise<void> {
  await tx`insert into deliveries (id, order_id, message, files, delivered_at)
    values (${input.id}, ${input.orderId}, ${input.message}, ${tx.json(input.files)}, ${input.at})`;
}

/** Records a revision request. */
export async function insertRevisionRequest(tx: Tx, input: {
  id: string;
  orderId: string;
  message: string;
  at: Date;
}): Promise<void> {
  await tx`insert into revision_requests (id, order_id, message, requested_at)
    values (${input.id}, ${input.orderId}, ${input.message}, ${input.at})`;
}

/** Adds a timeline entry. */
export async function addTimeline(tx: Tx, input: {
  orderId: string;
  at: Date;
  kind: string;
  actor: Actor;
  from: OrderStatus | null;
  to: OrderStatus;
  details?: Record<string, unknown>;
}): Promise<void> {
  await tx`insert into order_timeline (order_id, at, kind, actor, from_status, to_status, details)
    values (${input.orderId}, ${input.at}, ${input.kind}, ${input.actor}, ${input.from}, ${input.to},
      ${tx.json((input.details ?? {}) as never)})`;
}

/** Everything the order page shows besides the order row. */
export interface OrderHistory {
  timeline: {
    at: Date;
    kind: string;
    actor: Actor;
    from: OrderStatus | null;
    to: OrderStatus;
    details: Record<string, unknown>;
  }[];
  deliveries: { id: string; message: string; files: string[]; deliveredAt: Date }[];
  revisionRequests: { id: string; message: string; requestedAt: Date }[];
  extensionRequests: {
    id: string;
    days: number;
    reason: string;
    status: string;
    requestedAt: Date;
    answeredAt: Date | null;
  }[];
  cancellationRequests: {
    id: string;
    requestedBy: Party;
    reason: string;
    status: string;
    requestedAt: Date;
    answeredAt: Date | null;
  }[];
  refund: { amount: number; currency: string; status: string } | null;
}

/**
 * Loads an order's history, oldest first, as one snapshot: its own read-only
 * transaction on a pool, or inside the caller's transaction (that has the
 * order locked, so the history cannot move under it).
 */
export async function loadHistory(db: Db, orderId: string): Promise<OrderHistory> {
  if ("savepoint" in db) return await readHistory(db, orderId);
  return await db.begin(
    "isolation level repeatable read read only",
    (tx) => readHistory(tx, orderId),
  );
}

async function readHistory(tx: Tx, orderId: string): Promise<OrderHistory> {
  const timeline = await tx`select at, kind, actor, from_status, to_status, details
    from order_timeline where order_id = ${orderId} order by id`;
  const deliveries = await tx`select id, message, files, delivered_at from deliveries
    where order_id = ${orderId} order by delivered_at, id`;
  const revisions = await tx`select id, message, requested_at from revision_requests
    where order_id = ${orderId} order by requested_at, id`;
  const extensions = await tx`select id, days, reason, status, requested_at, answered_at
    from extension_requests where order_id = ${orderId} order by requested_at, id`;
  const cancellations = await tx`select id, requested_by, reason, status, requested_at, answered_at
    from cancellation_requests where order_id = ${orderId} order by requested_at, id`;
  const [refund] =
    await tx`select amount, currency, status from refunds where order_id = ${orderId}`;
  return {
    timeline: timeline.map((r) => ({
      at: r.at,
      kind: r.kind,
      actor: r.actor,
      from: r.from_status,
      to: r.to_status,
      details: r.details,
    })),
    deliveries: deliveries.map((r) => ({
      id: r.id,
      message: r.message,
      files: r.files,
      deliveredAt: r.delivered_at,
    })),
    revisionRequests: revisions.map((r) => ({
      id: r.id,
      message: r.message,
      requestedAt: r.requested_at,
    })),
    extensionRequests: extensions.map((r) => ({
      id: r.id,
      days: r.days,
      reason: r.reason,
      status: r.status,
      requestedAt: r.requested_at,
      answeredAt: r.answered_at,
    })),
    cancellationRequests: cancellations.map((r) => ({
      id: r.id,
      requestedBy: r.requested_by,
      reason: r.reason,
      status: r.status,
      requestedAt: r.requested_at,
      answeredAt: r.answered_at,
    })),
    refund: refund
      ? { amount: Number(refund.amount), currency: refund.currency, status: refund.status }
      : null,
  };
}

// ---------------------------------------------------------------- stripe events

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

// ---------------------------------------------------------------- ledger

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

// ---------------------------------------------------------------- clearances

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

/** Locks the next delivered order due to auto-complete, skipping locked ones. */
export async function claimDueAutoCompletion(tx: Tx, now: Date): Promise<Order | undefined> {
  const [row] =
    await tx`select * from orders where status = 'delivered' and auto_complete_at <= ${now}
    order by auto_complete_at limit 1 for update skip locked`;
  return row ? toOrder(row) : undefined;
}

// ---------------------------------------------------------------- refunds

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

// ---------------------------------------------------------------- payout accounts and payouts

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

/** Whether the user sells here: has a gig in the replica or an order as seller. */
export async function isKnownSeller(db: Db, userId: string): Promise<boolean> {
  const rows = await db`select 1 where exists (select 1 from gigs where seller_id = ${userId})
    or exists (select 1 from orders where seller_id = ${userId})`;
  return rows.length > 0;
}
