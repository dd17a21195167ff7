/**
 * Custom offers through `createApp()` on a real database, with gigs and orders
 * learned from events on a real exchange: who may offer what, the offer's
 * message, accept/decline/withdraw and their events, one acceptance under
 * concurrency, expiry by the loop's tick, and the order from `order.created`.
 */
import assert from "node:assert/strict";
import { envelope } from "@mp/shared/testing";
import { assertProblem, type ChatFixture, chatFixture, type TestUser } from "./test_support.ts";
import { expireOffersOnce } from "./workers.ts";

/** A seller with an active gig in a conversation with a buyer. */
async function pair(f: ChatFixture) {
  const seller = await f.user("seller");
  const buyer = await f.user("buyer");
  const gigId = await f.gig(seller);
  const { id } = await f.start(buyer, seller, { message: "Can you build my shop?", gigId });
  return { seller, buyer, gigId, conversationId: id };
}

const makeOffer = (f: ChatFixture, by: TestUser, conversationId: string, body: unknown) =>
  f.call("POST", `/api/v1/conversations/${conversationId}/offers`, { token: by.token, body });

Deno.test("a seller offers their active gig to the other party: an offer message, message.sent and offer.updated", async () => {
  const f = await chatFixture("chat_offer_make");
  try {
    const { seller, buyer, gigId, conversationId } = await pair(f);
    const made = await makeOffer(f, seller, conversationId, f.offerBody(gigId));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const offer = made.body.offer;
    assert.equal(made.headers.get("location"), `/api/v1/offers/${offer.id}`);
    assert.deepEqual(
      { ...offer, id: "-", messageId: "-", expiresAt: "-", createdAt: "-", updatedAt: "-" },
      {
        id: "-",
        conversationId,
        messageId: "-",
        sellerId: seller.id,
        buyerId: buyer.id,
        gigId,
        description: "A custom web shop with five pages",
        price: { amount: 25_000, currency: "USD" },
        deliveryDays: 7,
        revisions: 2,
        expiresAt: "-",
        status: "pending",
        orderId: null,
        orderRejectedReason: null,
        createdAt: "-",
        updatedAt: "-",
      },
    );
    const days = (Date.parse(offer.expiresAt) - Date.parse(offer.createdAt)) / 86_400_000;
    assert.equal(days, 3);

    const page = await f.call("GET", `/api/v1/conversations/${conversationId}/messages`, {
      token: buyer.token,
    });
    const last = page.body.items.at(-1);
    assert.deepEqual({ ...last, createdAt: "-" }, {
      id: offer.messageId,
      conversationId,
      senderId: seller.id,
      clientId: `offer:${offer.id}`,
      kind: "offer",
      body: offer.description,
      attachments: [],
      gigId,
      orderId: null,
      offerId: offer.id,
      createdAt: "-",
    });
    const sent = await f.outbox("message.sent");
    assert.deepEqual(sent.at(-1)!.data, { message: last, recipientId: buyer.id });
    const updated = await f.outbox("offer.updated");
    assert.deepEqual(updated.map((e) => e.data), [{
      offer,
      buyerId: buyer.id,
      sellerId: seller.id,
    }]);
    const seen = await f.call("GET", `/api/v1/offers/${offer.id}`, { token: buyer.token });
    assert.deepEqual(seen.body, { offer });
  } finally {
    await f.close();
  }
});

Deno.test("no offer of another seller's gig, a paused, deleted or unknown gig, another currency, or when blocked; nothing changes", async () => {
  const f = await chatFixture("chat_offer_refused");
  try {
    const { seller, buyer, gigId, conversationId } = await pair(f);
    const other = await f.user("otherseller");
    const othersGig = await f.gig(other);
    const paused = await f.gig(seller, { status: "paused" });
    const deleted = await f.gig(seller);
    await f.deliver("gig.deleted", {
      gigId: deleted,
      sellerId: seller.id,
      deletedAt: new Date().toISOString(),
    });
    const before = await f.counts();
    assertProblem(
      await makeOffer(f, seller, conversationId, f.offerBody(othersGig)),
      403,
      "not_your_gig",
    );
    // The buyer has no gig here: offering the seller's gig to the seller is not theirs either.
    assertProblem(
      await makeOffer(f, buyer, conversationId, f.offerBody(gigId)),
      403,
      "not_your_gig",
    );
    assertProblem(
      await makeOffer(f, seller, conversationId, f.offerBody(paused)),
      409,
      "gig_not_active",
    );
    assertProblem(
      await makeOffer(f, seller, conversationId, f.offerBody(deleted)),
      404,
      "gig_not_found",
    );
    assertProblem(
      await makeOffer(f, seller, conversationId, f.offerBody(crypto.randomUUID())),
      404,
      "gig_not_found",
    );
    assertProblem(
      await makeOffer(
        f,
        seller,
        conversationId,
        f.offerBody(gigId, { price: { amount: 100, currency: "EUR" } }),
      ),
      422,
      "currency_mismatch",
    );
    for (
      const bad of [
        { expiresInDays: 0 },
        { expiresInDays: 31 },
        { deliveryDays: 0 },
        { revisions: -1 },
        { price: { amount: 0, currency: "USD" } },
        { price: { amount: 12.5, currency: "USD" } },
        { price: { amount: 100, currency: "usd" } },
        { description: "" },
        { description: "x".repeat(1501) },
        { extra: true },
      ]
    ) {
      assertProblem(
        await makeOffer(f, seller, conversationId, f.offerBody(gigId, bad)),
        400,
        "validation_failed",
      );
    }
    assert.deepEqual(await f.counts(), before);

    // A gig paused after the fact (a newer gig.updated) cannot be offered either.
    await f.gig(seller, { gigId, status: "paused" });
    assertProblem(
      await makeOffer(f, seller, conversationId, f.offerBody(gigId)),
      409,
      "gig_not_active",
    );
    await f.gig(seller, { gigId, status: "active" });
    await f.call("POST", `/api/v1/conversations/${conversationId}/block`, { token: buyer.token });
    assertProblem(await makeOffer(f, seller, conversationId, f.offerBody(gigId)), 403, "blocked");
    assert.equal((await f.counts()).offers, 0);
  } finally {
    await f.close();
  }
});

Deno.test("the buyer accepts: offer.accepted for orders and offer.updated; then order.created sets the orderId once", async () => {
  const f = await chatFixture("chat_offer_accept");
  try {
    const { seller, buyer, gigId, conversationId } = await pair(f);
    const offer = (await makeOffer(f, seller, conversationId, f.offerBody(gigId))).body.offer;
    assertProblem(
      await f.call("POST", `/api/v1/offers/${offer.id}/accept`, { token: seller.token }),
      403,
      "forbidden",
    );
    const accepted = await f.call("POST", `/api/v1/offers/${offer.id}/accept`, {
      token: buyer.token,
    });
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.offer.status, "accepted");
    const [event] = await f.outbox("offer.accepted");
    assert.deepEqual(event.data, {
      offerId: offer.id,
      conversationId,
      buyerId: buyer.id,
      sellerId: seller.id,
      gigId,
      description: offer.description,
      price: { amount: 25_000, currency: "USD" },
      deliveryDays: 7,
      revisions: 2,
      acceptedAt: accepted.body.offer.updatedAt,
    });
    const updates = await f.outbox("offer.updated");
    assert.deepEqual(updates.at(-1)!.data.offer, accepted.body.offer);

    // Accepted once: again, declining or withdrawing it is a conflict.
    for (
      const [action, user] of [["accept", buyer], ["decline", buyer], ["withdraw", seller]] as const
    ) {
      assertProblem(
        await f.call("POST", `/api/v1/offers/${offer.id}/${action}`, { token: user.token }),
        409,
        "offer_not_pending",
      );
    }

    const orderId = crypto.randomUUID();
    const created = envelope("order.created", {
      orderId,
      gigId,
      buyerId: buyer.id,
      sellerId: seller.id,
      offerId: offer.id,
      gigTitle: "I will build your web shop",
      package: "basic",
      price: { amount: 25_000, currency: "USD" },
      serviceFee: { amount: 1475, currency: "USD" },
      total: { amount: 26_475, currency: "USD" },
      createdAt: new Date().toISOString(),
    });
    await f.events.deliver(created);
    const seen = await f.call("GET", `/api/v1/offers/${offer.id}`, { token: seller.token });
    assert.equal(seen.body.offer.orderId, orderId);
    const afterOrder = await f.outbox("offer.updated");
    assert.deepEqual(afterOrder.at(-1)!.data, {
      offer: seen.body.offer,
      buyerId: buyer.id,
      sellerId: seller.id,
    });
    // A redelivery, or another order naming the same offer, changes nothing.
    await f.events.deliver(created);
    await f.deliver("order.created", {
      orderId: crypto.randomUUID(),
      gigId,
      buyerId: buyer.id,
      sellerId: seller.id,
      offerId: offer.id,
    });
    assert.equal((await f.outbox("offer.updated")).length, afterOrder.length);
    const still = await f.call("GET", `/api/v1/offers/${offer.id}`, { token: buyer.token });
    assert.equal(still.body.offer.orderId, orderId);
  } finally {
    await f.close();
  }
});

Deno.test("concurrent acceptances of one offer: exactly one succeeds and one offer.accepted is published", async () => {
  const f = await chatFixture("chat_offer_race");
  try {
    const { seller, buyer, gigId, conversationId } = await pair(f);
    const offer = (await makeOffer(f, seller, conversationId, f.offerBody(gigId))).body.offer;
    const answers = await Promise.all(
      Array.from(
        { length: 8 },
        () => f.call("POST", `/api/v1/offers/${offer.id}/accept`, { token: buyer.token }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) {
      assertProblem(answer, 409, "offer_not_pending");
    }
    assert.equal((await f.outbox("offer.accepted")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("decline by the buyer, withdraw by the seller, each once, each with offer.updated", async () => {
  const f = await chatFixture("chat_offer_decline");
  try {
    const { seller, buyer, gigId, conversationId } = await pair(f);
    const one = (await makeOffer(f, seller, conversationId, f.offerBody(gigId))).body.offer;
    const two = (await makeOffer(f, seller, conversationId, f.offerBody(gigId))).body.offer;
    assertProblem(
      await f.call("POST", `/api/v1/offers/${one.id}/decline`, { token: seller.token }),
      403,
      "forbidden",
    );
    assertProblem(
      await f.call("POST", `/api/v1/offers/${two.id}/withdraw`, { token: buyer.token }),
      403,
      "forbidden",
    );
    const declined = await f.call("POST", `/api/v1/offers/${one.id}/decline`, {
      token: buyer.token,
    });
    assert.equal(declined.body.offer.status, "declined");
    const withdrawn = await f.call("POST", `/api/v1/offers/${two.id}/withdraw`, {
      token: seller.token,
    });
    assert.equal(withdrawn.body.offer.status, "withdrawn");
    assertProblem(
      await f.call("POST", `/api/v1/offers/${two.id}/accept`, { token: buyer.token }),
      409,
      "offer_not_pending",
    );
    const statuses = (await f.outbox("offer.updated")).map((e) => e.data.offer.status);
    assert.deepEqual(statuses, ["pending", "pending", "declined", "withdrawn"]);
    assert.equal((await f.outbox("offer.accepted")).length, 0);

    // An offer whose gig was paused since cannot be accepted (orders would refuse its order).
    const three = (await makeOffer(f, seller, conversationId, f.offerBody(gigId))).body.offer;
    await f.gig(seller, { gigId, status: "paused" });
    assertProblem(
      await f.call("POST", `/api/v1/offers/${three.id}/accept`, { token: buyer.token }),
      409,
      "gig_not_active",
    );
    await f.gig(seller, { gigId, status: "active", currency: "EUR" });
    assertProblem(
      await f.call("POST", `/api/v1/offers/${three.id}/accept`, { token: buyer.token }),
      409,
      "gig_not_active",
    );
    await f.gig(seller, { gigId, status: "active", currency: "USD" });
    // Nor while either party blocks the other.
    await f.call("POST", `/api/v1/conversations/${conversationId}/block`, { token: seller.token });
    assertProblem(
      await f.call("POST", `/api/v1/offers/${three.id}/accept`, { token: buyer.token }),
      403,
      "blocked",
    );
    await f.call("POST", `/api/v1/conversations/${conversationId}/unblock`, {
      token: seller.token,
    });
    const accepted = await f.call("POST", `/api/v1/offers/${three.id}/accept`, {
      token: buyer.token,
    });
    assert.equal(accepted.body.offer.status, "accepted");
  } finally {
    await f.close();
  }
});

Deno.test("an offer past its date shows expired, cannot be accepted, and the expiry tick marks it once with offer.updated", async () => {
  const f = await chatFixture("chat_offer_expiry");
  try {
    const { seller, buyer, gigId, conversationId } = await pair(f);
    const old = (await makeOffer(f, seller, conversationId, f.offerBody(gigId))).body.offer;
    const fresh = (await makeOffer(f, seller, conversationId, f.offerBody(gigId))).body.offer;
    // Time passes for the first offer only (the clock is the database's).
    await f.db.sql`update offers set expires_at = now() - interval '1 second'
      where id = ${old.id}`;
    const shown = await f.call("GET", `/api/v1/offers/${old.id}`, { token: buyer.token });
    assert.equal(shown.body.offer.status, "expired");
    assertProblem(
      await f.call("POST", `/api/v1/offers/${old.id}/accept`, { token: buyer.token }),
      409,
      "offer_expired",
    );
    assertProblem(
      await f.call("POST", `/api/v1/offers/${old.id}/withdraw`, { token: seller.token }),
      409,
      "offer_expired",
    );
    const before = (await f.outbox("offer.updated")).length;
    assert.equal(await expireOffersOnce(f.db.sql), 1);
    assert.equal(await expireOffersOnce(f.db.sql), 0);
    const updates = await f.outbox("offer.updated");
    assert.equal(updates.length, before + 1);
    assert.equal(updates.at(-1)!.data.offer.id, old.id);
    assert.equal(updates.at(-1)!.data.offer.status, "expired");
    const [row] = await f.db.sql`select status from offers where id = ${old.id}`;
    assert.equal(row.status, "expired");
    const other = await f.call("GET", `/api/v1/offers/${fresh.id}`, { token: buyer.token });
    assert.equal(other.body.offer.status, "pending");
  } finally {
    await f.close();
  }
});

Deno.test("an Idempotency-Key makes a retried offer or acceptance answer the first success and change nothing", async () => {
  const f = await chatFixture("chat_offer_keys");
  try {
    const { seller, buyer, gigId, conversationId } = await pair(f);
    const headers = { "idempotency-key": crypto.randomUUID() };
    const path = `/api/v1/conversations/${conversationId}/offers`;
    const body = f.offerBody(gigId);
    const first = await f.call("POST", path, { token: seller.token, body, headers });
    assert.equal(first.status, 201);
    const retry = await f.call("POST", path, { token: seller.token, body, headers });
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    assert.equal(retry.headers.get("location"), `/api/v1/offers/${first.body.offer.id}`);
    assert.deepEqual(retry.body, first.body);
    assert.equal((await f.counts()).offers, 1);
    // The same key for another body is refused.
    assertProblem(
      await f.call("POST", path, {
        token: seller.token,
        body: { ...body, revisions: 5 },
        headers,
      }),
      422,
      "idempotency_key_reused",
    );

    const accept = `/api/v1/offers/${first.body.offer.id}/accept`;
    const key = { "idempotency-key": crypto.randomUUID() };
    const accepted = await f.call("POST", accept, { token: buyer.token, headers: key });
    assert.equal(accepted.status, 200);
    const again = await f.call("POST", accept, { token: buyer.token, headers: key });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, accepted.body);
    // Without the key a second acceptance is the conflict it is.
    assertProblem(await f.call("POST", accept, { token: buyer.token }), 409, "offer_not_pending");
    assert.equal((await f.outbox("offer.accepted")).length, 1);
    assertProblem(
      await f.call("POST", accept, { token: buyer.token, headers: { "idempotency-key": "" } }),
      400,
      "idempotency_key_invalid",
    );
  } finally {
    await f.close();
  }
});
