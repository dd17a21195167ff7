import { EventBus, type EventEnvelope, type EventHandler } from "../bus.ts";
import type { Logger } from "../log.ts";
import type { TestBus } from "./broker.ts";
import { waitFor } from "./wait.ts";

/** A service's real handlers consuming on a test exchange, and a publisher standing in for others. */
export interface ConsumerHarness {
  consumer: EventBus;
  publisher: EventBus;
  /** Ids of events whose handler completed, once per delivery, in order. */
  handled: string[];
  /** How often the handler of event `id` completed (`handled`) or ran at all (`attempted`). */
  count(id: string, what?: "handled" | "attempted"): number;
  /** Publishes envelopes without waiting for their handling. */
  publish(...envelopes: EventEnvelope[]): Promise<void>;
  /**
   * Publishes an envelope and waits until the consumer has handled it once more
   * (`until: "handled"`), or has tried to, successfully or not (`"attempted"`).
   */
  deliver(envelope: EventEnvelope, until?: "handled" | "attempted"): Promise<EventEnvelope>;
  /** Resolves once every one of these events was handled at least once. */
  handledAll(...envelopes: EventEnvelope[]): Promise<void>;
  /** Closes both connections (the queues go with `broker.cleanup()`). */
  close(): Promise<void>;
}

/** Options of `consumerHarness`. */
export interface ConsumerHarnessOptions {
  broker: TestBus;
  /** The consuming service's name (names its queue). */
  service: string;
  handlers: Record<string, EventHandler>;
  log: Logger;
  /** The publisher's service name; default "publisher". */
  publisherName?: string;
  /** Deliveries before a message is dead-lettered; default 3 (tests stay short). */
  maxDeliveries?: number;
}

/**
 * Starts the real handlers, observed (not replaced) so a test knows when a
 * delivery was processed, on a queue of the test exchange that `broker.cleanup()`
 * deletes.
 */
export async function consumerHarness(options: ConsumerHarnessOptions): Promise<ConsumerHarness> {
  const { broker, log } = options;
  const consumer = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: options.service,
    log,
    retryDelayMs: 10,
    maxDeliveries: options.maxDeliveries ?? 3,
  });
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: options.publisherName ?? "publisher",
    log,
  });
  broker.own(consumer.queue, consumer.deadLetterQueue);
  await consumer.start();
  await publisher.start();

  const handled: string[] = [];
  const attempts = new Map<string, number>();
  const observed: Record<string, EventHandler> = {};
  for (const [type, handler] of Object.entries(options.handlers)) {
    observed[type] = async (event, headers) => {
      try {
        await handler(event, headers);
        handled.push(event.id);
      } finally {
        attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
      }
    };
  }
  await consumer.consume(observed);

  const count = (id: string, what: "handled" | "attempted" = "handled") =>
    what === "handled" ? handled.filter((h) => h === id).length : attempts.get(id) ?? 0;
  const publish = (...envelopes: EventEnvelope[]) =>
    publisher.publish(envelopes.map((envelope) => ({ envelope, headers: {} })));
  return {
    consumer,
    publisher,
    handled,
    count,
    publish,
    async deliver(envelope, until = "handled") {
      const before = count(envelope.id, until);
      await publish(envelope);
      await waitFor(() => count(envelope.id, until) > before, { what: envelope.type });
      return envelope;
    },
    async handledAll(...envelopes) {
      await waitFor(() => envelopes.every((e) => handled.includes(e.id)), {
        timeoutMs: 15_000,
        what: "events handled",
      });
    },
    async close() {
      await consumer.close();
      await publisher.close();
    },
  };
}
