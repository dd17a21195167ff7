/**
 * Socket.io clients for the end-to-end tests: the real `socket.io-client`,
 * WebSocket transport only (the gateway's bridge carries nothing else), the
 * access token in `auth`, every event it receives recorded so a test can wait
 * for one, or check that one never came.
 */
import { io, type Socket } from "socket.io-client";
import { waitFor } from "@mp/shared/testing";

// deno-lint-ignore no-explicit-any
type Json = any;

/** A connected (or refused) socket and what it received. */
export interface LiveClient {
  readonly socket: Socket;
  readonly name: string;
  /** Every event received, in order. */
  readonly received: { event: string; payload: Json }[];
  /** Payloads of `event` received so far. */
  all(event: string): Json[];
  /** Waits for an `event` (received before or after the call) whose payload matches. */
  next(event: string, match?: (payload: Json) => boolean, timeoutMs?: number): Promise<Json>;
  /** Emits with an ack and resolves with the answer. */
  ask(event: string, ...args: unknown[]): Promise<Json>;
  close(): void;
}

/** Options of `openSocket`. */
export interface SocketOptions {
  /** Let the client reconnect by itself (socket.io's default backoff). Default false. */
  reconnection?: boolean;
  /** The `auth` object, when not `{ token }` (e.g. `{}` for none). */
  auth?: Record<string, unknown>;
}

/** Opens a socket to `baseUrl`'s `/socket.io/` (the gateway, or an edge directly). */
export function openSocket(
  baseUrl: string,
  token: string | undefined,
  name: string,
  options: SocketOptions = {},
): LiveClient {
  const socket = io(baseUrl, {
    path: "/socket.io/",
    transports: ["websocket"],
    auth: options.auth ?? (token === undefined ? {} : { token }),
    reconnection: options.reconnection ?? false,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1_000,
    forceNew: true,
  });
  const received: { event: string; payload: Json }[] = [];
  socket.onAny((event: string, payload: Json) => received.push({ event, payload }));
  const find = (event: string, match?: (payload: Json) => boolean) =>
    received.find((r) => r.event === event && (!match || match(r.payload)));
  return {
    socket,
    name,
    received,
    all: (event) => received.filter((r) => r.event === event).map((r) => r.payload),
    next: async (event, match, timeoutMs = 20_000) =>
      (await waitFor(() => find(event, match), { what: `${event} for ${name}`, timeoutMs }))
        .payload,
    ask: (event, ...args) => socket.timeout(10_000).emitWithAck(event, ...args),
    close: () => socket.close(),
  };
}

/** Resolves once the socket is connected; rejects with the `connect_error` if refused. */
export function connected(client: LiveClient): Promise<void> {
  if (client.socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const ok = () => {
      client.socket.off("connect_error", fail);
      resolve();
    };
    const fail = (error: Error) => {
      client.socket.off("connect", ok);
      reject(error);
    };
    client.socket.once("connect", ok);
    client.socket.once("connect_error", fail);
  });
}

/** Opens a socket and waits until it is connected. */
export async function connectSocket(
  baseUrl: string,
  token: string,
  name: string,
  options: SocketOptions = {},
): Promise<LiveClient> {
  const client = openSocket(baseUrl, token, name, options);
  try {
    await connected(client);
  } catch (error) {
    client.close();
    throw new Error(`${name} could not connect: ${(error as Error).message}`);
  }
  return client;
}

/** The `connect_error` of a socket that must be refused: its message and data. */
export async function refusal(
  baseUrl: string,
  auth: Record<string, unknown>,
): Promise<{ message: string; data: Json }> {
  const client = openSocket(baseUrl, undefined, "refused", { auth });
  try {
    await connected(client);
  } catch (error) {
    const refused = error as Error & { data?: Json };
    return { message: refused.message, data: refused.data };
  } finally {
    client.close();
  }
  throw new Error("the socket was accepted");
}
