/**
 * `typing { conversationId }` from a client, with an ack:
 * - a bad payload → `{ error: { code: "bad_request", message } }`;
 * - not a participant (`realtime:conversation:<id>`), or an unknown
 *   conversation → `{ error: { code: "forbidden", message } }`;
 * - within `throttleMs` of this socket's last relay for that conversation →
 *   `{ ok: true, throttled: true }`, not relayed;
 * - else relayed as `typing { conversationId, userId }` to the other
 *   participant's room only, and acked `{ ok: true }`.
 * Redis unavailable → `{ error: { code: "unavailable", message } }`.
 */
import type { Logger } from "@mp/shared/log";
import type { Redis } from "ioredis";
import type { Server } from "socket.io";
import { z } from "zod";
import { conversationKey, userRoom } from "./keys.ts";

/** An ack's answer. */
export type AckAnswer =
  | { ok: true; throttled?: true }
  | { error: { code: string; message: string } };

/** A refusal. */
export const refuse = (code: string, message: string): AckAnswer => ({ error: { code, message } });

const payloadSchema = z.object({ conversationId: z.string().regex(/^[\w-]{1,100}$/) });

// Beyond this many conversations in one socket's throttle map, stale entries are dropped.
const THROTTLE_ENTRIES = 64;

/** Options of `createTypingHandler`. */
export interface TypingOptions {
  io: Server;
  redis: Redis;
  throttleMs: number;
  log: Logger;
}

/** Handles one `typing` from the socket of `userId`; `lastRelays` is that socket's own map. */
export function createTypingHandler(options: TypingOptions) {
  const { io, redis, throttleMs, log } = options;
  return async (
    userId: string,
    lastRelays: Map<string, number>,
    payload: unknown,
  ): Promise<AckAnswer> => {
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) {
      return refuse("bad_request", "Expected { conversationId: string }.");
    }
    const { conversationId } = parsed.data;
    const now = Date.now();
    const last = lastRelays.get(conversationId);
    if (last !== undefined && now - last < throttleMs) return { ok: true, throttled: true };
    if (lastRelays.size >= THROTTLE_ENTRIES) {
      for (const [key, at] of lastRelays) if (now - at >= throttleMs) lastRelays.delete(key);
    }
    // Taken before the membership check, so a burst arriving meanwhile is throttled;
    // given back if this one is refused.
    lastRelays.set(conversationId, now);
    const giveBack = (answer: AckAnswer) => {
      if (lastRelays.get(conversationId) === now) {
        if (last === undefined) lastRelays.delete(conversationId);
        else lastRelays.set(conversationId, last);
      }
      return answer;
    };
    let members: string[];
    try {
      members = await redis.smembers(conversationKey(conversationId));
    } catch (error) {
      log.warn("typing: redis unavailable", { error });
      return giveBack(refuse("unavailable", "Try again shortly."));
    }
    if (!members.includes(userId)) {
      return giveBack(refuse("forbidden", "You are not a participant of this conversation."));
    }
    const others = members.filter((member) => member !== userId);
    if (others.length > 0) {
      io.to(others.map(userRoom)).emit("typing", { conversationId, userId });
    }
    return { ok: true };
  };
}
