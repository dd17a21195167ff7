/**
 * The metrics kit against real servers: requests through a real app, events
 * through real RabbitMQ, the outbox and inbox in a real PostgreSQL database.
 * Counters belong to the process, so every test uses names of its own (a route,
 * an event type) and compares with what it read before.
 */
import assert from "node:assert/strict";
import { EventBus, PoisonMessageError } from "./bus.ts";
import { afterCommit } from "./db.ts";
import { createServiceApp } from "./http.ts";
import { handleOnce, inboxMigration } from "./inbox.ts";
import {
  eventLoopDelay,
  registry,
  serveMetrics,
  startRuntimeMetrics,
  watchOutbox,
} from "./metrics.ts";
import { enqueueEvent, outboxMigration } from "./outbox.ts";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";
import { envelope, freePort, freshDatabase, quietLogger, testBus, waitFor } from "./testing/mod.ts";

/** The value of the first sample of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  for (const line of text.split("\n")) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]),
    );
    if (Object.entries(labels).every(([key, value]) => have[key] === value)) {
      return Number(match[3]);
    }
  }
  return undefined;
}

const unique = () => crypto.randomUUID().slice(0, 8);

Deno.test("GET /metrics counts requests by route template, method and status, never by the raw path", async () => {
  const { app } = createServiceApp({ log: quietLogger() });
  const route = `/api/v1/metrics-${unique()}/:id`;
  app.get(route, (c) => c.json({ id: c.req.param("id") }));
  for (const id of ["123", "456"]) {
    const response = await app.request(route.replace(":id", id));
    assert.equal(response.status, 200);
    await response.body?.cancel();
  }
  // A made-up method is one series, not one per spelling a client invents.
  for (const method of ["BREW", "WHEN"]) {
    await (await app.request(route.replace(":id", "7"), { method })).body?.cancel();
  }

  const response = await app.request("/metrics");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const labels = { method: "GET", route, status: "200" };
  assert.equal(sample(text, "http_requests_total", labels), 2);
  assert.equal(sample(text, "http_request_duration_seconds_count", labels), 2);
  assert.ok(sample(text, "http_request_duration_seconds_bucket", { ...labels, le: "+Inf" }));
  assert.ok(!text.includes(route.replace(":id", "123")), "no raw path becomes a label");
  assert.ok(!/method="(BREW|WHEN)"/.test(text), "made-up methods are counted as OTHER");
  assert.ok((sample(text, "http_requests_total", { method: "OTHER" }) ?? 0) >= 1);
});

Deno.test("serveMetrics: false still measures requests but does not answer /metrics", async () => {
  const { app } = createServiceApp({ log: quietLogger(), serveMetrics: false });
  const response = await app.request("/metrics");
  assert.equal(response.status, 404);
  assert.equal(response.headers.get("content-type"), PROBLEM_CONTENT_TYPE);
  await response.body?.cancel();
  const text = await registry.metrics();
  assert.ok((sample(text, "http_requests_total", { route: "/*", status: "404" }) ?? 0) >= 1);
});

Deno.test("serveMetrics() answers GET /metrics on its own listener and a 404 problem to anything else", async () => {
  const port = freePort();
  const server = serveMetrics({ hostname: "127.0.0.1", port, log: quietLogger() });
  try {
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /# TYPE process_resident_memory_bytes gauge/);
    for (const [method, path] of [["GET", "/"], ["POST", "/metrics"], ["GET", "/api/v1/gigs"]]) {
      const other = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      assert.equal(other.status, 404, `${method} ${path}`);
      assert.equal(other.headers.get("content-type"), PROBLEM_CONTENT_TYPE);
      await other.body?.cancel();
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("memory comes from Deno.memoryUsage() and a blocked event loop shows in the delay histogram", async () => {
  const stop = startRuntimeMetrics();
  try {
    const before = (await eventLoopDelay.get()).values;
    const count = (values: typeof before, le?: number) =>
      values.find((v) => le === undefined ? v.metricName?.endsWith("_count") : v.labels.le === le)
        ?.value ?? 0;
    // Let the sampler tick, then keep the loop busy for 600 ms.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const busyUntil = performance.now() + 600;
    while (performance.now() < busyUntil) { /* blocking on purpose */ }
    await new Promise((resolve) => setTimeout(resolve, 250));
    const after = (await eventLoopDelay.get()).values;
    assert.ok(count(after) > count(before), "the sampler observed");
    const slow = (count(after) - count(after, 0.25)) - (count(before) - count(before, 0.25));
    assert.ok(slow >= 1, "one sample over 250 ms");

    const text = await registry.metrics();
    assert.ok(sample(text, "process_resident_memory_bytes")! > 10 * 1024 * 1024);
    assert.ok(sample(text, "deno_heap_used_bytes")! > 0);
    assert.ok(sample(text, "deno_heap_total_bytes")! >= sample(text, "deno_heap_used_bytes")!);
  } finally {
    stop();
  }
});

Deno.test("the outbox gauges show the rows waiting and the age of the oldest, read at scrape time", async () => {
  const db = await freshDatabase("metrics_outbox");
  const unwatch = watchOutbox(db.sql);
  try {
    await db.sql.unsafe(outboxMigration.sql);
    let text = await registry.metrics();
    assert.equal(sample(text, "outbox_waiting_events"), 0);
    assert.equal(sample(text, "outbox_oldest_waiting_seconds"), 0);

    for (const n of [1, 2, 3]) await db.sql.begin((tx) => enqueueEvent(tx, "x.happened", { n }));
    await db.sql`update outbox set occurred_at = now() - interval '90 seconds'
      where seq = (select min(seq) from outbox)`;
    text = await registry.metrics();
    assert.equal(sample(text, "outbox_waiting_events"), 3);
    const oldest = sample(text, "outbox_oldest_waiting_seconds")!;
    assert.ok(oldest >= 90 && oldest < 120, `oldest ${oldest} s`);

    await db.sql`update outbox set published_at = now()`;
    text = await registry.metrics();
    assert.equal(sample(text, "outbox_waiting_events"), 0);
    assert.equal(sample(text, "outbox_oldest_waiting_seconds"), 0);
  } finally {
    unwatch();
    await db.drop();
  }
  // Unwatched: the dropped database is not queried any more.
  assert.equal(sample(await registry.metrics(), "outbox_waiting_events"), 0);
});

Deno.test("events are counted as published, consumed, retried and dead-lettered (poison and delivery limit), duplicates by the inbox", async () => {
  const broker = testBus("metrics");
  const db = await freshDatabase("metrics_inbox");
  await db.sql.unsafe(inboxMigration.sql);
  const log = quietLogger();
  const publisher = new EventBus({ url: broker.url, exchange: broker.exchange, service: "p", log });
  const consumer = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "c",
    log,
    retryDelayMs: 10,
    maxDeliveries: 2,
  });
  broker.own(consumer.queue, consumer.deadLetterQueue);
  const id = unique();
  const [ok, poison, failing] = [`m${id}.ok`, `m${id}.poison`, `m${id}.failing`];
  let attempts = 0;
  try {
    await publisher.start();
    await consumer.start();
    await consumer.consume({
      [ok]: (event) => handleOnce(db.sql, event, async () => {}).then(() => {}),
      [poison]: () => Promise.reject(new PoisonMessageError("never valid")),
      [failing]: () => Promise.reject(new Error(`attempt ${++attempts} fails`)),
    });
    const okEvent = envelope(ok, {});
    await publisher.publish([
      { envelope: okEvent, headers: {} },
      { envelope: okEvent, headers: {} }, // redelivered, as after a relay crash
      { envelope: envelope(poison, {}), headers: {} },
      { envelope: envelope(failing, {}), headers: {} },
    ]);
    await waitFor(async () => (await broker.messageCount(consumer.deadLetterQueue)) === 2, {
      what: "poison and failing in the dead-letter queue",
    });

    const text = await registry.metrics();
    const count = (name: string, labels: Record<string, string>) => sample(text, name, labels);
    assert.equal(count("events_published_total", { type: ok }), 2);
    assert.equal(count("events_published_total", { type: failing }), 1);
    assert.equal(count("events_consumed_total", { type: ok }), 2);
    assert.equal(count("events_duplicates_total", { type: ok }), 1);
    assert.equal(count("events_dead_lettered_total", { type: poison, reason: "poison" }), 1);
    // Every failed delivery but the last went back to the queue; the last was dead-lettered.
    assert.ok(attempts >= 2, `${attempts} attempts`);
    assert.equal(count("events_retried_total", { type: failing }), attempts - 1);
    assert.equal(
      count("events_dead_lettered_total", { type: failing, reason: "delivery_limit" }),
      1,
    );
  } finally {
    await consumer.close();
    await publisher.close();
    await broker.cleanup();
    await db.drop();
  }
});

Deno.test("afterCommit() runs its hook once the transaction committed, never for a rolled-back one", async () => {
  const db = await freshDatabase("metrics_commit");
  try {
    const ran: string[] = [];
    await db.sql.begin((tx) => afterCommit(tx, () => ran.push("committed")));
    await assert.rejects(db.sql.begin((tx) => {
      afterCommit(tx, () => ran.push("rolled back"));
      throw new Error("no");
    }));
    assert.deepEqual(ran, ["committed"]);
  } finally {
    await db.drop();
  }
});
