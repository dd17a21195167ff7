/**
 * Events of the gigs service (shapes in docs/CONTRACTS.md).
 *
 * Published through the outbox, in the transaction of the change:
 * `gig.created`, `gig.updated` (also for pause and activate, with the status)
 * and `gig.deleted`. They carry the packages and requirements so the orders
 * service can price orders from its own replica.
 *
 * Consumed (queue `<exchange>.gigs`), each idempotent through the inbox:
 * - `seller.created` / `seller.updated`: the seller replica (who may publish
 *   gigs; names, avatar and level shown on gigs and cards);
 * - `user.profile_updated`: name and avatar changes;
 * - `review.created` (buyer to seller, with a gig): the gig's rating;
 * - `media.uploaded`: the replica `imageMediaIds` are checked against (shared/media_refs.ts).
 * After an effect commits, the caches of the gigs it touches are invalidated.
 */
import type { EventEnvelope, EventHandler } from "@mp/shared/bus";
import { PoisonMessageError } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { enqueueEvent } from "@mp/shared/outbox";
import { mediaUploadedHandler } from "@mp/shared/media_refs";
import { z } from "zod";
import type { GigCache } from "./cache.ts";
import type { GigPackage, GigRow, Requirement } from "./gig.ts";
import { addGigRating, applyProfile, liveGigIdsOfSeller, upsertSeller } from "./store.ts";

/** `gig.created` / `gig.updated`: everything orders needs to price and describe an order. */
export interface GigChanged {
  gigId: string;
  sellerId: string;
  title: string;
  status: "active" | "paused";
  category: string;
  subcategory: string;
  packages: GigPackage[];
  requirements: Requirement[];
  /** The images uploaded to the media service (links are not media). */
  imageMediaIds: string[];
  updatedAt: string;
}

/** `gig.deleted`: the gig can no longer be ordered. */
export interface GigDeleted {
  gigId: string;
  sellerId: string;
  /** Its uploaded images, which the media service may now remove. */
  imageMediaIds: string[];
  deletedAt: string;
}

function changed(row: GigRow): GigChanged {
  return {
    gigId: row.id,
    sellerId: row.seller_id,
    title: row.title,
    status: row.status === "paused" ? "paused" : "active",
    category: row.category,
    subcategory: row.subcategory,
    packages: row.packages,
    requirements: row.requirements,
    imageMediaIds: row.image_media_ids,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Typed publishers; each writes to the outbox inside the caller's transaction. */
export const publish = {
  gigCreated: (tx: Tx, row: GigRow) => enqueueEvent(tx, "gig.created", changed(row)),
  gigUpdated: (tx: Tx, row: GigRow) => enqueueEvent(tx, "gig.updated", changed(row)),
  gigDeleted: (tx: Tx, row: GigRow) =>
    enqueueEvent<GigDeleted>(tx, "gig.deleted", {
      gigId: row.id,
      sellerId: row.seller_id,
      imageMediaIds: row.image_media_ids,
      deletedAt: row.updated_at.toISOString(),
    }),
};

// Consumers parse only what they use; unknown fields are ignored.
const text = (max: number) => z.string().min(1).max(max);
const avatarUrl = z.string().max(2048).nullable();
const profile = z.object({
  userId: z.uuid(),
  username: text(100),
  displayName: text(200),
  avatarUrl,
});
const seller = profile.extend({
  level: z.enum(["new", "level_1", "level_2", "top_rated"]),
  rating: z.object({
    average: z.number().min(0).max(5).nullable(),
    count: z.number().int().min(0),
  }),
});
const review = z.object({
  gigId: z.uuid().nullable().optional(),
  direction: z.enum(["buyer_to_seller", "seller_to_buyer"]),
  rating: z.number().int().min(1).max(5),
});

/** The event types consumed. */
export const CONSUMED_EVENTS = [
  "seller.created",
  "seller.updated",
  "user.profile_updated",
  "review.created",
  "media.uploaded",
] as const;

/** Dependencies of the handlers. */
export interface EventHandlerDeps {
  sql: Sql;
  cache: GigCache;
  log: Logger;
}

/** Builds the handlers to pass to `EventBus.consume`, keyed by event type. */
export function createEventHandlers(deps: EventHandlerDeps): Record<string, EventHandler> {
  const { sql, cache, log } = deps;

  /** Runs `effect` once per event id, then invalidates the gigs it names. */
  async function once(envelope: EventEnvelope, effect: (tx: Tx) => Promise<string[]>) {
    let touched: string[] = [];
    const fresh = await handleOnce(sql, envelope, async (tx) => {
      touched = await effect(tx);
    });
    if (touched.length > 0) await cache.invalidate(touched);
    log.info(fresh ? "event handled" : "duplicate event ignored", {
      eventId: envelope.id,
      type: envelope.type,
    });
  }

  const onSeller: EventHandler = async (envelope) => {
    const data = parseEventData(seller, envelope);
    const at = occurredAt(envelope);
    await once(envelope, async (tx) => {
      await upsertSeller(tx, data, at);
      return await liveGigIdsOfSeller(tx, data.userId);
    });
  };

  return {
    "media.uploaded": mediaUploadedHandler({ sql, log }),
    "seller.created": onSeller,
    "seller.updated": onSeller,
    "user.profile_updated": async (envelope) => {
      const data = parseEventData(profile, envelope);
      const at = occurredAt(envelope);
      await once(envelope, async (tx) => {
        await applyProfile(tx, data, at);
        return await liveGigIdsOfSeller(tx, data.userId);
      });
    },
    "review.created": async (envelope) => {
      const data = parseEventData(review, envelope);
      const gigId = data.gigId;
      // Reviews of buyers, or without a gig, do not rate a gig.
      if (data.direction !== "buyer_to_seller" || !gigId) return;
      await once(envelope, async (tx) => {
        if (await addGigRating(tx, gigId, data.rating)) return [gigId];
        log.warn("review of an unknown gig ignored", { eventId: envelope.id, gigId });
        return [];
      });
    },
  };
}

function occurredAt(envelope: EventEnvelope): Date {
  const at = new Date(envelope.occurredAt);
  if (Number.isNaN(at.getTime())) {
    throw new PoisonMessageError(`${envelope.type} ${envelope.id}: occurredAt is not a timestamp`);
  }
  return at;
}
