import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createTestKeys, passThrough, waitFor } from "@mp/shared/testing";
import { io as connectClient } from "socket.io-client";
import {
  closedPort,
  EDGE_TOKEN,
  rawRequest,
  startEchoUpstream,
  startEdge,
} from "./test_support.ts";

const main = new URL("./main.ts", import.meta.url).pathname;
const redisHostPort = new URL(Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379").host;

/**
 * `deno serve` for the gateway with exactly the flags README.md documents: its
 * address, its metrics listener's, Redis and the upstreams.
 */
function serveGateway(
  port: number,
  upstreams: string[],
  env: Record<string, string>,
  metricsPort = closedPort(),
) {
  const allowNet = [`127.0.0.1:${port}`, `127.0.0.1:${metricsPort}`, redisHostPort, ...upstreams]
    .join(",");
  return new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      `--allow-net=${allowNet}`,
      "--allow-env",
      main,
    ],
    // Only what Deno itself needs to find its cache, plus the gateway's own variables.
    env: {
      ...passThrough(["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME", "DENO_TLS_CA_STORE"]),
      NO_COLOR: "1",
      GATEWAY_METRICS_PORT: String(metricsPort),
      ...env,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("the gateway process starts under its least-privilege flags, serves, and stops cleanly on SIGTERM", async () => {
  const keys = await createTestKeys();
  const upstream = startEchoUpstream();
  const port = closedPort();
  const metricsPort = closedPort();
  const upstreamHost = new URL(upstream.url).host;
  const prefix = `test:gw:${crypto.randomUUID()}:`;
  const child = serveGateway(port, [upstreamHost], {
    JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
    REDIS_URL: `redis://${redisHostPort}`,
    AUTH_URL: upstream.url,
    NOTIFICATIONS_URL: upstream.url,
    RATE_LIMIT_PREFIX: prefix,
  }, metricsPort);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => (await fetch(`${base}/livez`).then((r) => r.text().then(() => r.ok)).catch(() =>
        false
      )),
      {
        what: "gateway /livez",
        timeoutMs: 30_000,
      },
    );
    const jwks = await (await fetch(`${base}/.well-known/jwks.json`)).json();
    assert.equal(jwks.keys[0].kid, keys.kid);
    assert.equal(jwks.keys[0].d, undefined);

    await waitFor(
      async () => (await fetch(`${base}/readyz`).then((r) =>
        r.text().then(() => r.status === 200)
      )),
      {
        what: "gateway /readyz",
      },
    );
    const proxied = await fetch(`${base}/api/v1/notifications/ping?x=1`, {
      headers: {
        "x-request-id": "proc-1",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
    });
    assert.equal(proxied.status, 200);
    assert.equal(proxied.headers.get("x-request-id"), "proc-1");
    assert.equal((await proxied.json()).headers["x-request-id"], "proc-1");

    // Its metrics are on the metrics listener, by route template, and not on the public port.
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(
      await metrics.text(),
      /^http_requests_total\{method="GET",route="\/api\/\*",status="200"\} 1$/m,
    );
    const publicPort = await fetch(`${base}/metrics`);
    assert.doesNotMatch(await publicPort.text(), /http_requests_total/);
  } finally {
    child.kill("SIGTERM");
    const { code, stdout } = await child.output();
    await upstream.close();
    // The process keeps its counters in Redis (that is the point); the test removes them.
    const redis = new Redis(`redis://${redisHostPort}`);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    assert.equal(code, 0, "SIGTERM ends the process with 0 after draining");
    const lines = new TextDecoder().decode(stdout).trim().split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    assert.ok(lines.some((line) => line.message === "stopped"));
    // The access log line, in ECS names, with the request id and the caller's trace.
    const access = lines.find((line) =>
      line.message === "request" && line["http.request.id"] === "proc-1"
    );
    assert.ok(access, "access log has the id");
    assert.equal(access["service.name"], "gateway");
    assert.equal(access["http.request.method"], "GET");
    assert.equal(access["url.path"], "/api/v1/notifications/ping");
    assert.equal(access["http.response.status_code"], 200);
    assert.ok(Number.isInteger(access["event.duration"]) && access["event.duration"] > 0);
    assert.equal(access["trace.id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  }
});

Deno.test("the gateway process refuses to start without a usable JWT_PRIVATE_JWK, naming it without a stack", async () => {
  const keys = await createTestKeys();
  const publicOnly = { ...keys.jwks.keys[0] };
  for (const value of [undefined, "{oops", JSON.stringify(publicOnly)]) {
    const port = closedPort();
    const child = serveGateway(port, [], value === undefined ? {} : { JWT_PRIVATE_JWK: value });
    const { code, stderr } = await child.output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 1, text);
    assert.match(text, /invalid configuration/);
    assert.match(text, /JWT_PRIVATE_JWK/);
    assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
  }
});

Deno.test("the gateway process logs only what happened to proxied requests: no legacy-abort warning, a client that leaves mid-body as that", async () => {
  const keys = await createTestKeys();
  const upstream = startEchoUpstream();
  const port = closedPort();
  const prefix = `test:gw:${crypto.randomUUID()}:`;
  const child = serveGateway(port, [new URL(upstream.url).host], {
    JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
    REDIS_URL: `redis://${redisHostPort}`,
    AUTH_URL: upstream.url,
    NOTIFICATIONS_URL: upstream.url,
    RATE_LIMIT_PREFIX: prefix,
  });
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      () => fetch(`${base}/livez`).then((r) => r.text().then(() => r.ok)).catch(() => false),
      { what: "gateway /livez", timeoutMs: 30_000 },
    );
    // A chunked body (no Content-Length), forwarded and answered 200.
    const chunked = await fetch(`${base}/api/v1/notifications/x`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: ReadableStream.from([new TextEncoder().encode('{"a":1}')]),
    });
    assert.equal(chunked.status, 200);
    assert.equal((await chunked.json()).body, '{"a":1}');
    // A client that announces 100 bytes, sends 5 and leaves.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(
      "POST /api/v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
        'content-length: 100\r\n\r\n{"a":',
    ));
    await new Promise((resolve) => setTimeout(resolve, 200));
    conn.close();
    // SIGTERM drains: the gateway exits only after that request ended.
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await upstream.close();
    const redis = new Redis(`redis://${redisHostPort}`);
    const left = await redis.keys(`${prefix}*`);
    if (left.length) await redis.del(...left);
    await redis.quit();
  }
  const [stdout, stderr] = await output;
  assert.doesNotMatch(stderr, /legacy|AbortError|BadResource|unhandled/i, stderr);
  const lines = stdout.split("\n").filter((line) => line.startsWith("{")).map((line) =>
    JSON.parse(line)
  );
  assert.ok(!lines.some((line) => line["log.level"] === "error"), stdout);
  const incomplete = lines.find((line) => line.message.startsWith("request body incomplete"));
  assert.ok(incomplete, stdout);
  assert.equal(incomplete["log.level"], "info");
  assert.equal(incomplete.received, 5);
  assert.equal(upstream.received.filter((echo) => echo.path === "/api/v1/auth/login").length, 0);
});

Deno.test("the gateway process reaches chat over HTTP and bridges /socket.io/ to the realtime edge under --allow-net listing both", async () => {
  const keys = await createTestKeys();
  const upstream = startEchoUpstream();
  const edge = await startEdge();
  const port = closedPort();
  const prefix = `test:gw:${crypto.randomUUID()}:`;
  // As scripts/processes.ts computes it: chat and realtime are two more upstreams.
  const child = serveGateway(port, [new URL(upstream.url).host, new URL(edge.url).host], {
    JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
    REDIS_URL: `redis://${redisHostPort}`,
    AUTH_URL: upstream.url,
    NOTIFICATIONS_URL: upstream.url,
    CHAT_URL: upstream.url,
    REALTIME_URL: edge.url,
    RATE_LIMIT_PREFIX: prefix,
  });
  const base = `http://127.0.0.1:${port}`;
  const socket = connectClient(base, {
    transports: ["websocket"],
    auth: { token: EDGE_TOKEN },
    autoConnect: false,
    reconnection: false,
  });
  let stopped = false;
  try {
    await waitFor(
      () => fetch(`${base}/livez`).then((r) => r.text().then(() => r.ok)).catch(() => false),
      { what: "gateway /livez", timeoutMs: 30_000 },
    );
    const chat = await fetch(`${base}/api/v1/conversations/unread-count`);
    assert.equal(chat.status, 200);
    assert.equal((await chat.json()).path, "/api/v1/conversations/unread-count");

    socket.connect();
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    assert.deepEqual(await socket.emitWithAck("echo", "through the process"), {
      echoed: "through the process",
    });
    // Shutdown closes open sockets as "going away" (clients reconnect to another
    // replica) and still exits 0.
    const raw = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    await new Promise((resolve, reject) => {
      raw.onopen = resolve;
      raw.onerror = reject;
    });
    const rawClosed = new Promise<CloseEvent>((resolve) => raw.onclose = resolve);
    const gone = new Promise((resolve) => socket.once("disconnect", resolve));
    child.kill("SIGTERM");
    stopped = true;
    assert.equal(await gone, "transport close");
    // 1001 (Deno's own shutdown or the gateway's stop(), whichever comes first), not a dropped connection.
    assert.equal((await rawClosed).code, 1001);
    await waitFor(() => edge.disconnects.size === 1, { what: "the edge sees the disconnect" });
  } finally {
    socket.disconnect();
    if (!stopped) child.kill("SIGTERM");
    const { code, stdout } = await child.output();
    await edge.close();
    await upstream.close();
    const redis = new Redis(`redis://${redisHostPort}`);
    const left = await redis.keys(`${prefix}*`);
    if (left.length) await redis.del(...left);
    await redis.quit();
    assert.equal(code, 0, new TextDecoder().decode(stdout));
    // Each bridged socket's close is logged under its handshake's request id.
    const closed = new TextDecoder().decode(stdout).split("\n")
      .filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
      .filter((line) => line.message === "websocket closed");
    assert.equal(closed.length, 2, new TextDecoder().decode(stdout));
    for (const line of closed) {
      assert.match(line["http.request.id"], /^[0-9a-f-]{36}$/, JSON.stringify(line));
      assert.ok(!("requestId" in line), JSON.stringify(line));
    }
    assert.notEqual(closed[0]["http.request.id"], closed[1]["http.request.id"]);
  }
});

Deno.test("the gateway process without the edge in --allow-net answers a handshake 503, not a crash", async () => {
  const keys = await createTestKeys();
  const edge = await startEdge();
  const port = closedPort();
  const prefix = `test:gw:${crypto.randomUUID()}:`;
  const child = serveGateway(port, [], {
    JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
    REDIS_URL: `redis://${redisHostPort}`,
    REALTIME_URL: edge.url,
    RATE_LIMIT_PREFIX: prefix,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      () => fetch(`${base}/livez`).then((r) => r.text().then(() => r.ok)).catch(() => false),
      { what: "gateway /livez", timeoutMs: 30_000 },
    );
    const reply = await rawRequest(base, "GET", "/socket.io/?EIO=4&transport=websocket", {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade, close",
        "sec-websocket-version": "13",
        "sec-websocket-key": btoa("0123456789abcdef"),
      },
    });
    assert.equal(reply.status, 503);
    assert.equal(JSON.parse(reply.body).code, "service_unavailable");
    assert.equal(edge.requests, 0);
    assert.ok(await fetch(`${base}/livez`).then((r) => r.text().then(() => r.ok)));
  } finally {
    child.kill("SIGTERM");
    await child.output();
    await edge.close();
    const redis = new Redis(`redis://${redisHostPort}`);
    const left = await redis.keys(`${prefix}*`);
    if (left.length) await redis.del(...left);
    await redis.quit();
  }
});
