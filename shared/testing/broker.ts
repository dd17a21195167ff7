import amqp from "amqplib";

/** A unique exchange name for one suite, and a cleanup that deletes what it made. */
export interface TestBus {
  url: string;
  exchange: string;
  /** Messages waiting in a queue of this exchange (e.g. a dead-letter queue). */
  messageCount(queue: string): Promise<number>;
  /** Reads (and acks) every message waiting in a queue. */
  drainQueue(
    queue: string,
  ): Promise<{ routingKey: string; body: string; headers: Record<string, unknown> }[]>;
  /** Names queues a consumer of this suite declared, for `cleanup()` to delete. */
  own(...queues: string[]): void;
  /** Deletes the queues named by `own()` and the exchanges. */
  cleanup(): Promise<void>;
}

/** Deletes queues a suite created on the broker at `url`. */
export async function deleteQueues(url: string, queues: string[]): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Uses `AMQP_URL` (default guest@127.0.0.1:5672) with a fresh exchange name. */
export function testBus(prefix: string): TestBus {
  const url = Deno.env.get("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672";
  const exchange = `test.${prefix}.${crypto.randomUUID().slice(0, 8)}`;
  const owned = new Set<string>();
  const withChannel = async <T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> => {
    const conn = await amqp.connect(url);
    try {
      return await fn(await conn.createChannel());
    } finally {
      await conn.close().catch(() => {});
    }
  };
  return {
    url,
    exchange,
    messageCount: (queue) => withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount),
    drainQueue: (queue) =>
      withChannel(async (ch) => {
        const out = [];
        for (;;) {
          const message = await ch.get(queue, { noAck: true });
          if (!message) return out;
          out.push({
            routingKey: message.fields.routingKey,
            body: message.content.toString(),
            headers: message.properties.headers ?? {},
          });
        }
      }),
    own: (...queues) => queues.forEach((queue) => owned.add(queue)),
    cleanup: async () => {
      if (owned.size > 0) await deleteQueues(url, [...owned]);
      await withChannel(async (ch) => {
        await ch.deleteExchange(exchange).catch(() => {});
        await ch.deleteExchange(`${exchange}.dlx`).catch(() => {});
      });
    },
  };
}
