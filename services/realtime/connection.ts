/**
 * One connected socket: its user's room, presence, the session's expiry, and
 * the client events (`typing`; anything else is refused through its ack).
 * Nothing a client sends can throw out of a listener.
 */
import type { Logger } from "@mp/shared/log";
import type { Server, Socket } from "socket.io";
import type { Session } from "./handshake.ts";
import { userRoom } from "./keys.ts";
import type { Presence } from "./presence.ts";
import { type AckAnswer, refuse } from "./typing.ts";

/** What the handshake leaves on `socket.data`. */
export interface SocketData {
  session: Session;
}

/** Dependencies of `onConnection`. */
export interface ConnectionDeps {
  io: Server;
  presence: Presence;
  typing: (userId: string, lastRelays: Map<string, number>, payload: unknown) => Promise<AckAnswer>;
  log: Logger;
}

// setTimeout's longest delay; a token living longer is re-checked then.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Sets up a socket that passed the handshake. */
export function onConnection(deps: ConnectionDeps, socket: Socket) {
  const { presence, log } = deps;
  const { session } = socket.data as SocketData;
  const { userId } = session;
  socket.join(userRoom(userId));

  let expiry: ReturnType<typeof setTimeout> | undefined;
  const expireAt = () => {
    const delay = session.expiresAt - Date.now();
    expiry = setTimeout(() => {
      if (session.expiresAt > Date.now()) return expireAt();
      socket.emit("session:expired", {
        code: "token_expired",
        message: "The access token expired: refresh it and reconnect.",
      });
      socket.disconnect(true);
    }, Math.min(Math.max(delay, 0), MAX_TIMER_MS));
  };
  expireAt();

  const lastRelays = new Map<string, number>();
  socket.onAny((event: unknown, ...args: unknown[]) => {
    const ack = typeof args.at(-1) === "function"
      ? args.pop() as (a: AckAnswer) => void
      : undefined;
    const answer = event === "typing"
      ? deps.typing(userId, lastRelays, args[0])
      : Promise.resolve(refuse("bad_request", "Unknown event."));
    answer.then((value) => ack?.(value)).catch((error) => {
      log.error("client event failed", { event: String(event).slice(0, 50), error });
      ack?.(refuse("internal", "The event could not be handled."));
    });
  });

  socket.on("disconnect", () => {
    clearTimeout(expiry);
    presence.disconnected(userId).catch((error) =>
      log.warn("presence disconnect failed", { userId, error })
    );
  });
  presence.connected(userId).catch((error) =>
    log.warn("presence connect failed", { userId, error })
  );
  sendContactsPresence(deps, socket, userId).catch((error) =>
    log.warn("presence snapshot failed", { userId, error })
  );
}

// A new socket learns which of its contacts are online now; changes follow as events.
async function sendContactsPresence(deps: ConnectionDeps, socket: Socket, userId: string) {
  const contacts = await deps.presence.contacts(userId);
  const lastSeenAt = new Date().toISOString();
  for (const contact of await deps.presence.online(contacts)) {
    socket.emit("presence", { userId: contact, online: true, lastSeenAt });
  }
}
