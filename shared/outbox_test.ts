/**
 * The outbox relay against real PostgreSQL and RabbitMQ: a batch leaves in the
 * order its events were recorded, and a batch the broker does not confirm stays
 * unsent (its claim rolls back) for the next try.
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { EventBus } from "./bus.ts";
import { migrate } from "./db.ts";
import { enqueueEvent, outboxMigration, OutboxRelay } from "./outbox.ts";
import { freshDatabase, quietLogger, testBus } from "./testing/mod.ts";

const emptyDir = new URL("./testing/no_migrations_outbox/", import.meta.url);

async function setUp(name: string) {
  await Deno.mkdir(emptyDir, { recursive: true });
  const db = await freshDatabase(name);
  await migrate(db.sql, emptyDir, [outboxMigration]);
  const broker = testBus(name);
  const log = quietLogger();
  const bus = new EventBus({ url: broker.url, exchange: broker.exchange, service: name, log });
  await bus.start();
  const relay = new OutboxRelay({ sql: db.sql, bus, log });
  const unsent = async () =>
    (await db.sql`select count(*)::int as n from outbox where published_at is null`)[0].n;
  const cleanUp = async () => {
    await bus.close().catch(() => {});
    await broker.cleanup();
    await db.drop();
    await Deno.remove(emptyDir, { recursive: true }).catch(() => {});
  };
  return { db, broker, relay, unsent, cleanUp };
}

Deno.test("a batch leaves in the order its events were recorded, all marked sent", async () => {
  const { db, broker, relay, unsent, cleanUp } = await setUp("outbox_order");
  const connection = await amqp.connect(broker.url);
  try {
    // A queue of the test's own sees everything the relay publishes.
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    await channel.bindQueue(queue, broker.exchange, "#");
    // 120 events: sequence numbers cross from two digits to three, where a text sort errs.
    const recorded: string[] = [];
    for (let i = 0; i < 120; i++) {
      const envelope = await db.sql.begin((tx) => enqueueEvent(tx, "thing.happened", { i }));
      recorded.push(envelope.id);
    }
    assert.equal(await relay.relayOnce(), 120);
    assert.equal(await unsent(), 0);
    const received: string[] = [];
    while (received.length < 120) {
      const message = await channel.get(queue, { noAck: true });
      if (message) received.push(JSON.parse(message.content.toString()).id);
    }
    assert.deepEqual(received, recorded);
    assert.equal(await relay.relayOnce(), 0, "nothing is sent twice");
  } finally {
    await connection.close().catch(() => {});
    await cleanUp();
  }
});

Deno.test("a batch the broker refuses stays unsent for the next try", async () => {
  const { db, broker, relay, unsent, cleanUp } = await setUp("outbox_refused");
  try {
    for (let i = 0; i < 3; i++) {
      await db.sql.begin((tx) => enqueueEvent(tx, "thing.happened", { i }));
    }
    // Publishing to an exchange that no longer exists closes the channel: no confirm.
    const connection = await amqp.connect(broker.url);
    await (await connection.createChannel()).deleteExchange(broker.exchange);
    await connection.close();
    await assert.rejects(relay.relayOnce());
    assert.equal(await unsent(), 3);
  } finally {
    await cleanUp();
  }
});
