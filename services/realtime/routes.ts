/**
 * Which user-facing event becomes which push, to whom (the contract in
 * README.md, "Events consumed"). Pure: an envelope in, the pushes out. Each
 * schema names only the fields the routing reads; the objects pushed as they
 * are (the message, the offer, the notification) keep every field.
 */
import type { EventEnvelope } from "@mp/shared/bus";
import { parseEventData } from "@mp/shared/inbox";
import { z } from "zod";

/** One socket event to the rooms of some users. */
export interface Push {
  userIds: string[];
  event: string;
  payload: unknown;
}

const id = z.string().min(1).max(200);
const view = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);

const messageSent = z.object({
  message: view({ id, conversationId: id, senderId: id }),
  recipientId: id,
});
const messagesRead = z.object({
  conversationId: id,
  readerId: id,
  otherUserId: id,
  upTo: id,
  readAt: z.string().min(1),
});
const blockChanged = z.object({
  conversationId: id,
  blockerId: id,
  blockedId: id,
  blocked: z.boolean(),
});
const offerUpdated = z.object({ offer: view({ id }), buyerId: id, sellerId: id });
const orderEvent = z.object({ orderId: id, buyerId: id, sellerId: id });
const notificationCreated = z.object({ notification: view({ id }), userId: id });

/** The status an order is in after each order event; absent where the event changes none. */
export const ORDER_STATUS: Record<string, string | undefined> = {
  "order.created": "pending_payment",
  "order.paid": "in_progress",
  "order.delivered": "delivered",
  "order.revision_requested": "in_revision",
  "order.completed": "completed",
  "order.cancelled": "cancelled",
  "order.extension_requested": undefined,
  "order.extension_answered": undefined,
  "order.cancellation_requested": undefined,
  "order.cancellation_answered": undefined,
};

type Route = (envelope: EventEnvelope) => Push[];

const both = (a: string, b: string) => [...new Set([a, b])];

/** The routed event types and their pushes (`conversation.started` is handled in consumer.ts). */
export const ROUTES: Record<string, Route> = {
  "message.sent": (envelope) => {
    const data = parseEventData(messageSent, envelope);
    return [{
      userIds: both(data.recipientId, data.message.senderId),
      event: "message:new",
      payload: data.message,
    }];
  },
  "messages.read": (envelope) => {
    const { conversationId, readerId, otherUserId, upTo, readAt } = parseEventData(
      messagesRead,
      envelope,
    );
    return [{
      userIds: both(readerId, otherUserId),
      event: "message:read",
      payload: { conversationId, readerId, upTo, readAt },
    }];
  },
  "conversation.block_changed": (envelope) => {
    const { conversationId, blockerId, blockedId, blocked } = parseEventData(
      blockChanged,
      envelope,
    );
    // Each side gets the conversation's field as it reads in their own view.
    return [
      {
        userIds: [blockerId],
        event: "conversation:updated",
        payload: { conversationId, blockedByMe: blocked },
      },
      {
        userIds: [blockedId],
        event: "conversation:updated",
        payload: { conversationId, blockedMe: blocked },
      },
    ];
  },
  "offer.updated": (envelope) => {
    const data = parseEventData(offerUpdated, envelope);
    return [{
      userIds: both(data.buyerId, data.sellerId),
      event: "offer:updated",
      payload: data.offer,
    }];
  },
  "notification.created": (envelope) => {
    const data = parseEventData(notificationCreated, envelope);
    return [{ userIds: [data.userId], event: "notification:new", payload: data.notification }];
  },
  ...Object.fromEntries(Object.keys(ORDER_STATUS).map((type) => [type, orderRoute])),
};

function orderRoute(envelope: EventEnvelope): Push[] {
  const { orderId, buyerId, sellerId } = parseEventData(orderEvent, envelope);
  const status = ORDER_STATUS[envelope.type];
  return [{
    userIds: both(buyerId, sellerId),
    event: "order:updated",
    payload: {
      orderId,
      type: envelope.type,
      ...(status ? { status } : {}),
      occurredAt: envelope.occurredAt,
    },
  }];
}
