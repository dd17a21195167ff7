import assert from "node:assert/strict";
import { percentile, summarize } from "./stats.ts";

Deno.test("percentile() is the nearest rank over every sample", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(hundred, 50), 50);
  assert.equal(percentile(hundred, 99), 99);
  assert.equal(percentile(hundred, 100), 100);
  assert.equal(percentile([7], 99), 7);
  // One slow sample in a hundred is the p100, not smoothed into the p99.
  assert.equal(percentile([...Array(99).fill(1), 500], 99), 1);
  assert.equal(percentile([...Array(98).fill(1), 500, 500], 99), 500);
});

Deno.test("percentile() is NaN without samples and refuses a percentile outside (0, 100]", () => {
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 0), RangeError);
  assert.throws(() => percentile([1], 101), RangeError);
});

Deno.test("summarize() sorts numerically and leaves its input alone", () => {
  const samples = [10, 9, 100, 2];
  const summary = summarize(samples);
  assert.deepEqual(samples, [10, 9, 100, 2]);
  assert.equal(summary.p50, 9);
  assert.equal(summary.max, 100);
  assert.equal(summary.count, 4);
  assert.equal(summary.mean, 30.25);
});
