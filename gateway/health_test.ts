import assert from "node:assert/strict";
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

Deno.test("/readyz answers 200 when Redis and every upstream's /readyz answer", async () => {
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
      checks: { redis: true, auth: true, notifications: true },
    });
  } finally {
    await gateway.close();
    await auth.close();
    await notifications.close();
  }
});

Deno.test("/readyz is a 503 problem naming the upstreams that are down or too slow, and no address", async () => {
  const auth = startStalledUpstream();
  const port = closedPort();
  const gateway = await startGateway({
    env: { AUTH_URL: auth.url, NOTIFICATIONS_URL: `http://127.0.0.1:${port}` },
  });
  try {
    const response = await fetch(`${gateway.url}/readyz`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    const text = await response.text();
    const body = JSON.parse(text);
    assert.equal(body.code, "not_ready");
    assert.deepEqual(body.checks, { redis: true, auth: false, notifications: false });
    assert.ok(!text.includes(String(port)) && !text.includes(String(auth.port)), text);
  } finally {
    await gateway.close();
    await auth.close();
  }
});

Deno.test("an upstream answering /readyz with anything but 200 counts as not ready", async () => {
  const auth = startEchoUpstream();
  // The echo server answers 200 on /readyz only; point notifications at a path-less server that 404s it.
  const notFound = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("no", { status: 404 }),
  );
  const gateway = await startGateway({
    env: { AUTH_URL: auth.url, NOTIFICATIONS_URL: `http://127.0.0.1:${notFound.addr.port}` },
  });
  try {
    const response = await fetch(`${gateway.url}/readyz`);
    assert.equal(response.status, 503);
    assert.deepEqual((await json(response)).checks, {
      redis: true,
      auth: true,
      notifications: false,
    });
  } finally {
    await gateway.close();
    await auth.close();
    await notFound.shutdown();
  }
});
