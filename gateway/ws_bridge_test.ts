/**
 * The WebSocket bridge with a real Socket.io server (node:http, as the realtime
 * edge runs it: `startEdge` in test_support.ts) as upstream and a real
 * socket.io-client through the gateway.
 */
import assert from "node:assert/strict";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { Hono } from "hono";
import { quietLogger, waitFor } from "@mp/shared/testing";
import { socketBridge } from "./ws_bridge.ts";
import { UpstreamPool } from "./upstream_pool.ts";
import {
  closedPort,
  EDGE_TOKEN as TOKEN,
  type EdgeDouble,
  json,
  rawRequest,
  startEdge,
  startGateway,
  startStalledUpstream,
  type TestGateway,
} from "./test_support.ts";

/** Gateway and edge for one test; closed together. */
async function setup(env: Record<string, string> = {}) {
  const edge = await startEdge();
  const gateway = await startGateway({ env: { REALTIME_URL: edge.url, ...env } });
  const clients: ClientSocket[] = [];
  const client = (options: Record<string, unknown> = {}) => {
    const socket = connectClient(gateway.url, {
      transports: ["websocket"],
      auth: { token: TOKEN },
      reconnection: false,
      forceNew: true,
      ...options,
    });
    clients.push(socket);
    return socket;
  };
  const close = async () => {
    for (const socket of clients) socket.disconnect();
    await edge.close();
    await gateway.close();
  };
  return { edge, gateway, client, close };
}

function connected(socket: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
}

function connectError(socket: ClientSocket): Promise<Error & { data?: unknown }> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => reject(new Error("connected")));
    socket.once("connect_error", resolve);
  });
}

function disconnected(socket: ClientSocket): Promise<string> {
  return new Promise((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
}

/** A WebSocket handshake as raw HTTP, so the answer to a refused one can be read. */
function handshake(gateway: TestGateway, target: string, headers: Record<string, string> = {}) {
  return rawRequest(gateway.url, "GET", target, {
    headers: {
      upgrade: "websocket",
      // "close": a refused handshake is answered, then the connection ends (rawRequest reads to the end).
      connection: "Upgrade, close",
      "sec-websocket-version": "13",
      "sec-websocket-key": btoa("0123456789abcdef"),
      ...headers,
    },
  });
}

/** A WebSocket handshake on a bare TCP connection, which then neither reads nor writes. */
async function rawUpgrade(gateway: TestGateway): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gateway.port });
  await conn.write(new TextEncoder().encode(
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\n" +
      "connection: Upgrade\r\nsec-websocket-version: 13\r\n" +
      `sec-websocket-key: ${btoa("0123456789abcdef")}\r\n\r\n`,
  ));
  const head = new Uint8Array(512);
  const read = await conn.read(head);
  assert.match(new TextDecoder().decode(head.subarray(0, read ?? 0)), /^HTTP\/1\.1 101/);
  return conn;
}

Deno.test("socket.io over the gateway: handshake token checked by the edge, acks both ways, server pushes", async () => {
  const { edge, client, close } = await setup();
  try {
    const socket = client({
      extraHeaders: { "x-request-id": "ws-1", "x-forwarded-for": "6.6.6.6" },
    });
    const hello = new Promise((resolve) => socket.once("hello", resolve));
    await connected(socket);
    assert.deepEqual(await hello, { welcome: true });

    // The edge saw the client address as the gateway saw it, and the request id.
    const [server] = edge.connected;
    assert.equal(server.handshake.headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(server.handshake.headers["x-request-id"], "ws-1");
    assert.equal(server.handshake.query.EIO, "4");
    assert.equal(server.handshake.query.transport, "websocket");

    // Client → server with an ack.
    assert.deepEqual(await socket.emitWithAck("echo", { n: 1, text: "héllo" }), {
      echoed: { n: 1, text: "héllo" },
    });
    // Server → client with an ack.
    socket.on("question", (payload, ack) => ack(`answer to ${payload}`));
    assert.equal(await server.timeout(5000).emitWithAck("question", "q1"), "answer to q1");
    // A push to the user's room.
    server.join("user:u1");
    const pushed = new Promise((resolve) => socket.once("message:new", resolve));
    edge.io.to("user:u1").emit("message:new", { id: "m1" });
    assert.deepEqual(await pushed, { id: "m1" });
    // Binary frames (a Socket.io attachment) cross both ways unchanged.
    const bytes = new Uint8Array(1000).map((_, i) => i % 251);
    assert.equal(await socket.emitWithAck("size", bytes), 1000);
    const back = await socket.emitWithAck("echo", bytes);
    assert.deepEqual(new Uint8Array(back.echoed), bytes);
  } finally {
    await close();
  }
});

Deno.test("socket.io over the gateway: a wrong or missing token is refused by the edge with its code", async () => {
  const { client, close } = await setup();
  try {
    const wrong = await connectError(client({ auth: { token: "forged" } }));
    assert.equal(wrong.message, "unauthorized");
    assert.deepEqual(wrong.data, { code: "token_invalid" });
    const missing = await connectError(client({ auth: {} }));
    assert.equal(missing.message, "unauthorized");
    assert.deepEqual(missing.data, { code: "token_missing" });
  } finally {
    await close();
  }
});

Deno.test("socket.io over the gateway: big frames within WEBSOCKET_MAX_FRAME_BYTES pass; a larger one closes that socket only", async () => {
  const { edge, client, close } = await setup({ WEBSOCKET_MAX_FRAME_BYTES: String(64 * 1024) });
  try {
    const socket = client();
    await connected(socket);
    const big = "x".repeat(60 * 1024);
    assert.equal(await socket.emitWithAck("size", big), big.length);
    const bigBinary = new Uint8Array(60 * 1024).fill(7);
    assert.equal(await socket.emitWithAck("size", bigBinary), bigBinary.byteLength);
    // The edge may send large frames to the client (no limit that way).
    const server = edge.connected[0];
    const pushed = new Promise<string>((resolve) => socket.once("large", resolve));
    server.emit("large", "y".repeat(200 * 1024));
    assert.equal((await pushed).length, 200 * 1024);

    const other = client();
    await connected(other);
    const gone = disconnected(socket);
    socket.emit("size", "z".repeat(65 * 1024));
    assert.equal(await gone, "transport close");
    await waitFor(() => edge.disconnects.get(server.id), { what: "the edge sees the disconnect" });
    // Only that socket: the other one still works.
    assert.deepEqual(await other.emitWithAck("echo", 1), { echoed: 1 });
  } finally {
    await close();
  }
});

Deno.test("socket.io over the gateway: the edge going away closes the client, which reconnects once it is back", async () => {
  const edge = await startEdge();
  const port = edge.port;
  const gateway = await startGateway({ env: { REALTIME_URL: edge.url } });
  const socket = connectClient(gateway.url, {
    transports: ["websocket"],
    auth: { token: TOKEN },
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
    forceNew: true,
  });
  let revived: EdgeDouble | undefined;
  try {
    await connected(socket);
    const gone = disconnected(socket);
    const failedAttempt = new Promise((resolve) => socket.io.once("reconnect_error", resolve));
    await edge.crash();
    assert.equal(await gone, "transport close");
    // While the edge is down a reconnection is refused at the gateway (503).
    await failedAttempt;
    revived = await startEdge(port);
    const reconnected = new Promise((resolve) => socket.io.once("reconnect", resolve));
    await reconnected;
    await waitFor(() => socket.connected, { what: "socket connected again" });
    assert.equal(revived.connected.length, 1);
    assert.deepEqual(await socket.emitWithAck("echo", "again"), { echoed: "again" });
  } finally {
    socket.disconnect();
    await revived?.close();
    await edge.close();
    await gateway.close();
  }
});

Deno.test("socket.io over the gateway: a client that leaves closes its socket to the edge (no leak)", async () => {
  const { edge, gateway, client, close } = await setup();
  try {
    // The Engine.IO transport closed without a Socket.io disconnect packet.
    const socket = client();
    await connected(socket);
    socket.io.engine.close();
    await waitFor(() => edge.disconnects.get(edge.connected[0].id), { what: "first disconnect" });
    assert.equal(edge.disconnects.get(edge.connected[0].id), "transport close");

    // A client whose TCP connection just ends, no close frame.
    const conn = await rawUpgrade(gateway);
    await waitFor(() => edge.io.engine.clientsCount === 1, { what: "engine client" });
    conn.close();
    await waitFor(() => edge.io.engine.clientsCount === 0, {
      what: "the edge drops the engine client",
    });
  } finally {
    await close();
  }
});

Deno.test("socket.io over the gateway: only /socket.io/ as spelled; other spellings never reach the edge", async () => {
  const { edge, gateway, close } = await setup();
  try {
    for (
      const path of [
        "/socket.io//",
        "//socket.io/",
        "/socket.io/./",
        "/socket.io/%2e/",
        "/socket.io/;x",
        "/socket%2Eio/",
        "/socket.io/%2F",
        "/./socket.io/",
        "/x/../socket.io/",
        "/SOCKET.IO/",
      ]
    ) {
      const reply = await handshake(gateway, `${path}?EIO=4&transport=websocket`);
      assert.equal(reply.status, 400, path);
      assert.equal(JSON.parse(reply.body).code, "path_not_canonical", path);
    }
    for (const path of ["/socket.io", "/socket.io/x"]) {
      const reply = await handshake(gateway, `${path}?EIO=4&transport=websocket`);
      assert.equal(reply.status, 404, path);
    }
    assert.equal(edge.requests, 0);
  } finally {
    await close();
  }
});

Deno.test("socket.io over the gateway: long-polling is refused with a 400 that says to use the websocket transport; a protocol other than EIO=4 is a 400 too", async () => {
  const { edge, gateway, client, close } = await setup();
  try {
    const poll = await fetch(`${gateway.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(poll.status, 400);
    assert.equal(poll.headers.get("content-type"), "application/problem+json");
    const body = await json(poll);
    assert.equal(body.code, "websocket_required");
    assert.match(String(body.detail), /transports: \["websocket"\]/);
    const post = await fetch(`${gateway.url}/socket.io/?EIO=4&transport=polling&sid=abc`, {
      method: "POST",
      body: "40",
    });
    assert.equal(post.status, 400);
    assert.equal((await json(post)).code, "websocket_required");
    // A WebSocket handshake that says it is polling is not one either.
    const upgradePolling = await handshake(gateway, "/socket.io/?EIO=4&transport=polling");
    assert.equal(upgradePolling.status, 400);
    assert.equal(JSON.parse(upgradePolling.body).code, "websocket_required");
    // Nor is an upgrade of a polling session (there are none).
    const upgradeSession = await handshake(gateway, "/socket.io/?EIO=4&transport=websocket&sid=x");
    assert.equal(JSON.parse(upgradeSession.body).code, "websocket_required");
    // A protocol the edge does not speak is the client's mistake (400), not a 503.
    for (
      const query of [
        "EIO=3&transport=websocket",
        "transport=websocket",
        "EIO=44&transport=websocket",
      ]
    ) {
      const old = await handshake(gateway, `/socket.io/?${query}`);
      assert.equal(old.status, 400, query);
      assert.equal(JSON.parse(old.body).code, "unsupported_protocol", query);
    }
    // A client left on its default transports (polling first) cannot connect.
    const error = await connectError(client({ transports: ["polling"] }));
    assert.match(error.message, /xhr poll error/);
    assert.equal(edge.requests, 0);
  } finally {
    await close();
  }
});

Deno.test("socket.io over the gateway: handshakes per address are limited (429), and count in the general limit", async () => {
  const handshakes = await setup({ WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE: "2" });
  try {
    for (let i = 0; i < 2; i++) await connected(handshakes.client());
    const reply = await handshake(handshakes.gateway, "/socket.io/?EIO=4&transport=websocket");
    assert.equal(reply.status, 429);
    const body = JSON.parse(reply.body);
    assert.equal(body.code, "rate_limited");
    assert.equal(body.limit, "websocket-ip");
    assert.ok(Number(reply.headers.get("retry-after")) > 0);
    // A socket.io client sees it as a failed connection.
    await connectError(handshakes.client());
    assert.equal(handshakes.edge.connected.length, 2);
  } finally {
    await handshakes.close();
  }

  // The `ip` windows are aligned to the clock: start well inside one.
  const toNextMinute = 60_000 - Date.now() % 60_000;
  if (toNextMinute < 5_000) await new Promise((resolve) => setTimeout(resolve, toNextMinute + 100));
  const general = await setup({ RATE_LIMIT_PER_MINUTE: "3", RATE_LIMIT_SYNC_MS: "60000" });
  try {
    const sockets = [general.client(), general.client(), general.client()];
    for (const socket of sockets) await connected(socket);
    const reply = await handshake(general.gateway, "/socket.io/?EIO=4&transport=websocket");
    assert.equal(reply.status, 429);
    assert.equal(JSON.parse(reply.body).limit, "ip");
    // Frames on open sockets are not requests: they keep flowing.
    assert.deepEqual(await sockets[0].emitWithAck("echo", 1), { echoed: 1 });
  } finally {
    await general.close();
  }
});

Deno.test("socket.io over the gateway: an edge that cannot be reached is a 503 problem on the handshake", async () => {
  const gateway = await startGateway({
    env: { REALTIME_URL: `http://127.0.0.1:${closedPort()}` },
  });
  try {
    const reply = await handshake(gateway, "/socket.io/?EIO=4&transport=websocket");
    assert.equal(reply.status, 503);
    assert.equal(JSON.parse(reply.body).code, "service_unavailable");
    assert.doesNotMatch(reply.body, /127\.0\.0\.1/);
  } finally {
    await gateway.close();
  }
});

Deno.test("socket.io over the gateway: an edge that does not accept within UPSTREAM_TIMEOUT_MS is a 504 problem", async () => {
  const stalled = startStalledUpstream();
  const gateway = await startGateway({
    env: { REALTIME_URL: stalled.url, UPSTREAM_TIMEOUT_MS: "300" },
  });
  try {
    const reply = await handshake(gateway, "/socket.io/?EIO=4&transport=websocket");
    assert.equal(reply.status, 504);
    assert.equal(JSON.parse(reply.body).code, "upstream_timeout");
  } finally {
    await gateway.close();
    await stalled.close();
  }
});

Deno.test("socket.io over the gateway: a client that stops reading is dropped once MAX_QUEUED_BYTES wait for it, closing its edge socket", async () => {
  const { edge, gateway, close } = await setup();
  const conn = await rawUpgrade(gateway);
  try {
    await waitFor(() => edge.engines.length === 1, { what: "engine client" });
    const [engine] = edge.engines;
    const chunk = "x".repeat(64 * 1024);
    // Bounded far above the kernel's buffers plus MAX_QUEUED_BYTES (1 MiB).
    for (let i = 0; i < 2000 && !engine.closed; i++) {
      engine.socket.send(chunk);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    // Its reason is "transport close" or "transport error" (the edge was still writing).
    await waitFor(() => engine.closed, { what: "the edge's socket closed" });
  } finally {
    conn.close();
    await close();
  }
});

Deno.test("socketBridge().closeAll() (the gateway's stop) closes every client as going away, and its edge socket", async () => {
  const edge = await startEdge();
  const sockets = socketBridge({
    upstream: { name: "realtime", replicas: new UpstreamPool([edge.url]), cookies: false },
    connectTimeoutMs: 5000,
    maxFrameBytes: 1024,
    trustProxy: false,
    log: quietLogger(),
  });
  const app = new Hono<{ Variables: { requestId: string } }>();
  app.get("/socket.io/", (c) => {
    c.set("requestId", "r1");
    return sockets.handle(c);
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `ws://127.0.0.1:${server.addr.port}/socket.io/?EIO=4&transport=websocket`;
  try {
    const clients = [new WebSocket(url), new WebSocket(url)];
    const closes = clients.map((client) =>
      new Promise<CloseEvent>((resolve) => client.onclose = resolve)
    );
    await Promise.all(clients.map((client) => new Promise((resolve) => client.onopen = resolve)));
    await waitFor(() => sockets.openCount === 2 && edge.engines.length === 2, { what: "bridges" });
    sockets.closeAll();
    for (const closed of await Promise.all(closes)) {
      assert.deepEqual([closed.code, closed.reason], [1001, "gateway shutting down"]);
    }
    assert.equal(sockets.openCount, 0);
    await waitFor(() => edge.engines.every((engine) => engine.closed), { what: "edge closes" });
  } finally {
    await server.shutdown();
    await edge.close();
  }
});
