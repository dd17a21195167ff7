import assert from "node:assert/strict";
import { quietLogger, waitFor } from "@mp/shared/testing";
import { BatchedLimiter } from "./general_limit.ts";
import { connectRedis } from "@mp/shared/redis";

const policy = { name: "ip", limit: 3, windowSeconds: 60, failOpen: true };

function replicas(
  prefix: string,
  redisUrl = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379",
) {
  const log = quietLogger("gateway");
  const redis = connectRedis(redisUrl, log);
  const make = () => new BatchedLimiter({ redis, prefix, policy, log, syncMs: 1_000_000 });
  return { redis, a: make(), b: make() };
}

Deno.test("BatchedLimiter refuses locally at the limit, with the time left in the window", async () => {
  const prefix = `test:general:${crypto.randomUUID()}:`;
  const { redis, a } = replicas(prefix);
  await waitFor(() => redis.status === "ready", { what: "redis" });
  try {
    for (let i = 0; i < 3; i++) assert.equal(a.take("198.51.100.1").allowed, true);
    const refused = a.take("198.51.100.1");
    assert.equal(refused.allowed, false);
    assert.ok(!refused.allowed && refused.reason === "limited" && refused.retryAfterSeconds <= 60);
    assert.equal(a.take("198.51.100.2").allowed, true, "another address has its own budget");
  } finally {
    await a.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
});

Deno.test("BatchedLimiter replicas share one budget once they synced", async () => {
  const prefix = `test:general:${crypto.randomUUID()}:`;
  const { redis, a, b } = replicas(prefix);
  await waitFor(() => redis.status === "ready", { what: "redis" });
  try {
    assert.equal(a.take("203.0.113.9").allowed, true);
    assert.equal(a.take("203.0.113.9").allowed, true);
    assert.equal(b.take("203.0.113.9").allowed, true);
    await a.sync();
    await b.sync();
    await a.sync(); // a learns b's count
    assert.equal(a.take("203.0.113.9").allowed, false);
    assert.equal(b.take("203.0.113.9").allowed, false);
  } finally {
    await a.stop();
    await b.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
});

Deno.test("BatchedLimiter keeps limiting with its own counts while Redis is unreachable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const { redis, a } = replicas(
    `test:general:${crypto.randomUUID()}:`,
    `redis://127.0.0.1:${port}`,
  );
  try {
    for (let i = 0; i < 3; i++) assert.equal(a.take("192.0.2.7").allowed, true);
    await a.sync(); // fails quietly; the counts stay
    assert.equal(a.take("192.0.2.7").allowed, false);
  } finally {
    await a.stop();
    redis.disconnect();
  }
});
