/**
 * The rules of reviewing, free of I/O: who reviews whom on an order, when an
 * order may be reviewed, what a valid review text is, and how ratings add up.
 */
import { z } from "zod";
import { paragraph } from "@mp/shared/text";

/** Which side of an order wrote a review. */
export type Direction = "buyer_to_seller" | "seller_to_buyer";

/** The parties and state of an order, as this service knows them from order events. */
export interface OrderFacts {
  buyerId: string;
  sellerId: string;
  completedAt: Date | null;
  cancelledAt: Date | null;
}

/** Why a party may not review an order now; each is also the `code` of the 409 answer. */
export type ReviewBlocker =
  | "order_cancelled"
  | "order_not_completed"
  | "review_window_closed"
  | "already_reviewed";

/** Human-readable details of each blocker, as the 409 problem says them. */
export const BLOCKER_DETAILS: Record<ReviewBlocker, string> = {
  order_cancelled: "The order was cancelled; it cannot be reviewed.",
  order_not_completed: "The order can be reviewed once it is completed.",
  review_window_closed: "The time to review this order has passed.",
  already_reviewed: "You have already reviewed this order.",
};

/**
 * The direction a caller reviews in: the buyer reviews the seller and the seller
 * the buyer. `undefined` for anyone else (who must not learn the order exists).
 */
export function directionOf(order: OrderFacts, userId: string): Direction | undefined {
  if (userId === order.buyerId) return "buyer_to_seller";
  if (userId === order.sellerId) return "seller_to_buyer";
  return undefined;
}

/** The user a review in `direction` is about. */
export function revieweeOf(order: OrderFacts, direction: Direction): string {
  return direction === "buyer_to_seller" ? order.sellerId : order.buyerId;
}

/** The last moment an order may be reviewed, or `null` while it is not completed. */
export function reviewableUntil(order: OrderFacts, windowMs: number): Date | null {
  return order.completedAt ? new Date(order.completedAt.getTime() + windowMs) : null;
}

/**
 * Why the order may not be reviewed (by a party who has not reviewed it yet), or
 * `null` when it may. Cancellation wins over completion: orders never does both,
 * and if it ever did, refunded work should not be rated.
 */
export function reviewBlocker(
  order: OrderFacts,
  options: { now: Date; windowMs: number; alreadyReviewed: boolean },
): ReviewBlocker | null {
  if (order.cancelledAt) return "order_cancelled";
  if (!order.completedAt) return "order_not_completed";
  if (options.alreadyReviewed) return "already_reviewed";
  if (options.now > reviewableUntil(order, options.windowMs)!) return "review_window_closed";
  return null;
}

/** Longest comment or reply, in characters. */
export const MAX_TEXT = 2000;

/** A review comment or reply: the kit's multi-line text, trimmed, 1–2000 characters. */
export const reviewText = paragraph(MAX_TEXT);

/** Stars: a whole number from 1 to 5. */
export const rating = z.number({ error: "Must be a whole number from 1 to 5." }).int(
  "Must be a whole number from 1 to 5.",
).min(1, "Must be at least 1.").max(5, "Must be at most 5.");

/** Order ids as orders writes them: letters, digits, `_` and `-` (UUIDs included). */
export const ORDER_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** Usernames as auth allows them; anything else cannot name a user. */
export const USERNAME = /^[A-Za-z][A-Za-z0-9_]{2,29}$/;

/** Ratings as shown: average, count and a count per star. */
export interface RatingSummary {
  /** Mean of the stars rounded half up to two decimals; `null` with no review. */
  average: number | null;
  count: number;
  histogram: { "1": number; "2": number; "3": number; "4": number; "5": number };
}

/**
 * Summarizes counts per star (index 0 = one star). The average is computed in
 * integers, rounding half up on hundredths (4.445 → 4.45), the same rule the
 * users and gigs services apply to their aggregates.
 */
export function summarize(stars: readonly [number, number, number, number, number]): RatingSummary {
  const count = stars.reduce((a, b) => a + b, 0);
  const sum = stars.reduce((total, n, i) => total + n * (i + 1), 0);
  return {
    average: count === 0 ? null : Math.floor((200 * sum + count) / (2 * count)) / 100,
    count,
    histogram: { "1": stars[0], "2": stars[1], "3": stars[2], "4": stars[3], "5": stars[4] },
  };
}
