/**
 * Orders' `offer.rejected` through the real consumer (a real exchange and
 * database): an accepted offer orders refused stays `accepted`, gains
 * `orderRejectedReason` (the REST view and one `offer.updated` show it), and
 * nothing else changes; a redelivery, a second refusal, an unknown offer, an
 * offer with an order or a pending one change nothing and are logged. An order
 * arriving after a refusal is what exists: it clears the reason.
 */
import assert from "node:assert/strict";
import { envelope } from "@mp/shared/testing";
import { type ChatFixture, chatFixture, type TestUser } from "./test_support.ts";

/** A seller's offer to a buyer in their conversation, accepted unless `accept` is false. */
async function offer(f: ChatFixture, accept = true, names = ["seller", "buyer"]) {
  const seller = await f.user(names[0]);
  const buyer = await f.user(names[1]);
  const gigId = await f.gig(seller);
  const { id } = await f.start(buyer, seller, { message: "Can you build my shop?", gigId });
  const made = await f.call("POST", `/api/v1/conversations/${id}/offers`, {
    token: seller.token,
    body: f.offerBody(gigId),
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  if (!accept) return { seller, buyer, gigId, conversationId: id, offer: made.body.offer };
  const accepted = await f.call("POST", `/api/v1/offers/${made.body.offer.id}/accept`, {
    token: buyer.token,
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.offer.orderRejectedReason, null);
  return { seller, buyer, gigId, conversationId: id, offer: accepted.body.offer };
}

const view = async (f: ChatFixture, user: TestUser, offerId: string) => {
  const seen = await f.call("GET", `/api/v1/offers/${offerId}`, { token: user.token });
  assert.equal(seen.status, 200, JSON.stringify(seen.body));
  return seen.body.offer;
};

/** Everything an ignored event must leave as it was: rows, events, the offers' views. */
const state = async (f: ChatFixture, offers: [TestUser, string][]) => ({
  counts: await f.counts(),
  offers: await Promise.all(offers.map(([user, id]) => view(f, user, id))),
  outbox: (await f.outbox()).map((e) => e.id),
});

Deno.test("offer.rejected: the accepted offer stays accepted, shows why (REST and one offer.updated), once", async () => {
  const f = await chatFixture("chat_offer_rejected");
  try {
    const { seller, buyer, conversationId, offer: accepted } = await offer(f);
    const before = await f.counts();
    const updatesBefore = (await f.outbox("offer.updated")).length;
    const rejected = envelope("offer.rejected", { offerId: accepted.id, reason: "gig_paused" });
    await f.events.deliver(rejected);

    const seen = await view(f, buyer, accepted.id);
    assert.deepEqual(seen, {
      ...accepted,
      status: "accepted",
      orderId: null,
      orderRejectedReason: "gig_paused",
      updatedAt: seen.updatedAt,
    });
    assert.ok(Date.parse(seen.updatedAt) >= Date.parse(accepted.updatedAt));
    assert.deepEqual(await view(f, seller, accepted.id), seen);
    const updates = await f.outbox("offer.updated");
    assert.equal(updates.length, updatesBefore + 1);
    assert.deepEqual(updates.at(-1)!.data, { offer: seen, buyerId: buyer.id, sellerId: seller.id });
    // The offer view is the note: no message, no other event.
    assert.deepEqual(await f.counts(), { ...before, outbox: before.outbox + 1 });
    const page = await f.call("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: buyer.token,
    });
    assert.equal(page.body.items.filter((m: { kind: string }) => m.kind === "offer").length, 1);

    // A redelivery changes nothing (the inbox holds it once).
    const after = await state(f, [[buyer, accepted.id]]);
    await f.events.deliver(rejected);
    assert.deepEqual(await state(f, [[buyer, accepted.id]]), after);
    const [inbox] = await f.db
      .sql`select count(*)::int as n from inbox where event_id = ${rejected.id}`;
    assert.equal(inbox.n, 1);

    // A second refusal under another event id keeps the first reason (logged).
    await f.deliver("offer.rejected", { offerId: accepted.id, reason: "payment_refused" });
    assert.deepEqual(await state(f, [[buyer, accepted.id]]), after);
    assert.ok(
      f.warnings.some((w) =>
        w.msg.includes("an offer already refused") && w.fields?.offerId === accepted.id
      ),
      JSON.stringify(f.warnings),
    );

    // An order arriving afterwards is what exists: it sets orderId and clears the reason.
    const orderId = crypto.randomUUID();
    await f.deliver("order.created", {
      orderId,
      buyerId: buyer.id,
      sellerId: seller.id,
      offerId: accepted.id,
    });
    const ordered = await view(f, seller, accepted.id);
    assert.equal(ordered.orderId, orderId);
    assert.equal(ordered.orderRejectedReason, null);
    assert.equal(ordered.status, "accepted");
    assert.deepEqual((await f.outbox("offer.updated")).at(-1)!.data.offer, ordered);
  } finally {
    await f.close();
  }
});

Deno.test("offer.rejected for an unknown offer, an offer with an order or a pending offer changes nothing (logged)", async () => {
  const f = await chatFixture("chat_offer_rejected_ignored");
  try {
    const { seller, buyer, offer: ordered } = await offer(f);
    const orderId = crypto.randomUUID();
    await f.deliver("order.created", {
      orderId,
      buyerId: buyer.id,
      sellerId: seller.id,
      offerId: ordered.id,
    });
    assert.equal((await view(f, buyer, ordered.id)).orderId, orderId);
    const other = await offer(f, false, ["seller2", "buyer2"]);
    const pending = other.offer;
    assert.equal(pending.status, "pending");
    const offers: [TestUser, string][] = [[buyer, ordered.id], [other.buyer, pending.id]];

    const cases = [
      { offerId: crypto.randomUUID(), why: "an unknown offer" },
      { offerId: ordered.id, why: "an offer that has an order" },
      { offerId: pending.id, why: "an offer that is not accepted" },
    ];
    for (const { offerId, why } of cases) {
      const before = await state(f, offers);
      const event = envelope("offer.rejected", { offerId, reason: "currency_mismatch" });
      await f.events.deliver(event);
      assert.deepEqual(await state(f, offers), before, why);
      assert.ok(
        f.warnings.some((w) => w.msg.includes(why) && w.fields?.eventId === event.id),
        `${why}: ${JSON.stringify(f.warnings)}`,
      );
    }
    const stillPending = await f.db.sql`select status, order_rejected_reason from offers
      where id = ${pending.id}`;
    assert.deepEqual([...stillPending], [{ status: "pending", order_rejected_reason: null }]);
    assert.equal((await view(f, buyer, ordered.id)).orderRejectedReason, null);
  } finally {
    await f.close();
  }
});
