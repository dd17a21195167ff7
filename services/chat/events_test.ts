/**
 * The consumers on a real exchange and database: replicas keep the newest
 * version, a deletion is final, a redelivered event changes nothing, and a
 * payload without the fields used is dead-lettered at once.
 */
import assert from "node:assert/strict";
import { envelope, waitFor } from "@mp/shared/testing";
import * as store from "./store.ts";
import { chatFixture } from "./test_support.ts";

Deno.test("gig replica: newest version wins, deletion is final, redelivery changes nothing", async () => {
  const f = await chatFixture("chat_events_gigs");
  try {
    const seller = await f.user("seller");
    const t = Date.now();
    const gigId = await f.gig(seller, { at: new Date(t) });
    await f.gig(seller, { gigId, status: "paused", currency: "EUR", at: new Date(t + 2) });
    // Older than what is stored: ignored.
    await f.gig(seller, { gigId, status: "active", at: new Date(t + 1) });
    assert.deepEqual(await store.findGig(f.db.sql, gigId), {
      gigId,
      sellerId: seller.id,
      status: "paused",
      currency: "EUR",
    });
    const deleted = envelope("gig.deleted", {
      gigId,
      sellerId: seller.id,
      deletedAt: new Date(t + 3).toISOString(),
    });
    await f.events.deliver(deleted);
    await f.gig(seller, { gigId, status: "active", at: new Date(t + 10) });
    assert.equal((await store.findGig(f.db.sql, gigId))?.status, "deleted");
    await f.events.deliver(deleted);
    const [inbox] = await f.db
      .sql`select count(*)::int as n from inbox where event_id = ${deleted.id}`;
    assert.equal(inbox.n, 1);
  } finally {
    await f.close();
  }
});

Deno.test("a payload missing what chat reads goes to the dead-letter queue and changes nothing", async () => {
  const f = await chatFixture("chat_events_poison");
  try {
    const dlq = `${f.broker.exchange}.chat.dlq`;
    const bad = [
      envelope("user.registered", { userId: crypto.randomUUID() }),
      envelope("user.profile_updated", { userId: crypto.randomUUID(), username: "x" }),
      envelope("gig.created", { gigId: crypto.randomUUID(), sellerId: "nope" }),
      envelope("gig.deleted", { gigId: crypto.randomUUID() }),
      envelope("order.created", { orderId: crypto.randomUUID(), buyerId: crypto.randomUUID() }),
      envelope("offer.rejected", { reason: "gig_paused" }),
      envelope("offer.rejected", { offerId: crypto.randomUUID(), reason: "tired" }),
    ];
    for (const event of bad) await f.events.deliver(event, "attempted");
    await waitFor(async () => (await f.broker.messageCount(dlq)) === bad.length, {
      what: "dead-lettered events",
    });
    const [row] = await f.db.sql`select
      (select count(*)::int from users) + (select count(*)::int from gigs)
      + (select count(*)::int from orders) + (select count(*)::int from inbox) as n`;
    assert.equal(row.n, 0);
  } finally {
    await f.close();
  }
});
