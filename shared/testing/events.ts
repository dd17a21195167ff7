import type { EventEnvelope } from "../bus.ts";

/** An envelope as another service's outbox relay publishes it. */
export function envelope<T>(type: string, data: T, occurredAt = new Date()): EventEnvelope<T> {
  return { id: crypto.randomUUID(), type, occurredAt: occurredAt.toISOString(), data };
}
