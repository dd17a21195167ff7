import assert from "node:assert/strict";
import { HashGovernor, watchEventLoop } from "./hash_governor.ts";

Deno.test("HashGovernor halves the duty cycle per slow period down to its floor, and steps back up to its cap when calm", () => {
  const governor = new HashGovernor({ maxDuty: 0.4, minDuty: 0.05, lagLimitMs: 10 });
  assert.equal(governor.duty, 0.4);
  governor.observe(11);
  assert.equal(governor.duty, 0.2);
  for (let i = 0; i < 10; i++) governor.observe(500);
  assert.equal(governor.duty, 0.05);
  // A delay at the limit is calm: additive steps, never beyond the cap.
  governor.observe(10);
  assert.ok(Math.abs(governor.duty - 0.1) < 1e-9, String(governor.duty));
  for (let i = 0; i < 20; i++) governor.observe(0);
  assert.equal(governor.duty, 0.4);
});

Deno.test("HashGovernor's rest after a hash keeps busy ÷ (busy + rest) at the duty cycle, up to its longest rest", () => {
  const governor = new HashGovernor({ maxDuty: 0.25 });
  assert.equal(governor.restMs(50), 150);
  governor.observe(1_000); // throttled to 0.125: the same hash now owes a longer rest
  assert.equal(governor.restMs(50), 350);
  assert.equal(new HashGovernor({ maxDuty: 1 }).restMs(50), 0);
  // A hash that took seconds (a starved machine) owes at most maxRestMs.
  assert.equal(governor.restMs(5_000), 1_000);
});

Deno.test("HashGovernor refuses duty cycles outside (0, 1]", () => {
  assert.throws(() => new HashGovernor({ maxDuty: 1.5 }), RangeError);
  assert.throws(() => new HashGovernor({ minDuty: 0 }), RangeError);
});

Deno.test("watchEventLoop() reports a period's delay when the loop is blocked", async () => {
  const periods: number[] = [];
  const stop = watchEventLoop(50, (lag) => periods.push(lag));
  try {
    await new Promise((resolve) => setTimeout(resolve, 60));
    const until = performance.now() + 150;
    while (performance.now() < until) { /* the rest of the process, busy */ }
    while (periods.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(Math.max(...periods) >= 100, String(periods));
  } finally {
    stop();
  }
});
