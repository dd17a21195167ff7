/**
 * How orders look in API answers. Each party sees the order from their side:
 * the buyer gets the PaymentIntent's client secret (while payment is due), the
 * seller gets their earnings and the platform's commission. `late` is derived
 * from the due date at the time of the answer.
 */
import { isLate, type Party, revisionsLeft } from "./order.ts";
import type { OrderHistory } from "./store_history.ts";
import type { Order } from "./store_orders.ts";

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The route a developer calls in local test mode to complete a payment. */
export function localTestSucceedPath(orderId: string): string {
  return `/api/v1/payments/local-test/${orderId}/succeed`;
}

/** An order in a list. */
export function orderSummary(order: Order, role: Party, now: Date) {
  const money = (amount: number) => ({ amount, currency: order.currency });
  return {
    id: order.id,
    role,
    gigId: order.gigId,
    gigTitle: order.gigTitle,
    package: order.tier,
    offerId: order.offerId,
    buyerId: order.buyerId,
    sellerId: order.sellerId,
    status: order.status,
    late: isLate(order, now),
    price: money(order.price),
    total: role === "buyer" ? money(order.total) : undefined,
    sellerEarnings: role === "seller" ? money(order.sellerEarnings) : undefined,
    createdAt: order.createdAt.toISOString(),
    dueAt: iso(order.dueAt),
    completedAt: iso(order.completedAt),
    cancelledAt: iso(order.cancelledAt),
  };
}

/** One order with everything around it. */
export function orderDetail(order: Order, history: OrderHistory, role: Party, now: Date) {
  const money = (amount: number) => ({ amount, currency: order.currency });
  const awaitingPayment = order.status === "pending_payment";
  const localTest = order.paymentProvider === "local_test";
  return {
    ...orderSummary(order, role, now),
    packageDetails: order.package,
    serviceFee: role === "buyer" ? money(order.serviceFee) : undefined,
    total: money(order.total),
    commission: role === "seller" ? money(order.commission) : undefined,
    deliveryDays: order.deliveryDays,
    extensionDays: order.extensionDays,
    revisions: {
      included: order.revisionsIncluded,
      used: order.revisionsUsed,
      left: revisionsLeft(order),
    },
    paidAt: iso(order.paidAt),
    deliveredAt: iso(order.deliveredAt),
    autoCompleteAt: iso(order.autoCompleteAt),
    completedBy: order.completedBy,
    cancellation: order.status === "cancelled"
      ? { by: order.cancelledBy, reason: order.cancelReason }
      : null,
    requirements: order.requirements,
    deliveries: history.deliveries.map((d) => ({
      id: d.id,
      message: d.message,
      files: d.files,
      mediaFiles: d.mediaFiles,
      deliveredAt: d.deliveredAt.toISOString(),
    })),
    revisionRequests: history.revisionRequests.map((r) => ({
      id: r.id,
      message: r.message,
      requestedAt: r.requestedAt.toISOString(),
    })),
    extensionRequests: history.extensionRequests.map((r) => ({
      id: r.id,
      days: r.days,
      reason: r.reason,
      status: r.status,
      requestedAt: r.requestedAt.toISOString(),
      answeredAt: iso(r.answeredAt),
    })),
    cancellationRequests: history.cancellationRequests.map((r) => ({
      id: r.id,
      requestedBy: r.requestedBy,
      reason: r.reason,
      status: r.status,
      requestedAt: r.requestedAt.toISOString(),
      answeredAt: iso(r.answeredAt),
    })),
    timeline: history.timeline.map((t) => ({
      at: t.at.toISOString(),
      kind: t.kind,
      actor: t.actor,
      from: t.from,
      to: t.to,
      details: t.details,
    })),
    payment: {
      provider: order.paymentProvider,
      status: order.paymentStatus,
      amount: money(order.total),
      paymentIntentId: role === "buyer" ? order.paymentIntentId : undefined,
      // Only what the buyer's browser needs to pay, and only while payment is due.
      clientSecret: role === "buyer" && awaitingPayment ? order.paymentClientSecret : undefined,
      error: order.paymentError,
      refund: history.refund,
      localTest: localTest && role === "buyer" && awaitingPayment
        ? {
          note: "Local test payment mode: no money moves. POST to succeedPath to pay.",
          succeedPath: localTestSucceedPath(order.id),
        }
        : undefined,
    },
  };
}
