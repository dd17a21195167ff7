/** The seed's task pool: bounded, urgent tasks first, growing while it runs, stopping on failure. */
import assert from "node:assert/strict";
import { WorkQueue } from "./seed_pool.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

Deno.test("WorkQueue never runs more than its concurrency at once and runs every task", async () => {
  const queue = new WorkQueue(3);
  let running = 0;
  let peak = 0;
  let done = 0;
  for (let i = 0; i < 20; i++) {
    queue.add(async () => {
      peak = Math.max(peak, ++running);
      await tick();
      running--;
      done++;
    });
  }
  await queue.run();
  assert.equal(done, 20);
  assert.equal(peak, 3);
});

Deno.test("WorkQueue runs tasks added by running tasks, urgent ones before the rest", async () => {
  const queue = new WorkQueue(1);
  const order: string[] = [];
  const record = (name: string) => () => {
    order.push(name);
    return Promise.resolve();
  };
  queue.add(async () => {
    order.push("seller");
    await tick();
    queue.add(record("gig 1"), true);
    queue.add(record("gig 2"), true);
  });
  queue.add(record("buyer"));
  await queue.run();
  assert.deepEqual(order, ["seller", "gig 1", "gig 2", "buyer"]);
});

Deno.test("WorkQueue stops at the first failure: no new task starts, run() rejects with it", async () => {
  const queue = new WorkQueue(2);
  let started = 0;
  queue.add(async () => {
    started++;
    await tick();
    throw new Error("boom");
  });
  for (let i = 0; i < 10; i++) {
    queue.add(async () => {
      started++;
      await tick();
      await tick();
    });
  }
  await assert.rejects(queue.run(), /boom/);
  assert.ok(started < 11, `${started} tasks started after the failure`);
});

Deno.test("WorkQueue stops when its signal is aborted and rejects with the reason", async () => {
  const stop = new AbortController();
  const queue = new WorkQueue(1, stop.signal);
  let done = 0;
  for (let i = 0; i < 10; i++) {
    queue.add(async () => {
      await tick();
      if (++done === 3) stop.abort(new Error("interrupted"));
    });
  }
  await assert.rejects(queue.run(), /interrupted/);
  assert.equal(done, 3);
});

Deno.test("WorkQueue with nothing to do resolves at once; a bad concurrency is refused", async () => {
  await new WorkQueue(4).run();
  assert.throws(() => new WorkQueue(0), RangeError);
  assert.throws(() => new WorkQueue(1.5), RangeError);
});
