/**
 * What the reviews service publishes (through its outbox) and consumes.
 *
 * Published: `review.created` and `review.replied`, shapes as in
 * docs/CONTRACTS.md (users and gigs keep rating aggregates from the first,
 * notifications tells the reviewee).
 *
 * Consumed: `user.registered` (names), and orders' `order.created`,
 * `order.completed`, `order.cancelled` — the only source of who may review what.
 * Each handler parses only the fields it uses (a payload missing one is a poison
 * message, dead-lettered at once) and writes inside `handleOnce`, so a
 * redelivered event changes nothing. Order events may come in any order: each
 * carries the order's ids, so `order.completed` makes an order reviewable even if
 * `order.created` never arrives.
 */
import { type EventHandler, PoisonMessageError } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { enqueueEvent } from "@mp/shared/outbox";
import { z } from "zod";
import { type Direction, ORDER_ID } from "./review.ts";
import * as store from "./store.ts";

// --- published -----------------------------------------------------------------

/** `review.created`. */
export interface ReviewCreated {
  reviewId: string;
  orderId: string;
  gigId: string;
  reviewerId: string;
  revieweeId: string;
  direction: Direction;
  rating: number;
  comment: string;
  createdAt: string;
}

/** `review.replied`: the reviewee answered a review. */
export interface ReviewReplied {
  reviewId: string;
  orderId: string;
  gigId: string;
  replierId: string;
  reply: string;
  repliedAt: string;
}

/** Typed publishers; each writes to the outbox inside the caller's transaction. */
export const publish = {
  reviewCreated: (tx: Tx, data: ReviewCreated) => enqueueEvent(tx, "review.created", data),
  reviewReplied: (tx: Tx, data: ReviewReplied) => enqueueEvent(tx, "review.replied", data),
};

// --- consumed ------------------------------------------------------------------

const instant = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "not a timestamp")
  .transform((value) => new Date(value));

// Titles are bounded by gigs; a longer one is cut rather than refused, since it is
// only shown next to a review.
const gigTitle = z.string().transform((title) => title.slice(0, 200));

const orderIds = z.object({
  orderId: z.string().regex(ORDER_ID),
  gigId: z.uuid(),
  buyerId: z.uuid(),
  sellerId: z.uuid(),
  gigTitle: gigTitle.optional(),
});
const distinctParties = <T extends { buyerId: string; sellerId: string }>(order: T) =>
  order.buyerId !== order.sellerId;
const partiesMessage = { message: "buyer and seller are the same user" };

const userRegistered = z.object({ userId: z.uuid(), username: z.string().min(1).max(64) });
const orderCreated = orderIds.refine(distinctParties, partiesMessage);
const orderCompleted = orderIds.extend({ completedAt: instant }).refine(
  distinctParties,
  partiesMessage,
);
const orderCancelled = orderIds.extend({ cancelledAt: instant }).refine(
  distinctParties,
  partiesMessage,
);

/** The event types consumed. */
export const CONSUMED_EVENTS = [
  "user.registered",
  "order.created",
  "order.completed",
  "order.cancelled",
] as const;

/** Dependencies of the handlers. */
export interface EventHandlerDeps {
  sql: Sql;
  log: Logger;
}

/** Builds the handlers to pass to `EventBus.consume`, keyed by event type. */
export function createEventHandlers(
  deps: EventHandlerDeps,
): Record<typeof CONSUMED_EVENTS[number], EventHandler> {
  const { sql, log } = deps;
  const once = async (envelope: Parameters<EventHandler>[0], effect: (tx: Tx) => Promise<void>) => {
    const fresh = await handleOnce(sql, envelope, effect);
    log.info(fresh ? "event handled" : "duplicate event ignored", {
      eventId: envelope.id,
      type: envelope.type,
    });
  };

  /** Merges an order event; ids that contradict an earlier event can never be right. */
  const mergeOrder = (envelope: Parameters<EventHandler>[0], fact: store.OrderFact) =>
    once(envelope, async (tx) => {
      const order = await store.mergeOrder(tx, fact);
      if (
        order.gigId !== fact.gigId || order.buyerId !== fact.buyerId ||
        order.sellerId !== fact.sellerId
      ) {
        throw new PoisonMessageError(
          `${envelope.type} ${envelope.id}: order ${fact.orderId} has other ids than before`,
        );
      }
    });

  return {
    "user.registered": async (envelope) => {
      const data = parseEventData(userRegistered, envelope);
      try {
        await once(envelope, (tx) => store.upsertUser(tx, data));
      } catch (error) {
        // Another account already has this username: auth guarantees it cannot
        // happen, so retrying will not help; keep the event in the DLQ for a human.
        if ((error as { code?: string }).code === "23505") {
          throw new PoisonMessageError(`${envelope.id}: username ${data.username} is taken`);
        }
        throw error;
      }
    },
    "order.created": (envelope) => mergeOrder(envelope, parseEventData(orderCreated, envelope)),
    "order.completed": (envelope) => mergeOrder(envelope, parseEventData(orderCompleted, envelope)),
    "order.cancelled": (envelope) => mergeOrder(envelope, parseEventData(orderCancelled, envelope)),
  };
}
