/**
 * What a verified payment fact does to an order locked in the caller's
 * transaction. The facts come from Stripe webhooks (webhooks.ts) or, in local
 * test mode, from the buyer's "succeed" route; both end here, so the two modes
 * make the same transitions.
 *
 * Every function is idempotent on the order's state: a fact that was already
 * applied (the order is paid, the refund confirmed) changes nothing, so
 * duplicate, concurrent or reordered deliveries make exactly one transition.
 */
import { afterCommit, type Tx } from "@mp/shared/db";
import { capturePosting, refundPosting } from "./ledger.ts";
import { orderPayments } from "./metrics.ts";
import { addTimeline } from "./store_history.ts";
import { postLedger } from "./store_ledger.ts";
import { type Order, updateOrder } from "./store_orders.ts";
import { confirmRefund, insertRefund } from "./store_refunds.ts";
import { applyCommand, orderMoney, type TransitionDeps } from "./transitions.ts";

/** What a fact did. */
export interface FactOutcome {
  /** A word for logs and the webhook's answer. */
  result:
    | "paid"
    | "already_paid"
    | "payment_failed"
    | "refund_queued"
    | "refunded"
    | "refund_confirmed"
    | "ignored";
  /** A refund was queued; submit it after commit. */
  refundQueued: boolean;
}

const done = (result: FactOutcome["result"], refundQueued = false): FactOutcome => ({
  result,
  refundQueued,
});

/**
 * The order's payment succeeded: a pending order becomes in progress (escrow
 * captured, due date set). A payment that lands on an order the buyer
 * abandoned in the meantime is captured and refunded at once.
 */
export async function paymentSucceeded(
  tx: Tx,
  deps: TransitionDeps,
  order: Order,
): Promise<FactOutcome> {
  if (order.status === "pending_payment") {
    await applyCommand(tx, deps, order, "system", { command: { type: "pay" } });
    return done("paid");
  }
  if (order.status === "cancelled" && !captured(order)) {
    await captureAndRefund(tx, deps, order, "pending");
    return done("refund_queued", true);
  }
  return done("already_paid");
}

/** A payment attempt failed: recorded while the order still waits for payment. */
export async function paymentFailed(
  tx: Tx,
  deps: TransitionDeps,
  order: Order,
  message: string | null,
): Promise<FactOutcome> {
  if (order.status !== "pending_payment" || captured(order)) return done("ignored");
  const error = (message ?? "The payment failed.").slice(0, 500);
  await updateOrder(tx, order.id, { paymentStatus: "failed", paymentError: error });
  await addTimeline(tx, {
    orderId: order.id,
    at: deps.now(),
    kind: "payment_failed",
    actor: "system",
    from: order.status,
    to: order.status,
    details: { error },
  });
  return done("payment_failed");
}

/**
 * The payment was fully refunded at the provider. Our own refund is confirmed;
 * a refund made elsewhere (the provider's dashboard) cancels a paid order that
 * is still under way. A refund after completion cannot take back a release and
 * is recorded for manual reconciliation.
 */
export async function paymentRefunded(
  tx: Tx,
  deps: TransitionDeps,
  order: Order,
): Promise<FactOutcome> {
  const now = deps.now();
  switch (order.status) {
    case "pending_payment": {
      // The success event has not arrived yet; a refunded charge was paid first.
      const paid = await applyCommand(tx, deps, order, "system", { command: { type: "pay" } });
      await applyCommand(tx, deps, paid.order, "system", { command: { type: "refunded" } }, {
        refundedExternally: true,
      });
      return done("refunded");
    }
    case "in_progress":
    case "delivered":
    case "in_revision":
      await applyCommand(tx, deps, order, "system", { command: { type: "refunded" } }, {
        refundedExternally: true,
      });
      return done("refunded");
    case "cancelled": {
      if (!captured(order)) {
        await captureAndRefund(tx, deps, order, "succeeded");
        return done("refunded");
      }
      if (order.paymentStatus === "refunded") return done("ignored");
      await confirmRefund(tx, order.id);
      await updateOrder(tx, order.id, { paymentStatus: "refunded" });
      await addTimeline(tx, {
        orderId: order.id,
        at: now,
        kind: "refund_confirmed",
        actor: "system",
        from: order.status,
        to: order.status,
        details: { refund: { amount: order.total, currency: order.currency } },
      });
      return done("refund_confirmed");
    }
    case "completed": {
      if (order.paymentStatus === "refunded") return done("ignored");
      deps.log.error("payment refunded after completion; reconcile by hand", {
        orderId: order.id,
        paymentIntentId: order.paymentIntentId,
      });
      await updateOrder(tx, order.id, { paymentStatus: "refunded" });
      await addTimeline(tx, {
        orderId: order.id,
        at: now,
        kind: "refunded_after_completion",
        actor: "system",
        from: order.status,
        to: order.status,
      });
      return done("ignored");
    }
  }
}

/** Whether the order's payment was ever captured into escrow. */
function captured(order: Order): boolean {
  return order.paymentStatus !== "requires_payment" && order.paymentStatus !== "failed";
}

/** Money that arrived for an order cancelled before payment goes straight back. */
async function captureAndRefund(
  tx: Tx,
  deps: TransitionDeps,
  order: Order,
  refundStatus: "pending" | "succeeded",
): Promise<void> {
  const now = deps.now();
  const money = orderMoney(order);
  await postLedger(tx, capturePosting(money), now);
  await postLedger(tx, refundPosting(money), now);
  afterCommit(tx, () => {
    orderPayments.inc({ outcome: "captured" });
    orderPayments.inc({ outcome: "refunded" });
  });
  await insertRefund(tx, {
    orderId: order.id,
    paymentIntentId: order.paymentIntentId,
    amount: order.total,
    currency: order.currency,
    status: refundStatus,
  });
  await updateOrder(tx, order.id, {
    paymentStatus: refundStatus === "pending" ? "refund_pending" : "refunded",
    paymentError: null,
  });
  await addTimeline(tx, {
    orderId: order.id,
    at: now,
    kind: "paid_after_cancellation",
    actor: "system",
    from: order.status,
    to: order.status,
    details: { refund: { amount: order.total, currency: order.currency } },
  });
}
