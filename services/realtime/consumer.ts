/**
 * The handlers of the shared queue `<EVENTS_EXCHANGE>.realtime` (every instance
 * consumes it; a push goes through the Redis adapter, so the instance holding
 * the socket delivers it). No inbox: a redelivered event is pushed again
 * (at-least-once); clients de-duplicate by id. A push needs the adapter's Redis
 * connection: without it the handler fails and the bus retries the event.
 */
import type { EventHandler } from "@mp/shared/bus";
import { parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import type { Redis } from "ioredis";
import type { Server } from "socket.io";
import { z } from "zod";
import { contactsKey, conversationKey, userRoom } from "./keys.ts";
import type { Presence } from "./presence.ts";
import { type Push, ROUTES } from "./routes.ts";

/** Dependencies of the handlers. */
export interface ConsumerDeps {
  io: Server;
  redis: Redis;
  presence: Presence;
  /** Whether the adapter can reach the other instances (its publisher is connected). */
  canBroadcast(): boolean;
  log: Logger;
}

const id = z.string().min(1).max(200);
const conversationStarted = z.object({
  conversationId: id,
  participants: z.tuple([id, id]).refine(([a, b]) => a !== b, "two different users"),
});

/** Builds the handlers to pass to `EventBus.consume`, keyed by event type. */
export function createEventHandlers(deps: ConsumerDeps): Record<string, EventHandler> {
  const { io, redis, presence, log } = deps;
  const emit = (push: Push) => {
    if (!deps.canBroadcast()) throw new Error("redis publisher not connected");
    io.to(push.userIds.map(userRoom)).emit(push.event, push.payload);
  };
  const handlers: Record<string, EventHandler> = {};
  for (const [type, route] of Object.entries(ROUTES)) {
    handlers[type] = (envelope) => {
      const pushes = route(envelope);
      pushes.forEach(emit);
      log.debug("pushed", { eventId: envelope.id, type, pushes: pushes.length });
      return Promise.resolve();
    };
  }
  handlers["conversation.started"] = async (envelope) => {
    const { conversationId, participants: [a, b] } = parseEventData(
      conversationStarted,
      envelope,
    );
    await redis.multi().sadd(contactsKey(a), b).sadd(contactsKey(b), a).exec();
    // New contacts learn at once whether the other one is online.
    const lastSeenAt = new Date().toISOString();
    for (const userId of await presence.online([a, b])) {
      emit({
        userIds: [userId === a ? b : a],
        event: "presence",
        payload: { userId, online: true, lastSeenAt },
      });
    }
    // Last, so whoever sees the pair stored (typing, tests) knows the rest is done.
    await redis.sadd(conversationKey(conversationId), a, b);
    log.debug("contacts added", { eventId: envelope.id, conversationId });
  };
  return handlers;
}
