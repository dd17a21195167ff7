/**
 * The gig replica fed through a real RabbitMQ exchange, the way the gigs
 * service publishes: created, updated and deleted gigs; events out of order
 * (an older version never overwrites a newer one, a deleted gig stays
 * deleted); duplicates; poison messages dead-lettered while the queue flows.
 */
import assert from "node:assert/strict";
import { EventBus, type EventEnvelope, type EventHandler } from "@mp/shared/bus";
import { quietLogger, testBus, waitFor } from "@mp/shared/testing";
import { createEventHandlers } from "./events.ts";
import { findGig } from "./store_gigs.ts";
import { deleteQueues, envelope, gigData, migratedDatabase } from "./test_support.ts";

Deno.test("the gig replica follows gig events, in any order, once each", async (t) => {
  const log = quietLogger("orders");
  const db = await migratedDatabase("orders_replica");
  const broker = testBus("orders_replica");
  const consumer = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "orders",
    log,
    retryDelayMs: 10,
    maxDeliveries: 3,
  });
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "gigs",
    log,
  });
  // The real handlers, observed so the test knows when a delivery was processed.
  const handled: string[] = [];
  const observed: Record<string, EventHandler> = {};
  for (const [type, handler] of Object.entries(createEventHandlers({ sql: db.sql, log }))) {
    observed[type] = async (event, headers) => {
      await handler(event, headers);
      handled.push(event.id);
    };
  }
  await consumer.start();
  await consumer.consume(observed);
  await publisher.start();
  const publish = async (...events: EventEnvelope[]) => {
    await publisher.publish(events.map((e) => ({ envelope: e, headers: {} })));
    await waitFor(() => events.every((e) => handled.includes(e.id)), { what: "events handled" });
  };
  const at = (offsetMs: number) => new Date(Date.UTC(2030, 0, 1) + offsetMs).toISOString();
  const seller = crypto.randomUUID();
  try {
    await t.step("created, then a newer update, are applied", async () => {
      const gig = gigData(seller, { updatedAt: at(0) });
      await publish(envelope("gig.created", gig));
      let stored = await findGig(db.sql, gig.gigId);
      assert.equal(stored?.status, "active");
      assert.equal(stored?.packages[0].price.amount, 2500);
      assert.equal(stored?.requirements.length, 2);
      assert.equal(stored?.sellerId, seller);

      const packages = structuredClone(gig.packages);
      packages[0].price.amount = 3000;
      await publish(
        envelope("gig.updated", { ...gig, packages, status: "paused", updatedAt: at(1000) }),
      );
      stored = await findGig(db.sql, gig.gigId);
      assert.equal(stored?.status, "paused");
      assert.equal(stored?.packages[0].price.amount, 3000);
    });

    await t.step("an older update arriving late changes nothing", async () => {
      const gig = gigData(seller, { updatedAt: at(0) });
      const v1 = { ...gig, title: "Version one of this gig", updatedAt: at(1000) };
      const v2 = { ...gig, title: "Version two of this gig", updatedAt: at(2000) };
      await publish(envelope("gig.updated", v2)); // overtook both others
      await publish(envelope("gig.created", gig), envelope("gig.updated", v1));
      const stored = await findGig(db.sql, gig.gigId);
      assert.equal(stored?.title, "Version two of this gig");
      assert.equal(stored?.updatedAt.toISOString(), at(2000));
    });

    await t.step("a deleted gig stays deleted, also when the delete arrives first", async () => {
      const gig = gigData(seller, { updatedAt: at(0) });
      await publish(envelope("gig.created", gig));
      await publish(
        envelope("gig.deleted", { gigId: gig.gigId, sellerId: seller, deletedAt: at(500) }),
      );
      await publish(envelope("gig.updated", { ...gig, updatedAt: at(9000) }));
      assert.equal((await findGig(db.sql, gig.gigId))?.status, "deleted");

      const early = gigData(seller, { updatedAt: at(0) });
      await publish(
        envelope("gig.deleted", { gigId: early.gigId, sellerId: seller, deletedAt: at(100) }),
      );
      await publish(envelope("gig.created", early));
      assert.equal((await findGig(db.sql, early.gigId))?.status, "deleted");
    });

    await t.step("a redelivered event is handled once", async () => {
      const gig = gigData(seller, { updatedAt: at(0) });
      const event = envelope("gig.created", gig);
      await publish(event);
      await publisher.publish([{ envelope: event, headers: {} }]);
      await waitFor(() => handled.filter((id) => id === event.id).length === 2, {
        what: "redelivery",
      });
      const [row] = await db.sql`select count(*)::int as n from inbox where event_id = ${event.id}`;
      assert.equal(row.n, 1);
    });

    await t.step(
      "poison events go to the dead-letter queue and later events still flow",
      async () => {
        const poison = envelope("gig.updated", { gigId: "not-a-uuid", packages: "none" });
        const negative = envelope("gig.created", {
          ...gigData(seller),
          packages: [{ ...gigData(seller).packages[0], price: { amount: -5, currency: "USD" } }],
        });
        await publisher.publish([poison, negative].map((e) => ({ envelope: e, headers: {} })));
        const next = gigData(seller, { updatedAt: at(0) });
        await publish(envelope("gig.created", next));
        assert.equal((await findGig(db.sql, next.gigId))?.status, "active");
        await waitFor(async () => (await broker.messageCount(consumer.deadLetterQueue)) === 2, {
          what: "two dead letters",
        });
        const [none] = await db
          .sql`select count(*)::int as n from gigs where packages @> '[{"price":{"amount":-5}}]'`;
        assert.equal(none.n, 0);
      },
    );
  } finally {
    await consumer.close();
    await publisher.close();
    await deleteQueues(broker.url, [consumer.queue, consumer.deadLetterQueue]);
    await broker.cleanup();
    await db.drop();
  }
});
