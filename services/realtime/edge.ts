/**
 * One instance of the edge, wired: Redis (presence, adapter), the Socket.io
 * server on node:http with its handshake, the consumer of the shared queue and
 * the health routes. main.ts runs it as a process; the tests run several in one
 * process with the same code. `steps` is the shutdown, in order.
 */
import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { EventBus } from "@mp/shared/bus";
import { Drain } from "@mp/shared/http";
import { scrapeGauge } from "@mp/shared/metrics";
import { watchQueues } from "@mp/shared/queue_metrics";
import type { ShutdownStep } from "@mp/shared/lifecycle";
import type { Logger } from "@mp/shared/log";
import { Server } from "socket.io";
import type { RealtimeConfig } from "./config.ts";
import { onConnection, type SocketData } from "./connection.ts";
import { createEventHandlers } from "./consumer.ts";
import { createAuthenticator, HandshakeError } from "./handshake.ts";
import { healthListener } from "./health.ts";
import { adapterKey, userRoom } from "./keys.ts";
import { Presence } from "./presence.ts";
import { connectEdgeRedis } from "./redis_clients.ts";
import { createTypingHandler } from "./typing.ts";

// GET /metrics (health.ts): the sockets of every edge in this process.
const openSockets = scrapeGauge("realtime_open_sockets", "Socket.io connections open");

/** A running instance. */
export interface Edge {
  instanceId: string;
  io: Server;
  bus: EventBus;
  /** Base URL it listens on. */
  url: string;
  isReady(): boolean;
  drain: Drain;
  /** The graceful shutdown, step by step (run in order). */
  steps: ShutdownStep[];
}

/** Throws at start-up for a malformed JWKS (main.ts reports it as a configuration error). */
export function authenticatorFor(config: RealtimeConfig) {
  return createAuthenticator({
    jwks: config.JWT_JWKS,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
}

/** Connects, starts consuming and listens; resolves once it serves. */
export async function startEdge(config: RealtimeConfig, log: Logger): Promise<Edge> {
  const instanceId = crypto.randomUUID();
  const authenticator = authenticatorFor(config);
  const redis = await connectEdgeRedis(config.REDIS_URL, config.REDIS_PREFIX, log);
  const drain = new Drain();
  const bus = new EventBus({
    url: config.AMQP_URL,
    exchange: config.EVENTS_EXCHANGE,
    service: "realtime",
    log,
  });
  const isReady = () => redis.isReady() && bus.isConnected() && !drain.draining;
  const http = createServer(healthListener(
    () => ({ redis: redis.isReady(), broker: bus.isConnected() }),
    () => drain.draining,
  ));
  const io = new Server(http, {
    path: "/socket.io/",
    serveClient: false,
    maxHttpBufferSize: config.REALTIME_MAX_FRAME_BYTES,
    adapter: createAdapter(redis.pub, redis.sub, { key: adapterKey(config.REDIS_PREFIX) }),
  });
  const presence = new Presence({
    redis: redis.commands,
    instanceId,
    ttlMs: config.PRESENCE_TTL_MS,
    graceMs: config.PRESENCE_GRACE_MS,
    tell: (userIds, view) => io.to(userIds.map(userRoom)).emit("presence", view),
    log,
  });
  const typing = createTypingHandler({
    io,
    redis: redis.commands,
    throttleMs: config.TYPING_THROTTLE_MS,
    log,
  });

  io.use((socket, next) => {
    if (drain.draining) return next(new Error("shutting_down"));
    authenticator.authenticate(socket.handshake.auth?.token).then((session) => {
      (socket.data as SocketData).session = session;
      next();
    }, (error) => {
      next(error instanceof HandshakeError ? error : new HandshakeError("token_invalid"));
    });
  });
  io.on("connection", (socket) => onConnection({ io, presence, typing, log }, socket));
  const unwatchSockets = openSockets.add(() => io.of("/").sockets.size);

  await presence.start();
  await bus.start();
  await bus.consume(createEventHandlers({
    io,
    redis: redis.commands,
    presence,
    canBroadcast: () => redis.pub.status === "ready",
    log,
  }));
  // Consumer lag and dead letters of its queue, for GET /metrics (as every consuming service).
  const unwatchQueues = watchQueues({
    url: config.AMQP_URL,
    queue: bus.queue,
    deadLetterQueue: bus.deadLetterQueue,
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.REALTIME_PORT, config.REALTIME_HOST, () => resolve());
  });
  log.info("listening", { host: config.REALTIME_HOST, port: config.REALTIME_PORT, instanceId });

  const steps: ShutdownStep[] = [
    { name: "stop consuming", run: () => bus.stopConsuming() },
    { name: "stop presence heartbeat", run: () => presence.stop() },
    {
      name: "close sockets",
      run: async () => {
        await closeSockets(io);
        unwatchSockets();
      },
    },
    {
      name: "close server",
      run: async () => {
        const closed = io.close();
        http.closeAllConnections(); // keep-alive HTTP connections (probes) would hold it open
        await closed;
      },
    },
    { name: "close broker", run: () => bus.close() },
    { name: "stop queue gauges", run: () => unwatchQueues() },
    { name: "close redis", run: () => redis.close() },
  ];
  return {
    instanceId,
    io,
    bus,
    url: `http://${config.REALTIME_HOST}:${config.REALTIME_PORT}`,
    isReady,
    drain,
    steps,
  };
}

// Tells each client why, then closes its transport (not `disconnect()`): the
// client sees "transport close" and reconnects, to another instance.
function closeSockets(io: Server) {
  const sockets = [...io.of("/").sockets.values()];
  for (const socket of sockets) {
    socket.emit("server:shutdown", {
      code: "shutting_down",
      message: "This server is restarting: reconnect.",
    });
  }
  // Engine.io closes a transport only after what was written to it is flushed.
  for (const socket of sockets) socket.conn.close();
}
