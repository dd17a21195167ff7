import assert from "node:assert/strict";
import { averageOf, NO_RATINGS, roleOfReviewee, summarize } from "./ratings.ts";

Deno.test("averageOf() is null without reviews and rounds half up to two decimals", () => {
  assert.equal(averageOf(0, 0), null);
  assert.equal(averageOf(5, 1), 5);
  assert.equal(averageOf(13, 3), 4.33); // 4.333…
  assert.equal(averageOf(14, 3), 4.67); // 4.666…
  assert.equal(averageOf(889, 200), 4.45); // exactly 4.445: half up, where 4.445 * 100 in floats is not
  assert.equal(averageOf(1, 3), 0.33);
});

Deno.test("summarize() gives average, count and a 1–5 histogram keyed by star", () => {
  assert.deepEqual(summarize(NO_RATINGS), {
    average: null,
    count: 0,
    histogram: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 },
  });
  assert.deepEqual(summarize({ count: 4, sum: 16, stars: [1, 0, 0, 0, 3] }), {
    average: 4,
    count: 4,
    histogram: { "1": 1, "2": 0, "3": 0, "4": 0, "5": 3 },
  });
});

Deno.test("roleOfReviewee() rates the seller for buyer_to_seller and the buyer for seller_to_buyer", () => {
  assert.equal(roleOfReviewee("buyer_to_seller"), "seller");
  assert.equal(roleOfReviewee("seller_to_buyer"), "buyer");
});
