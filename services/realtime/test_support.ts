/**
 * Test fixture: real edges (startEdge, the code main.ts runs) on free ports with
 * real Redis (keys and adapter channel under a unique REDIS_PREFIX) and
 * RabbitMQ (a unique exchange), real socket.io-client sockets, and a publisher
 * standing in for chat, orders and notifications. `cleanup()` removes what the
 * suite made.
 */
import { EventBus, type EventEnvelope } from "@mp/shared/bus";
import {
  createTestKeys,
  envelope,
  freePort,
  quietLogger,
  testBus,
  type TestKeys,
  waitFor,
} from "@mp/shared/testing";
import { Redis } from "ioredis";
import { io as connect, type Socket } from "socket.io-client";
import { readConfig, type RealtimeConfig } from "./config.ts";
import { type Edge, startEdge } from "./edge.ts";

export { envelope, waitFor };

const REDIS_URL = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";

/** A client socket and every event it received, in order. */
export interface TestClient {
  socket: Socket;
  userId: string;
  received: { event: string; payload: unknown }[];
  /** Payloads of `event` received so far. */
  all(event: string): unknown[];
  /** Resolves with the first payload of `event` matching `match` (received before or after the call). */
  next(event: string, match?: (payload: Record<string, unknown>) => boolean): Promise<unknown>;
  /** Emits with an ack and resolves with the answer. */
  ask(event: string, payload: unknown): Promise<unknown>;
  close(): void;
}

/** One suite's world: keys, broker, Redis prefix, edges and clients. */
export interface Cluster {
  keys: TestKeys;
  prefix: string;
  exchange: string;
  redis: Redis;
  /** The variables every edge of the suite shares; `env()` adds a port. */
  env(overrides?: Record<string, string>): Record<string, string>;
  /** Starts an edge in this process. */
  start(overrides?: Record<string, string>): Promise<Edge>;
  /** Stops an edge as SIGTERM would (the shutdown steps, in order). */
  stop(edge: Edge): Promise<void>;
  /** Publishes envelopes on the suite's exchange, as another service's relay. */
  publish(...envelopes: EventEnvelope[]): Promise<void>;
  /** An access token for a user. */
  token(userId: string, expiresIn?: string | number): Promise<string>;
  /** Connects a client for `userId` (a fresh token) and waits for `connect`. */
  client(edge: Edge | string, userId: string): Promise<TestClient>;
  /** The `connect_error` a handshake with this `auth` gets. */
  refusal(edge: Edge, auth: Record<string, unknown>): Promise<{ message: string; data: unknown }>;
  /** Publishes `conversation.started` and waits until the edge stored the pair. */
  converse(a: string, b: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** A unique id for a test user. */
export const newUser = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;

/** Sets up a suite (Redis prefix, exchange, keys, publisher). */
export async function createCluster(name: string): Promise<Cluster> {
  const keys = await createTestKeys();
  const broker = testBus(`realtime_${name}`);
  const prefix = `test:${name}:${crypto.randomUUID().slice(0, 8)}:`;
  const redis = new Redis(REDIS_URL, { keyPrefix: prefix });
  const log = quietLogger("realtime");
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "publisher",
    log,
  });
  await publisher.start();
  const edges = new Set<Edge>();
  const clients = new Set<TestClient>();
  broker.own(`${broker.exchange}.realtime`, `${broker.exchange}.realtime.dlq`);

  const env = (overrides: Record<string, string> = {}) => ({
    REALTIME_PORT: String(freePort()),
    AMQP_URL: broker.url,
    EVENTS_EXCHANGE: broker.exchange,
    JWT_JWKS: JSON.stringify(keys.jwks),
    REDIS_PREFIX: prefix,
    PRESENCE_GRACE_MS: "300",
    PRESENCE_TTL_MS: "1500",
    TYPING_THROTTLE_MS: "60000",
    ...overrides,
  });
  const token = (userId: string, expiresIn?: string | number) =>
    keys.sign({ sub: userId, username: userId }, { expiresIn });

  const cluster: Cluster = {
    keys,
    prefix,
    exchange: broker.exchange,
    redis,
    env,
    async start(overrides) {
      const config: RealtimeConfig = readConfig(env(overrides));
      const edge = await startEdge(config, log);
      edges.add(edge);
      return edge;
    },
    async stop(edge) {
      if (!edges.delete(edge)) return;
      await edge.drain.drain();
      for (const step of edge.steps) await step.run();
    },
    publish: (...envelopes) =>
      publisher.publish(envelopes.map((envelope) => ({ envelope, headers: {} }))),
    token,
    async client(edge, userId) {
      const url = typeof edge === "string" ? edge : edge.url;
      const client = trackClient(open(url, { token: await token(userId) }), userId);
      clients.add(client);
      await new Promise<void>((resolve, reject) => {
        client.socket.once("connect", () => resolve());
        client.socket.once("connect_error", reject);
      });
      return client;
    },
    async refusal(edge, auth) {
      const socket = open(edge.url, auth);
      try {
        return await new Promise((resolve, reject) => {
          socket.once("connect", () => reject(new Error("connected")));
          socket.once("connect_error", (error) => {
            const { data } = error as Error & { data?: unknown };
            resolve({ message: error.message, data });
          });
        });
      } finally {
        socket.close();
      }
    },
    async converse(a, b) {
      const conversationId = crypto.randomUUID();
      await cluster.publish(
        envelope("conversation.started", {
          conversationId,
          participants: [a, b],
          startedAt: new Date().toISOString(),
        }),
      );
      await waitFor(
        async () => (await redis.scard(`realtime:conversation:${conversationId}`)) === 2,
        {
          what: "conversation stored",
        },
      );
      return conversationId;
    },
    async cleanup() {
      for (const client of clients) client.close();
      for (const edge of [...edges]) await cluster.stop(edge);
      await publisher.close();
      await broker.cleanup();
      await deleteKeys(prefix);
      redis.disconnect();
    },
  };
  return cluster;
}

function open(url: string, auth: Record<string, unknown>): Socket {
  return connect(url, {
    path: "/socket.io/",
    transports: ["websocket"],
    auth,
    reconnection: false,
    forceNew: true,
  });
}

function trackClient(socket: Socket, userId: string): TestClient {
  const received: { event: string; payload: unknown }[] = [];
  socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
  const matching = (event: string, match?: (payload: Record<string, unknown>) => boolean) =>
    received.find((r) =>
      r.event === event && (!match || match(r.payload as Record<string, unknown>))
    );
  return {
    socket,
    userId,
    received,
    all: (event) => received.filter((r) => r.event === event).map((r) => r.payload),
    next: async (event, match) =>
      (await waitFor(() => matching(event, match), { what: `${event} for ${userId}` })).payload,
    ask: (event, payload) => socket.timeout(10_000).emitWithAck(event, payload),
    close: () => socket.close(),
  };
}

async function deleteKeys(prefix: string) {
  const plain = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, names] = await plain.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (names.length > 0) await plain.del(...names);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    plain.disconnect();
  }
}
