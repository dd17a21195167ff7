/**
 * The event bus on RabbitMQ (npm:amqplib).
 *
 * Topology, per exchange name (default "marketplace"):
 * - `<exchange>`: one durable topic exchange; routing key = event type.
 * - `<exchange>.<service>`: one durable quorum queue per consuming service,
 *   bound to the event types it handles. `x-delivery-limit` bounds redeliveries;
 *   past it RabbitMQ dead-letters the message (at-least-once) to
 * - `<exchange>.<service>.dlq`: where poison messages rest, never lost, never looping.
 *
 * Publishing uses a confirm channel: `publish()` resolves only once the broker
 * has the messages. Consuming uses manual acks: a handler's success acks, a
 * malformed message goes straight to the DLQ, any other failure is retried after
 * a short backoff until the delivery limit. amqplib's opt-in recovery reconnects
 * after broker restarts (delays from `RECONNECT_BACKOFF`); our setup hook
 * re-declares the topology and consumers.
 */
import amqp from "amqplib";
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from "amqplib";
import { Buffer } from "node:buffer";
import { z } from "zod";
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import { type Logger, runWithContext } from "./log.ts";
import { eventMetrics } from "./metrics.ts";
import { failSpan, SpanKind, traceparentOf, withSpan } from "./tracing.ts";

/** Every event on the wire: `{ id, type, occurredAt, data }`. */
export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  data: T;
}

/** Headers travelling with an event. */
export interface EventHeaders {
  "x-request-id"?: string;
  traceparent?: string;
}

/** A message to publish. */
export interface OutgoingEvent {
  envelope: EventEnvelope;
  headers: EventHeaders;
}

/** Handler for one event type; throw `PoisonMessageError` for data that can never succeed. */
export type EventHandler = (envelope: EventEnvelope, headers: EventHeaders) => Promise<void>;

/** Thrown by a handler for a message that will never be processable (bad shape). */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoisonMessageError";
  }
}

const envelopeSchema = z.object({
  id: z.string().uuid(),
  type: z.string().min(1),
  occurredAt: z.string(),
  data: z.unknown(),
});

/** Options of `EventBus`. */
export interface EventBusOptions {
  url: string;
  /** The consuming service's name; names its queue. */
  service: string;
  log: Logger;
  /** Topic exchange name; tests use a unique one per suite. */
  exchange?: string;
  /** Deliveries of one message before it is dead-lettered. */
  maxDeliveries?: number;
  /** Unacked messages a consumer holds at once. */
  prefetch?: number;
  /** First retry delay after a handler failure (doubles, capped at 5 s). */
  retryDelayMs?: number;
}

/** A connection to the broker that publishes with confirms and consumes with manual acks. */
export class EventBus {
  readonly exchange: string;
  readonly queue: string;
  readonly deadLetterQueue: string;
  #model?: Awaited<ReturnType<typeof connectRecovering>>;
  #publishChannel?: ConfirmChannel;
  #consumeChannel?: Channel;
  #connected = false;
  #handlers = new Map<string, EventHandler>();
  #consumerTag?: string;
  #consuming = false;
  #inFlight = new Set<Promise<void>>();
  readonly #maxDeliveries: number;

  constructor(private readonly options: EventBusOptions) {
    this.exchange = options.exchange ?? "marketplace";
    this.queue = `${this.exchange}.${options.service}`;
    this.deadLetterQueue = `${this.queue}.dlq`;
    this.#maxDeliveries = options.maxDeliveries ?? 5;
  }

  /** Connects (retrying until the broker answers) and keeps reconnecting after losses. */
  async start(): Promise<void> {
    this.#model = await connectRecovering(this.options.url, (model) => this.#setup(model));
    this.#model.on("disconnect", (err: Error) => {
      this.#connected = false;
      this.#publishChannel = undefined;
      this.#consumeChannel = undefined;
      this.options.log.warn("broker connection lost", { error: err?.message });
    });
    this.#model.on("error", (err: Error) => {
      this.options.log.warn("broker error", { error: err.message });
    });
    await this.#model.waitForConnect();
  }

  /** `true` while a connection and channels are up (readiness). */
  isConnected(): boolean {
    return this.#connected;
  }

  /**
   * Registers handlers by event type and starts consuming on this service's
   * queue (now, and after every reconnect). Call before or after `start()`.
   */
  async consume(handlers: Record<string, EventHandler>): Promise<void> {
    for (const [type, handler] of Object.entries(handlers)) this.#handlers.set(type, handler);
    this.#consuming = true;
    if (this.#consumeChannel) await this.#startConsumer(this.#consumeChannel);
  }

  /** Publishes events and resolves once the broker confirmed every one. */
  async publish(events: OutgoingEvent[]): Promise<void> {
    const channel = this.#publishChannel;
    if (!channel) throw new Error("broker not connected");
    for (const { envelope, headers } of events) {
      channel.publish(this.exchange, envelope.type, Buffer.from(JSON.stringify(envelope)), {
        persistent: true,
        contentType: "application/json",
        messageId: envelope.id,
        type: envelope.type,
        timestamp: Math.floor(Date.parse(envelope.occurredAt) / 1000),
        headers: { ...headers },
      });
    }
    await channel.waitForConfirms();
    for (const { envelope } of events) eventMetrics.published.inc({ type: envelope.type });
  }

  /** Stops taking new messages and waits for the handlers in progress. */
  async stopConsuming(): Promise<void> {
    this.#consuming = false;
    const channel = this.#consumeChannel;
    if (channel && this.#consumerTag) {
      await channel.cancel(this.#consumerTag).catch(() => {});
      this.#consumerTag = undefined;
    }
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops consuming, then closes the connection. */
  async close(): Promise<void> {
    await this.stopConsuming();
    await this.#model?.close().catch(() => {});
    this.#connected = false;
  }

  async #setup(model: ChannelModel): Promise<void> {
    const publish = await model.createConfirmChannel();
    await publish.assertExchange(this.exchange, "topic", { durable: true });
    const consume = await model.createChannel();
    await consume.prefetch(this.options.prefetch ?? 16);
    this.#publishChannel = publish;
    this.#consumeChannel = consume;
    if (this.#consuming) await this.#startConsumer(consume);
    this.#connected = true;
    this.options.log.info("broker connected", { exchange: this.exchange });
  }

  async #startConsumer(channel: Channel): Promise<void> {
    const deadLetterExchange = `${this.exchange}.dlx`;
    await channel.assertExchange(deadLetterExchange, "direct", { durable: true });
    await channel.assertQueue(this.deadLetterQueue, { durable: true });
    await channel.bindQueue(this.deadLetterQueue, deadLetterExchange, this.queue);
    await channel.assertQueue(this.queue, {
      durable: true,
      arguments: {
        "x-queue-type": "quorum",
        "x-delivery-limit": this.#maxDeliveries,
        "x-dead-letter-exchange": deadLetterExchange,
        "x-dead-letter-routing-key": this.queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
      },
    });
    for (const type of this.#handlers.keys()) {
      await channel.bindQueue(this.queue, this.exchange, type);
    }
    const { consumerTag } = await channel.consume(this.queue, (message) => {
      if (!message) return; // consumer cancelled by the broker; recovery re-subscribes
      const work = this.#handle(channel, message);
      this.#inFlight.add(work);
      work.finally(() => this.#inFlight.delete(work));
    }, { noAck: false });
    this.#consumerTag = consumerTag;
  }

  async #handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const headers = readHeaders(message);
    const log = this.options.log;
    let envelope: EventEnvelope;
    try {
      envelope = envelopeSchema.parse(JSON.parse(message.content.toString("utf8")));
    } catch {
      log.error("malformed event, dead-lettering", { routingKey: message.fields.routingKey });
      // The routing key is a bound event type, so the label stays a short list.
      eventMetrics.deadLettered.inc({ type: message.fields.routingKey, reason: "malformed" });
      safely(() => channel.nack(message, false, false));
      return;
    }
    const handler = this.#handlers.get(envelope.type);
    if (!handler) {
      safely(() => channel.ack(message)); // bound by an older version of this service
      return;
    }
    // The handler runs in a CONSUMER span continuing the event's traceparent (the
    // relay's publish), so its logs, its own events and its HTTP calls stay in the
    // trace of the request that caused it. Without tracing the span is a no-op
    // carrying the header unchanged.
    await withSpan(`process ${envelope.type}`, {
      kind: SpanKind.CONSUMER,
      remoteParent: headers.traceparent,
      attributes: {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.destination.name": this.exchange,
        "messaging.rabbitmq.destination.routing_key": envelope.type,
        "messaging.message.id": envelope.id,
        "messaging.consumer.group.name": this.queue,
      },
    }, (span) =>
      runWithContext({
        requestId: headers["x-request-id"] ?? envelope.id,
        traceparent: traceparentOf(span) ?? headers.traceparent,
      }, async () => {
        try {
          await handler(envelope, headers);
          safely(() => channel.ack(message));
          eventMetrics.consumed.inc({ type: envelope.type });
        } catch (error) {
          failSpan(span, error);
          if (error instanceof PoisonMessageError) {
            log.error("poison event, dead-lettering", {
              eventId: envelope.id,
              type: envelope.type,
              error: error.message,
            });
            safely(() => channel.nack(message, false, false));
            eventMetrics.deadLettered.inc({ type: envelope.type, reason: "poison" });
            return;
          }
          const deliveries = Number(message.properties.headers?.["x-delivery-count"] ?? 0) + 1;
          const delay = backoffDelay(
            { initialMs: this.options.retryDelayMs ?? 200, maxMs: 5000, jitter: 0 },
            deliveries - 1,
          );
          log.warn("event handler failed, will retry", {
            eventId: envelope.id,
            type: envelope.type,
            delivery: deliveries,
            retryInMs: delay,
            error,
          });
          await new Promise((resolve) => setTimeout(resolve, delay));
          safely(() => channel.nack(message, false, true));
          // Past the queue's x-delivery-limit the broker dead-letters this requeue.
          if (deliveries > this.#maxDeliveries) {
            eventMetrics.deadLettered.inc({ type: envelope.type, reason: "delivery_limit" });
          } else {
            eventMetrics.retried.inc({ type: envelope.type });
          }
        }
      }));
  }
}

function readHeaders(message: ConsumeMessage): EventHeaders {
  const raw = message.properties.headers ?? {};
  const text = (
    value: unknown,
  ) => (typeof value === "string" ? value : value instanceof Buffer ? value.toString() : undefined);
  return { "x-request-id": text(raw["x-request-id"]), traceparent: text(raw.traceparent) };
}

/** An ack or nack on a channel that has since closed is moot: the broker redelivers. */
function safely(fn: () => void) {
  try {
    fn();
  } catch {
    // channel closed; the message will be redelivered after reconnect
  }
}

/** Delays between reconnect attempts to the broker: 0.2 s doubling to 3 s, up to 20 % off. */
export const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 3000, jitter: 0.2 };

function connectRecovering(url: string, setup: (model: ChannelModel) => Promise<void>) {
  return amqp.connect(url, {
    recovery: {
      // amqplib counts attempts from 1.
      calculateDelay: (attempt: number) => backoffDelay(RECONNECT_BACKOFF, attempt - 1),
      maxRetries: Infinity,
      waitForConnect: false,
      setup,
    },
  });
}
