/**
 * Applies order.ts decisions to the database. Whatever asks for a move (a
 * route, a verified webhook, the scheduler) goes through `applyCommand` on an
 * order row locked in its transaction, so the status change, the requests it
 * opens or closes, the ledger posting, the clearance or refund it schedules,
 * the timeline and the outbox events commit together or not at all, and two
 * concurrent moves of one order are serialised by the row lock.
 */
import { afterCommit, type Sql, type Tx } from "@mp/shared/db";
import { AppError, errors } from "@mp/shared/problem";
import type { Logger } from "@mp/shared/log";
import { orderRef, publish } from "./events.ts";
import { orderPayments, orderStatusChanges } from "./metrics.ts";
import { type OrderMoney, postingFor } from "./ledger.ts";
import {
  type Actor,
  type Command,
  decide,
  type Decision,
  type OrderSnapshot,
  type Party,
  revisionsLeft,
  type TimelineKind,
} from "./order.ts";
import { insertClearance } from "./store_clearances.ts";
import {
  addTimeline,
  closeRequest,
  type DeliveredFile,
  insertCancellationRequest,
  insertDelivery,
  insertExtensionRequest,
  insertRevisionRequest,
  openRequests,
} from "./store_history.ts";
import { postLedger } from "./store_ledger.ts";
import { lockOrder, type Order, type PaymentStatus, updateOrder } from "./store_orders.ts";
import { insertRefund } from "./store_refunds.ts";

/** Timing settings of transitions. */
export interface TransitionSettings {
  /** Delivery → completion without an answer from the buyer (`AUTO_COMPLETE_DAYS`). */
  autoCompleteMs: number;
  /** Release → available balance (`CLEARING_DAYS`). */
  clearingMs: number;
}

/** What transitions need. */
export interface TransitionDeps {
  sql: Sql;
  settings: TransitionSettings;
  log: Logger;
  /** The clock (tests move it). */
  now: () => Date;
}

/** A command plus the words that come with it. */
export interface CommandInput {
  command: Command;
  /** Reason of a cancellation or extension request, or of a cancellation. */
  reason?: string;
  /** Delivery or revision-request message. */
  message?: string;
  /** Delivery file URLs. */
  files?: string[];
  /** Delivery files of the media service (checked as the seller's by the route). */
  mediaFiles?: DeliveredFile[];
  /** The request an answer is meant for; a different open request is a 409. */
  requestId?: string;
}

/** The outcome of an applied command. */
export interface Applied {
  order: Order;
  decision: Decision;
  /** Id of the request or delivery the command created, if any. */
  createdId?: string;
  /** A refund was queued and should be submitted after commit. */
  refundQueued: boolean;
}

/** The caller's party in an order, or undefined if they are neither buyer nor seller. */
export function partyOf(order: Order, userId: string): Party | undefined {
  if (order.buyerId === userId) return "buyer";
  if (order.sellerId === userId) return "seller";
  return undefined;
}

/** Not found, also for an order of other people: nothing reveals that it exists. */
export const orderNotFound = () => errors.notFound("No such order.");

/** The money of an order, as the ledger needs it. */
export function orderMoney(order: Order): OrderMoney {
  return {
    orderId: order.id,
    sellerId: order.sellerId,
    currency: order.currency,
    total: order.total,
    serviceFee: order.serviceFee,
    commission: order.commission,
    sellerEarnings: order.sellerEarnings,
  };
}

/**
 * Locks the order, checks the caller is a party (404 otherwise) and applies
 * `input` as that party, in the caller's transaction (which also stores the
 * route's answer, see shared/idempotency.ts).
 */
export async function actOnOrder(
  tx: Tx,
  deps: TransitionDeps,
  orderId: string,
  userId: string,
  input: CommandInput,
): Promise<Applied> {
  const order = await lockOrder(tx, orderId);
  const party = order && partyOf(order, userId);
  if (!order || !party) throw orderNotFound();
  return await applyCommand(tx, deps, order, party, input);
}

/**
 * Applies a command to an order the caller has locked in `tx`.
 * @throws AppError 403/409 from the state machine; nothing is written then.
 */
export async function applyCommand(
  tx: Tx,
  deps: TransitionDeps,
  order: Order,
  actor: Actor,
  input: CommandInput,
  options: { refundedExternally?: boolean } = {},
): Promise<Applied> {
  const now = deps.now();
  const open = await openRequests(tx, order.id);
  const snapshot: OrderSnapshot = {
    status: order.status,
    deliveryDays: order.deliveryDays,
    revisionsIncluded: order.revisionsIncluded,
    revisionsUsed: order.revisionsUsed,
    extensionDays: order.extensionDays,
    paidAt: order.paidAt,
    dueAt: order.dueAt,
    autoCompleteAt: order.autoCompleteAt,
    pendingCancellation: open.cancellation,
    pendingExtension: open.extension,
  };
  const decision = decide(snapshot, actor, input.command, now, {
    autoCompleteMs: deps.settings.autoCompleteMs,
  });
  const { command } = input;
  // An answer names the request it answers; a stale page must not answer a newer one.
  if (input.requestId && decision.resolves && decision.resolves.id !== input.requestId) {
    throw new AppError(
      409,
      "request_not_open",
      "That request is not open any more (answered or withdrawn); reload the order.",
      { currentStatus: order.status },
    );
  }

  // Records the command brings with it.
  let createdId: string | undefined;
  if (command.type === "deliver") {
    createdId = crypto.randomUUID();
    await insertDelivery(tx, {
      id: createdId,
      orderId: order.id,
      message: input.message ?? "",
      files: input.files ?? [],
      mediaFiles: input.mediaFiles ?? [],
      at: now,
    });
  } else if (command.type === "request_revision") {
    createdId = crypto.randomUUID();
    await insertRevisionRequest(tx, {
      id: createdId,
      orderId: order.id,
      message: input.message ?? "",
      at: now,
    });
  } else if (command.type === "request_cancellation") {
    createdId = crypto.randomUUID();
    await insertCancellationRequest(tx, {
      id: createdId,
      orderId: order.id,
      requestedBy: actor as Party,
      reason: input.reason ?? "",
      at: now,
    });
  } else if (command.type === "request_extension") {
    createdId = crypto.randomUUID();
    await insertExtensionRequest(tx, {
      id: createdId,
      orderId: order.id,
      days: command.days,
      reason: input.reason ?? "",
      at: now,
    });
  }
  if (decision.resolves) {
    await closeRequest(
      tx,
      decision.resolves.request,
      order.id,
      decision.resolves.outcome,
      now,
    );
  }
  for (const request of decision.withdraws) {
    await closeRequest(tx, request, order.id, "withdrawn", now);
  }

  // The order row.
  const cancelReason = decision.to === "cancelled" && order.status !== "cancelled"
    ? cancellationReason(order, input, open.cancellation?.reason)
    : undefined;
  let refundQueued = false;
  let paymentStatus: PaymentStatus | undefined;
  if (decision.ledger === "capture") paymentStatus = "succeeded";
  if (decision.ledger === "refund") {
    paymentStatus = options.refundedExternally ? "refunded" : "refund_pending";
  }
  const updated = await updateOrder(tx, order.id, {
    status: decision.to,
    ...decision.changes,
    cancelReason,
    paymentStatus,
    paymentError: decision.ledger === "capture" ? null : undefined,
  });

  afterCommit(tx, () => {
    if (decision.to !== decision.from) {
      orderStatusChanges.inc({ from: decision.from, to: decision.to });
    }
    if (decision.ledger === "capture") orderPayments.inc({ outcome: "captured" });
    if (decision.ledger === "refund") orderPayments.inc({ outcome: "refunded" });
  });

  // Money.
  const money = orderMoney(order);
  if (decision.ledger) await postLedger(tx, postingFor(decision.ledger, money), now);
  if (decision.ledger === "release" && order.sellerEarnings > 0) {
    await insertClearance(tx, {
      orderId: order.id,
      sellerId: order.sellerId,
      currency: order.currency,
      amount: order.sellerEarnings,
      clearsAt: new Date(now.getTime() + deps.settings.clearingMs),
    });
  }
  if (decision.ledger === "refund") {
    await insertRefund(tx, {
      orderId: order.id,
      paymentIntentId: order.paymentIntentId,
      amount: order.total,
      currency: order.currency,
      status: options.refundedExternally ? "succeeded" : "pending",
    });
    refundQueued = !options.refundedExternally;
  }

  // History and events.
  for (const kind of decision.timeline) {
    await addTimeline(tx, {
      orderId: order.id,
      at: now,
      kind,
      actor,
      from: decision.from,
      to: decision.to,
      details: timelineDetails(kind, updated, input, createdId, open),
    });
    await publishFor(tx, kind, { order: updated, actor, now, input, createdId, open });
  }
  return { order: updated, decision, createdId, refundQueued };
}

function cancellationReason(
  order: Order,
  input: CommandInput,
  requestReason: string | undefined,
): string {
  const { command } = input;
  if (command.type === "answer_cancellation") return requestReason ?? "Cancelled by agreement.";
  if (command.type === "refunded") return "The payment was refunded.";
  if (input.reason?.trim()) return input.reason.trim();
  return order.status === "pending_payment"
    ? "Abandoned before payment."
    : "Not delivered by the due date.";
}

function refundOf(order: Order) {
  return order.paidAt ? { amount: order.total, currency: order.currency } : null;
}

function timelineDetails(
  kind: TimelineKind,
  order: Order,
  input: CommandInput,
  createdId: string | undefined,
  open: Awaited<ReturnType<typeof openRequests>>,
): Record<string, unknown> {
  switch (kind) {
    case "paid":
      return { dueAt: order.dueAt?.toISOString() };
    case "delivered":
      return { deliveryId: createdId };
    case "revision_requested":
      return { revisionRequestId: createdId, revisionsLeft: revisionsLeft(order) };
    case "completed":
      return { by: order.completedBy };
    case "cancelled":
      return { reason: order.cancelReason, refund: refundOf(order) };
    case "cancellation_requested":
      return { requestId: createdId, reason: input.reason };
    case "cancellation_accepted":
    case "cancellation_declined":
      return { requestId: open.cancellation?.id };
    case "extension_requested":
      return {
        requestId: createdId,
        days: (input.command as { days?: number }).days,
        reason: input.reason,
      };
    case "extension_approved":
    case "extension_declined":
      return {
        requestId: open.extension?.id,
        days: open.extension?.days,
        dueAt: order.dueAt?.toISOString(),
      };
  }
}

/** What an applied command publishes, from its facts. */
interface Facts {
  order: Order;
  actor: Actor;
  now: Date;
  input: CommandInput;
  createdId: string | undefined;
  open: Awaited<ReturnType<typeof openRequests>>;
}

async function publishFor(tx: Tx, kind: TimelineKind, facts: Facts): Promise<void> {
  const { order, actor, now, input, createdId, open } = facts;
  const ref = orderRef(order);
  const gigTitle = order.gigTitle;
  const iso = (date: Date | null) => (date ?? new Date(0)).toISOString();
  switch (kind) {
    case "paid":
      await publish(tx, "order.paid", {
        ...ref,
        gigTitle,
        total: { amount: order.total, currency: order.currency },
        paidAt: iso(order.paidAt),
        dueAt: iso(order.dueAt),
      });
      return;
    case "delivered":
      await publish(tx, "order.delivered", {
        ...ref,
        gigTitle,
        deliveryId: createdId!,
        // Media lets the buyer download these once it sees this event (its access.ts).
        fileMediaIds: (input.mediaFiles ?? []).map((file) => file.id),
        deliveredAt: iso(order.deliveredAt),
        autoCompleteAt: iso(order.autoCompleteAt),
      });
      return;
    case "revision_requested":
      await publish(tx, "order.revision_requested", {
        ...ref,
        gigTitle,
        revisionsLeft: revisionsLeft(order),
        requestedAt: now.toISOString(),
      });
      return;
    case "completed":
      await publish(tx, "order.completed", {
        ...ref,
        gigTitle,
        price: { amount: order.price, currency: order.currency },
        sellerEarnings: { amount: order.sellerEarnings, currency: order.currency },
        completedAt: iso(order.completedAt),
        by: order.completedBy ?? "buyer",
      });
      return;
    case "cancelled":
      await publish(tx, "order.cancelled", {
        ...ref,
        gigTitle,
        reason: order.cancelReason ?? "",
        refund: refundOf(order),
        cancelledAt: iso(order.cancelledAt),
      });
      return;
    case "cancellation_requested":
      await publish(tx, "order.cancellation_requested", {
        ...ref,
        gigTitle,
        requestId: createdId!,
        requestedBy: actor === "seller" ? "seller" : "buyer",
        reason: input.reason ?? "",
      });
      return;
    case "cancellation_accepted":
    case "cancellation_declined":
      await publish(tx, "order.cancellation_answered", {
        ...ref,
        gigTitle,
        requestId: open.cancellation!.id,
        accepted: kind === "cancellation_accepted",
      });
      return;
    case "extension_requested":
      await publish(tx, "order.extension_requested", {
        ...ref,
        gigTitle,
        days: (input.command as { days: number }).days,
        reason: input.reason ?? "",
        requestId: createdId!,
      });
      return;
    case "extension_approved":
    case "extension_declined":
      await publish(tx, "order.extension_answered", {
        ...ref,
        gigTitle,
        requestId: open.extension!.id,
        approved: kind === "extension_approved",
        dueAt: iso(order.dueAt),
      });
      return;
  }
}
