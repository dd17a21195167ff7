/**
 * Order rows: insert, find, lock, update, list; the scheduler's claim of
 * orders due to auto-complete; placement keys from before shared/idempotency.ts.
 * Plain SQL; the rules live in order.ts and ledger.ts.
 */
import type { Sql, Tx } from "@mp/shared/db";
import type { Actor, OrderStatus, Party } from "./order.ts";
import type { GigPackage } from "./store_gigs.ts";

/** Either a pool or a transaction. */
type Db = Sql | Tx;

/** A gig package's tier, or `custom` (an order made from a custom offer). */
export type OrderTier = GigPackage["tier"] | "custom";

/** The package as ordered (a snapshot; later gig edits do not change it). */
export interface OrderedPackage {
  /** A gig package's tier, or `custom` for an order made from a custom offer. */
  tier: OrderTier;
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
  tier: OrderTier;
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
  /** The custom offer the order was made from (tier `custom`); null otherwise. */
  offerId: string | null;
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
    offerId: row.offer_id ?? null,
  };
}

/** Inserts a new order (status `pending_payment`). */
export async function insertOrder(tx: Tx, order: Order): Promise<void> {
  await tx`
    insert into orders (id, gig_id, buyer_id, seller_id, gig_title, tier, package, requirements,
      currency, price, service_fee, total, commission, seller_earnings, delivery_days,
      revisions_included, status, created_at, payment_provider, payment_intent_id,
      payment_client_secret, payment_status, offer_id)
    values (${order.id}, ${order.gigId}, ${order.buyerId}, ${order.sellerId}, ${order.gigTitle},
      ${order.tier}, ${tx.json(order.package as never)}, ${tx.json(order.requirements as never)},
      ${order.currency}, ${order.price}, ${order.serviceFee}, ${order.total}, ${order.commission},
      ${order.sellerEarnings}, ${order.deliveryDays}, ${order.revisionsIncluded}, ${order.status},
      ${order.createdAt}, ${order.paymentProvider}, ${order.paymentIntentId},
      ${order.paymentClientSecret}, ${order.paymentStatus}, ${order.offerId})`;
}

/** The order made from a custom offer, or undefined. */
export async function findOrderByOffer(db: Db, offerId: string): Promise<Order | undefined> {
  const [row] = await db`select * from orders where offer_id = ${offerId}`;
  return row ? toOrder(row) : undefined;
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

/** Locks the next delivered order due to auto-complete, skipping locked ones. */
export async function claimDueAutoCompletion(tx: Tx, now: Date): Promise<Order | undefined> {
  const [row] =
    await tx`select * from orders where status = 'delivered' and auto_complete_at <= ${now}
    order by auto_complete_at limit 1 for update skip locked`;
  return row ? toOrder(row) : undefined;
}

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
