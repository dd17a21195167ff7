/**
 * The consuming side on a real exchange: order and user events as their owners
 * publish them, out of order, twice, or malformed.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { waitFor } from "@mp/shared/testing";
import { envelope, reviewsFixture } from "./test_support.ts";

const HOUR = 3_600_000;

Deno.test("order.completed alone makes an order reviewable; a late order.created changes nothing it knew", async () => {
  const f = await reviewsFixture("cons_order");
  try {
    const buyer = await f.user("cbuyer1");
    const seller = await f.user("cseller1");
    const order = f.newOrder(buyer, seller);
    const completedAt = new Date(Date.now() - HOUR);
    const { gigTitle: _title, ...withoutTitle } = f.orderEvent.completed(order, completedAt);
    await f.deliver("order.completed", withoutTitle);

    const review = await f.review(order, buyer);
    assert.equal(review.status, 201);
    assert.equal(review.body.gigTitle, null);

    // order.created arrives last (and twice): it adds the title and keeps the completion.
    const created = envelope("order.created", f.orderEvent.created(order));
    await f.publishRaw(created, created);
    await f.handledTimes(created.id, 2);
    const [row] = await f.db.sql`select gig_title, completed_at, cancelled_at from orders
      where order_id = ${order.orderId}`;
    assert.equal(row.gig_title, order.gigTitle);
    assert.equal(row.completed_at.toISOString(), completedAt.toISOString());
    assert.equal(row.cancelled_at, null);
    assert.equal((await f.review(order, seller)).status, 201);
    const shown = await f.call("GET", `/api/v1/reviews/${review.body.id}`);
    assert.equal(shown.body.gigTitle, order.gigTitle);
  } finally {
    await f.close();
  }
});

Deno.test("a redelivered event changes nothing, and a second completion never moves the first one", async () => {
  const f = await reviewsFixture("cons_dupes");
  try {
    const buyer = await f.user("cbuyer2");
    const seller = await f.user("cseller2");
    const order = f.newOrder(buyer, seller);
    const firstAt = new Date(Date.now() - 2 * HOUR);
    const completed = envelope("order.completed", f.orderEvent.completed(order, firstAt));
    await f.publishRaw(completed, completed, completed);
    await f.handledTimes(completed.id, 3);
    // Another event claiming a later completion (orders would never send it) loses too.
    await f.deliver("order.completed", f.orderEvent.completed(order, new Date()));

    const [row] = await f.db.sql`select completed_at from orders where order_id = ${order.orderId}`;
    assert.equal(row.completed_at.toISOString(), firstAt.toISOString());
    const [inbox] = await f.db
      .sql`select count(*)::int as n from inbox where event_id = ${completed.id}`;
    assert.equal(inbox.n, 1);
    const [orders] = await f.db.sql`select count(*)::int as n from orders`;
    assert.equal(orders.n, 1);

    // user.registered twice: one user, same name.
    const registered = envelope("user.registered", {
      userId: crypto.randomUUID(),
      username: "twice",
      email: "t@example.com",
    });
    await f.publishRaw(registered, registered);
    await f.handledTimes(registered.id, 2);
    const [users] = await f.db.sql`select count(*)::int as n from users where username = 'twice'`;
    assert.equal(users.n, 1);
  } finally {
    await f.close();
  }
});

Deno.test("order.cancelled before, after or without order.created keeps the order unreviewable", async () => {
  const f = await reviewsFixture("cons_cancel");
  try {
    const buyer = await f.user("cbuyer3");
    const seller = await f.user("cseller3");
    const early = f.newOrder(buyer, seller);
    await f.deliver("order.cancelled", f.orderEvent.cancelled(early));
    await f.deliver("order.created", f.orderEvent.created(early));
    const alone = f.newOrder(buyer, seller);
    await f.deliver("order.cancelled", f.orderEvent.cancelled(alone));
    for (const order of [early, alone]) {
      const answer = await f.review(order, buyer);
      assert.equal(answer.status, 409);
      assert.equal(answer.body.code, "order_cancelled");
    }
  } finally {
    await f.close();
  }
});

Deno.test("poison events go to the dead-letter queue, store nothing, and later events still flow", async () => {
  const f = await reviewsFixture("cons_poison");
  try {
    const buyer = await f.user("cbuyer4");
    const seller = await f.user("cseller4");
    const order = f.newOrder(buyer, seller);
    const good = f.orderEvent.completed(order);
    const poisons = [
      envelope("order.completed", { ...good, buyerId: undefined }),
      envelope("order.completed", { ...good, sellerId: buyer.id }), // buyer reviewing themselves
      envelope("order.completed", { ...good, gigId: "not-a-uuid" }),
      envelope("order.completed", { ...good, completedAt: "yesterday-ish" }),
      envelope("order.completed", { ...good, orderId: "../../etc" }),
      envelope("order.created", { ...good, orderId: "x".repeat(101) }),
      envelope("order.cancelled", { ...good }), // no cancelledAt
      envelope("user.registered", { userId: crypto.randomUUID() }),
      envelope("user.registered", { userId: "42", username: "numbers" }),
    ];
    await f.publishRaw(...poisons);
    // A message that is not even an envelope.
    const connection = await amqp.connect(f.broker.url);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(f.broker.exchange, "order.completed", Buffer.from("{not json"));
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    const after = await f.deliver("order.completed", good);

    await waitFor(
      async () => (await f.broker.messageCount(f.consumer.deadLetterQueue)) === poisons.length + 1,
      { what: "dead letters" },
    );
    const dead = await f.broker.drainQueue(f.consumer.deadLetterQueue);
    const deadIds = dead.map((m) => {
      try {
        return JSON.parse(m.body).id;
      } catch {
        return m.body;
      }
    }).sort();
    assert.deepEqual(deadIds, [...poisons.map((p) => p.id), "{not json"].sort());
    assert.ok(f.handled.includes(after.id));
    const [orders] = await f.db.sql`select count(*)::int as n from orders`;
    assert.equal(orders.n, 1);
    const [inbox] = await f.db.sql`select count(*)::int as n from inbox
      where event_id = any(${poisons.map((p) => p.id)}::uuid[])`;
    assert.equal(inbox.n, 0);
    assert.equal((await f.review(order, buyer)).status, 201);
  } finally {
    await f.close();
  }
});

Deno.test("an order event whose ids contradict an earlier one is dead-lettered and the order keeps its parties", async () => {
  const f = await reviewsFixture("cons_contradict");
  try {
    const buyer = await f.user("cbuyer5");
    const seller = await f.user("cseller5");
    const intruder = await f.user("cintruder5");
    const order = f.newOrder(buyer, seller);
    await f.deliver("order.created", f.orderEvent.created(order));
    const forged = envelope(
      "order.completed",
      f.orderEvent.completed({ ...order, buyerId: intruder.id }),
    );
    await f.publishRaw(forged);
    await waitFor(async () => (await f.broker.messageCount(f.consumer.deadLetterQueue)) === 1, {
      what: "dead letter",
    });
    const [row] = await f.db.sql`select buyer_id, completed_at from orders
      where order_id = ${order.orderId}`;
    assert.equal(row.buyer_id, buyer.id);
    assert.equal(row.completed_at, null);
    assert.equal((await f.review(order, intruder)).status, 404);
  } finally {
    await f.close();
  }
});
