import assert from "node:assert/strict";
import { LEVEL_CRITERIA, type LevelCriteria, sellerLevel, type SellerNumbers } from "./level.ts";

/** Numbers exactly at a level's thresholds, the average exactly at its minimum. */
function atThreshold(criteria: LevelCriteria): SellerNumbers {
  return {
    completedOrders: criteria.minCompletedOrders,
    usdEarnings: criteria.minUsdEarnings,
    reviews: criteria.minReviews,
    // minReviews · minAverage / 100 stars is an integer for every level we define.
    starsSum: criteria.minReviews * criteria.minAverageHundredths / 100,
  };
}

const below = (numbers: SellerNumbers, key: keyof SellerNumbers): SellerNumbers => ({
  ...numbers,
  [key]: numbers[key] - 1,
});

Deno.test("sellerLevel() is new with no orders, earnings or reviews", () => {
  assert.equal(sellerLevel({ completedOrders: 0, usdEarnings: 0, reviews: 0, starsSum: 0 }), "new");
});

Deno.test("sellerLevel() reaches each level exactly at its thresholds", () => {
  for (const level of ["level_1", "level_2", "top_rated"] as const) {
    const numbers = atThreshold(LEVEL_CRITERIA[level]);
    assert.ok(Number.isInteger(numbers.starsSum), level);
    assert.equal(sellerLevel(numbers), level);
  }
});

Deno.test("sellerLevel() falls to the level below when any one threshold is missed by the smallest step", () => {
  const expectations = [
    ["level_1", "new"],
    ["level_2", "level_1"],
    ["top_rated", "level_2"],
  ] as const;
  for (const [level, lower] of expectations) {
    const numbers = atThreshold(LEVEL_CRITERIA[level]);
    // One order, one cent or one star short, or one review short at a perfect average.
    assert.equal(sellerLevel(below(numbers, "completedOrders")), lower, `${level} orders`);
    assert.equal(sellerLevel(below(numbers, "usdEarnings")), lower, `${level} earnings`);
    assert.equal(sellerLevel(below(numbers, "starsSum")), lower, `${level} average`);
    const fewerReviews = {
      ...numbers,
      reviews: numbers.reviews - 1,
      starsSum: (numbers.reviews - 1) * 5,
    };
    assert.equal(sellerLevel(fewerReviews), lower, `${level} review count`);
  }
});

Deno.test("sellerLevel() compares the average exactly: 4.3999 is not 4.40", () => {
  const base = atThreshold(LEVEL_CRITERIA.level_1);
  // 10 000 reviews summing to 43 999 stars average 4.3999, which would display as 4.40.
  const many = { ...base, reviews: 10_000, starsSum: 43_999 };
  assert.equal(sellerLevel(many), "new");
  assert.equal(sellerLevel({ ...many, starsSum: 44_000 }), "level_1");
});

Deno.test("sellerLevel() takes the highest level met and ignores excess in one criterion", () => {
  const top = atThreshold(LEVEL_CRITERIA.top_rated);
  assert.equal(sellerLevel({ ...top, completedOrders: 10_000 }), "top_rated");
  // Huge earnings do not make up for a level 1 rating.
  const level1Rating = { ...top, usdEarnings: 10 ** 12, starsSum: top.reviews * 44 / 10 };
  assert.equal(sellerLevel(level1Rating), "level_1");
  // A perfect rating from too few reviews counts for nothing.
  assert.equal(sellerLevel({ ...top, reviews: 4, starsSum: 20 }), "new");
});

Deno.test("LEVEL_CRITERIA are nested: each level asks at least what the one below asks", () => {
  const order = [LEVEL_CRITERIA.level_1, LEVEL_CRITERIA.level_2, LEVEL_CRITERIA.top_rated];
  for (let i = 1; i < order.length; i++) {
    for (const key of Object.keys(order[i]) as (keyof LevelCriteria)[]) {
      assert.ok(order[i][key] >= order[i - 1][key], key);
    }
  }
});
