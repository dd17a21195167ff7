/**
 * Events of the users service: what it publishes (through its outbox, in the
 * transaction of the change) and what it consumes (through its inbox, so a
 * redelivered event changes nothing). Shapes are the contract in
 * docs/CONTRACTS.md; consumers parse only the fields they use.
 *
 * Out-of-order delivery: facts learned from events (verification, ratings,
 * completed orders) are kept in rows keyed by user id, apart from the profile
 * row, so a review or a completed order consumed before the user's
 * registration, or before they became a seller, is counted all the same and
 * shows once the profile exists. Nothing waits or retries for ordering.
 */
import type { EventHandler } from "@mp/shared/bus";
import { PoisonMessageError } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { enqueueEvent } from "@mp/shared/outbox";
import { mediaUploadedHandler } from "@mp/shared/media_refs";
import { z } from "zod";
import { type SellerLevel, sellerLevel } from "./level.ts";
import type { ProfileRow } from "./profile.ts";
import { type RatingCounts, roleOfReviewee, summarize } from "./ratings.ts";
import type { SellerLanguage, SellerRow } from "./seller.ts";
import * as store from "./store.ts";

// --- published ---------------------------------------------------------------

/** `user.profile_updated`: public fields others replicate (gigs' seller cards, chat). */
export interface ProfileUpdated {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  country: string | null;
  /** The profile's version; a consumer keeps the highest it has seen. */
  version: number;
}

/** `seller.created` / `seller.updated`. */
export interface SellerEvent {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  level: SellerLevel;
  skills: string[];
  languages: SellerLanguage[];
  rating: { average: number | null; count: number };
  /** The seller's version; a consumer keeps the highest it has seen. */
  version: number;
}

/** The events this service publishes. */
export const PUBLISHED_EVENTS = ["user.profile_updated", "seller.created", "seller.updated"];

/** Builds `user.profile_updated` from a stored profile. */
export function profileUpdatedData(profile: ProfileRow): ProfileUpdated {
  return {
    userId: profile.user_id,
    username: profile.username,
    displayName: profile.display_name,
    avatarUrl: profile.avatar_url,
    country: profile.country,
    version: profile.version,
  };
}

/** Builds `seller.created`/`seller.updated` from the stored rows. */
export function sellerEventData(
  profile: ProfileRow,
  seller: SellerRow,
  asSeller: RatingCounts,
): SellerEvent {
  const { average, count } = summarize(asSeller);
  return {
    userId: profile.user_id,
    username: profile.username,
    displayName: profile.display_name,
    avatarUrl: profile.avatar_url,
    level: seller.level,
    skills: seller.skills,
    languages: seller.languages,
    rating: { average, count },
    version: seller.version,
  };
}

/** Typed publishers; each writes to the outbox inside the caller's transaction. */
export const publish = {
  profileUpdated: (tx: Tx, profile: ProfileRow) =>
    enqueueEvent(tx, "user.profile_updated", profileUpdatedData(profile)),
  sellerCreated: async (tx: Tx, profile: ProfileRow, seller: SellerRow) =>
    await enqueueEvent(
      tx,
      "seller.created",
      sellerEventData(profile, seller, (await store.ratingsOf(tx, profile.user_id)).seller),
    ),
  sellerUpdated: async (tx: Tx, profile: ProfileRow, seller: SellerRow) =>
    await enqueueEvent(
      tx,
      "seller.updated",
      sellerEventData(profile, seller, (await store.ratingsOf(tx, profile.user_id)).seller),
    ),
};

/**
 * Re-evaluates a seller's level after their numbers or public fields changed and
 * announces the result with `seller.updated`: `always` (the rating, name or
 * avatar changed) or only `ifLevelChanged` (a completed order). Does nothing
 * for a user who is not a seller (yet). Call under `store.lockUser`.
 */
export async function refreshSeller(
  tx: Tx,
  userId: string,
  announce: "always" | "ifLevelChanged",
): Promise<void> {
  const seller = await store.findSeller(tx, userId);
  if (!seller) return;
  const level = sellerLevel(await store.sellerNumbers(tx, userId));
  if (announce === "ifLevelChanged" && level === seller.level) return;
  const [touched, profile] = await Promise.all([
    store.touchSeller(tx, userId, level),
    store.findProfileById(tx, userId),
  ]);
  // sellers.user_id references profiles: a seller always has a profile.
  await publish.sellerUpdated(tx, profile!, touched);
}

// --- consumed ----------------------------------------------------------------

const instant = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "not a timestamp")
  .transform((value) => new Date(value));

const userRegistered = z.object({
  userId: z.uuid(),
  email: z.string().min(3).max(254),
  username: z.string().min(1).max(64),
  country: z.string().regex(/^[A-Z]{2}$/).nullish(),
  createdAt: instant,
});
const emailVerified = z.object({ userId: z.uuid() });
const reviewCreated = z.object({
  reviewId: z.string().min(1).max(100),
  revieweeId: z.uuid(),
  direction: z.enum(["buyer_to_seller", "seller_to_buyer"]),
  rating: z.number().int().min(1).max(5),
});
const money = z.object({
  amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/),
});
const orderCompleted = z.object({
  orderId: z.string().min(1).max(100),
  sellerId: z.uuid(),
  price: money,
  // The seller's share after the platform's commission (orders publishes it; the first
  // contract had only `price`, which stays the fallback).
  sellerEarnings: money.optional(),
});

/** The event types consumed. */
export const CONSUMED_EVENTS = [
  "user.registered",
  "user.email_verified",
  "review.created",
  "order.completed",
  "media.uploaded",
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
  const once = async (
    envelope: Parameters<EventHandler>[0],
    userId: string,
    effect: (tx: Tx) => Promise<void>,
  ) => {
    const fresh = await handleOnce(sql, envelope, async (tx) => {
      await store.lockUser(tx, userId);
      await effect(tx);
    });
    log.info(fresh ? "event handled" : "duplicate event ignored", {
      eventId: envelope.id,
      type: envelope.type,
    });
  };

  return {
    // Avatars: the replica requireOwnedMedia checks `avatarMediaId` against.
    "media.uploaded": mediaUploadedHandler({ sql, log }),

    "user.registered": async (envelope) => {
      const data = parseEventData(userRegistered, envelope);
      try {
        await once(envelope, data.userId, async (tx) => {
          await store.insertProfile(tx, {
            userId: data.userId,
            username: data.username,
            email: data.email,
            country: data.country ?? null,
            memberSince: data.createdAt,
          });
        });
      } catch (error) {
        // Another account already has this username: auth guarantees it cannot
        // happen, so retrying will not help; keep the event in the DLQ for a human.
        if ((error as { code?: string }).code === "23505") {
          throw new PoisonMessageError(`${envelope.id}: username ${data.username} is taken`);
        }
        throw error;
      }
    },

    "user.email_verified": async (envelope) => {
      const data = parseEventData(emailVerified, envelope);
      await once(envelope, data.userId, (tx) => store.markEmailVerified(tx, data.userId));
    },

    "review.created": async (envelope) => {
      const data = parseEventData(reviewCreated, envelope);
      const role = roleOfReviewee(data.direction);
      await once(envelope, data.revieweeId, async (tx) => {
        const counted = await store.countReview(tx, {
          reviewId: data.reviewId,
          revieweeId: data.revieweeId,
          role,
          rating: data.rating,
        });
        // A seller's rating is on their gig cards: announce every change.
        if (counted && role === "seller") await refreshSeller(tx, data.revieweeId, "always");
      });
    },

    "order.completed": async (envelope) => {
      const data = parseEventData(orderCompleted, envelope);
      await once(envelope, data.sellerId, async (tx) => {
        const earned = data.sellerEarnings ?? data.price;
        const counted = await store.countCompletedOrder(tx, {
          orderId: data.orderId,
          sellerId: data.sellerId,
          amount: earned.amount,
          currency: earned.currency,
        });
        // Order counts and earnings are not in seller events; only a new level is news.
        if (counted) await refreshSeller(tx, data.sellerId, "ifLevelChanged");
      });
    },
  };
}
