/**
 * The event handlers called directly against a real PostgreSQL database: the
 * user directory, mails parked for unknown recipients, the per-user lock that
 * keeps a registration and an order event from missing each other, and the
 * recipients of cancellation answers. (The broker and SMTP side is covered by
 * the pipeline tests.)
 */
import assert from "node:assert/strict";
import type { EventEnvelope, EventHandler } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";
import { quietLogger, type TestDatabase, waitFor } from "@mp/shared/testing";
import { createEventHandlers } from "./events.ts";
import { ORDER_EVENTS } from "./order_events.ts";
import { learnRecipient, lockRecipients, parkMail } from "./recipients.ts";
import {
  envelope,
  migratedDatabase,
  orderEvents,
  PUBLIC_URL,
  registeredEvent,
  testOrder,
  testUser,
} from "./test_support.ts";

type User = ReturnType<typeof testUser>;

async function setup(prefix: string) {
  const db = await migratedDatabase(prefix);
  const handlers = createEventHandlers({
    sql: db.sql,
    publicUrl: PUBLIC_URL,
    log: quietLogger("notifications"),
  });
  const handle = async (...events: EventEnvelope[]) => {
    for (const event of events) await (handlers[event.type] as EventHandler)(event, {});
  };
  return { db, handle };
}

/** `[recipient, subject]` of the mails an event enqueued, sorted. */
async function mailsOf(sql: Sql, event: EventEnvelope): Promise<string[][]> {
  const rows = await sql<{ recipient: string; subject: string }[]>`
    select recipient, subject from mail_outbox where event_id = ${event.id}`;
  return rows.map((row) => [row.recipient, row.subject]).sort();
}

async function parkedCount(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pending_mails`;
  return row.n;
}

/** Advisory lock requests a transaction in this (test) database is waiting for. */
async function waitingForLocks(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_locks
    where locktype = 'advisory' and not granted
      and database = (select oid from pg_database where datname = current_database())`;
  return row.n;
}

/**
 * Runs `inside` in a transaction holding `user`'s recipient lock, and resolves
 * `locked` once the lock is held; the transaction commits when `release` is called.
 */
function holdLock(db: TestDatabase, user: User, inside: (tx: Tx) => Promise<void>) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let markLocked!: () => void;
  const locked = new Promise<void>((resolve) => markLocked = resolve);
  const done = db.sql.begin(async (tx) => {
    await lockRecipients(tx, [user.userId]);
    markLocked();
    await gate;
    await inside(tx);
  });
  return { locked, release, done };
}

Deno.test("an order event waits for a registration in progress and mails the user it adds", async () => {
  const { db, handle } = await setup("notif_ev_lock_order");
  try {
    const buyer = testUser("gil");
    const seller = testUser("gus");
    await handle(registeredEvent(buyer));
    // A registration of the seller, mid-transaction, holding the seller's lock.
    const registration = holdLock(db, seller, async (tx) => {
      await learnRecipient(tx, seller, new Date());
    });
    await registration.locked;
    const paid = orderEvents.paid(testOrder(buyer, seller));
    const handling = handle(paid);
    await waitFor(async () => (await waitingForLocks(db.sql)) > 0, { what: "order handler waits" });
    registration.release();
    await registration.done;
    await handling;
    assert.deepEqual(
      await mailsOf(db.sql, paid),
      [
        [buyer.email, "Payment received for your order"],
        [seller.email, "Payment confirmed: start working on your order"],
      ].sort(),
    );
    assert.equal(await parkedCount(db.sql), 0);
  } finally {
    await db.drop();
  }
});

Deno.test("a registration waits for an order event in progress and sends the mail it parked", async () => {
  const { db, handle } = await setup("notif_ev_lock_reg");
  try {
    const buyer = testUser("hal");
    const seller = testUser("hue");
    const paid = orderEvents.paid(testOrder(buyer, seller));
    const spec = ORDER_EVENTS["order.paid"];
    // An order handler, mid-transaction: it found no seller and parks the mail.
    const orderHandler = holdLock(db, seller, async (tx) => {
      await parkMail(tx, seller.userId, {
        eventId: paid.id,
        eventType: paid.type,
        eventData: spec.schema.parse(paid.data),
      });
    });
    await orderHandler.locked;
    const handling = handle(registeredEvent(seller));
    await waitFor(async () => (await waitingForLocks(db.sql)) > 0, { what: "registration waits" });
    orderHandler.release();
    await orderHandler.done;
    await handling;
    assert.deepEqual(await mailsOf(db.sql, paid), [
      [seller.email, "Payment confirmed: start working on your order"],
    ]);
    assert.equal(await parkedCount(db.sql), 0);
  } finally {
    await db.drop();
  }
});

Deno.test("the directory keeps what the newest user event said, whatever order they arrive in", async () => {
  const { db, handle } = await setup("notif_ev_directory");
  try {
    const buyer = testUser("ida");
    const seller = testUser("ivo");
    const newer = { ...seller, email: `new.${seller.email}` };
    const t0 = new Date("2030-01-01T00:00:00Z");
    const t1 = new Date("2030-01-02T00:00:00Z");
    // Verified (later, new address) is handled before registered (earlier, old address).
    await handle(
      registeredEvent(buyer),
      envelope("user.email_verified", newer, t1),
      registeredEvent(seller, t0),
    );
    const [row] = await db
      .sql`select email, username from user_directory where user_id = ${seller.userId}`;
    assert.deepEqual({ ...row }, { email: newer.email, username: seller.username });
    const created = orderEvents.created(testOrder(buyer, seller));
    await handle(created);
    assert.deepEqual(
      await mailsOf(db.sql, created),
      [
        [buyer.email, "Your order receipt"],
        [newer.email, "You have a new order"],
      ].sort(),
    );
  } finally {
    await db.drop();
  }
});

Deno.test("any user event of a recipient releases the mails parked for them", async () => {
  const { db, handle } = await setup("notif_ev_release");
  try {
    const buyer = testUser("jo");
    const seller = testUser("jay");
    const order = testOrder(buyer, seller);
    const delivered = orderEvents.delivered(order);
    const cancelled = orderEvents.cancelled(order);
    await handle(delivered, cancelled);
    assert.equal(await parkedCount(db.sql), 3);
    assert.deepEqual(await mailsOf(db.sql, delivered), []);
    // The buyer's email verification arrives before their registration.
    await handle(envelope("user.email_verified", buyer));
    assert.deepEqual(await mailsOf(db.sql, delivered), [[buyer.email, "Your order was delivered"]]);
    assert.deepEqual(await mailsOf(db.sql, cancelled), [[buyer.email, "Your order was cancelled"]]);
    // Still parked: the seller's mail about the cancellation.
    const parked = await db.sql`select user_id, event_id from pending_mails`;
    assert.deepEqual(parked.map((r) => [r.user_id, r.event_id]), [[seller.userId, cancelled.id]]);
  } finally {
    await db.drop();
  }
});

Deno.test("a cancellation answer reaches the party that asked, or both parties when nobody knows who asked", async () => {
  const { db, handle } = await setup("notif_ev_cancel");
  try {
    const buyer = testUser("kim");
    const seller = testUser("kai");
    await handle(registeredEvent(buyer), registeredEvent(seller));
    const order = testOrder(buyer, seller);

    const askedBySeller = orderEvents.cancellationRequested(order, { requestedBy: "seller" });
    const requestId = (askedBySeller.data as { requestId: string }).requestId;
    const accepted = orderEvents.cancellationAnswered(order, { requestId, accepted: true });
    await handle(askedBySeller, accepted);
    assert.deepEqual(await mailsOf(db.sql, askedBySeller), [
      [buyer.email, "A cancellation of your order was requested"],
    ]);
    assert.deepEqual(await mailsOf(db.sql, accepted), [
      [seller.email, "Your cancellation request was accepted"],
    ]);

    // The answer to a request never seen goes to both, worded for either.
    const unknown = orderEvents.cancellationAnswered(order, { accepted: false });
    await handle(unknown);
    assert.deepEqual(
      await mailsOf(db.sql, unknown),
      [
        [buyer.email, "A cancellation request was declined"],
        [seller.email, "A cancellation request was declined"],
      ].sort(),
    );

    // Should orders add `requestedBy` to the answer, it is used as is.
    const said = orderEvents.cancellationAnswered(order, { requestedBy: "buyer" });
    await handle(said);
    assert.deepEqual(await mailsOf(db.sql, said), [
      [buyer.email, "Your cancellation request was declined"],
    ]);
  } finally {
    await db.drop();
  }
});

Deno.test("a parked mail that can no longer be read stays parked and does not hold up the user's registration", async () => {
  const { db, handle } = await setup("notif_ev_unreadable");
  try {
    const user = testUser("lou");
    const good = orderEvents.delivered(testOrder(user, testUser("lee")));
    await handle(good);
    const bad = [crypto.randomUUID(), crypto.randomUUID()];
    await db.sql`insert into pending_mails (user_id, event_id, event_type, event_data) values
      (${user.userId}, ${bad[0]}, 'order.paid', '{"orderId": 1}'),
      (${user.userId}, ${bad[1]}, 'order.teleported', '{}')`;
    const registration = registeredEvent(user);
    await handle(registration);
    assert.equal((await mailsOf(db.sql, registration)).length, 1);
    assert.deepEqual(await mailsOf(db.sql, good), [[user.email, "Your order was delivered"]]);
    const left = await db.sql`select event_id from pending_mails order by event_id`;
    assert.deepEqual(left.map((r) => r.event_id), [...bad].sort());
  } finally {
    await db.drop();
  }
});

Deno.test("a buyer who is also the seller gets one mail and one notification per event", async () => {
  const { db, handle } = await setup("notif_ev_self");
  try {
    const user = testUser("max");
    await handle(registeredEvent(user));
    const created = orderEvents.created(testOrder(user, user));
    await handle(created);
    assert.equal((await mailsOf(db.sql, created)).length, 1);
    const [row] = await db.sql`
      select count(*)::int as n from notifications where event_id = ${created.id}`;
    assert.equal(row.n, 1);
  } finally {
    await db.drop();
  }
});
