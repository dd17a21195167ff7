/**
 * What happened to an order besides its row: cancellation and extension
 * requests, deliveries, revision requests, the timeline, and the history the
 * order page shows.
 * Plain SQL; the rules live in order.ts and ledger.ts.
 */
import type { Sql, Tx } from "@mp/shared/db";
import type { Actor, OrderStatus, Party } from "./order.ts";

/** Either a pool or a transaction. */
type Db = Sql | Tx;

/**
 * A delivered file of the media service, as the media replica knew it when the
 * seller delivered (a type alias, not an interface: it is written as JSON).
 */
export type DeliveredFile = { id: string; name: string; size: number; contentType: string };

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
  mediaFiles: DeliveredFile[];
  at: Date;
}): Promise<void> {
  await tx`insert into deliveries (id, order_id, message, files, media_files, delivered_at)
    values (${input.id}, ${input.orderId}, ${input.message}, ${tx.json(input.files)},
      ${tx.json(input.mediaFiles)}, ${input.at})`;
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
  deliveries: {
    id: string;
    message: string;
    files: string[];
    mediaFiles: DeliveredFile[];
    deliveredAt: Date;
  }[];
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
  const deliveries = await tx`select id, message, files, media_files, delivered_at from deliveries
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
      mediaFiles: r.media_files,
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
