/**
 * `Idempotency-Key` on the writing routes of reviews: a retried review or
 * reply gets the first answer (not `already_reviewed`/`already_replied`) and
 * changes nothing; the key with another body is a 422; another user's key is
 * independent; a bad key is a 400.
 */
import assert from "node:assert/strict";
import { type Answer, assertProblem, type ReviewsFixture, reviewsFixture } from "./test_support.ts";

const postWithKey = (
  f: ReviewsFixture,
  path: string,
  token: string,
  body: unknown,
  key: string,
): Promise<Answer> => f.call("POST", path, { body, token, headers: { "idempotency-key": key } });

Deno.test("a retried review or reply with its Idempotency-Key gets the first answer and changes nothing", async () => {
  const f = await reviewsFixture("rev_idem");
  try {
    const buyer = await f.user("ibuyer1");
    const seller = await f.user("iseller1");
    const order = await f.completedOrder(buyer, seller);
    const path = `/api/v1/orders/${order.orderId}/reviews`;
    const body = { rating: 4, comment: "Good work." };
    const key = crypto.randomUUID();

    const first = await postWithKey(f, path, buyer.token, body, key);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const before = await f.counts();
    const again = await postWithKey(f, path, buyer.token, body, key);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.headers.get("location"), first.headers.get("location"));
    assert.deepEqual(again.body, first.body);
    assert.deepEqual(await f.counts(), before);

    // Without the key a second review is still refused.
    assertProblem(await f.review(order, buyer, body), 409, "already_reviewed");

    // The reply: the same, even after the review changed in between (replied).
    const replyPath = `/api/v1/reviews/${first.body.id}/reply`;
    const replyKey = crypto.randomUUID();
    const replied = await postWithKey(f, replyPath, seller.token, { reply: "Thanks!" }, replyKey);
    assert.equal(replied.status, 201, JSON.stringify(replied.body));
    const afterReply = await f.counts();
    const replayed = await postWithKey(
      f,
      replyPath,
      seller.token,
      { reply: "Thanks!" },
      replyKey,
    );
    assert.equal(replayed.status, 201);
    assert.equal(replayed.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(replayed.body, replied.body);
    assert.deepEqual(await f.counts(), afterReply);
    assert.equal((await f.outbox("review.created")).length, 1);
    assert.equal((await f.outbox("review.replied")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("a review key reused with another body is a 422, another user's key is theirs, a bad key a 400", async () => {
  const f = await reviewsFixture("rev_idem_bad");
  try {
    const buyer = await f.user("ibuyer2");
    const seller = await f.user("iseller2");
    const order = await f.completedOrder(buyer, seller);
    const path = `/api/v1/orders/${order.orderId}/reviews`;
    const key = "same-key";

    const before = await f.counts();
    for (const bad of ["", "with space", "k".repeat(256), "clé"]) {
      assertProblem(
        await postWithKey(f, path, buyer.token, { rating: 5, comment: "x" }, bad),
        400,
        "idempotency_key_invalid",
      );
    }
    assert.deepEqual(await f.counts(), before);

    const mine = await postWithKey(f, path, buyer.token, { rating: 5, comment: "Great" }, key);
    assert.equal(mine.status, 201);
    const afterMine = await f.counts();
    assertProblem(
      await postWithKey(f, path, buyer.token, { rating: 1, comment: "Awful" }, key),
      422,
      "idempotency_key_reused",
    );
    // The same key on another route (the reply) is a reuse too.
    assertProblem(
      await postWithKey(f, `/api/v1/reviews/${mine.body.id}/reply`, buyer.token, {
        reply: "x",
      }, key),
      422,
      "idempotency_key_reused",
    );
    assert.deepEqual(await f.counts(), afterMine);

    // The seller's identical key is independent: their own review of the buyer.
    const theirs = await postWithKey(f, path, seller.token, { rating: 5, comment: "Great" }, key);
    assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
    assert.equal(theirs.headers.get("idempotent-replayed"), null);
    assert.notEqual(theirs.body.id, mine.body.id);
    assert.equal(theirs.body.direction, "seller_to_buyer");
  } finally {
    await f.close();
  }
});
