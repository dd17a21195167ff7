/**
 * The realtime edge in the browser: one Socket.io connection per signed-in session
 * (through the gateway at /socket.io/, WebSocket only, the in-memory access token in
 * `auth`). When the edge ends the session (`session:expired`) the token is renewed
 * through the refresh cookie and the socket reconnects with the new one.
 *
 * Pushes update the TanStack Query caches (`message:new`, `message:read`,
 * `conversation:updated`, `offer:updated`, `order:updated`, `notification:new`); a page
 * listens to any event with {@link useLiveEvent}. socket.io-client is loaded on demand, so
 * pages of anonymous visitors do not carry it.
 */
import { useEffect, useRef, useSyncExternalStore } from "react";
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import type { Socket } from "socket.io-client";
import { onSessionChange, refreshSession, type SessionAnswer } from "../api/client.ts";
import { useSession } from "../auth/session.tsx";

// Payloads the edge pushes (services/realtime/README.md).
/** A link the sender gave, or a file uploaded to the media service. */
export type LiveAttachment =
  | { url: string; name: string; size: number }
  | { mediaId: string; name: string; size: number; contentType: string };

export interface LiveMessage {
  id: string;
  conversationId: string;
  senderId: string;
  clientId: string;
  kind: "text" | "offer";
  body: string;
  attachments: LiveAttachment[];
  gigId: string | null;
  orderId: string | null;
  offerId: string | null;
  createdAt: string;
}

export interface LiveEvents {
  "message:new": LiveMessage;
  "message:read": { conversationId: string; readerId: string; upTo: string; readAt: string };
  /** A block changed: the field of this person's conversation view that changed. */
  "conversation:updated": { conversationId: string; blockedByMe?: boolean; blockedMe?: boolean };
  "offer:updated": { id: string; conversationId: string; orderId: string | null; status: string };
  "order:updated": { orderId: string; type: string; status?: string; occurredAt: string };
  "notification:new": { id: string; title: string };
  typing: { conversationId: string; userId: string };
  presence: { userId: string; online: boolean; lastSeenAt: string };
  /** Not the edge's: the socket (re)connected, so a page asks for what it may have missed. */
  connect: Record<string, never>;
}
export type LiveEvent = keyof LiveEvents;

type Handler = (payload: never) => void;
const handlers = new Map<string, Set<Handler>>();
const presence = new Map<string, boolean>();
const presenceListeners = new Set<() => void>();

let socket: Socket | null = null;
/** Bumped by every connect and close: a connect that finished loading late sees it moved on. */
let generation = 0;
let latest: SessionAnswer | null = null;
// Module-level so the token of a session set before any component mounts is known.
onSessionChange((session) => {
  latest = session;
});

function dispatch(event: string, payload: unknown) {
  if (event === "presence") {
    const p = payload as LiveEvents["presence"];
    presence.set(p.userId, p.online);
    for (const listener of presenceListeners) listener();
  }
  for (const handler of handlers.get(event) ?? []) (handler as (p: unknown) => void)(payload);
}

/** Cache keys of the chat and notification queries, shared with the pages. */
export const liveKeys = {
  conversations: ["chat", "conversations"] as const,
  conversation: (id: string) => ["chat", "conversation", id] as const,
  messages: (id: string) => ["chat", "messages", id] as const,
  offer: (id: string) => ["chat", "offer", id] as const,
  unread: ["chat", "unread"] as const,
  notifications: ["notifications"] as const,
};

function updateCaches(client: QueryClient, event: string, payload: unknown) {
  switch (event) {
    case "message:new": {
      const message = payload as LiveMessage;
      void client.invalidateQueries({ queryKey: liveKeys.conversations });
      void client.invalidateQueries({ queryKey: liveKeys.unread });
      void client.invalidateQueries({ queryKey: liveKeys.conversation(message.conversationId) });
      // The conversation page keeps live messages itself (see useLiveEvent there).
      break;
    }
    case "message:read": {
      const read = payload as LiveEvents["message:read"];
      void client.invalidateQueries({ queryKey: liveKeys.conversation(read.conversationId) });
      void client.invalidateQueries({ queryKey: liveKeys.conversations });
      void client.invalidateQueries({ queryKey: liveKeys.unread });
      break;
    }
    case "conversation:updated": {
      const { conversationId, ...changed } = payload as LiveEvents["conversation:updated"];
      // The composer follows at once; the refetch after it corrects a push that came late or
      // twice (a redelivered old block), as chat has the last word.
      client.setQueryData(
        liveKeys.conversation(conversationId),
        (cached: object | undefined) => cached && { ...cached, ...changed },
      );
      void client.invalidateQueries({ queryKey: liveKeys.conversation(conversationId) });
      void client.invalidateQueries({ queryKey: liveKeys.conversations });
      break;
    }
    case "offer:updated": {
      const offer = payload as LiveEvents["offer:updated"];
      client.setQueryData(liveKeys.offer(offer.id), offer);
      break;
    }
    case "order:updated":
      void client.invalidateQueries({ queryKey: ["orders"] });
      break;
    case "notification:new":
      void client.invalidateQueries({ queryKey: liveKeys.notifications });
      break;
  }
}

async function connect(client: QueryClient, session: SessionAnswer, gen: number) {
  const { io } = await import("socket.io-client");
  if (gen !== generation) return; // closed (or reopened) while loading
  const s = io({
    path: "/socket.io/",
    transports: ["websocket"],
    auth: (cb) => cb({ token: latest?.accessToken ?? session.accessToken }),
  });
  s.onAny((event: string, payload: unknown) => {
    updateCaches(client, event, payload);
    dispatch(event, payload);
  });
  s.on("session:expired", async () => {
    // The edge disconnects this socket; renew the token, then come back with it.
    const renewed = await refreshSession().catch(() => null);
    if (renewed && socket === s) s.connect();
  });
  s.on("connect", () => {
    // Missed pushes while away: ask again for what may have changed.
    void client.invalidateQueries({ queryKey: ["chat"] });
    void client.invalidateQueries({ queryKey: liveKeys.notifications });
    dispatch("connect", {});
  });
  socket = s;
}

/** Keeps the one socket of the signed-in person open; call once, high in the tree. */
export function useRealtimeConnection(): void {
  const session = useSession();
  const client = useQueryClient();
  const id = session.user?.id ?? null;
  useEffect(() => {
    if (!id || !latest) return;
    void connect(client, latest, ++generation);
    return () => {
      generation++;
      socket?.close();
      socket = null;
      presence.clear();
    };
  }, [id, client]);
}

/** Calls `handler` on every `event` pushed to this session (the latest handler, no resubscribe). */
export function useLiveEvent<E extends LiveEvent>(
  event: E,
  handler: (payload: LiveEvents[E]) => void,
): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const h = ((payload: LiveEvents[E]) => ref.current(payload)) as Handler;
    let set = handlers.get(event);
    if (!set) handlers.set(event, set = new Set());
    set.add(h);
    return () => void set.delete(h);
  }, [event]);
}

/** Whether `userId` is online, as far as the edge told this session (undefined: not told). */
export function usePresence(otherId: string | undefined): boolean | undefined {
  return useSyncExternalStore(
    (listener) => {
      presenceListeners.add(listener);
      return () => presenceListeners.delete(listener);
    },
    () => (otherId ? presence.get(otherId) : undefined),
  );
}

/** Tells the other participant this person is typing (the edge throttles too). */
export function emitTyping(conversationId: string): void {
  socket?.emit("typing", { conversationId }, () => {});
}
