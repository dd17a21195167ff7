/**
 * The real process under the least-privilege flags of README.md: it starts,
 * migrates a scratch database, consumes, serves, publishes through its outbox
 * relay, and shuts down cleanly on SIGTERM. A missing permission would surface
 * here as a NotCapable error or a failed request.
 */
import assert from "node:assert/strict";
import { EventBus, type EventEnvelope } from "@mp/shared/bus";
import {
  createTestKeys,
  freePort,
  freshDatabase,
  passThrough,
  quietLogger,
  startProcess,
  testBus,
  waitFor,
} from "@mp/shared/testing";
import { deleteQueues, envelope, sellerBody, settleAll } from "./test_support.ts";
import { processSpec } from "../../scripts/processes.ts";

const SERVICE_DIR = new URL("./", import.meta.url).pathname;
const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** The variables main.ts reads, and those npm:postgres consults: the fleet's list. */
const SERVICE_ENV = processSpec("users").env;

const hostPort = (url: string) => {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port}`;
};

Deno.test("the users process runs under its least-privilege flags: serves, consumes, relays, stops on SIGTERM", async () => {
  const db = await freshDatabase("users_process");
  const broker = testBus("users_process");
  const keys = await createTestKeys();
  const log = quietLogger("test");
  const port = freePort();
  const address = `127.0.0.1:${port}`;
  const base = `http://${address}`;
  const args = [
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    `--allow-net=${address},${hostPort(db.url)},${hostPort(broker.url)}`,
    `--allow-env=${SERVICE_ENV.join(",")}`,
    `--allow-read=${SERVICE_DIR}migrations`,
    `${SERVICE_DIR}main.ts`,
  ];
  const proc = startProcess(Deno.execPath(), args, {
    cwd: REPO_ROOT,
    // Only what the service reads, plus what the deno binary needs to find its cache.
    env: {
      DATABASE_URL: db.url,
      AMQP_URL: broker.url,
      EVENTS_EXCHANGE: broker.exchange,
      JWT_JWKS: JSON.stringify(keys.jwks),
      LOG_LEVEL: "info",
      ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]),
    },
  });

  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "others",
    log,
  });
  const gigs = new EventBus({ url: broker.url, exchange: broker.exchange, service: "gigs", log });
  const received: EventEnvelope[] = [];
  try {
    await publisher.start();
    await gigs.start();
    await gigs.consume({
      "seller.created": (event) => Promise.resolve(void received.push(event)),
    });

    await waitFor(async () => (await fetch(`${base}/readyz`).then((r) => r.text(), () => "")), {
      timeoutMs: 60_000,
      what: "readyz",
    });
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200, await ready.clone().text());
    assert.deepEqual((await ready.json()).checks, { database: true, broker: true });

    const userId = crypto.randomUUID();
    const publish = (type: string, data: unknown) =>
      publisher.publish([{ envelope: envelope(type, data), headers: {} }]);
    await publish("user.registered", {
      userId,
      email: "ada@example.com",
      username: "ada",
      country: null,
      createdAt: new Date().toISOString(),
    });
    await publish("user.email_verified", { userId, email: "ada@example.com", username: "ada" });
    await waitFor(async () => {
      const res = await fetch(`${base}/api/v1/users/ada`);
      await res.body?.cancel();
      return res.status === 200;
    }, { what: "profile from user.registered" });

    const token = await keys.sign({ sub: userId, username: "ada" });
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const me = await fetch(`${base}/api/v1/users/me`, { headers });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).email, "ada@example.com");
    const created = await waitFor(async () => {
      const res = await fetch(`${base}/api/v1/sellers`, {
        method: "POST",
        headers,
        body: JSON.stringify(sellerBody()),
      });
      await res.body?.cancel();
      return res.status === 201; // 403 until user.email_verified is consumed
    }, { what: "seller created" });
    assert.ok(created);
    await waitFor(() => received.length === 1, { what: "seller.created relayed" });
    assert.equal((received[0].data as { username: string }).username, "ada");
    const bad = await fetch(`${base}/api/v1/users/me`, {
      method: "PATCH",
      headers,
      body: "{not json",
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();

    const { stdout, stderr } = await proc.stop();
    // The shutdown steps ran to the end (lifecycle.ts logs "stopped" before exiting 0).
    assert.match(stdout, /"message":"stopped"/);
    if (Deno.env.get("TEST_LOG")) console.log(stdout, stderr);
  } finally {
    await proc.kill();
    await settleAll([
      () => gigs.close(),
      () => publisher.close(),
      () =>
        deleteQueues(broker.url, [
          `${broker.exchange}.users`,
          `${broker.exchange}.users.dlq`,
          gigs.queue,
          gigs.deadLetterQueue,
        ]),
      () => broker.cleanup(),
      () => db.drop(),
    ]);
  }
});
