/**
 * Rating aggregates as stored (count, sum of stars, a count per star) and as
 * shown (average rounded to two decimals, count, 1–5 histogram).
 */

/** Whose side of an order a rating is about. */
export type RatingRole = "seller" | "buyer";

/** An aggregate as stored; all zero for someone never reviewed. */
export interface RatingCounts {
  count: number;
  sum: number;
  /** Reviews with 1, 2, 3, 4 and 5 stars, in that order. */
  stars: [number, number, number, number, number];
}

/** An aggregate as clients and events see it. */
export interface RatingSummary {
  /** Mean of the stars rounded half up to two decimals; `null` with no review. */
  average: number | null;
  count: number;
  histogram: { "1": number; "2": number; "3": number; "4": number; "5": number };
}

/** The aggregate of someone with no review. */
export const NO_RATINGS: RatingCounts = Object.freeze({
  count: 0,
  sum: 0,
  stars: [0, 0, 0, 0, 0],
}) as RatingCounts;

/** Average of `sum / count` to two decimals, computed in integers so 4.445 rounds to 4.45. */
export function averageOf(sum: number, count: number): number | null {
  if (count === 0) return null;
  // Round half up on hundredths: floor((2·100·sum + count) / (2·count)).
  const hundredths = Math.floor((200 * sum + count) / (2 * count));
  return hundredths / 100;
}

/** Maps stored counts to the shape shown to clients. */
export function summarize(counts: RatingCounts): RatingSummary {
  const [one, two, three, four, five] = counts.stars;
  return {
    average: averageOf(counts.sum, counts.count),
    count: counts.count,
    histogram: { "1": one, "2": two, "3": three, "4": four, "5": five },
  };
}

/** Direction of a review (from the reviews service) → the reviewee's role. */
export function roleOfReviewee(direction: "buyer_to_seller" | "seller_to_buyer"): RatingRole {
  return direction === "buyer_to_seller" ? "seller" : "buyer";
}
