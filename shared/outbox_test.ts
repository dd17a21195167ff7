/**
 * The outbox relay against real PostgreSQL and RabbitMQ: a batch leaves in the
 * order its events were recorded, a batch the broker does not confirm stays
 * unsent (its claim rolls back) for the next try, each row's NOTIFY names its
 * seq, and the running relay, woken only by those notifications, sends every
 * row however they fall (during a batch, several per transaction, unnamed).
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { EventBus } from "./bus.ts";
import { migrate, type Tx } from "./db.ts";
import { enqueueEvent, outboxMigration, OutboxRelay } from "./outbox.ts";
import { freshDatabase, quietLogger, testBus, waitFor } from "./testing/mod.ts";

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

Deno.test("enqueueEvent's NOTIFY names the seq of its row, one per row", async () => {
  const { db, cleanUp } = await setUp("outbox_notify");
  const heard: string[] = [];
  const { unlisten } = await db.sql.listen("outbox", (payload) => heard.push(payload));
  try {
    await db.sql.begin(async (tx) => {
      await enqueueEvent(tx, "thing.happened", { i: 1 });
      await enqueueEvent(tx, "thing.happened", { i: 2 });
    });
    await db.sql.begin((tx) => enqueueEvent(tx, "thing.happened", { i: 3 }));
    const seqs = (await db.sql<{ seq: string }[]>`select seq from outbox order by seq`)
      .map((row) => row.seq);
    assert.equal(seqs.length, 3);
    await waitFor(() => heard.length === 3, { what: "three notifications" });
    assert.deepEqual(heard, seqs);
  } finally {
    await unlisten();
    await cleanUp();
  }
});

Deno.test("the running relay, woken only by NOTIFY, sends rows committed while its batch is in flight: named, several per transaction, unnamed", async () => {
  const { db, broker, cleanUp } = await setUp("outbox_wakes");
  const log = quietLogger();
  const bus = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "outbox_wakes_relay",
    log,
  });
  // A poll far longer than the test may wait: a wake the relay wrongly drops leaves a row behind.
  const relay = new OutboxRelay({ sql: db.sql, bus, log, pollMs: 600_000 });
  const connection = await amqp.connect(broker.url);
  // Every claim takes 0.3 s a row, so a batch is surely in flight when the next rows commit.
  await db.sql.unsafe(`
    create function slow_claim() returns trigger language plpgsql as
      $$ begin perform pg_sleep(0.3); return new; end $$;
    create trigger slow_claim before update on outbox for each row execute function slow_claim();
  `);
  const claiming = async () =>
    (await db.sql`select 1 from pg_stat_activity where datname = current_database()
      and state = 'active' and query like 'update outbox set published_at%'`).length > 0;
  try {
    await bus.start();
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue("", { exclusive: true });
    await channel.bindQueue(queue, broker.exchange, "#");
    const received = new Set<string>();
    await channel.consume(queue, (message) => {
      if (message) received.add(JSON.parse(message.content.toString()).id);
    }, { noAck: true });
    await relay.start();
    const rounds: [string, (tx: Tx) => Promise<string[]>][] = [
      ["one row", async (tx) => [(await enqueueEvent(tx, "thing.happened", { n: 1 })).id]],
      ["two rows in one transaction", async (tx) => [
        (await enqueueEvent(tx, "thing.happened", { n: 1 })).id,
        (await enqueueEvent(tx, "thing.happened", { n: 2 })).id,
      ]],
      ["a row whose writer notifies without naming it", async (tx) => {
        const id = crypto.randomUUID();
        await tx`insert into outbox (id, type, data) values (${id}, 'thing.happened', '{}')`;
        await tx`select pg_notify('outbox', '')`;
        return [id];
      }],
    ];
    for (const [what, write] of rounds) {
      // A row wakes the relay, whose batch claims it (slowly) ...
      const first = await db.sql.begin((tx) => enqueueEvent(tx, "thing.happened", { what }));
      await waitFor(claiming, { what: "the relay's claim in flight" });
      // ... and these commit meanwhile, after the claim looked: its batch cannot take them.
      const later = await db.sql.begin(write);
      await waitFor(() => [first.id, ...later].every((id) => received.has(id)), {
        what: `${what}, committed during a batch, published`,
      });
    }
    const unsent = await db.sql`select seq from outbox where published_at is null`;
    assert.equal(unsent.length, 0);
  } finally {
    await relay.stop();
    await connection.close().catch(() => {});
    await bus.close().catch(() => {});
    await cleanUp();
  }
});
