/**
 * What the chat service publishes (through its outbox) and consumes.
 *
 * Published (the realtime edge pushes the user-facing ones; orders consumes
 * `offer.accepted`; notifications mails `chat.unread_reminder`):
 * `conversation.started`, `message.sent`, `messages.read`,
 * `conversation.block_changed`, `offer.updated`, `offer.accepted`,
 * `chat.unread_reminder`.
 *
 * Consumed: `user.registered`, `user.profile_updated` (the directory),
 * `gig.created|updated|deleted` (owner, status and currency, for offers),
 * `order.created` (an order's parties; with `offerId`, the accepted offer's
 * order), `offer.rejected` (orders made no order of an accepted offer: the
 * offer stays `accepted` and gains `orderRejectedReason`). Each handler parses only the fields it uses (a payload missing one is
 * a poison message) and writes inside `handleOnce`, so a redelivered event
 * changes nothing.
 */
import type { EventHandler } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { enqueueEvent } from "@mp/shared/outbox";
import { z } from "zod";
import type { MessageView, OfferView } from "./store.ts";
import * as store from "./store.ts";

// --- published -------------------------------------------------------------------

/** `conversation.started`. */
export interface ConversationStarted {
  conversationId: string;
  participants: [string, string];
  startedAt: string;
}

/** `message.sent`: the message, and who it is for. */
export interface MessageSent {
  message: MessageView;
  recipientId: string;
}

/** `messages.read`: `readerId` read the conversation up to message `upTo`. */
export interface MessagesRead {
  conversationId: string;
  readerId: string;
  otherUserId: string;
  upTo: string;
  readAt: string;
}

/**
 * `conversation.block_changed`: `blockerId` blocked (`blocked: true`) or
 * unblocked `blockedId`; written only when the block really changed.
 */
export interface BlockChanged {
  conversationId: string;
  blockerId: string;
  blockedId: string;
  blocked: boolean;
  at: string;
}

/** `offer.updated`: on every change of an offer, creation included. */
export interface OfferUpdated {
  offer: OfferView;
  buyerId: string;
  sellerId: string;
}

/** `offer.accepted`: orders creates a `pending_payment` order priced from it. */
export interface OfferAccepted {
  offerId: string;
  conversationId: string;
  buyerId: string;
  sellerId: string;
  gigId: string;
  description: string;
  price: { amount: number; currency: string };
  deliveryDays: number;
  revisions: number;
  acceptedAt: string;
}

/**
 * `chat.unread_reminder`: mail the recipient about unread messages.
 * `senderUsername` is always set: every message's sender is in the directory
 * (migration 003's key), and notifications requires it.
 */
export interface UnreadReminder {
  recipientId: string;
  conversationId: string;
  senderId: string;
  senderUsername: string;
  unreadCount: number;
  firstUnreadAt: string;
}

/**
 * Typed publishers; each writes to the outbox inside the caller's transaction.
 * A text message's `message.sent` is the exception: `store.sendMessage`'s SQL
 * function writes it in the same statement as the message (migrations 005, 006), the
 * same row as `messageSent` would (send_event_test.ts compares them).
 */
export const publish = {
  conversationStarted: (tx: Tx, data: ConversationStarted) =>
    enqueueEvent(tx, "conversation.started", data),
  messageSent: (tx: Tx, data: MessageSent) => enqueueEvent(tx, "message.sent", data),
  messagesRead: (tx: Tx, data: MessagesRead) => enqueueEvent(tx, "messages.read", data),
  blockChanged: (tx: Tx, data: BlockChanged) =>
    enqueueEvent(tx, "conversation.block_changed", data),
  offerUpdated: (tx: Tx, offer: OfferView) =>
    enqueueEvent<OfferUpdated>(tx, "offer.updated", {
      offer,
      buyerId: offer.buyerId,
      sellerId: offer.sellerId,
    }),
  offerAccepted: (tx: Tx, data: OfferAccepted) => enqueueEvent(tx, "offer.accepted", data),
  unreadReminder: (tx: Tx, data: UnreadReminder) => enqueueEvent(tx, "chat.unread_reminder", data),
};

// --- consumed --------------------------------------------------------------------

const instant = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "not a timestamp")
  .transform((value) => new Date(value));

const username = z.string().min(1).max(64);
const userRegistered = z.object({ userId: z.uuid(), username });
const profileUpdated = z.object({
  userId: z.uuid(),
  username,
  // Shown only; a longer value than users allows is cut rather than refused.
  displayName: z.string().transform((value) => value.slice(0, 200)),
  avatarUrl: z.string().max(4096).nullable().optional().transform((value) => value ?? null),
  version: z.number().int().nonnegative(),
});
const gigChanged = z.object({
  gigId: z.uuid(),
  sellerId: z.uuid(),
  status: z.enum(["active", "paused"]),
  // One currency per gig (gigs' rule): the first package's is the gig's.
  packages: z.array(z.object({ price: z.object({ currency: z.string().regex(/^[A-Z]{3}$/) }) })),
  updatedAt: instant,
});
const gigDeleted = z.object({ gigId: z.uuid(), sellerId: z.uuid(), deletedAt: instant });
const orderCreated = z.object({
  orderId: z.uuid(),
  buyerId: z.uuid(),
  sellerId: z.uuid(),
  offerId: z.uuid().nullable().optional().transform((value) => value ?? null),
});

const offerRejected = z.object({
  offerId: z.uuid(),
  // A reason chat does not know is dead-lettered rather than shown as another.
  reason: z.enum(store.ORDER_REJECTION_REASONS),
});

/** The event types consumed. */
export const CONSUMED_EVENTS = [
  "user.registered",
  "user.profile_updated",
  "gig.created",
  "gig.updated",
  "gig.deleted",
  "order.created",
  "offer.rejected",
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
  const gigHandler: EventHandler = (envelope) => {
    const gig = parseEventData(gigChanged, envelope);
    return once(envelope, (tx) =>
      store.upsertGig(tx, {
        gigId: gig.gigId,
        sellerId: gig.sellerId,
        status: gig.status,
        currency: gig.packages[0]?.price.currency ?? null,
        updatedAt: gig.updatedAt,
      }));
  };

  return {
    "user.registered": (envelope) => {
      const user = parseEventData(userRegistered, envelope);
      return once(envelope, (tx) => store.registerUser(tx, user));
    },
    "user.profile_updated": (envelope) => {
      const profile = parseEventData(profileUpdated, envelope);
      return once(envelope, (tx) => store.updateProfile(tx, profile));
    },
    "gig.created": gigHandler,
    "gig.updated": gigHandler,
    "gig.deleted": (envelope) => {
      const gig = parseEventData(gigDeleted, envelope);
      return once(envelope, (tx) => store.markGigDeleted(tx, gig));
    },
    "order.created": (envelope) => {
      const order = parseEventData(orderCreated, envelope);
      return once(envelope, async (tx) => {
        await store.recordOrder(tx, order);
        if (!order.offerId) return;
        const offer = await store.setOfferOrder(tx, { ...order, offerId: order.offerId });
        if (offer) await publish.offerUpdated(tx, offer);
        else log.warn("order.created names an offer that is not theirs or has an order", order);
      });
    },
    // Orders made no order of an accepted offer: the offer stays `accepted` and
    // shows why (`orderRejectedReason`), pushed to both parties by
    // `offer.updated`. Once: an unknown offer, one with an order, one not
    // accepted or already refused changes nothing (logged).
    "offer.rejected": (envelope) => {
      const rejection = parseEventData(offerRejected, envelope);
      return once(envelope, async (tx) => {
        const offer = await store.setOfferRejected(tx, rejection.offerId, rejection.reason);
        if (offer) {
          await publish.offerUpdated(tx, offer);
          return;
        }
        const current = await store.findOffer(tx, rejection.offerId);
        const why = !current
          ? "an unknown offer"
          : current.orderId
          ? "an offer that has an order"
          : current.orderRejectedReason
          ? "an offer already refused"
          : "an offer that is not accepted";
        log.warn(`offer.rejected names ${why}; nothing changed`, {
          eventId: envelope.id,
          ...rejection,
          status: current?.status,
          orderId: current?.orderId,
          orderRejectedReason: current?.orderRejectedReason,
        });
      });
    },
  };
}
