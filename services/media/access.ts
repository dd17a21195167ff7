/**
 * What the media service learns from other services' events (queue
 * `<exchange>.media`), each idempotent through the inbox:
 *
 * - `order.delivered` `{ orderId, buyerId, sellerId, fileMediaIds }`: the buyer
 *   may read the delivery's files (the seller owns them already).
 * - `message.sent` `{ message: { conversationId, senderId, attachments }, recipientId }`:
 *   the recipient may read the attachments that are media files (`mediaId`).
 * - `gig.deleted` `{ gigId, sellerId, imageMediaIds }`: the gig's images go,
 *   objects (their resized variants too) and rows.
 *
 * Every effect is limited to files the event's owner really owns with the
 * right purpose: the publisher checked ownership when it took the ids, and a
 * wrong or forged id here grants or deletes nothing. Events that name no media
 * file write nothing (not even an inbox row: chat sends many text messages).
 */
import type { EventEnvelope, EventHandler } from "@mp/shared/bus";
import type { Sql } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { z } from "zod";
import type { ObjectStore } from "./object_store.ts";
import * as store from "./store.ts";
import { variantKeys } from "./variant_store.ts";

// Bounded so a malformed event cannot make one huge statement; publishers allow far fewer.
const mediaIds = z.array(z.uuid()).max(100).default([]);

const orderDelivered = z.object({
  orderId: z.uuid(),
  buyerId: z.uuid(),
  sellerId: z.uuid(),
  fileMediaIds: mediaIds,
});
const messageSent = z.object({
  message: z.object({
    conversationId: z.uuid(),
    senderId: z.uuid(),
    // Link attachments have no `mediaId`; they are not this service's.
    attachments: z.array(z.object({ mediaId: z.uuid().optional() })).max(100).default([]),
  }),
  recipientId: z.uuid(),
});
const gigDeleted = z.object({ gigId: z.uuid(), sellerId: z.uuid(), imageMediaIds: mediaIds });

/** The event types consumed. */
export const CONSUMED_EVENTS = ["order.delivered", "message.sent", "gig.deleted"] as const;

/** Dependencies of the handlers. */
export interface AccessEventDeps {
  sql: Sql;
  log: Logger;
  objects: ObjectStore;
}

/** Builds the handlers to pass to `EventBus.consume`, keyed by event type. */
export function createAccessHandlers(
  deps: AccessEventDeps,
): Record<(typeof CONSUMED_EVENTS)[number], EventHandler> {
  const { sql, log, objects } = deps;
  const logged = (envelope: EventEnvelope, fresh: boolean, fields: Record<string, unknown>) =>
    log.info(fresh ? "event handled" : "duplicate event ignored", {
      eventId: envelope.id,
      type: envelope.type,
      ...fields,
    });

  return {
    "order.delivered": async (envelope) => {
      const data = parseEventData(orderDelivered, envelope);
      if (data.fileMediaIds.length === 0) return;
      let granted: string[] = [];
      const fresh = await handleOnce(sql, envelope, async (tx) => {
        granted = await store.grantAccess(tx, {
          mediaIds: data.fileMediaIds,
          ownerId: data.sellerId,
          purpose: "delivery",
          userIds: [data.buyerId],
          reason: `order:${data.orderId}`,
        });
      });
      logged(envelope, fresh, { orderId: data.orderId, granted: granted.length });
    },

    "message.sent": async (envelope) => {
      const data = parseEventData(messageSent, envelope);
      const ids = data.message.attachments.flatMap((a) => a.mediaId ? [a.mediaId] : []);
      if (ids.length === 0) return;
      let granted: string[] = [];
      const fresh = await handleOnce(sql, envelope, async (tx) => {
        granted = await store.grantAccess(tx, {
          mediaIds: ids,
          ownerId: data.message.senderId,
          purpose: "chat_attachment",
          userIds: [data.recipientId],
          reason: `conversation:${data.message.conversationId}`,
        });
      });
      logged(envelope, fresh, {
        conversationId: data.message.conversationId,
        granted: granted.length,
      });
    },

    "gig.deleted": async (envelope) => {
      const data = parseEventData(gigDeleted, envelope);
      if (data.imageMediaIds.length === 0) return;
      let removed = 0;
      const fresh = await handleOnce(sql, envelope, async (tx) => {
        const images = await store.ownedFiles(tx, data.imageMediaIds, data.sellerId, "gig_image");
        // Objects first, rows after, inside the transaction: if a delete fails the
        // transaction rolls back and the redelivered event tries again (deleting an
        // object twice is harmless), so no object outlives its row.
        // The rows are locked (FOR UPDATE): a variant worker finishing now waits, finds
        // the file gone and removes what it wrote (variants.ts).
        for (const image of images) {
          for (const key of [image.objectKey, ...variantKeys(image.objectKey)]) {
            await objects.delete(key);
          }
        }
        await store.deleteFiles(tx, images.map((image) => image.id));
        removed = images.length;
      });
      logged(envelope, fresh, { gigId: data.gigId, removed });
    },
  };
}
