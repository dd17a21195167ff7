/**
 * The reliable-events pipeline of the shared kit, without the fleet: a
 * producer commits a state change's outbox row (`enqueueEvent`), the
 * `OutboxRelay` publishes it with publisher confirms, and an `EventBus`
 * consumer applies its effect exactly once (`handleOnce`). Measured:
 *
 * - latency from the producer's commit to the consumer's committed effect, at
 *   a fixed rate (open model);
 * - the relay's throughput on a backlog (e.g. after an outage of the broker).
 *
 * Producer and relay share this process (as in a service); the consumer runs
 * in a Worker (event_consumer.ts), so it has its own event loop as a consuming
 * service would.
 */
import amqp from "amqplib";
import { EventBus } from "@mp/shared/bus";
import { connectDb, type Sql } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { enqueueEvent, outboxMigration, OutboxRelay } from "@mp/shared/outbox";
import { freshDatabase, quietLogger } from "@mp/shared/testing";
import { deleteBrokerObjects } from "./fleet.ts";
import { openLoop } from "./load.ts";
import { amqpUrl, describeCpu, measureCpu } from "./machine.ts";
import type { Benchmark } from "./report.ts";
import { ms, num, summarize, type Summary } from "./stats.ts";

const RATE = 500; // events committed per second
const WARMUP_MS = 3_000;
const DURATION_MS = 20_000;
const DRAIN_TIMEOUT_MS = 30_000; // for the last effects after the producer stops
const BACKLOG = 50_000;
const PAYLOAD_BYTES = 200; // padding in each backlog event, about a user.registered
const TARGET_P99_MS = 50;
const TARGET_RATE = 2_000;
const EVENT = "bench.pipeline_ticked";
const BACKLOG_EVENT = "bench.pipeline_backlogged";
const CONSUMER = "bench_consumer";
const BACKLOG_QUEUE_SERVICE = "bench_backlog";

// Wall-clock milliseconds with sub-millisecond resolution, comparable across
// threads once the worker's offset is known (see `clockOffset`).
const now = () => performance.timeOrigin + performance.now();

/** The event-pipeline benchmark. */
export const eventPipeline: Benchmark = {
  name: "event_pipeline",
  title: "outbox → RabbitMQ → inbox: commit-to-effect latency and relay throughput",
  method: `Shared kit only, on a fresh database and a unique exchange. **Latency:** a producer ` +
    `commits one transaction per event with \`enqueueEvent\` at a fixed ${RATE} events/s (open ` +
    `model) for ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s of discarded warm-up; ` +
    `\`OutboxRelay\` (woken by NOTIFY) publishes with publisher confirms to a topic exchange; an ` +
    `\`EventBus\` consumer (quorum queue, manual acks, prefetch 16) in a Worker applies each event ` +
    `with \`handleOnce\` (inbox row + effect row in one transaction). Latency = the effect ` +
    `transaction's commit − the producer transaction's commit, over every measured event. ` +
    `**Throughput:** ${num(BACKLOG)} outbox rows inserted while no relay runs, then a relay ` +
    `started and timed until every row is marked published; the messages land in a bound ` +
    `quorum queue with no consumer (so the broker persists each one, as in production).`,
  async run(context) {
    const id = crypto.randomUUID().slice(0, 8);
    const exchange = `bench.pipeline.${id}`;
    const log = quietLogger("bench-relay");
    const db = await freshDatabase("bench_pipeline");
    // The producer's pool, as a service's request pool (connectDb's default size),
    // and the relay's own one-connection pool, as every service's main.ts has it.
    const sql = connectDb(db.url);
    const relayDb = connectDb(db.url, { max: 1 });
    const bus = new EventBus({ url: amqpUrl(), exchange, service: "bench_relay", log });
    const worker = new Worker(new URL("./event_consumer.ts", import.meta.url), {
      type: "module",
    });
    const consumer = workerChannel(worker);
    let relay: OutboxRelay | undefined;
    try {
      await db.sql.unsafe(outboxMigration.sql);
      await db.sql.unsafe(inboxMigration.sql);
      await db.sql.unsafe(`create table pipeline_effects (
        event_id uuid primary key,
        seq integer not null,
        occurred_at timestamptz not null,
        applied_at timestamptz not null default clock_timestamp())`);
      await bus.start();
      await consumer.call(
        {
          op: "start",
          amqpUrl: amqpUrl(),
          exchange,
          service: CONSUMER,
          type: EVENT,
          databaseUrl: db.url,
        },
        "ready",
      );
      const offset = await clockOffset(consumer);
      relay = new OutboxRelay({ sql: relayDb, bus, log });
      await relay.start();

      // ---- latency ----
      const commits: number[] = [];
      let next = 0;
      const produce = async () => {
        const seq = next++;
        await sql.begin((tx) => enqueueEvent(tx, EVENT, { seq }));
        // When the producer learns of the commit. If this thread is overloaded this
        // runs late, lengthening the producer row and shortening the pipeline latency
        // by as much; with a responsive event loop that is a fraction of a millisecond.
        commits[seq] = now();
        return 200;
      };
      context.log(`latency: ${RATE} events/s, ${WARMUP_MS / 1000} s warm-up`);
      await openLoop({ rate: RATE, durationMs: WARMUP_MS, send: produce });
      const first = next;
      context.log(`latency: measuring for ${DURATION_MS / 1000} s`);
      const meter = await measureCpu();
      const wal = await walMeter(db.sql);
      const producer = await openLoop({ rate: RATE, durationMs: DURATION_MS, send: produce });
      const produced = next;
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      while (
        (await consumer.call({ op: "count" }, "count")).effects < produced &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const latencyCpu = await meter.stop();
      const latencyWal = await wal.stop();
      await relay.stop();
      relay = undefined;
      const { effects } = await consumer.call({ op: "stop" }, "effects") as {
        effects: [number, number, number][];
      };
      const measured = effects.filter(([seq]) => seq >= first && seq < produced);
      const missing = produced - first - measured.length;
      // Stages: commit → the consumer holds the message (relay, broker) → effect committed.
      const latency = summarize(measured.map(([seq, , done]) => done - offset - commits[seq]));
      const delivery = summarize(measured.map(([seq, got]) => got - offset - commits[seq]));
      const apply = summarize(measured.map(([, got, done]) => done - got));
      const commitLatency = summarize(producer.latencies);

      // ---- relay throughput on a backlog ----
      context.log(`throughput: relaying a backlog of ${num(BACKLOG)} events`);
      const backlogQueue = `${exchange}.${BACKLOG_QUEUE_SERVICE}`;
      await declareQueue(exchange, backlogQueue, BACKLOG_EVENT);
      await db.sql`truncate outbox`;
      await db.sql`insert into outbox (id, type, data)
        select gen_random_uuid(), ${BACKLOG_EVENT},
          jsonb_build_object('seq', g, 'padding', repeat('x', ${PAYLOAD_BYTES}))
        from generate_series(1, ${BACKLOG}) g`;
      await db.sql`vacuum analyze outbox`;
      const throughputMeter = await measureCpu();
      const started = now();
      relay = new OutboxRelay({ sql: relayDb, bus, log });
      await relay.start();
      for (;;) {
        const [row] = await db.sql<{ left: string }[]>`
          select count(*) as left from outbox where published_at is null`;
        if (Number(row.left) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const relaySeconds = (now() - started) / 1000;
      const throughputCpu = await throughputMeter.stop();
      await relay.stop();
      relay = undefined;
      const eventsPerSecond = BACKLOG / relaySeconds;
      const inQueue = await queueDepth(backlogQueue, BACKLOG);

      return {
        tables: [
          {
            title: `Commit → effect latency at ${RATE} events/s (ms)`,
            columns: ["stage", "events", "missing", "p50", "p90", "p99", "max"],
            rows: [
              stageRow("commit → effect committed", latency, missing),
              stageRow("commit → consumer has the message (relay + broker)", delivery, missing),
              stageRow("consumer has it → effect committed (handleOnce)", apply, missing),
              stageRow(
                "producer: intended send → commit (not part of the above)",
                commitLatency,
                0,
              ),
            ],
          },
          {
            title: "Relay throughput on a backlog (publisher confirms, batches of 500)",
            columns: ["events", "seconds", "events/s", "messages in the queue after"],
            rows: [[num(BACKLOG), relaySeconds.toFixed(2), num(eventsPerSecond), num(inQueue)]],
          },
        ],
        targets: [
          {
            what: `commit → effect p99 at ${RATE}/s`,
            goal: `≤ ${TARGET_P99_MS} ms`,
            measured: `${ms(latency.p99)} ms`,
            met: latency.p99 <= TARGET_P99_MS && missing === 0,
          },
          {
            what: "relay throughput",
            goal: `≥ ${num(TARGET_RATE)} events/s`,
            measured: `${num(eventsPerSecond)} events/s`,
            met: eventsPerSecond >= TARGET_RATE && inQueue === BACKLOG,
          },
        ],
        notes: [
          `The producer row is its own transaction (intended send → commit), shown so a slow ` +
          `producer is visible; it is not part of the pipeline latency.`,
          `The consumer's clock offset to this thread was calibrated (${ms(offset)} ms, from the ` +
          `fastest of 30 round trips) and subtracted.`,
          `The producer and the relay share one pool of 10 connections, as each service's main.ts ` +
          `wires them; when the producer falls behind, each relay batch waits for a connection ` +
          `behind the producer's queued transactions, so the relay + broker row then follows the ` +
          `producer row.`,
          `"load generator" below is this process: producer, relay and the consumer Worker.`,
          `CPU, latency phase: ${describeCpu(latencyCpu)}.`,
          `PostgreSQL (the whole server: every database, not only this run's) wrote ` +
          `${latencyWal.megabytes} MB of WAL and synced it ${num(latencyWal.syncs)} times ` +
          `during the latency phase. Every stage waits for commits; when the producer's own ` +
          `commit p99 is high, the server's disk (shared with any other work) is the bottleneck.`,
          `CPU, throughput phase: ${describeCpu(throughputCpu)}.`,
        ],
        data: {
          rate: RATE,
          durationMs: DURATION_MS,
          events: produced - first,
          missing,
          latency,
          delivery,
          apply,
          producerCommit: commitLatency,
          clockOffsetMs: offset,
          backlog: BACKLOG,
          relaySeconds,
          eventsPerSecond,
          messagesInQueue: inQueue,
          cpu: { latency: latencyCpu, throughput: throughputCpu },
          walDuringLatencyPhase: latencyWal,
        },
      };
    } finally {
      await relay?.stop().catch(() => {});
      worker.terminate();
      await bus.close();
      await sql.end({ timeout: 5 });
      await relayDb.end({ timeout: 5 });
      await db.drop();
      await deleteBrokerObjects(exchange, [
        `${exchange}.${CONSUMER}`,
        `${exchange}.${BACKLOG_QUEUE_SERVICE}`,
      ]);
    }
  },
};

function stageRow(label: string, summary: Summary, missing: number): string[] {
  return [
    label,
    num(summary.count),
    num(missing),
    ms(summary.p50),
    ms(summary.p90),
    ms(summary.p99),
    ms(summary.max),
  ];
}

interface WorkerChannel {
  // deno-lint-ignore no-explicit-any
  call(message: Record<string, unknown>, reply: string, timeoutMs?: number): Promise<any>;
}

/** Request/reply over a Worker's messages: one outstanding call per reply kind. */
function workerChannel(worker: Worker): WorkerChannel {
  const waiting = new Map<
    string,
    { resolve: (data: unknown) => void; reject: (e: Error) => void }
  >();
  const failAll = (error: Error) => {
    for (const waiter of waiting.values()) waiter.reject(error);
    waiting.clear();
  };
  worker.onmessage = (event: MessageEvent<{ op: string; message?: string }>) => {
    if (event.data.op === "error") return failAll(new Error(`consumer: ${event.data.message}`));
    const waiter = waiting.get(event.data.op);
    waiting.delete(event.data.op);
    waiter?.resolve(event.data);
  };
  worker.onerror = (event) => {
    event.preventDefault();
    failAll(new Error(`consumer worker failed: ${event.message}`));
  };
  return {
    call(message, reply, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`consumer did not answer ${message.op} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiting.set(reply, {
          resolve: (data) => {
            clearTimeout(timer);
            resolve(data);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        worker.postMessage(message);
      });
    },
  };
}

/**
 * The worker's clock minus ours (ms): from the round trip with the smallest
 * duration, assuming the worker read its clock halfway through it.
 */
async function clockOffset(consumer: WorkerChannel): Promise<number> {
  let best = { roundTrip: Infinity, offset: 0 };
  for (let i = 0; i < 30; i++) {
    const sent = now();
    const { now: theirs } = await consumer.call({ op: "clock" }, "clock");
    const back = now();
    if (back - sent < best.roundTrip) {
      best = { roundTrip: back - sent, offset: theirs - (sent + back) / 2 };
    }
  }
  return best.offset;
}

/** WAL written and synced by the whole PostgreSQL server from now until `stop()`. */
async function walMeter(sql: Sql) {
  const read = async () => {
    const [row] = await sql<{ bytes: string; syncs: string }[]>`
      select wal_bytes::text as bytes, wal_sync::text as syncs from pg_stat_wal`;
    return { bytes: Number(row.bytes), syncs: Number(row.syncs) };
  };
  const before = await read();
  return {
    async stop() {
      const after = await read();
      return {
        megabytes: Math.round((after.bytes - before.bytes) / 1e5) / 10,
        syncs: after.syncs - before.syncs,
      };
    },
  };
}

/** A queue like every service's (bus.ts): durable quorum queue bound to `type`. */
async function declareQueue(exchange: string, queue: string, type: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, "topic", { durable: true });
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { "x-queue-type": "quorum", "x-overflow": "reject-publish" },
    });
    await channel.bindQueue(queue, exchange, type);
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Messages ready in `queue`, waiting up to 5 s for the count to reach `expected`. */
async function queueDepth(queue: string, expected: number): Promise<number> {
  const connection = await amqp.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    const deadline = Date.now() + 5_000;
    let count = 0;
    do {
      count = (await channel.checkQueue(queue)).messageCount;
      if (count >= expected) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < deadline);
    return count;
  } finally {
    await connection.close().catch(() => {});
  }
}
