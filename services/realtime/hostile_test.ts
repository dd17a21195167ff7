/**
 * What a hostile client can send never takes the edge down: a frame over
 * REALTIME_MAX_FRAME_BYTES closes that one socket; raw garbage, a reserved
 * event name or a binary flood on a raw WebSocket close that connection only.
 * After each, the other clients still get pushes and /readyz stays 200.
 * Long-polling (straight to one edge) works and has the same limit.
 */
import assert from "node:assert/strict";
import { io as connect } from "socket.io-client";
import { createCluster, envelope, newUser, type TestClient, waitFor } from "./test_support.ts";

async function stillServes(
  cluster: Awaited<ReturnType<typeof createCluster>>,
  url: string,
  client: TestClient,
) {
  const id = crypto.randomUUID();
  await cluster.publish(envelope("notification.created", {
    userId: client.userId,
    notification: { id },
  }));
  await client.next("notification:new", (p) => p.id === id);
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200, await ready.text());
}

Deno.test("an oversized frame closes that socket only", async () => {
  const cluster = await createCluster("frames");
  try {
    const edge = await cluster.start({ REALTIME_MAX_FRAME_BYTES: "4096" });
    const bob = await cluster.client(edge, newUser("bob"));
    const mallory = await cluster.client(edge, newUser("mallory"));
    const closed = new Promise((resolve) => mallory.socket.on("disconnect", resolve));
    mallory.socket.emit("typing", { conversationId: "x".repeat(5000) });
    assert.equal(await closed, "transport close");
    assert.ok(bob.socket.connected);
    await stillServes(cluster, edge.url, bob);

    // A frame just under the limit is an ordinary bad payload.
    const eve = await cluster.client(edge, newUser("eve"));
    assert.deepEqual(await eve.ask("typing", { conversationId: "x".repeat(3000) }), {
      error: { code: "bad_request", message: "Expected { conversationId: string }." },
    });
    assert.ok(eve.socket.connected);
  } finally {
    await cluster.cleanup();
  }
});

Deno.test("raw WebSocket garbage closes that connection only", async () => {
  const cluster = await createCluster("garbage");
  try {
    const edge = await cluster.start();
    const bob = await cluster.client(edge, newUser("bob"));
    const token = await cluster.token(newUser("mallory"));
    const wsUrl = `${edge.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`;
    const attacks: (string | Uint8Array)[][] = [
      ["garbage"],
      ["4"],
      ['40{"token":'],
      [`40${JSON.stringify({ token })}`, '42["disconnect"]'],
      [`40${JSON.stringify({ token })}`, '42[{"not":"a name"}]'],
      [`40${JSON.stringify({ token })}`, "42[", "42]"],
      [`40${JSON.stringify({ token })}`, '451-["typing",{"_placeholder":true,"num":9}]'],
      [new Uint8Array(64).fill(255)],
    ];
    for (const frames of attacks) {
      const ws = new WebSocket(wsUrl);
      const closed = new Promise((resolve) => (ws.onclose = resolve));
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
      });
      for (const frame of frames) ws.send(frame);
      ws.send("garbage at the end"); // in case the frames above were accepted
      await closed;
      await stillServes(cluster, edge.url, bob);
    }
    assert.ok(bob.socket.connected);
  } finally {
    await cluster.cleanup();
  }
});

Deno.test("long-polling works against one edge, under the same frame limit", async () => {
  const cluster = await createCluster("polling");
  try {
    const edge = await cluster.start({ REALTIME_MAX_FRAME_BYTES: "4096" });
    const user = newUser("ada");
    const socket = connect(edge.url, {
      transports: ["polling"],
      auth: { token: await cluster.token(user) },
      reconnection: false,
      forceNew: true,
    });
    try {
      const pushed: unknown[] = [];
      socket.on("notification:new", (payload) => pushed.push(payload));
      await new Promise<void>((resolve, reject) => {
        socket.on("connect", () => resolve());
        socket.on("connect_error", reject);
      });
      assert.equal(socket.io.engine.transport.name, "polling");
      await cluster.publish(envelope("notification.created", {
        userId: user,
        notification: { id: "n1" },
      }));
      await waitFor(() => pushed.length === 1, { what: "push over polling" });
      const closed = new Promise((resolve) => socket.on("disconnect", resolve));
      socket.emit("typing", { conversationId: "x".repeat(5000) });
      assert.equal(await closed, "transport close");
    } finally {
      socket.close();
    }
  } finally {
    await cluster.cleanup();
  }
});
