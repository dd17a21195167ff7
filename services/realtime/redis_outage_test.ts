/**
 * Redis going away under a running edge (a Redis server of this test's own, so
 * the shared one is never touched): sockets stay connected, /readyz turns 503,
 * typing is answered `unavailable`, an event that cannot be pushed is retried by
 * the bus instead of crashing anything; once Redis is back the edge is ready
 * and pushes again.
 */
import assert from "node:assert/strict";
import { freePort } from "@mp/shared/testing";
import { createCluster, envelope, newUser, waitFor } from "./test_support.ts";

function startRedis(port: number) {
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

async function readiness(url: string) {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: await response.json() };
}

Deno.test("the edge survives a Redis outage and recovers", async () => {
  const cluster = await createCluster("redis_outage");
  const port = freePort();
  let redis = startRedis(port);
  try {
    const redisUrl = `redis://127.0.0.1:${port}`;
    await waitFor(async () => {
      const conn = await Deno.connect({ port }).catch(() => undefined);
      conn?.close();
      return conn !== undefined;
    }, { what: "redis-server up" });
    const edge = await cluster.start({ REDIS_URL: redisUrl });
    const ada = await cluster.client(edge, newUser("ada"));
    const push = async (id: string) => {
      await cluster.publish(envelope("notification.created", {
        userId: ada.userId,
        notification: { id },
      }));
    };
    await push("before");
    await ada.next("notification:new", (p) => p.id === "before");

    await redis.stop();
    const down = await waitFor(async () => {
      const answer = await readiness(edge.url);
      return answer.status === 503 ? answer : undefined;
    }, { what: "not ready" });
    assert.equal(down.body.code, "not_ready");
    assert.equal(down.body.checks.redis, false);
    assert.equal(down.body.checks.broker, true);
    assert.deepEqual(await ada.ask("typing", { conversationId: "c1" }), {
      error: { code: "unavailable", message: "Try again shortly." },
    });
    await push("during"); // cannot reach other instances: retried by the bus, nothing crashes
    assert.ok(ada.socket.connected);

    redis = startRedis(port);
    await waitFor(async () => (await readiness(edge.url)).status === 200, {
      timeoutMs: 20_000,
      what: "ready again",
    });
    await push("after");
    await ada.next("notification:new", (p) => p.id === "after");
    assert.deepEqual(await ada.ask("typing", { conversationId: "c1" }), {
      error: { code: "forbidden", message: "You are not a participant of this conversation." },
    });
  } finally {
    await cluster.cleanup();
    await redis.stop();
  }
});
