/**
 * The service's OpenAPI document describes what its routes really answer:
 * every route's answers, in the states that change their bodies (no message
 * yet, messages, an offer message, an offer pending, accepted with an order,
 * accepted and refused by orders, blocked) and each refusal, are checked
 * against the document the service serves at `GET /openapi.json` (the
 * end-to-end contract checker, which closes every object: a field the document
 * does not name fails).
 */
import assert from "node:assert/strict";
import { contractOf } from "../../e2e/contract.ts";
import type { TestRequest } from "@mp/shared/testing";
import { chatFixture } from "./test_support.ts";

Deno.test("every answer of every chat route matches the service's OpenAPI document", async () => {
  const f = await chatFixture("chat_api_docs", { messagesPerMinute: 8 });
  try {
    const served = await f.call("GET", "/openapi.json");
    assert.equal(served.status, 200);
    const document = served.body;
    assert.deepEqual(Object.keys(document.paths).sort(), [
      "/api/v1/conversations",
      "/api/v1/conversations/unread-count",
      "/api/v1/conversations/{id}",
      "/api/v1/conversations/{id}/block",
      "/api/v1/conversations/{id}/messages",
      "/api/v1/conversations/{id}/offers",
      "/api/v1/conversations/{id}/read",
      "/api/v1/conversations/{id}/unblock",
      "/api/v1/offers/{id}",
      "/api/v1/offers/{id}/accept",
      "/api/v1/offers/{id}/decline",
      "/api/v1/offers/{id}/withdraw",
    ]);
    const check = contractOf(document);
    const checked = new Set<string>();
    const call = async (method: string, path: string, request: TestRequest = {}) => {
      const answer = await f.call(method, path, request);
      const broken = check(method, path, answer.status, answer.type, answer.body);
      assert.equal(broken, undefined, JSON.stringify(answer.body));
      checked.add(`${method} ${answer.status}`);
      return answer;
    };

    const buyer = await f.user("dbuyer");
    const seller = await f.user("dseller");
    const stranger = await f.user("dstranger");
    const gigId = await f.gig(seller);
    await call("GET", "/api/v1/conversations", { token: buyer.token });
    const start = (body: unknown, token = buyer.token) =>
      call("POST", "/api/v1/conversations", { token, body });
    const created = await start({ recipient: "dseller" });
    assert.equal(created.status, 201);
    const id = created.body.conversation.id;
    await start({ recipient: "DSELLER", message: "About your gig", gigId });
    await start({ recipient: "nobody" });
    await start({ recipient: "dbuyer" });
    await start({ recipient: "" });
    await call("POST", "/api/v1/conversations", { body: { recipient: "dseller" } });
    await call("POST", "/api/v1/conversations", { token: buyer.token, body: "{" });

    const base = `/api/v1/conversations/${id}`;
    const send = (body: unknown, token = buyer.token) =>
      call("POST", `${base}/messages`, { token, body });
    const sent = await send({
      clientId: "c1",
      body: "With a file",
      attachments: [{ url: "https://files.example.com/a.png", name: "a.png", size: 10 }],
    });
    assert.equal(sent.status, 201);
    await send({ clientId: "c1", body: "With a file" });
    await send({ clientId: "c2", body: "x", orderId: crypto.randomUUID() });
    await send({ clientId: "c3", body: "" });
    await send({ clientId: "c4", body: "hi" }, stranger.token);
    await send({ clientId: "c4", body: "x".repeat(200_000) });

    const offers = `${base}/offers`;
    const offer = await call("POST", offers, { token: seller.token, body: f.offerBody(gigId) });
    assert.equal(offer.status, 201);
    const second = await call("POST", offers, { token: seller.token, body: f.offerBody(gigId) });
    await call("POST", offers, {
      token: seller.token,
      body: f.offerBody(gigId, { price: { amount: 1, currency: "EUR" } }),
    });
    await call("POST", offers, { token: buyer.token, body: f.offerBody(gigId) });
    await call("POST", offers, { token: seller.token, body: f.offerBody(crypto.randomUUID()) });
    const keyed = { token: seller.token, headers: { "idempotency-key": "k1" } };
    await call("POST", offers, { ...keyed, body: f.offerBody(gigId, { revisions: 1 }) });
    const replay = await call("POST", offers, {
      ...keyed,
      body: f.offerBody(gigId, { revisions: 1 }),
    });
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    await call("POST", offers, { ...keyed, body: f.offerBody(gigId, { revisions: 3 }) });
    const paused = await f.gig(seller, { status: "paused" });
    await call("POST", offers, { token: seller.token, body: f.offerBody(paused) });

    await call("GET", "/api/v1/conversations", { token: buyer.token });
    await call("GET", "/api/v1/conversations?limit=1", { token: buyer.token });
    await call("GET", "/api/v1/conversations?limit=1000", { token: buyer.token });
    await call("GET", "/api/v1/conversations/unread-count", { token: seller.token });
    await call("GET", base, { token: seller.token });
    await call("GET", base, { token: stranger.token });
    await call("GET", "/api/v1/conversations/nope", { token: seller.token });
    const page = await call("GET", `${base}/messages?limit=2`, { token: seller.token });
    await call("GET", `${base}/messages?before=${page.body.nextCursor}`, { token: seller.token });
    await call("GET", `${base}/messages?after=${sent.body.message.id}`, { token: seller.token });
    await call("GET", `${base}/messages?after=x`, { token: seller.token });
    await call("GET", `${base}/messages`, { token: stranger.token });
    await call("POST", `${base}/read`, {
      token: seller.token,
      body: { upTo: sent.body.message.id },
    });
    await call("POST", `${base}/read`, {
      token: seller.token,
      body: { upTo: crypto.randomUUID() },
    });
    await call("POST", `${base}/read`, { token: stranger.token, body: { upTo: id } });

    const offerId = offer.body.offer.id;
    await call("GET", `/api/v1/offers/${offerId}`, { token: buyer.token });
    await call("GET", `/api/v1/offers/${offerId}`, { token: stranger.token });
    await call("POST", `/api/v1/offers/${offerId}/accept`, { token: seller.token });
    await call("POST", `/api/v1/offers/${offerId}/accept`, { token: buyer.token });
    await call("POST", `/api/v1/offers/${offerId}/accept`, { token: buyer.token });
    await call("POST", `/api/v1/offers/${second.body.offer.id}/decline`, { token: buyer.token });
    await call("POST", `/api/v1/offers/${second.body.offer.id}/withdraw`, { token: seller.token });
    await f.deliver("order.created", {
      orderId: crypto.randomUUID(),
      gigId,
      buyerId: buyer.id,
      sellerId: seller.id,
      offerId,
    });
    const withOrder = await call("GET", `/api/v1/offers/${offerId}`, { token: seller.token });
    assert.ok(withOrder.body.offer.orderId);
    // An accepted offer orders refused: the view with `orderRejectedReason`.
    const keyedId = replay.body.offer.id;
    await call("POST", `/api/v1/offers/${keyedId}/accept`, { token: buyer.token });
    await f.deliver("offer.rejected", { offerId: keyedId, reason: "payment_refused" });
    const refused = await call("GET", `/api/v1/offers/${keyedId}`, { token: buyer.token });
    assert.equal(refused.body.offer.orderRejectedReason, "payment_refused");
    const third = await call("POST", offers, { token: seller.token, body: f.offerBody(gigId) });
    await call("POST", `/api/v1/offers/${third.body.offer.id}/withdraw`, { token: seller.token });

    await call("POST", `${base}/block`, { token: seller.token });
    await send({ clientId: "c9", body: "blocked?" });
    await call("GET", "/api/v1/conversations", { token: buyer.token });
    await call("POST", `${base}/unblock`, { token: seller.token });
    await call("POST", `${base}/block`, { token: stranger.token });
    for (let i = 0; i < 8; i++) await send({ clientId: `burst-${i}`, body: "again" });

    for (
      const status of [
        "POST 200",
        "POST 201",
        "POST 400",
        "POST 401",
        "POST 403",
        "POST 404",
        "POST 409",
        "POST 413",
        "POST 422",
        "POST 429",
        "GET 200",
        "GET 400",
        "GET 404",
      ]
    ) assert.ok(checked.has(status), status);
  } finally {
    await f.close();
  }
});
