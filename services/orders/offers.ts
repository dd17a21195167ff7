/**
 * Orders from custom offers: chat publishes `offer.accepted` when a buyer
 * accepts a seller's offer; this handler makes the `pending_payment` order the
 * buyer then pays like any other (the same payment routes, webhook and local
 * test mode).
 *
 * The offer is checked against the gig replica, as placement checks a request:
 * the gig exists (not deleted), belongs to the offer's seller, is active, and
 * prices in the offer's currency; and the buyer is not the seller. A failed
 * check makes nothing but `offer.rejected` `{ offerId, reason }`, in the
 * inbox transaction. The price is the offer's; the service fee, total,
 * commission and seller earnings follow the same rules as every order
 * (money.ts). The package snapshot is tier `custom`: the offer's description,
 * delivery days and revisions, no features. A custom order has no requirement
 * answers: the buyer accepted in chat, where the work was agreed, and the
 * gig's questions (some required) were never put to them.
 *
 * Exactly once per offer: the inbox drops a redelivered event, and the order's
 * `offer_id` is unique, so even a second `offer.accepted` under another event
 * id finds the existing order and changes nothing. The order id is derived from
 * the offer id, so the PaymentIntent's idempotency key (`order-<order id>`) is
 * the same on every attempt: a retry after a crash or a rolled-back commit gets
 * the same PaymentIntent from the provider, not a second one.
 */
import type { EventHandler } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { z } from "zod";
import { publish } from "./events.ts";
import { type FeeSchedule, quote } from "./money.ts";
import { PaymentProviderError, type Payments } from "./payments.ts";
import { findGig, type ReplicaGig } from "./store_gigs.ts";
import { recordNewOrder } from "./new_order.ts";
import { findOrderByOffer, type Order } from "./store_orders.ts";

/** Why an accepted offer made no order (`offer.rejected`'s `reason`). */
export type OfferRejection =
  /** The replica has no such gig, or it was deleted. */
  | "gig_not_found"
  /** The gig belongs to someone else than the offer's seller. */
  | "not_gig_seller"
  /** The gig is paused. */
  | "gig_paused"
  /** The offer's currency is not the gig's. */
  | "currency_mismatch"
  /** The buyer is the seller. */
  | "own_gig"
  /** The payment provider definitively refused to create the PaymentIntent. */
  | "payment_refused";

/** Name of the package of an order made from an offer. */
export const CUSTOM_PACKAGE_NAME = "Custom offer";

const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), "must be a timestamp")
  .transform((v) => new Date(v));
const userId = z.string().min(1).max(200);

/** The fields of `offer.accepted` used (chat's contract; others are ignored). */
export const offerAccepted = z.object({
  offerId: z.uuid(),
  buyerId: userId,
  sellerId: userId,
  gigId: z.uuid(),
  description: z.string().min(1).max(10_000),
  price: z.object({
    amount: z.number().int().positive().max(1_000_000_000),
    currency: z.string().regex(/^[A-Z]{3}$/),
  }),
  deliveryDays: z.number().int().min(1).max(365),
  revisions: z.number().int().min(0).max(100),
  acceptedAt: instant,
});

/** A parsed `offer.accepted`. */
export type AcceptedOffer = z.infer<typeof offerAccepted>;

/** What the handler needs. */
export interface OfferHandlerDeps {
  sql: Sql;
  log: Logger;
  payments: Payments;
  fees: FeeSchedule;
  now: () => Date;
}

/**
 * The order id of an offer: a UUID (version 8, "custom") from the first 16
 * bytes of SHA-256 over the offer id, so every attempt for one offer uses one id.
 */
export async function orderIdForOffer(offerId: string): Promise<string> {
  const bytes = new TextEncoder().encode(`order-for-offer\n${offerId.toLowerCase()}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).slice(0, 16);
  digest[6] = (digest[6] & 0x0f) | 0x80;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** The rule an offer must pass against the replica's gig; undefined when it passes. */
export function checkOffer(
  offer: Pick<AcceptedOffer, "buyerId" | "sellerId" | "price">,
  gig: ReplicaGig | undefined,
): OfferRejection | undefined {
  if (!gig || gig.status === "deleted") return "gig_not_found";
  if (gig.sellerId !== offer.sellerId) return "not_gig_seller";
  if (offer.buyerId === offer.sellerId) return "own_gig";
  if (gig.status !== "active") return "gig_paused";
  // Gigs price every package in one currency (the gigs service's rule).
  const currencies = new Set(gig.packages.map((p) => p.price.currency));
  if (currencies.size !== 1 || !currencies.has(offer.price.currency)) return "currency_mismatch";
  return undefined;
}

/** The handlers to add to the service's consumers: `offer.accepted`. */
export function createOfferHandlers(deps: OfferHandlerDeps): Record<string, EventHandler> {
  const { sql, log } = deps;
  return {
    "offer.accepted": async (envelope) => {
      const offer = parseEventData(offerAccepted, envelope);
      let outcome = "order created";
      let orderId: string | undefined;
      const fresh = await handleOnce(sql, envelope, async (tx) => {
        const existing = await findOrderByOffer(tx, offer.offerId);
        if (existing) {
          outcome = "offer already has an order";
          orderId = existing.id;
          return;
        }
        const result = await orderFromOffer(deps, tx, offer);
        if (typeof result === "string") {
          outcome = "offer rejected";
          await publish(tx, "offer.rejected", { offerId: offer.offerId, reason: result });
          log.warn("accepted offer rejected", { offerId: offer.offerId, reason: result });
        } else {
          orderId = result.id;
        }
      });
      log.info(fresh ? outcome : "duplicate event ignored", {
        eventId: envelope.id,
        type: envelope.type,
        offerId: offer.offerId,
        orderId,
      });
    },
  };
}

/**
 * Makes the order of an accepted offer in `tx`, with its PaymentIntent,
 * timeline entry and `order.created`; or returns why it cannot.
 * @throws PaymentProviderError when the provider may succeed later (redelivery retries).
 */
export async function orderFromOffer(
  deps: OfferHandlerDeps,
  tx: Tx,
  offer: AcceptedOffer,
): Promise<Order | OfferRejection> {
  const gig = await findGig(tx, offer.gigId);
  const rejection = checkOffer(offer, gig);
  if (rejection || !gig) return rejection ?? "gig_not_found";

  const priced = quote(offer.price, deps.fees);
  const orderId = await orderIdForOffer(offer.offerId);
  let intent;
  try {
    intent = await deps.payments.createPaymentIntent({
      orderId,
      buyerId: offer.buyerId,
      gigId: gig.gigId,
      description: `Order ${orderId}: ${gig.title} (custom offer)`.slice(0, 1000),
      amount: priced.total,
      currency: priced.currency,
      idempotencyKey: `order-${orderId}`,
    });
  } catch (error) {
    if (error instanceof PaymentProviderError && !error.retryable) {
      deps.log.error("the provider refused the PaymentIntent of an offer", {
        offerId: offer.offerId,
        error,
      });
      return "payment_refused";
    }
    throw error;
  }
  return await recordNewOrder(tx, {
    orderId,
    gig,
    buyerId: offer.buyerId,
    package: {
      tier: "custom",
      name: CUSTOM_PACKAGE_NAME,
      description: offer.description,
      deliveryDays: offer.deliveryDays,
      revisions: offer.revisions,
      features: [],
    },
    requirements: [],
    priced,
    intent,
    paymentProvider: deps.payments.mode,
    now: deps.now(),
    offerId: offer.offerId,
  });
}
