/**
 * The consuming side of the event_pipeline benchmark, run as a Worker so it
 * has its own event loop, as a consuming service's process would: an EventBus
 * consumer whose handler applies its effect with `handleOnce` (inbox row and
 * effect row in one transaction), then notes when that transaction committed.
 *
 * Messages in: `{ op: "start", amqpUrl, exchange, service, type, databaseUrl }`, `{ op: "clock" }`,
 * `{ op: "count" }`, `{ op: "stop" }`. Out: `{ op: "ready" }`,
 * `{ op: "clock", now }`, `{ op: "count", effects }`,
 * `{ op: "effects", effects: [seq, received, committed][] }` (then it closes), `{ op: "error", message }`.
 * Times are `performance.timeOrigin + performance.now()` of this worker.
 */
import { EventBus } from "@mp/shared/bus";
import { connectDb, type Sql } from "@mp/shared/db";
import { handleOnce } from "@mp/shared/inbox";
import { quietLogger } from "@mp/shared/testing";

// The worker global, typed by hand: a `lib="deno.worker"` reference would leak
// worker typings into every module type-checked together with this one.
const worker = self as unknown as {
  onmessage: ((event: MessageEvent<Command>) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
};

type Command =
  | {
    op: "start";
    amqpUrl: string;
    exchange: string;
    /** Names the queue, `<exchange>.<service>`. */
    service: string;
    /** The event type to consume; its data carries `seq`. */
    type: string;
    databaseUrl: string;
  }
  | { op: "clock" }
  | { op: "count" }
  | { op: "stop" };

const now = () => performance.timeOrigin + performance.now();
// [seq, when the handler got the message, when its effect transaction committed]
const effects: [number, number, number][] = [];
let bus: EventBus | undefined;
let sql: Sql | undefined;

async function start(command: Extract<Command, { op: "start" }>) {
  const db = connectDb(command.databaseUrl);
  sql = db;
  bus = new EventBus({
    url: command.amqpUrl,
    exchange: command.exchange,
    service: command.service,
    log: quietLogger("bench-consumer"),
  });
  await bus.start();
  await bus.consume({
    [command.type]: async (envelope) => {
      const received = now();
      const seq = (envelope.data as { seq: number }).seq;
      const applied = await handleOnce(db, envelope, async (tx) => {
        await tx`insert into pipeline_effects (event_id, seq, occurred_at)
          values (${envelope.id}, ${seq}, ${envelope.occurredAt})`;
      });
      if (applied) effects.push([seq, received, now()]);
    },
  });
  worker.postMessage({ op: "ready" });
}

worker.onmessage = async (event: MessageEvent<Command>) => {
  const command = event.data;
  try {
    if (command.op === "start") await start(command);
    else if (command.op === "clock") worker.postMessage({ op: "clock", now: now() });
    else if (command.op === "count") worker.postMessage({ op: "count", effects: effects.length });
    else if (command.op === "stop") {
      await bus?.close();
      await sql?.end({ timeout: 5 });
      worker.postMessage({ op: "effects", effects });
      worker.close();
    }
  } catch (error) {
    worker.postMessage({ op: "error", message: String(error) });
  }
};
