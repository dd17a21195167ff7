import assert from "node:assert/strict";
import { backoffDelay, type BackoffPolicy, LOOP_FAILURE_BACKOFF } from "./backoff.ts";

const policy: BackoffPolicy = { initialMs: 100, maxMs: 1_000, jitter: 0.5 };

Deno.test("backoffDelay() doubles from initialMs per attempt up to maxMs", () => {
  const top = [0, 1, 2, 3, 4, 10, 500].map((n) => backoffDelay(policy, n, 1));
  assert.deepEqual(top, [100, 200, 400, 800, 1_000, 1_000, 1_000]);
});

Deno.test("backoffDelay() takes at most the jitter fraction off, at random", () => {
  assert.deepEqual([0, 1, 4].map((n) => backoffDelay(policy, n, 0)), [50, 100, 500]);
  assert.equal(backoffDelay({ ...policy, jitter: 1 }, 2, 0), 0);
  assert.equal(backoffDelay({ ...policy, jitter: 0 }, 2, 0.3), 400);
  for (let i = 0; i < 200; i++) {
    const delay = backoffDelay(policy, 3);
    assert.ok(delay >= 400 && delay <= 800, `${delay} outside [400, 800]`);
  }
  // Jitter spreads the delays: 200 draws are not all one value.
  const draws = new Set(Array.from({ length: 200 }, () => backoffDelay(policy, 3)));
  assert.ok(draws.size > 100);
});

Deno.test("backoffDelay() treats a negative attempt as the first and has no cap with maxMs Infinity", () => {
  assert.equal(backoffDelay(policy, -3, 1), 100);
  assert.equal(backoffDelay({ initialMs: 50, maxMs: Infinity, jitter: 0 }, 5), 1_600);
});

Deno.test("LOOP_FAILURE_BACKOFF waits 0.2–0.4 s after a first failure, never more than 5 s", () => {
  assert.equal(backoffDelay(LOOP_FAILURE_BACKOFF, 0, 0), 200);
  assert.equal(backoffDelay(LOOP_FAILURE_BACKOFF, 0, 1), 400);
  assert.equal(backoffDelay(LOOP_FAILURE_BACKOFF, 40, 1), 5_000);
});
