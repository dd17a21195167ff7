import assert from "node:assert/strict";
import { Drain } from "@mp/shared/http";
import { createTestKeys, quietLogger, waitFor } from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { loadGatewayConfig } from "./config.ts";
import { createAccessTokenSigner } from "./keys.ts";
import { connectRedis } from "@mp/shared/redis";
import {
  closedPort,
  json,
  startEchoUpstream,
  startGateway,
  startStalledUpstream,
} from "./test_support.ts";

Deno.test("/livez answers 200 even when every dependency is down", async () => {
  const gateway = await startGateway({
    env: {
      REDIS_URL: `redis://127.0.0.1:${closedPort()}`,
      AUTH_URL: `http://127.0.0.1:${closedPort()}`,
      NOTIFICATIONS_URL: `http://127.0.0.1:${closedPort()}`,
    },
    redisDown: true,
  });
  try {
    const response = await fetch(`${gateway.url}/livez`);
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response), { status: "ok" });
  } finally {
    await gateway.close();
  }
});

Deno.test("/readyz answers 200 with its own checks and Redis shown under reported", async () => {
  const auth = startEchoUpstream();
  const notifications = startEchoUpstream();
  const gateway = await startGateway({
    env: { AUTH_URL: auth.url, NOTIFICATIONS_URL: notifications.url },
  });
  try {
    const response = await fetch(`${gateway.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response), {
      status: "ready",
      checks: { signingKey: true },
      reported: { redis: true },
    });
    // It asked no upstream.
    assert.equal(auth.received.length + notifications.received.length, 0);
  } finally {
    await gateway.close();
    await auth.close();
    await notifications.close();
  }
});

Deno.test("/readyz stays 200 while upstreams stall or are down, and their routes answer a problem", async () => {
  const auth = startStalledUpstream();
  const port = closedPort();
  const gateway = await startGateway({
    env: {
      AUTH_URL: auth.url,
      NOTIFICATIONS_URL: `http://127.0.0.1:${port}`,
      UPSTREAM_TIMEOUT_MS: "300",
    },
  });
  try {
    const ready = await fetch(`${gateway.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((await json(ready)).status, "ready");
    // Routing is where upstream health shows: 503 for the one that is down, 504 for the stalled one.
    const down = await fetch(`${gateway.url}/api/v1/notifications`);
    assert.equal(down.status, 503);
    assert.equal(down.headers.get("content-type"), "application/problem+json");
    assert.equal((await json(down)).code, "service_unavailable");
    const stalled = await fetch(`${gateway.url}/api/v1/auth/me`);
    assert.equal(stalled.status, 504);
    assert.equal((await json(stalled)).code, "upstream_timeout");
  } finally {
    await gateway.close();
    await auth.close();
  }
});

Deno.test("/readyz stays 200 without Redis (the limits fail open or closed on their own) and says so", async () => {
  const auth = startEchoUpstream();
  const gateway = await startGateway({
    env: {
      AUTH_URL: auth.url,
      NOTIFICATIONS_URL: auth.url,
      REDIS_URL: `redis://127.0.0.1:${closedPort()}`,
    },
    redisDown: true,
  });
  try {
    const response = await fetch(`${gateway.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response), {
      status: "ready",
      checks: { signingKey: true },
      reported: { redis: false },
    });
  } finally {
    await gateway.close();
    await auth.close();
  }
});

Deno.test("/readyz is a 503 problem once the gateway drains, while /livez stays 200", async () => {
  const keys = await createTestKeys();
  const config = loadGatewayConfig({
    JWT_PRIVATE_JWK: JSON.stringify(keys.privateJwk),
    RATE_LIMIT_PREFIX: `test:gw:${crypto.randomUUID()}:`,
  });
  const signer = await createAccessTokenSigner({
    privateJwk: config.JWT_PRIVATE_JWK,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  const log = quietLogger("gateway");
  const redis = connectRedis(config.REDIS_URL, log);
  const drain = new Drain();
  const { app, stop } = createApp({ config, log, redis, signer, drain });
  try {
    await waitFor(() => redis.status === "ready", { what: "redis" });
    assert.equal((await app.request("/readyz")).status, 200);
    await drain.drain();
    const response = await app.request("/readyz");
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    assert.equal((await json(response)).code, "not_ready");
    assert.equal((await app.request("/livez")).status, 200);
  } finally {
    await stop();
    await redis.quit();
  }
});
