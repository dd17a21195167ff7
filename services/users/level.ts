/**
 * Seller levels, modelled on Fiverr's public criteria (completed orders,
 * earnings, rating) and kept from events: the level is a pure function of a
 * seller's current numbers, evaluated whenever one of them changes. It goes up
 * and down with them (a run of bad reviews can cost a level).
 *
 * | level       | completed orders | earnings (USD) | rating average | reviews as seller |
 * | ----------- | ---------------- | -------------- | -------------- | ----------------- |
 * | `level_1`   | ≥ 10             | ≥ 400          | ≥ 4.4          | ≥ 5               |
 * | `level_2`   | ≥ 50             | ≥ 2,000        | ≥ 4.6          | ≥ 20              |
 * | `top_rated` | ≥ 100            | ≥ 20,000       | ≥ 4.8          | ≥ 50              |
 *
 * Every threshold of a level must be met; otherwise the seller is `new`.
 *
 * Deliberate simplifications, documented in the README:
 * - Earnings are what the seller earned (`order.completed`'s `sellerEarnings`, after
 *   the platform's commission; `price` where absent), kept in the currency they were
 *   paid in (minor units per currency); the thresholds use USD earnings only, so no
 *   exchange rate is involved.
 * - Fiverr also asks for days as a seller and response rates. We have no
 *   response data, and a time criterion would need a scheduled re-evaluation
 *   (nothing else changes a level but events), so neither is used.
 * - The rating average is compared exactly (integer arithmetic on the sum of
 *   stars), not after rounding to two decimals for display.
 */

/** The levels, lowest first. */
export const SELLER_LEVELS = ["new", "level_1", "level_2", "top_rated"] as const;

/** A seller's level. */
export type SellerLevel = typeof SELLER_LEVELS[number];

/** What a seller must reach for a level. */
export interface LevelCriteria {
  minCompletedOrders: number;
  /** USD minor units (cents). */
  minUsdEarnings: number;
  /** Hundredths of a star: 440 means an average of at least 4.40. */
  minAverageHundredths: number;
  minReviews: number;
}

/** The thresholds of each level above `new`. */
export const LEVEL_CRITERIA: Readonly<Record<Exclude<SellerLevel, "new">, LevelCriteria>> = {
  level_1: {
    minCompletedOrders: 10,
    minUsdEarnings: 400_00,
    minAverageHundredths: 440,
    minReviews: 5,
  },
  level_2: {
    minCompletedOrders: 50,
    minUsdEarnings: 2_000_00,
    minAverageHundredths: 460,
    minReviews: 20,
  },
  top_rated: {
    minCompletedOrders: 100,
    minUsdEarnings: 20_000_00,
    minAverageHundredths: 480,
    minReviews: 50,
  },
};

/** The numbers a level is decided from. */
export interface SellerNumbers {
  completedOrders: number;
  /** Earnings from orders paid in USD, in cents. */
  usdEarnings: number;
  /** Reviews received as a seller. */
  reviews: number;
  /** Sum of their stars (1–5 each). */
  starsSum: number;
}

/** `true` when `numbers` meet every threshold of `criteria`. */
export function meets(numbers: SellerNumbers, criteria: LevelCriteria): boolean {
  return numbers.completedOrders >= criteria.minCompletedOrders &&
    numbers.usdEarnings >= criteria.minUsdEarnings &&
    numbers.reviews >= criteria.minReviews &&
    // average ≥ min  ⇔  sum / count ≥ min / 100  ⇔  sum · 100 ≥ min · count (count > 0)
    numbers.reviews > 0 &&
    numbers.starsSum * 100 >= criteria.minAverageHundredths * numbers.reviews;
}

/** The highest level whose criteria `numbers` meet. */
export function sellerLevel(numbers: SellerNumbers): SellerLevel {
  for (const level of ["top_rated", "level_2", "level_1"] as const) {
    if (meets(numbers, LEVEL_CRITERIA[level])) return level;
  }
  return "new";
}
