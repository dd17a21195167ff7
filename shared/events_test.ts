import assert from "node:assert/strict";
import { EventBus, type EventEnvelope } from "./bus.ts";
import { migrate } from "./db.ts";
import { handleOnce, inboxMigration, parseEventData } from "./inbox.ts";
import { enqueueEvent, outboxMigration, OutboxRelay } from "./outbox.ts";
import { freshDatabase, quietLogger, testBus, waitFor } from "./testing/mod.ts";
import { z } from "zod";
import { Buffer } from "node:buffer";
import amqp from "amqplib";

const emptyDir = new URL("./testing/no_migrations/", import.meta.url);

Deno.test("outbox → broker → inbox delivers once, dead-letters poison and keeps flowing", async () => {
  await Deno.mkdir(emptyDir, { recursive: true });
  const db = await freshDatabase("events");
  const broker = testBus("events");
  const log = quietLogger();
  await migrate(db.sql, emptyDir, [outboxMigration, inboxMigration]);
  await db.sql`create table effects (event_id uuid, value text)`;

  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "pub",
    log,
  });
  const consumer = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "sub",
    log,
    retryDelayMs: 10,
    maxDeliveries: 3,
  });
  await publisher.start();
  await consumer.start();
  const relay = new OutboxRelay({ sql: db.sql, bus: publisher, log, pollMs: 100 });
  const seen: EventEnvelope[] = [];
  let failOnce = true;
  await consumer.consume({
    "thing.happened": async (envelope) => {
      seen.push(envelope);
      const data = parseEventData(z.object({ value: z.string() }), envelope);
      if (data.value === "flaky" && failOnce) {
        failOnce = false;
        throw new Error("transient");
      }
      await handleOnce(db.sql, envelope, async (tx) => {
        await tx`insert into effects values (${envelope.id}, ${data.value})`;
      });
    },
  });
  try {
    await relay.start();
    const first = await db.sql.begin((tx) => enqueueEvent(tx, "thing.happened", { value: "a" }));
    await waitFor(async () =>
      (await db.sql`select 1 from effects where event_id = ${first.id}`).length === 1
    );

    // The same event published again (as after a relay crash) has no second effect.
    await publisher.publish([{ envelope: first, headers: {} }]);
    // A poison message (data of the wrong shape) goes to the DLQ, and the queue keeps flowing.
    await db.sql.begin((tx) => enqueueEvent(tx, "thing.happened", { value: 42 }));
    // A transient failure is retried and then succeeds.
    const flaky = await db.sql.begin((tx) =>
      enqueueEvent(tx, "thing.happened", { value: "flaky" })
    );
    const last = await db.sql.begin((tx) => enqueueEvent(tx, "thing.happened", { value: "b" }));
    await waitFor(async () =>
      (await db.sql`select 1 from effects where event_id = ${last.id}`).length === 1
    );
    await waitFor(async () =>
      (await db.sql`select 1 from effects where event_id = ${flaky.id}`).length === 1
    );
    await waitFor(() => seen.filter((e) => e.id === first.id).length === 2);
    const effects = await db.sql`select value from effects order by value`;
    assert.deepEqual(effects.map((r) => r.value), ["a", "b", "flaky"]);
    await waitFor(async () => (await broker.messageCount(consumer.deadLetterQueue)) === 1, {
      what: "DLQ",
    });
    const [dead] = await broker.drainQueue(consumer.deadLetterQueue);
    assert.equal(JSON.parse(dead.body).data.value, 42);
    // Marked sent in the relay's transaction, which may commit just after the delivery.
    await waitFor(async () => {
      const [unsent] = await db
        .sql`select count(*)::int as n from outbox where published_at is null`;
      return unsent.n === 0;
    }, { what: "every outbox row marked sent" });
  } finally {
    await relay.stop();
    await consumer.close();
    await publisher.close();
    const conn = await amqp.connect(broker.url);
    const ch = await conn.createChannel();
    await ch.deleteQueue(consumer.queue);
    await ch.deleteQueue(consumer.deadLetterQueue);
    await conn.close();
    await broker.cleanup();
    await db.drop();
    await Deno.remove(emptyDir, { recursive: true });
  }
});

Deno.test("a malformed envelope is dead-lettered without reaching a handler", async () => {
  const broker = testBus("malformed");
  const log = quietLogger();
  const consumer = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "sub",
    log,
  });
  await consumer.start();
  let called = 0;
  await consumer.consume({ "x.y": () => Promise.resolve(void called++) });
  const conn = await amqp.connect(broker.url);
  const ch = await conn.createChannel();
  try {
    ch.publish(broker.exchange, "x.y", Buffer.from("{not json"));
    await waitFor(async () => (await broker.messageCount(consumer.deadLetterQueue)) === 1);
    assert.equal(called, 0);
  } finally {
    await consumer.close();
    await ch.deleteQueue(consumer.queue);
    await ch.deleteQueue(consumer.deadLetterQueue);
    await conn.close();
    await broker.cleanup();
  }
});
