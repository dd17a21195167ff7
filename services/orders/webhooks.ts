/**
 * Stripe webhooks: `POST /api/v1/payments/stripe/webhook` (public, no JWT).
 *
 * The raw body and `Stripe-Signature` are verified with the SDK's
 * `constructEventAsync` (HMAC over timestamp and body, 300 s tolerance): a bad
 * signature, a stale timestamp or a body that is not an event is a 400 and
 * changes nothing. Then:
 *
 * - `payment_intent.succeeded` / `payment_intent.payment_failed`: the
 *   PaymentIntent is retrieved from Stripe and its *current* status decides
 *   (so a `payment_failed` delivered after a `succeeded` cannot undo it, and a
 *   forged-but-signed event still cannot pay an unpaid order); amount and
 *   currency must match the order;
 * - `charge.refunded` (full refunds): confirms our refund, or cancels an order
 *   refunded from Stripe's dashboard.
 *
 * The event id is recorded in the transaction of its effect, and the order row
 * is locked, so an event delivered ten times, concurrently or out of order,
 * makes exactly one transition. Other event types are acknowledged and ignored.
 */
import type { Sql } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { AppError } from "@mp/shared/problem";
import { paymentFailed, paymentRefunded, paymentSucceeded } from "./payment_facts.ts";
import {
  type PaymentIntentState,
  PaymentProviderError,
  type Payments,
  WebhookRejectedError,
} from "./payments.ts";
import { type SettlementDeps, submitRefund } from "./settlement.ts";
import { lockOrderByPaymentIntent } from "./store_orders.ts";
import { isStripeEventHandled, recordStripeEvent } from "./store_stripe_events.ts";
import type { TransitionDeps } from "./transitions.ts";

/** Event types that move orders. */
export const HANDLED_STRIPE_EVENTS = [
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "charge.refunded",
] as const;

/** What the webhook needs. */
export interface WebhookDeps {
  sql: Sql;
  payments: Payments;
  transitions: TransitionDeps;
  settlement: SettlementDeps;
  log: Logger;
}

/** The answer to Stripe. */
export interface WebhookResult {
  received: true;
  eventId: string;
  result: string;
}

/**
 * Verifies and applies one webhook delivery.
 * @throws AppError 400 `invalid_signature` (nothing changed) or 503
 *   `payment_provider_unavailable` (Stripe retries the delivery later).
 */
export async function handleStripeWebhook(
  deps: WebhookDeps,
  rawBody: string,
  signature: string | undefined,
): Promise<WebhookResult> {
  const { sql, payments, log } = deps;
  let event;
  try {
    event = await payments.verifyWebhook(rawBody, signature);
  } catch (error) {
    if (error instanceof WebhookRejectedError) {
      throw new AppError(400, "invalid_signature", error.message);
    }
    throw error;
  }
  const answer = (result: string): WebhookResult => ({ received: true, eventId: event.id, result });
  if (await isStripeEventHandled(sql, event.id)) return answer("duplicate");

  if (event.type === "payment_intent.succeeded" || event.type === "payment_intent.payment_failed") {
    const intentId = typeof event.object.id === "string" ? event.object.id : undefined;
    if (!intentId) return answer(await recordOnly(deps, event.id, event.type));
    let intent: PaymentIntentState;
    try {
      intent = await payments.retrievePaymentIntent(intentId);
    } catch (error) {
      if (error instanceof PaymentProviderError && !error.retryable) {
        log.warn("webhook names an unknown PaymentIntent", { eventId: event.id, intentId });
        return answer(await recordOnly(deps, event.id, event.type));
      }
      log.warn("could not retrieve a PaymentIntent; Stripe will retry", {
        eventId: event.id,
        error,
      });
      throw new AppError(503, "payment_provider_unavailable", "Try again later.");
    }
    const outcome = await sql.begin(async (tx) => {
      if (!await recordStripeEvent(tx, event.id, event.type)) {
        return { result: "duplicate", refundQueued: false };
      }
      const order = await lockOrderByPaymentIntent(tx, intentId);
      if (!order) return { result: "ignored", refundQueued: false };
      if (intent.amount !== order.total || intent.currency !== order.currency) {
        log.error("PaymentIntent amount does not match its order; ignored", {
          orderId: order.id,
          intentId,
          intent: { amount: intent.amount, currency: intent.currency },
          order: { amount: order.total, currency: order.currency },
        });
        return { result: "ignored", refundQueued: false };
      }
      if (intent.status === "succeeded") return await paymentSucceeded(tx, deps.transitions, order);
      if (event.type === "payment_intent.payment_failed") {
        return await paymentFailed(tx, deps.transitions, order, intent.error);
      }
      return { result: "ignored", refundQueued: false };
    });
    return answer(await after(deps, outcome, intentId));
  }

  if (event.type === "charge.refunded") {
    const charge = event.object;
    const intentId = typeof charge.payment_intent === "string"
      ? charge.payment_intent
      : typeof (charge.payment_intent as { id?: unknown } | null)?.id === "string"
      ? (charge.payment_intent as { id: string }).id
      : undefined;
    const fully = charge.refunded === true;
    const outcome = await sql.begin(async (tx) => {
      if (!await recordStripeEvent(tx, event.id, event.type)) {
        return { result: "duplicate", refundQueued: false };
      }
      const order = intentId ? await lockOrderByPaymentIntent(tx, intentId) : undefined;
      if (!order) return { result: "ignored", refundQueued: false };
      if (!fully) {
        log.warn("partial refund ignored; reconcile by hand", {
          orderId: order.id,
          eventId: event.id,
        });
        return { result: "ignored", refundQueued: false };
      }
      return await paymentRefunded(tx, deps.transitions, order);
    });
    return answer(await after(deps, outcome, intentId));
  }

  return answer(await recordOnly(deps, event.id, event.type));
}

async function recordOnly(deps: WebhookDeps, id: string, type: string): Promise<string> {
  const fresh = await deps.sql.begin((tx) => recordStripeEvent(tx, id, type));
  return fresh ? "ignored" : "duplicate";
}

/** After commit: submit a refund the event queued (the scheduler retries if this fails). */
async function after(
  deps: WebhookDeps,
  outcome: { result: string; refundQueued: boolean },
  intentId: string | undefined,
): Promise<string> {
  if (outcome.refundQueued) {
    const [row] = await deps.sql<{ id: string }[]>`select id from orders
      where payment_intent_id = ${intentId ?? ""}`;
    if (row) {
      await submitRefund(deps.settlement, row.id).catch((error) =>
        deps.log.warn("refund submission failed, the scheduler retries", { orderId: row.id, error })
      );
    }
  }
  return outcome.result;
}
