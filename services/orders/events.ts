/**
 * Events of the orders service (shapes in docs/CONTRACTS.md, "Orders, payments,
 * reviews").
 *
 * Published through the outbox, in the transaction of the change: every
 * `order.*` event below carries `orderId, gigId, buyerId, sellerId`.
 *
 * `order.created` carries `offerId` (null unless the order was made from a
 * custom offer; then `package` is `custom`). `offer.rejected` `{ offerId,
 * reason }` says an accepted offer made no order (offers.ts).
 *
 * Consumed (queue `<exchange>.orders`), each idempotent through the inbox:
 * `gig.created`, `gig.updated` and `gig.deleted` keep the replica of purchasable
 * gigs that prices orders. Events can arrive out of order: a version older than
 * the stored `updatedAt` changes nothing, and a deleted gig stays deleted.
 * `offer.accepted` (chat) makes an order from a custom offer: offers.ts.
 */
import type { EventEnvelope, EventHandler } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { enqueueEvent } from "@mp/shared/outbox";
import { z } from "zod";
import type { Money } from "./money.ts";
import { markGigDeleted, upsertGig } from "./store_gigs.ts";
import type { Order } from "./store_orders.ts";

/** The ids every order event carries. */
export interface OrderRef {
  orderId: string;
  gigId: string;
  buyerId: string;
  sellerId: string;
}

/** Payloads of the events published, by type. */
export interface OrderEvents {
  "order.created": OrderRef & {
    package: "basic" | "standard" | "premium" | "custom";
    gigTitle: string;
    price: Money;
    serviceFee: Money;
    total: Money;
    createdAt: string;
    /** The custom offer the order was made from; null for an order placed from a package. */
    offerId: string | null;
  };
  "order.paid": OrderRef & { gigTitle: string; total: Money; paidAt: string; dueAt: string };
  "order.delivered": OrderRef & {
    gigTitle: string;
    deliveryId: string;
    /** Media ids of the delivered files (the seller's; media grants the buyer reading them). */
    fileMediaIds: string[];
    deliveredAt: string;
    autoCompleteAt: string;
  };
  "order.revision_requested": OrderRef & {
    gigTitle: string;
    revisionsLeft: number;
    requestedAt: string;
  };
  "order.completed": OrderRef & {
    gigTitle: string;
    price: Money;
    sellerEarnings: Money;
    completedAt: string;
    by: "buyer" | "auto";
  };
  "order.cancelled": OrderRef & {
    gigTitle: string;
    reason: string;
    refund: Money | null;
    cancelledAt: string;
  };
  "order.extension_requested": OrderRef & {
    gigTitle: string;
    days: number;
    reason: string;
    requestId: string;
  };
  "order.extension_answered": OrderRef & {
    gigTitle: string;
    requestId: string;
    approved: boolean;
    dueAt: string;
  };
  "order.cancellation_requested": OrderRef & {
    gigTitle: string;
    requestId: string;
    requestedBy: "buyer" | "seller";
    reason: string;
  };
  "order.cancellation_answered": OrderRef & {
    gigTitle: string;
    requestId: string;
    accepted: boolean;
  };
  /** An accepted custom offer made no order (offers.ts `OfferRejection`). */
  "offer.rejected": { offerId: string; reason: string };
}

/** Every event type this service publishes. */
export const PUBLISHED_EVENTS = [
  "order.created",
  "order.paid",
  "order.delivered",
  "order.revision_requested",
  "order.completed",
  "order.cancelled",
  "order.extension_requested",
  "order.extension_answered",
  "order.cancellation_requested",
  "order.cancellation_answered",
  "offer.rejected",
] as const satisfies readonly (keyof OrderEvents)[];

/** `{ orderId, gigId, buyerId, sellerId }` of an order. */
export function orderRef(order: Order): OrderRef {
  return {
    orderId: order.id,
    gigId: order.gigId,
    buyerId: order.buyerId,
    sellerId: order.sellerId,
  };
}

/** Writes an event to the outbox in the caller's transaction. */
export function publish<T extends keyof OrderEvents>(
  tx: Tx,
  type: T,
  data: OrderEvents[T],
): Promise<EventEnvelope<OrderEvents[T]>> {
  return enqueueEvent(tx, type, data);
}

// ---------------------------------------------------------------- consumed

const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), "must be a timestamp")
  .transform((v) => new Date(v));
const userId = z.string().min(1).max(200);
const gigPackage = z.object({
  tier: z.enum(["basic", "standard", "premium"]),
  name: z.string().max(200),
  description: z.string().max(2000),
  price: z.object({
    amount: z.number().int().positive().max(1_000_000_000),
    currency: z.string().regex(/^[A-Z]{3}$/),
  }),
  deliveryDays: z.number().int().min(1).max(365),
  revisions: z.number().int().min(0).max(100),
  features: z.array(z.string().max(200)).max(50).default([]),
});
const requirement = z.object({
  id: z.string().min(1).max(100),
  question: z.string().max(2000),
  required: z.boolean(),
  type: z.enum(["text", "choice"]),
  choices: z.array(z.string().max(200)).max(50).optional(),
});
const gigChanged = z.object({
  gigId: z.uuid(),
  sellerId: userId,
  title: z.string().max(500),
  status: z.enum(["active", "paused"]),
  packages: z.array(gigPackage).max(3),
  requirements: z.array(requirement).max(50),
  updatedAt: instant,
});
const gigDeleted = z.object({ gigId: z.uuid(), sellerId: userId, deletedAt: instant });

/** The event types consumed (`offer.accepted`'s handler is in offers.ts). */
export const CONSUMED_EVENTS = [
  "gig.created",
  "gig.updated",
  "gig.deleted",
  "offer.accepted",
] as const;

/** Dependencies of the handlers. */
export interface EventHandlerDeps {
  sql: Sql;
  log: Logger;
}

/** Builds the handlers to pass to `EventBus.consume`, keyed by event type. */
export function createEventHandlers(deps: EventHandlerDeps): Record<string, EventHandler> {
  const { sql, log } = deps;
  const onChanged: EventHandler = async (envelope) => {
    const data = parseEventData(gigChanged, envelope);
    let applied = false;
    const fresh = await handleOnce(sql, envelope, async (tx) => {
      applied = await upsertGig(tx, {
        gigId: data.gigId,
        sellerId: data.sellerId,
        title: data.title,
        status: data.status,
        packages: data.packages,
        requirements: data.requirements,
        updatedAt: data.updatedAt,
      });
    });
    log.info(
      !fresh ? "duplicate event ignored" : applied ? "event handled" : "stale gig version ignored",
      { eventId: envelope.id, type: envelope.type, gigId: data.gigId },
    );
  };
  return {
    "gig.created": onChanged,
    "gig.updated": onChanged,
    "gig.deleted": async (envelope) => {
      const data = parseEventData(gigDeleted, envelope);
      const fresh = await handleOnce(sql, envelope, (tx) => markGigDeleted(tx, data));
      log.info(fresh ? "event handled" : "duplicate event ignored", {
        eventId: envelope.id,
        type: envelope.type,
        gigId: data.gigId,
      });
    },
  };
}
