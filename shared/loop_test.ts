import assert from "node:assert/strict";
import { PollingLoop, type TickResult } from "./loop.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loop whose ticks answer from `script` (then `idle`), recording when each ran. */
function scripted(script: (TickResult | Error)[], options: Partial<{
  intervalMs: number;
  firstDelayMs: number;
  failureBackoff: { initialMs: number; maxMs: number; jitter: number };
}> = {}) {
  const ticks: number[] = [];
  const errors: number[] = [];
  const started = performance.now();
  const loop = new PollingLoop({
    tick: () => {
      ticks.push(performance.now() - started);
      const next = script.shift() ?? "idle";
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    intervalMs: options.intervalMs ?? 60_000,
    firstDelayMs: options.firstDelayMs,
    failureBackoff: options.failureBackoff,
    onError: (_error, failures) => void errors.push(failures),
  });
  return { loop, ticks, errors };
}

Deno.test("PollingLoop runs busy ticks back to back, then waits the interval after an idle one", async () => {
  const { loop, ticks } = scripted(["busy", "busy", "busy", "idle"]);
  loop.start();
  await sleep(200);
  assert.equal(ticks.length, 4, "three busy ticks, the idle one, then a wait of a minute");
  await loop.stop();
});

Deno.test("PollingLoop.wake() ends the wait at once", async () => {
  const { loop, ticks } = scripted([]);
  loop.start();
  await sleep(50);
  assert.equal(ticks.length, 1);
  loop.wake();
  await sleep(50);
  assert.equal(ticks.length, 2);
  await loop.stop();
});

Deno.test("PollingLoop: a wake during an idle tick runs the next tick at once, during a pause tick it does not", async () => {
  for (const result of ["idle", "pause"] as const) {
    let loop: PollingLoop | undefined = undefined;
    let ticks = 0;
    loop = new PollingLoop({
      tick: () => {
        ticks++;
        if (ticks === 1) loop!.wake(); // news arrives while the tick looks
        return Promise.resolve(ticks === 1 ? result : "idle");
      },
      intervalMs: 60_000,
      onError: () => {},
    });
    loop.start();
    await sleep(100);
    assert.equal(ticks, result === "idle" ? 2 : 1, result);
    await loop.stop();
  }
});

Deno.test("PollingLoop backs off after failures, counts them for onError, and starts over after a success", async () => {
  const boom = new Error("database down");
  const { loop, ticks, errors } = scripted([boom, boom, boom, "busy", boom], {
    failureBackoff: { initialMs: 40, maxMs: 1_000, jitter: 0 },
  });
  loop.start();
  await sleep(800);
  await loop.stop();
  assert.deepEqual(errors, [1, 2, 3, 1]);
  assert.equal(
    ticks.length,
    6,
    "failures, the busy tick, a failure, then one idle tick after 40 ms",
  );
  const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
  // 40, 80, 160 ms after the three failures; a busy tick goes again at once.
  assert.ok(gaps[0] >= 35 && gaps[1] >= 75 && gaps[2] >= 155, `gaps ${gaps}`);
  assert.ok(gaps[1] > gaps[0] && gaps[2] > gaps[1], `gaps ${gaps}`);
});

Deno.test("PollingLoop without a failure backoff waits the interval after a failure", async () => {
  const { loop, ticks, errors } = scripted([new Error("x")], { intervalMs: 60_000 });
  loop.start();
  await sleep(100);
  assert.deepEqual(errors, [1]);
  assert.equal(ticks.length, 1);
  await loop.stop();
});

Deno.test("PollingLoop waits firstDelayMs before its first tick", async () => {
  const { loop, ticks } = scripted([], { firstDelayMs: 60_000 });
  loop.start();
  await sleep(100);
  assert.equal(ticks.length, 0);
  await loop.stop(); // ends the first wait too; no timer is left behind
  assert.equal(ticks.length, 0);
});

Deno.test("PollingLoop.stop() aborts the tick's signal and resolves once that tick is over", async () => {
  let finished = false;
  let sawAbort = false;
  const loop = new PollingLoop({
    tick: async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
      sawAbort = signal.aborted;
      await sleep(30);
      finished = true;
      return "busy";
    },
    intervalMs: 1_000,
    onError: () => {},
  });
  loop.start();
  assert.equal(loop.running, true);
  await sleep(20);
  await loop.stop();
  assert.equal(sawAbort, true);
  assert.equal(finished, true, "stop() waited for the tick in progress");
  assert.equal(loop.running, false);
});

Deno.test("PollingLoop can start again after stop()", async () => {
  const { loop, ticks } = scripted([]);
  loop.start();
  loop.start(); // a second start while running is a no-op
  await sleep(30);
  await loop.stop();
  loop.start();
  await sleep(30);
  await loop.stop();
  assert.equal(ticks.length, 2);
});
