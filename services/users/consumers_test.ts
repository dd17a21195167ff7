/**
 * The consumers, fed through real RabbitMQ the way auth, orders and reviews
 * publish: idempotence, out-of-order arrival, rating aggregates, the level
 * rules end to end, poison messages, and what reaches other services.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { EventBus, type EventEnvelope } from "@mp/shared/bus";
import { OutboxRelay } from "@mp/shared/outbox";
import { quietLogger, waitFor } from "@mp/shared/testing";
import { LEVEL_CRITERIA } from "./level.ts";
import {
  deleteQueues,
  envelope,
  sellerBody,
  settleAll,
  type UsersFixture,
  usersFixture,
} from "./test_support.ts";

type Direction = "buyer_to_seller" | "seller_to_buyer";

function review(revieweeId: string, rating: number, direction: Direction = "buyer_to_seller") {
  return {
    reviewId: crypto.randomUUID(),
    orderId: crypto.randomUUID(),
    gigId: crypto.randomUUID(),
    reviewerId: crypto.randomUUID(),
    revieweeId,
    direction,
    rating,
    comment: "Great work, fast delivery.",
    createdAt: new Date().toISOString(),
  };
}

/** `order.completed` as orders publishes it: the seller earns `earnings`, the price adds 25%. */
function completed(sellerId: string, earnings: number, currency = "USD") {
  return {
    orderId: crypto.randomUUID(),
    gigId: crypto.randomUUID(),
    buyerId: crypto.randomUUID(),
    sellerId,
    gigTitle: "I will design your website",
    price: { amount: earnings + Math.round(earnings / 4), currency },
    sellerEarnings: { amount: earnings, currency },
    completedAt: new Date().toISOString(),
    by: "buyer",
  };
}

const publicProfile = async (f: UsersFixture, username: string) =>
  (await f.call("GET", `/api/v1/users/${username}`)).body;

Deno.test("user.registered redelivered, or republished with a new event id, creates one profile", async () => {
  const f = await usersFixture();
  try {
    const data = {
      userId: crypto.randomUUID(),
      email: "ada@example.com",
      username: "ada",
      country: "DE",
      createdAt: "2026-01-02T03:04:05.000Z",
      // Fields this consumer does not use are ignored.
      verificationToken: "t".repeat(43),
      verificationExpiresAt: "2026-01-03T03:04:05.000Z",
      somethingNew: { nested: true },
    };
    const event = await f.deliver("user.registered", data);
    await f.publish(event); // the same event again, as after a relay crash
    await f.deliver("user.registered", data); // a second event about the same account
    const rows = await f.db.sql`select username, country, member_since from profiles`;
    assert.equal(rows.length, 1);
    assert.equal(rows[0].member_since.toISOString(), "2026-01-02T03:04:05.000Z");
    const [inbox] = await f.db.sql`select count(*)::int as n from inbox`;
    assert.equal(inbox.n, 2);
    assert.equal((await publicProfile(f, "ada")).memberSince, "2026-01-02T03:04:05.000Z");
  } finally {
    await f.close();
  }
});

Deno.test("user.email_verified consumed before user.registered is not lost", async () => {
  const f = await usersFixture();
  try {
    const userId = crypto.randomUUID();
    await f.deliver("user.email_verified", { userId, email: "ada@example.com", username: "ada" });
    const ada = await f.register("ada", { userId });
    const me = await f.call("GET", "/api/v1/users/me", undefined, ada.token);
    assert.equal(me.body.emailVerified, true);
    assert.equal((await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token)).status, 201);
  } finally {
    await f.close();
  }
});

Deno.test("review.created feeds the reviewee's aggregate by direction: buyer_to_seller as seller, seller_to_buyer as buyer", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    for (const rating of [5, 5, 4]) await f.deliver("review.created", review(ada.userId, rating));
    for (const rating of [3, 1]) {
      await f.deliver("review.created", review(ada.userId, rating, "seller_to_buyer"));
    }
    const { ratings } = await publicProfile(f, "ada");
    assert.deepEqual(ratings.asSeller, {
      average: 4.67,
      count: 3,
      histogram: { "1": 0, "2": 0, "3": 0, "4": 1, "5": 2 },
    });
    assert.deepEqual(ratings.asBuyer, {
      average: 2,
      count: 2,
      histogram: { "1": 1, "2": 0, "3": 1, "4": 0, "5": 0 },
    });
    // Not a seller: rating changes are not announced.
    assert.equal((await f.outbox("seller.updated")).length, 0);
  } finally {
    await f.close();
  }
});

Deno.test("a review counts once: the same event redelivered and a new event for the same review id change nothing", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token);
    const data = review(ada.userId, 2);
    const event = await f.deliver("review.created", data);
    await f.publish(event);
    await f.deliver("review.created", data);
    const { ratings } = await publicProfile(f, "ada");
    assert.equal(ratings.asSeller.count, 1);
    assert.equal(ratings.asSeller.average, 2);
    assert.equal((await f.outbox("seller.updated")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("a review and a completed order consumed before the user registered are not lost", async () => {
  const f = await usersFixture();
  try {
    const userId = crypto.randomUUID();
    await f.deliver("review.created", review(userId, 4, "seller_to_buyer"));
    await f.deliver("review.created", review(userId, 5));
    await f.deliver("order.completed", completed(userId, 12_000));
    const ada = await f.register("ada", { userId, verified: true });
    const { ratings } = await publicProfile(f, "ada");
    assert.equal(ratings.asBuyer.count, 1);
    assert.equal(ratings.asBuyer.average, 4);
    assert.equal(ratings.asSeller.count, 1);
    // The seller created afterwards starts with what was counted before.
    await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token);
    const [created] = await f.outbox("seller.created");
    assert.deepEqual(created.data.rating, { average: 5, count: 1 });
    const [stats] = await f.db
      .sql`select completed_orders from seller_stats where user_id = ${userId}`;
    assert.equal(stats.completed_orders, 1);
  } finally {
    await f.close();
  }
});

Deno.test("a seller reaches level_1 exactly at the thresholds, announced with seller.updated; non-USD earnings do not count", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token);
    const { minCompletedOrders, minUsdEarnings, minReviews } = LEVEL_CRITERIA.level_1;
    // Enough orders and reviews, but the money arrives in EUR except for one cent short in USD.
    for (let i = 0; i < minCompletedOrders - 1; i++) {
      await f.deliver("order.completed", completed(ada.userId, 100_000, "EUR"));
    }
    await f.deliver("order.completed", completed(ada.userId, minUsdEarnings - 1));
    // 4.4 exactly: 5 reviews, 22 stars.
    for (const rating of [5, 5, 4, 4, 4].slice(0, minReviews)) {
      await f.deliver("review.created", review(ada.userId, rating));
    }
    assert.equal((await publicProfile(f, "ada")).seller.level, "new");
    const announced = await f.outbox("seller.updated");
    assert.equal(announced.length, minReviews); // one per rating change, none for orders
    assert.deepEqual(announced.at(-1)!.data.rating, { average: 4.4, count: 5 });

    // The missing cent arrives with one more order: every threshold is met.
    await f.deliver("order.completed", completed(ada.userId, 1));
    assert.equal((await publicProfile(f, "ada")).seller.level, "level_1");
    const [last] = (await f.outbox("seller.updated")).slice(-1);
    assert.equal(last.data.level, "level_1");
    assert.equal(last.data.version, minReviews + 2);

    // A bad review takes the average below 4.4: the level follows, and that is announced.
    await f.deliver("review.created", review(ada.userId, 1));
    assert.equal((await publicProfile(f, "ada")).seller.level, "new");
    const [demoted] = (await f.outbox("seller.updated")).slice(-1);
    assert.equal(demoted.data.level, "new");
    const earnings = await f.db.sql`select currency, amount::int from seller_earnings
      order by currency`;
    assert.deepEqual(earnings.map((r) => [r.currency, r.amount]), [
      ["EUR", 900_000],
      ["USD", minUsdEarnings],
    ]);
  } finally {
    await f.close();
  }
});

Deno.test("a completed order counts once per order id, whatever the number of events", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    const data = completed(ada.userId, 5_000);
    const event = await f.deliver("order.completed", data);
    await f.publish(event);
    await f.deliver("order.completed", data);
    const [stats] = await f.db.sql`select completed_orders from seller_stats`;
    assert.equal(stats.completed_orders, 1);
    const [usd] = await f.db.sql`select amount::int from seller_earnings where currency = 'USD'`;
    assert.equal(usd.amount, 5_000);
  } finally {
    await f.close();
  }
});

Deno.test("order.completed counts the seller's earnings, not the price, and the price when an event has no sellerEarnings", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    await f.deliver("order.completed", completed(ada.userId, 8_000));
    const { sellerEarnings: _, ...priceOnly } = completed(ada.userId, 0, "EUR");
    await f.deliver("order.completed", { ...priceOnly, price: { amount: 2_500, currency: "EUR" } });
    const earnings = await f.db.sql`select currency, amount::int from seller_earnings
      order by currency`;
    assert.deepEqual(earnings.map((r) => [r.currency, r.amount]), [["EUR", 2_500], ["USD", 8_000]]);
  } finally {
    await f.close();
  }
});

Deno.test("poison events go to the dead-letter queue, change nothing, and the queue keeps flowing", async () => {
  const f = await usersFixture();
  try {
    const ada = await f.register("ada", { verified: true });
    const before = await f.snapshot();
    const poison: EventEnvelope[] = [
      envelope("review.created", { ...review(ada.userId, 5), rating: 6 }),
      envelope("review.created", { ...review(ada.userId, 5), rating: 4.5 }),
      envelope("review.created", { ...review(ada.userId, 5), direction: "sideways" }),
      envelope("review.created", { ...review(ada.userId, 5), revieweeId: "not-a-uuid" }),
      envelope("order.completed", {
        ...completed(ada.userId, 100),
        price: { amount: -1, currency: "USD" },
      }),
      envelope("order.completed", {
        ...completed(ada.userId, 100),
        price: { amount: 1.5, currency: "USD" },
      }),
      envelope("order.completed", {
        ...completed(ada.userId, 100),
        price: { amount: 1, currency: "usd" },
      }),
      envelope("user.registered", { userId: crypto.randomUUID(), username: "eve" }),
      envelope("user.email_verified", {}),
      // A username auth gave someone else can never be stored: kept for a human, not retried forever.
      envelope("user.registered", {
        userId: crypto.randomUUID(),
        email: "impostor@example.com",
        username: "ADA",
        country: null,
        createdAt: new Date().toISOString(),
      }),
    ];
    for (const event of poison) await f.publish(event, "attempted");
    // An envelope that is not even JSON never reaches a handler.
    const connection = await amqp.connect(f.broker.url);
    try {
      const channel = await connection.createChannel();
      channel.publish(f.broker.exchange, "review.created", Buffer.from("{not json"));
      await channel.close();
    } finally {
      await connection.close();
    }
    await waitFor(
      async () => (await f.broker.messageCount(f.consumer.deadLetterQueue)) === poison.length + 1,
      { what: "dead letters" },
    );
    assert.deepEqual(await f.snapshot(), before);

    // The queue still flows.
    await f.deliver("review.created", review(ada.userId, 5));
    assert.equal((await publicProfile(f, "ada")).ratings.asSeller.count, 1);
    const dead = await f.broker.drainQueue(f.consumer.deadLetterQueue);
    assert.equal(dead.length, poison.length + 1);
  } finally {
    await f.close();
  }
});

Deno.test("seller.created and seller.updated reach other services through the outbox relay", async () => {
  const f = await usersFixture();
  const log = quietLogger("users");
  // The relay publishes with the service's own bus, as main.ts wires it.
  const relay = new OutboxRelay({ sql: f.db.sql, bus: f.consumer, log, pollMs: 50 });
  const gigs = new EventBus({
    url: f.broker.url,
    exchange: f.broker.exchange,
    service: "gigs",
    log,
  });
  const received: EventEnvelope[] = [];
  try {
    await gigs.start();
    const record = (event: EventEnvelope) => {
      received.push(event);
      return Promise.resolve();
    };
    await gigs.consume({
      "seller.created": record,
      "seller.updated": record,
      "user.profile_updated": record,
    });
    await relay.start();
    const ada = await f.register("ada", { verified: true });
    await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token);
    await f.deliver("review.created", review(ada.userId, 4));
    await f.call("PATCH", "/api/v1/users/me", { displayName: "Ada L." }, ada.token);
    await waitFor(() => received.length === 4, { what: "events at gigs" });
    type Announced = { username: string; displayName: string; version: number; rating: unknown };
    const byType = (type: string) =>
      received.filter((e) => e.type === type).map((e) => e.data as Announced);
    const [created] = byType("seller.created");
    assert.equal(created.username, "ada");
    assert.equal(created.version, 1);
    const updates = byType("seller.updated");
    assert.deepEqual(updates.map((u) => u.version).sort(), [2, 3]);
    assert.deepEqual(updates.find((u) => u.version === 2)!.rating, { average: 4, count: 1 });
    assert.equal(updates.find((u) => u.version === 3)!.displayName, "Ada L.");
    assert.equal(byType("user.profile_updated").length, 1);
    // The relay marks rows sent in the transaction that publishes them: a consumer can
    // see an event a moment before that commit.
    await waitFor(async () => {
      const [unsent] = await f.db
        .sql`select count(*)::int as n from outbox where published_at is null`;
      return unsent.n === 0;
    }, { what: "every outbox row marked sent" });
  } finally {
    await settleAll([
      () => relay.stop(),
      () => gigs.close(),
      () => deleteQueues(f.broker.url, [gigs.queue, gigs.deadLetterQueue]),
      () => f.close(),
    ]);
  }
});
