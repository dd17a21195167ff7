/**
 * Consumer lag and dead-letter depth as Prometheus gauges, read from the broker
 * at scrape time (amqplib `checkQueue`, a passive declare that never creates a
 * queue):
 *
 * - `events_queue_ready_messages{queue}`: messages ready in a consuming
 *   service's queue, not yet delivered to it: how far behind it is.
 * - `events_queue_consumers{queue}`: consumers attached to that queue (0: nobody
 *   is consuming, whatever the lag).
 * - `events_dlq_messages{queue}`: messages resting in its dead-letter queue.
 *
 * Why at scrape time rather than on a timer: the reading is as fresh as the
 * scrape, costs nothing when nobody looks, and a broker that does not answer
 * shows as NaN (never a reassuring 0) for that scrape only.
 *
 * Why a connection of its own rather than the bus's channels: a `checkQueue` of
 * a queue the broker does not know closes its channel (404), and that must
 * never take the consumer down with it. The connection is opened at the first
 * scrape and again after any failure.
 *
 * Like the rest of shared/metrics.ts, the gauges are made once when this module
 * loads; `watchQueues` adds a service's queues to them.
 */
import amqp from "amqplib";
import type { Channel, ChannelModel } from "amqplib";
import { Gauge } from "prom-client";
import { registry } from "./metrics.ts";

/** The queues of one consuming service (`EventBus.queue` and `.deadLetterQueue`). */
export interface WatchedQueues {
  /** The broker's URL (AMQP_URL). */
  url: string;
  /** The service's own queue. */
  queue: string;
  /** Its dead-letter queue. */
  deadLetterQueue: string;
}

interface QueueReading {
  queue: string;
  ready: number;
  consumers: number;
  deadLetters: number;
}

/** How long one scrape waits for the broker before reporting NaN. */
export const QUEUE_CHECK_TIMEOUT_MS = 2_000;

class QueueProbe {
  #model?: Promise<ChannelModel>;
  #channel?: Promise<Channel>;
  #closed = false;

  constructor(readonly watched: WatchedQueues) {}

  async read(): Promise<QueueReading> {
    const { queue, deadLetterQueue } = this.watched;
    try {
      const channel = await this.#channelOf();
      const [main, dlq] = await Promise.all([
        channel.checkQueue(queue),
        channel.checkQueue(deadLetterQueue),
      ]);
      return {
        queue,
        ready: main.messageCount,
        consumers: main.consumerCount,
        deadLetters: dlq.messageCount,
      };
    } catch (error) {
      // A 404 closed the channel, or the connection is gone: start afresh next time.
      this.#drop();
      throw error;
    }
  }

  #channelOf(): Promise<Channel> {
    if (this.#closed) return Promise.reject(new Error("queue probe closed"));
    this.#channel ??= (async () => {
      // A broker that does not answer fails the connect (the socket's timeout), so a
      // later scrape tries again instead of waiting on one connect for ever.
      this.#model ??= amqp.connect(this.watched.url, { timeout: QUEUE_CHECK_TIMEOUT_MS }).then(
        (model) => {
          // Without listeners an 'error' event would be thrown; a lost connection
          // is noticed by the next read, which reconnects.
          model.on("error", () => {});
          model.on("close", () => this.#drop());
          return model;
        },
      );
      const channel = await (await this.#model).createChannel();
      channel.on("error", () => {});
      channel.on("close", () => this.#channel = undefined);
      return channel;
    })();
    return this.#channel;
  }

  #drop() {
    const model = this.#model;
    this.#model = undefined;
    this.#channel = undefined;
    model?.then((m) => m.close()).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    const model = this.#model;
    this.#model = undefined;
    this.#channel = undefined;
    await model?.then((m) => m.close()).catch(() => {});
  }
}

const probes = new Set<QueueProbe>();
let reading: Promise<Map<string, QueueReading | undefined>> | undefined;

// The three gauges are collected in parallel at each scrape: they share one reading.
function readAll() {
  reading ??= (async () => {
    const entries = await Promise.all([...probes].map(async (probe) => {
      const value = await withTimeout(probe.read(), QUEUE_CHECK_TIMEOUT_MS).catch(() => undefined);
      return [probe.watched.queue, value] as const;
    }));
    return new Map(entries);
  })().finally(() => reading = undefined);
  return reading;
}

const queueGauge = (name: string, help: string, pick: (r: QueueReading) => number) =>
  new Gauge({
    name,
    help,
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      const readings = await readAll();
      // Only the queues watched now: a stopped service's label disappears.
      this.reset();
      for (const [queue, value] of readings) this.set({ queue }, value ? pick(value) : NaN);
    },
  });

queueGauge(
  "events_queue_ready_messages",
  "Messages ready in a consuming service's queue, not yet delivered (consumer lag)",
  (r) => r.ready,
);
queueGauge(
  "events_queue_consumers",
  "Consumers attached to a consuming service's queue",
  (r) => r.consumers,
);
queueGauge(
  "events_dlq_messages",
  "Messages in a consuming service's dead-letter queue, labelled with the service's queue",
  (r) => r.deadLetters,
);

/**
 * Includes a consuming service's queue and dead-letter queue in the queue
 * gauges until the returned function is called (which closes the probe's
 * connection). Call after the bus has declared the queues (`consume`).
 */
export function watchQueues(watched: WatchedQueues): () => Promise<void> {
  const probe = new QueueProbe(watched);
  probes.add(probe);
  return async () => {
    probes.delete(probe);
    await probe.close();
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
