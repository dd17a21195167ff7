/**
 * The queue gauges against a real RabbitMQ: the queues are the real topology
 * `EventBus` declares (a quorum queue and its dead-letter queue), and the
 * gauges are read the way Prometheus reads them, as the registry's text.
 */
import assert from "node:assert/strict";
import { EventBus, PoisonMessageError } from "./bus.ts";
import { registry } from "./metrics.ts";
import { watchQueues } from "./queue_metrics.ts";
import { envelope, freePort, quietLogger, testBus, waitFor } from "./testing/mod.ts";

/** The value of `name{queue="<queue>"}` in the registry's text; undefined when absent. */
async function gauge(name: string, queue: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{queue="${queue}"} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

Deno.test("consumer lag, consumers and dead-letter depth are what the broker holds", async () => {
  const broker = testBus("queue_metrics");
  const log = quietLogger();
  const publisher = new EventBus({ url: broker.url, exchange: broker.exchange, service: "p", log });
  const consumer = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "lagging",
    log,
    retryDelayMs: 1,
  });
  broker.own(consumer.queue, consumer.deadLetterQueue);
  let stop: (() => Promise<void>) | undefined;
  try {
    await publisher.start();
    await consumer.start();
    // Declares the queues and their binding, then stops: nobody consumes.
    let poison = false;
    await consumer.consume({
      "thing.happened": () => {
        if (poison) throw new PoisonMessageError("refused");
        return Promise.resolve();
      },
    });
    await consumer.stopConsuming();
    stop = watchQueues({
      url: broker.url,
      queue: consumer.queue,
      deadLetterQueue: consumer.deadLetterQueue,
    });
    assert.equal(await gauge("events_queue_ready_messages", consumer.queue), 0);
    assert.equal(await gauge("events_dlq_messages", consumer.queue), 0);

    const count = 7;
    await publisher.publish(
      Array.from(
        { length: count },
        () => ({ envelope: envelope("thing.happened", {}), headers: {} }),
      ),
    );
    // Seven messages nobody takes: the lag is seven, with no consumer attached.
    await waitFor(
      async () => (await gauge("events_queue_ready_messages", consumer.queue)) === count,
      {
        what: "lag of 7",
      },
    );
    assert.equal(await gauge("events_queue_consumers", consumer.queue), 0);
    assert.equal(await gauge("events_dlq_messages", consumer.queue), 0);

    // A consumer that refuses every one: the queue empties into the dead-letter queue.
    poison = true;
    await consumer.consume({});
    await waitFor(async () => (await gauge("events_dlq_messages", consumer.queue)) === count, {
      what: "7 dead letters",
    });
    assert.equal(await gauge("events_queue_ready_messages", consumer.queue), 0);
    assert.equal(await gauge("events_queue_consumers", consumer.queue), 1);
    // The gauge agrees with the broker asked directly.
    assert.equal(await broker.messageCount(consumer.deadLetterQueue), count);
  } finally {
    await stop?.();
    await consumer.close();
    await publisher.close();
    await broker.cleanup();
  }
});

Deno.test("a queue the broker does not know reads NaN for that scrape, and other queues still read; a stopped watch leaves the gauges", async () => {
  const broker = testBus("queue_metrics_missing");
  const log = quietLogger();
  const consumer = new EventBus({ url: broker.url, exchange: broker.exchange, service: "c", log });
  broker.own(consumer.queue, consumer.deadLetterQueue);
  const missing = `${broker.exchange}.nobody`;
  const stops: (() => Promise<void>)[] = [];
  try {
    await consumer.start();
    await consumer.consume({ "thing.happened": () => Promise.resolve() });
    stops.push(watchQueues({ url: broker.url, queue: missing, deadLetterQueue: `${missing}.dlq` }));
    const stopKnown = watchQueues({
      url: broker.url,
      queue: consumer.queue,
      deadLetterQueue: consumer.deadLetterQueue,
    });
    stops.push(stopKnown);
    // Twice: the 404 closed the probe's channel, and the next scrape opens another.
    for (let i = 0; i < 2; i++) {
      assert.ok(Number.isNaN(await gauge("events_queue_ready_messages", missing)));
      assert.ok(Number.isNaN(await gauge("events_dlq_messages", missing)));
      assert.equal(await gauge("events_queue_ready_messages", consumer.queue), 0);
      assert.equal(await gauge("events_queue_consumers", consumer.queue), 1);
    }
    await stopKnown();
    assert.equal(await gauge("events_queue_ready_messages", consumer.queue), undefined);
    assert.equal(await gauge("events_dlq_messages", consumer.queue), undefined);
  } finally {
    for (const stop of stops) await stop();
    await consumer.close();
    await broker.cleanup();
  }
});

Deno.test("a broker that does not answer reads NaN, never a reassuring 0", async () => {
  // A port nothing listens on: the connect is refused at each scrape.
  const url = `amqp://guest:guest@127.0.0.1:${freePort()}`;
  const queue = `nowhere.${crypto.randomUUID().slice(0, 8)}`;
  const stop = watchQueues({ url, queue, deadLetterQueue: `${queue}.dlq` });
  try {
    for (let i = 0; i < 2; i++) {
      assert.ok(Number.isNaN(await gauge("events_queue_ready_messages", queue)));
      assert.ok(Number.isNaN(await gauge("events_queue_consumers", queue)));
      assert.ok(Number.isNaN(await gauge("events_dlq_messages", queue)));
    }
  } finally {
    await stop();
  }
});
