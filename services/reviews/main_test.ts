/**
 * main.ts as a real process under exactly the permission flags of README.md: it
 * migrates, gets ready, learns an order from orders' events, takes a review,
 * publishes `review.created` on the exchange through its outbox relay, serves
 * the public list and shuts down cleanly on SIGTERM. A dependency that starts
 * needing a wider permission fails this test instead of production.
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { EventBus } from "@mp/shared/bus";
import {
  createTestKeys,
  freshDatabase,
  passThrough,
  quietLogger,
  startProcess,
  testBus,
  waitFor,
} from "@mp/shared/testing";
import { deleteQueues, envelope, freePort } from "./test_support.ts";
import { processSpec, serveArgs } from "../../scripts/processes.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("main.ts runs under its least-privilege flags: ready, learns an order, publishes review.created, serves, stops on SIGTERM", async () => {
  const db = await freshDatabase("reviews_main");
  const broker = testBus("reviews_main");
  const keys = await createTestKeys();
  const port = freePort();
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "orders",
    log: quietLogger(),
  });
  const probeQueue = `${broker.exchange}.probe`;
  // Exactly the flags the fleet and docker-compose use (scripts/processes.ts).
  const proc = startProcess(
    Deno.execPath(),
    serveArgs(processSpec("reviews"), {
      root: ROOT.pathname,
      host: "127.0.0.1",
      port,
      databaseUrl: db.url,
      amqpUrl: broker.url,
    }),
    {
      cwd: ROOT,
      // Only what the service needs, plus what Deno itself needs to find its cache.
      env: {
        ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]),
        DATABASE_URL: db.url,
        AMQP_URL: broker.url,
        EVENTS_EXCHANGE: broker.exchange,
        JWT_JWKS: JSON.stringify(keys.jwks),
        REVIEW_WINDOW_DAYS: "10",
        LOG_LEVEL: "warn",
      },
    },
  );
  const base = `http://127.0.0.1:${port}`;
  const connection = await amqp.connect(broker.url);
  try {
    await waitFor(async () => {
      const response = await fetch(`${base}/readyz`);
      await response.body?.cancel();
      return response.status === 200;
    }, { timeoutMs: 30_000, what: "ready" });

    // The service declared the exchange; listen to what it publishes.
    const channel = await connection.createChannel();
    await channel.assertQueue(probeQueue, { durable: false });
    await channel.bindQueue(probeQueue, broker.exchange, "review.*");

    const buyer = { userId: crypto.randomUUID(), username: "procbuyer" };
    const seller = { userId: crypto.randomUUID(), username: "procseller" };
    const order = {
      orderId: crypto.randomUUID(),
      gigId: crypto.randomUUID(),
      buyerId: buyer.userId,
      sellerId: seller.userId,
      gigTitle: "I will test your process",
    };
    await publisher.start();
    await publisher.publish(
      [
        envelope("user.registered", { ...buyer, email: "b@example.com" }),
        envelope("user.registered", { ...seller, email: "s@example.com" }),
        envelope("order.created", { ...order, createdAt: new Date().toISOString() }),
        envelope("order.completed", { ...order, completedAt: new Date().toISOString() }),
      ].map((e) => ({ envelope: e, headers: { "x-request-id": "main-test" } })),
    );

    const token = await keys.sign({ sub: buyer.userId, username: buyer.username });
    const posted = await waitFor(async () => {
      const response = await fetch(`${base}/api/v1/orders/${order.orderId}/reviews`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "x-request-id": "review-req-1",
        },
        body: JSON.stringify({ rating: 5, comment: "Ran like a charm." }),
      });
      const body = await response.json();
      return response.status === 201 ? body : undefined;
    }, { what: "review accepted once the order events were consumed" });

    const [message] = await waitFor(async () => {
      const messages = await broker.drainQueue(probeQueue);
      return messages.length > 0 ? messages : undefined;
    }, { what: "review.created on the exchange" });
    assert.equal(message.routingKey, "review.created");
    assert.equal(message.headers["x-request-id"], "review-req-1");
    const event = JSON.parse(message.body);
    assert.deepEqual(event.data, {
      reviewId: posted.id,
      orderId: order.orderId,
      gigId: order.gigId,
      reviewerId: buyer.userId,
      revieweeId: seller.userId,
      direction: "buyer_to_seller",
      rating: 5,
      comment: "Ran like a charm.",
      createdAt: posted.createdAt,
    });

    const list = await fetch(`${base}/api/v1/users/procseller/reviews`).then((r) => r.json());
    assert.equal(list.total, 1);
    assert.equal(list.items[0].reviewer.username, "procbuyer");
    assert.equal(list.summary.average, 5);

    await proc.stop();
  } finally {
    await proc.kill();
    await connection.close().catch(() => {});
    await publisher.close();
    await deleteQueues(broker.url, [
      `${broker.exchange}.reviews`,
      `${broker.exchange}.reviews.dlq`,
      probeQueue,
    ]);
    await broker.cleanup();
    await db.drop();
  }
});
