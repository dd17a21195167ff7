import assert from "node:assert/strict";
import { closedLoop, openLoop, selectRequests } from "./load.ts";

Deno.test("openLoop() sends every request on schedule without waiting for earlier answers", async () => {
  const total = 10;
  let sent = 0;
  let release!: () => void;
  const answers = new Promise<void>((resolve) => release = resolve);
  // A closed loop would wait for the first answer forever; the safety timer
  // only keeps such a regression from hanging the test.
  const safety = setTimeout(release, 5_000);
  const result = await openLoop({
    rate: 200,
    durationMs: (total * 1000) / 200,
    send: async () => {
      if (++sent === total) release();
      await answers;
      return 200;
    },
  });
  clearTimeout(safety);
  assert.equal(result.sent, total);
  assert.equal(sent, total);
  assert.deepEqual(result.outcomes, Array(total).fill(200));
});

Deno.test("closedLoop() and openLoop() record a thrown error by name, not as a success", async () => {
  const failing = () => Promise.reject(new TypeError("connection refused"));
  const open = await openLoop({ rate: 100, durationMs: 30, send: failing });
  assert.ok(open.outcomes.every((o) => o === "TypeError"));
  const closed = await closedLoop({ concurrency: 2, durationMs: 10, send: failing });
  assert.ok(closed.sent > 0);
  assert.ok(closed.outcomes.every((o) => o === "TypeError"));
});

Deno.test("selectRequests() keeps one path of an interleaved run with its own latencies", () => {
  const both = {
    sent: 4,
    elapsedMs: 10,
    latencies: [1, 2, 3, 4],
    outcomes: [200, 503, 200, 200],
    lags: [0.1, 0.2, 0.3, 0.4],
  };
  const even = selectRequests(both, (i) => i % 2 === 0);
  assert.deepEqual(even, {
    sent: 2,
    elapsedMs: 10,
    latencies: [1, 3],
    outcomes: [200, 200],
    lags: [0.1, 0.3],
  });
  assert.deepEqual(selectRequests(both, (i) => i % 2 === 1).outcomes, [503, 200]);
});
