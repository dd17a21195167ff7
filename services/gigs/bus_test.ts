/**
 * The service on the real broker: consumers fed by RabbitMQ, and gig events
 * leaving through the outbox relay with their packages.
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { EventBus } from "@mp/shared/bus";
import { OutboxRelay } from "@mp/shared/outbox";
import { quietLogger, testBus, waitFor } from "@mp/shared/testing";
import { createEventHandlers } from "./events.ts";
import { envelope, gigBody, gigsFixture } from "./test_support.ts";

Deno.test("over RabbitMQ: seller events build the replica, gig events carry packages to other services, poison is dead-lettered", async () => {
  const f = await gigsFixture();
  const broker = testBus("gigs");
  const log = quietLogger("gigs");
  const service = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "gigs",
    log,
    retryDelayMs: 10,
  });
  const other = new EventBus({ url: broker.url, exchange: broker.exchange, service: "probe", log });
  const relay = new OutboxRelay({ sql: f.db.sql, bus: service, log, pollMs: 100 });
  const received: { type: string; data: Record<string, unknown> }[] = [];
  try {
    await service.start();
    await other.start();
    await service.consume(createEventHandlers({ sql: f.db.sql, cache: f.cache, log }));
    // Stands in for the orders service: a queue bound to the gig events.
    await other.consume(Object.fromEntries(
      ["gig.created", "gig.updated", "gig.deleted"].map((type) => [type, (event) => {
        received.push({ type: event.type, data: event.data as Record<string, unknown> });
        return Promise.resolve();
      }]),
    ));
    await relay.start();

    const userId = crypto.randomUUID();
    await other.publish([{
      envelope: envelope("seller.created", {
        userId,
        username: "ada",
        displayName: "Ada Studio",
        avatarUrl: null,
        level: "new",
        skills: ["logo"],
        languages: [],
        rating: { average: null, count: 0 },
      }),
      headers: {},
    }]);
    await waitFor(
      async () => (await f.db.sql`select 1 from sellers where user_id = ${userId}`).length === 1,
      {
        what: "seller replica",
      },
    );

    const token = await f.keys.sign({ sub: userId, username: "ada" });
    const created = await f.call("POST", "", gigBody(), token);
    assert.equal(created.status, 201);
    const gigId = created.body.gig.id;
    await f.call("POST", `/${gigId}/pause`, undefined, token);
    await f.call("DELETE", `/${gigId}`, undefined, token);

    await waitFor(() => received.length === 3, { what: "gig events" });
    assert.deepEqual(received.map((e) => e.type), ["gig.created", "gig.updated", "gig.deleted"]);
    assert.deepEqual(received[0].data.packages, created.body.gig.packages);
    assert.equal(received[1].data.status, "paused");
    assert.equal(received[2].data.gigId, gigId);

    // Data that can never be processed goes to the dead-letter queue at once.
    await other.publish([{
      envelope: envelope("review.created", { rating: "five" }),
      headers: {},
    }]);
    await waitFor(async () => (await broker.messageCount(service.deadLetterQueue)) === 1, {
      what: "dead letter",
    });
  } finally {
    await relay.stop();
    await service.close();
    await other.close();
    const connection = await amqp.connect(broker.url);
    const channel = await connection.createChannel();
    for (
      const queue of [service.queue, service.deadLetterQueue, other.queue, other.deadLetterQueue]
    ) {
      await channel.deleteQueue(queue).catch(() => {});
    }
    await connection.close();
    await broker.cleanup();
    await f.close();
  }
});
