/**
 * Test helpers for the gateway suites: the real gateway app served over HTTP
 * with real Redis (a unique key prefix per gateway), and small test upstreams.
 *
 * The upstreams are test instruments, not imitations of our services: an echo
 * server that answers with what it received, a server that never answers, and
 * one that answers auth's contract shape (docs/CONTRACTS.md) so token issuing
 * can be checked without the auth service (the real flows are the end-to-end
 * tests' job).
 */
import { createTestKeys, quietLogger, type TestKeys, waitFor } from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { type GatewayConfig, loadGatewayConfig } from "./config.ts";
import { type AccessTokenSigner, createAccessTokenSigner } from "./keys.ts";
import { connectRedis } from "@mp/shared/redis";
import type { Redis } from "ioredis";
import type { Logger } from "@mp/shared/log";
import { MAX_PATH_LENGTH } from "./canonical_path.ts";
import { createServer, type Server as HttpServer } from "node:http";
import type { Socket as NetSocket } from "node:net";
import { Server, type Socket as ServerSocket } from "socket.io";

/** An Engine.IO connection as the edge's `io.engine` reports it (what the test uses of it). */
export interface EngineSocket {
  send(data: string): void;
  on(event: "close", listener: (reason: string) => void): void;
}

/** A logger that keeps its lines for assertions. */
export function capturingLogger(): Logger & {
  lines: { level: string; msg: string; fields?: unknown }[];
} {
  const lines: { level: string; msg: string; fields?: unknown }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A running HTTP server started by a test. */
export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function serve(handler: Deno.ServeHandler): TestServer & { server: Deno.HttpServer<Deno.NetAddr> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const port = server.addr.port;
  return { server, port, url: `http://127.0.0.1:${port}`, close: () => server.shutdown() };
}

/** What the echo upstream received for one request. */
export interface Echo {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A test upstream that answers 200 with a JSON `Echo` of the request and keeps
 * every request in `received`. `/readyz` answers 200. A request header
 * `x-test-respond` (JSON `{status, headers}`) makes it answer with that status
 * and those headers instead, to test what the gateway does with answers.
 */
export function startEchoUpstream(): TestServer & { received: Echo[] } {
  const received: Echo[] = [];
  const server = serve(async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/readyz") return Response.json({ status: "ready" });
    const echo: Echo = {
      method: request.method,
      path: url.pathname,
      search: url.search,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    };
    received.push(echo);
    const respond = request.headers.get("x-test-respond");
    if (respond) {
      const { status, headers } = JSON.parse(respond);
      return new Response(status === 204 || status === 302 ? null : JSON.stringify(echo), {
        status,
        headers,
      });
    }
    return Response.json(echo);
  });
  return { ...server, received };
}

/** A test upstream that accepts connections and never answers (until closed). */
export function startStalledUpstream(): TestServer {
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const server = serve(async () => {
    await closed;
    return new Response(null, { status: 503 });
  });
  return {
    ...server,
    close: async () => {
      resolve();
      await server.close();
    },
  };
}

/** A port on 127.0.0.1 with nothing listening (it was bound, then released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** One request as the auth-contract upstream saw it. */
export interface AuthCall {
  path: string;
  headers: Headers;
  body: string;
}

/**
 * A test upstream answering auth's contract shape: signup (201), login (200,
 * or 401 when the password is "wrong"), refresh (200, or 401 for the token
 * "revoked"), logout (204), forgot-password (202). Everything is recorded in
 * `calls`. `override` lets a test replace the answer to one path.
 */
export function startAuthContractUpstream(): TestServer & {
  calls: AuthCall[];
  override: Map<string, () => Response>;
} {
  const calls: AuthCall[] = [];
  const override = new Map<string, () => Response>();
  const problem = (status: number, code: string) =>
    new Response(JSON.stringify({ type: "about:blank", status, code, detail: code }), {
      status,
      headers: { "content-type": "application/problem+json" },
    });
  const session = (username: string, status: number) =>
    Response.json({
      user: {
        id: "4b9a1a8e-2f0c-4d0e-9a55-6f1c2b3d4e5f",
        email: `${username}@example.test`,
        username,
        emailVerified: false,
        createdAt: "2025-01-01T00:00:00.000Z",
      },
      refreshToken: `rt-${crypto.randomUUID()}`,
      refreshTokenExpiresAt: new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString(),
    }, { status });
  const server = serve(async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/readyz") return Response.json({ status: "ready" });
    const body = await request.text();
    calls.push({ path, headers: request.headers, body });
    const replaced = override.get(path);
    if (replaced) return replaced();
    const input = body ? JSON.parse(body) : {};
    switch (path) {
      case "/api/v1/auth/signup":
        return session(input.username, 201);
      case "/api/v1/auth/login":
        return input.password === "wrong"
          ? problem(401, "invalid_credentials")
          : session("alice", 200);
      case "/api/v1/auth/refresh":
        return input.refreshToken === "revoked"
          ? problem(401, "invalid_refresh_token")
          : session("alice", 200);
      case "/api/v1/auth/logout":
        return new Response(null, { status: 204 });
      case "/api/v1/auth/forgot-password":
        return Response.json({ message: "sent" }, { status: 202 });
      default:
        return problem(404, "route_not_found");
    }
  });
  return { ...server, calls, override };
}

/** A gateway under test, served on 127.0.0.1 with a real Redis connection. */
export interface TestGateway extends TestServer {
  config: GatewayConfig;
  signer: AccessTokenSigner;
  keys: TestKeys;
  redis: Redis;
}

/** Options of `startGateway`. */
export interface GatewayOptions {
  /** Environment variables on top of the test defaults. */
  env?: Record<string, string>;
  /** Reuse these keys (to compare tokens across gateways). */
  keys?: TestKeys;
  /** Do not wait for Redis (for tests where it is unreachable). */
  redisDown?: boolean;
  /** Leave the rate-limit keys in Redis on close (another gateway shares them). */
  keepRateLimitKeys?: boolean;
  /** A logger to inspect (default: errors only, to stderr). */
  log?: Logger;
}

/**
 * Starts the gateway with test defaults: a fresh key pair, a unique
 * RATE_LIMIT_PREFIX (so parallel suites never share counters), Secure cookies.
 * `close()` stops it and deletes its rate-limit keys.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const keys = options.keys ?? await createTestKeys();
  const config = loadGatewayConfig({
    JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
    REDIS_URL: Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379",
    RATE_LIMIT_PREFIX: `test:gw:${crypto.randomUUID()}:`,
    PUBLIC_URL: "http://web.test",
    ...options.env,
  });
  const signer = await createAccessTokenSigner({
    privateJwk: config.JWT_PRIVATE_JWK,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  const log = options.log ?? quietLogger("gateway");
  const redis = connectRedis(config.REDIS_URL, log);
  if (!options.redisDown) await waitFor(() => redis.status === "ready", { what: "redis" });
  const { app, stop } = createApp({ config, log, redis, signer });
  const server = serve(app.fetch);
  return {
    ...server,
    config,
    signer,
    keys,
    redis,
    close: async () => {
      await server.close();
      await stop();
      if (redis.status === "ready") {
        const keys = options.keepRateLimitKeys
          ? []
          : await redis.keys(`${config.RATE_LIMIT_PREFIX}*`);
        if (keys.length) await redis.del(...keys);
        await redis.quit();
      } else {
        redis.disconnect();
      }
    },
  };
}

/** Reads a response's JSON body (so no test leaves a body unread). */
export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return await response.json() as T;
}

/** Spellings of a path that are not canonical; `route` is the plain path, e.g. /api/v1/auth/login. */
export function nonCanonicalSpellings(route: string): string[] {
  const cut = route.lastIndexOf("/");
  const [dir, leaf] = [route.slice(0, cut), route.slice(cut + 1)];
  const escaped = (char: string) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
  return [
    `${dir}/./${leaf}`,
    `${dir}/%2e/${leaf}`,
    `${dir}/%2E/${leaf}`,
    `${dir}/x/../${leaf}`,
    `${dir}/x/%2e%2e/${leaf}`,
    `${dir}/x/%2E%2E/${leaf}`,
    `${dir}/x/.%2e/${leaf}`,
    `${dir}//${leaf}`,
    `/${route}`,
    `${route}/`,
    `${route}/.`,
    `${route};x=1`,
    `${route};`,
    `${dir}\\${leaf}`,
    `${dir}%2F${leaf}`,
    `${dir}%2f${leaf}`,
    `${dir}%5C${leaf}`,
    `${dir}%5c${leaf}`,
    `${dir}/${escaped(leaf[0])}${leaf.slice(1)}`,
    `${dir}/${escaped(leaf[0]).toLowerCase()}${leaf.slice(1)}`,
    `${route}%00`,
    `${route}%20`,
    `${route}%2500`,
    `${route}%3B`,
    `${route}%C0%AE`, // an over-long UTF-8 "."
    `${route}/${"a".repeat(MAX_PATH_LENGTH)}`,
  ];
}

/**
 * Upper-case spellings of a path: paths are case-sensitive, so each must be a
 * 404 (never the route's handler, limited or not).
 */
export function caseVariants(route: string): string[] {
  const segments = route.split("/");
  const upper = (index: number) =>
    segments.map((segment, i) => i === index ? segment.toUpperCase() : segment).join("/");
  const leaf = segments.at(-1)!;
  return [
    upper(1), // /API/v1/…
    upper(3), // /api/v1/AUTH/…
    upper(segments.length - 1), // …/LOGIN
    [...segments.slice(0, -1), `${leaf[0].toUpperCase()}${leaf.slice(1)}`].join("/"),
    route.toUpperCase(),
  ];
}

/** An HTTP answer read off the wire by `rawRequest`. */
export interface RawReply {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Sends one HTTP/1.1 request with the target exactly as given. fetch() and
 * node:http resolve "." and ".." and turn "\\" into "/" before sending, which
 * would hide exactly what the canonical-path tests are about.
 */
export async function rawRequest(
  baseUrl: string,
  method: string,
  target: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(baseUrl);
  const body = new TextEncoder().encode(init.body ?? "");
  const headers: Record<string, string> = {
    host: `${hostname}:${port}`,
    connection: "close",
    ...(init.body === undefined ? {} : { "content-length": String(body.byteLength) }),
    ...init.headers,
  };
  const head = `${method} ${target} HTTP/1.1\r\n${
    Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")
  }\r\n`;
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    const request = new Uint8Array([...new TextEncoder().encode(head), ...body]);
    for (let sent = 0; sent < request.length;) sent += await conn.write(request.subarray(sent));
    const text = await new Response(conn.readable).text();
    return parseReply(text);
  } finally {
    try {
      conn.close();
    } catch { /* closed by reading to the end */ }
  }
}

function parseReply(text: string): RawReply {
  const split = text.indexOf("\r\n\r\n");
  const [statusLine, ...fields] = text.slice(0, split).split("\r\n");
  const headers = new Headers();
  for (const field of fields) {
    const colon = field.indexOf(":");
    headers.append(field.slice(0, colon).trim(), field.slice(colon + 1).trim());
  }
  let body = text.slice(split + 4);
  if (headers.get("transfer-encoding")?.includes("chunked")) {
    let decoded = "";
    for (let at = 0;;) {
      const lineEnd = body.indexOf("\r\n", at);
      const size = parseInt(body.slice(at, lineEnd), 16);
      if (!size) break;
      decoded += body.slice(lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
    body = decoded;
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

/** The token `startEdge`'s handshake accepts. */
export const EDGE_TOKEN = "test-token";

/** What `startEdge` runs and records. */
export interface EdgeDouble {
  url: string;
  port: number;
  io: Server;
  /** Sockets that passed the handshake, in order. */
  connected: ServerSocket[];
  /** Disconnect reasons, by socket id. */
  disconnects: Map<string, string>;
  /** Engine.IO connections (below Socket.io's handshake), in order, with their close reason. */
  engines: { socket: EngineSocket; closed?: string }[];
  /** HTTP requests and upgrades that reached the server (any path). */
  requests: number;
  close(): Promise<void>;
  /** Destroys every connection at once, as a crashed process would. */
  crash(): Promise<void>;
}

/**
 * A bare Socket.io server on node:http, as the realtime edge runs, for the
 * bridge tests. A test instrument, not an imitation of the edge: its handshake
 * checks a token as the edge's contract says (connect_error "unauthorized" with
 * a code), "echo" and "size" answer through their ack, and it says "hello".
 */
export async function startEdge(port = 0): Promise<EdgeDouble> {
  const http: HttpServer = createServer();
  const connections = new Set<NetSocket>();
  http.on("connection", (socket: NetSocket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
  });
  const io = new Server(http, { path: "/socket.io/", maxHttpBufferSize: 1024 * 1024 });
  const edge: EdgeDouble = {
    url: "",
    port: 0,
    io,
    connected: [],
    disconnects: new Map(),
    engines: [],
    requests: 0,
    close: async () => {
      await io.close();
      for (const socket of connections) socket.destroy();
    },
    crash: async () => {
      for (const socket of connections) socket.destroy();
      await io.close();
    },
  };
  http.prependListener("request", () => edge.requests++);
  http.prependListener("upgrade", () => edge.requests++);
  io.engine.on("connection", (socket: EngineSocket) => {
    const entry: { socket: EngineSocket; closed?: string } = { socket };
    edge.engines.push(entry);
    socket.on("close", (reason: string) => entry.closed = reason);
  });
  io.use((socket, next) => {
    const token = socket.handshake.auth?.token;
    if (token === EDGE_TOKEN) return next();
    const error = new Error("unauthorized") as Error & { data: unknown };
    error.data = { code: token ? "token_invalid" : "token_missing" };
    next(error);
  });
  io.on("connection", (socket) => {
    edge.connected.push(socket);
    socket.on("disconnect", (reason) => edge.disconnects.set(socket.id, reason));
    socket.on("echo", (payload, ack) => typeof ack === "function" && ack({ echoed: payload }));
    socket.on("size", (payload, ack) => {
      if (typeof ack === "function") ack(payload.byteLength ?? payload.length);
    });
    socket.emit("hello", { welcome: true });
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  edge.port = (http.address() as { port: number }).port;
  edge.url = `http://127.0.0.1:${edge.port}`;
  return edge;
}
