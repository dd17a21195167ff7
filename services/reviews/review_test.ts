import assert from "node:assert/strict";
import {
  directionOf,
  type OrderFacts,
  reviewableUntil,
  reviewBlocker,
  revieweeOf,
  reviewText,
  summarize,
} from "./review.ts";

const DAY = 86_400_000;
const completedAt = new Date("2030-01-01T00:00:00Z");
const order = (changes: Partial<OrderFacts> = {}): OrderFacts => ({
  buyerId: "b",
  sellerId: "s",
  completedAt,
  cancelledAt: null,
  ...changes,
});
const at = (ms: number) => new Date(completedAt.getTime() + ms);

Deno.test("directionOf() derives the direction from the caller and knows no third party", () => {
  assert.equal(directionOf(order(), "b"), "buyer_to_seller");
  assert.equal(directionOf(order(), "s"), "seller_to_buyer");
  assert.equal(directionOf(order(), "x"), undefined);
  assert.equal(revieweeOf(order(), "buyer_to_seller"), "s");
  assert.equal(revieweeOf(order(), "seller_to_buyer"), "b");
});

Deno.test("reviewBlocker() allows a completed order until the window ends, inclusive", () => {
  const options = { windowMs: 30 * DAY, alreadyReviewed: false };
  assert.equal(reviewBlocker(order(), { ...options, now: at(0) }), null);
  assert.equal(reviewBlocker(order(), { ...options, now: at(30 * DAY) }), null);
  assert.equal(
    reviewBlocker(order(), { ...options, now: at(30 * DAY + 1) }),
    "review_window_closed",
  );
  assert.deepEqual(reviewableUntil(order(), 30 * DAY), at(30 * DAY));
  assert.equal(reviewableUntil(order({ completedAt: null }), 30 * DAY), null);
});

Deno.test("reviewBlocker() puts cancellation first, then completion, then a review already written", () => {
  const now = at(DAY);
  const late = at(99 * DAY);
  const windowMs = 30 * DAY;
  assert.equal(
    reviewBlocker(order({ cancelledAt: now }), { now, windowMs, alreadyReviewed: true }),
    "order_cancelled",
  );
  assert.equal(
    reviewBlocker(order({ completedAt: null, cancelledAt: now }), {
      now,
      windowMs,
      alreadyReviewed: false,
    }),
    "order_cancelled",
  );
  assert.equal(
    reviewBlocker(order({ completedAt: null }), { now, windowMs, alreadyReviewed: false }),
    "order_not_completed",
  );
  // Saying "already reviewed" is more useful than "too late" to someone who did review.
  assert.equal(
    reviewBlocker(order(), { now: late, windowMs, alreadyReviewed: true }),
    "already_reviewed",
  );
});

Deno.test("reviewText trims, needs 1–2000 characters and refuses control characters and lone surrogates", () => {
  assert.equal(reviewText.parse("  Fast and friendly.\n"), "Fast and friendly.");
  assert.equal(reviewText.parse("Line one\n\tLine two"), "Line one\n\tLine two");
  assert.equal(reviewText.parse("é".repeat(2000)).length, 2000);
  assert.equal(reviewText.parse("👍 great"), "👍 great");
  for (
    const bad of ["", "   \n ", "x".repeat(2001), "nul\u0000byte", "bell\u0007", "\ud800 lone"]
  ) {
    assert.equal(reviewText.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

Deno.test("summarize() counts per star and rounds the average half up to two decimals", () => {
  assert.deepEqual(summarize([0, 0, 0, 0, 0]), {
    average: null,
    count: 0,
    histogram: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 },
  });
  assert.deepEqual(summarize([1, 0, 0, 1, 2]), {
    average: 3.75,
    count: 4,
    histogram: { "1": 1, "2": 0, "3": 0, "4": 1, "5": 2 },
  });
  // 2·4 + 1·5 = 13 / 3 = 4.333… → 4.33; 1 + 2 + 5 = 8 / 3 = 2.666… → 2.67.
  assert.equal(summarize([0, 0, 0, 2, 1]).average, 4.33);
  assert.equal(summarize([1, 1, 0, 0, 1]).average, 2.67);
  // 89 fours and 111 fives average exactly 4.555: half up gives 4.56, where rounding the
  // binary float (455.49999…) would give 4.55.
  assert.equal(summarize([0, 0, 0, 89, 111]).average, 4.56);
});
