/**
 * Replies: the reviewed user answers a review once; nobody else may.
 */
import assert from "node:assert/strict";
import { assertProblem, reviewsFixture } from "./test_support.ts";

Deno.test("the reviewee replies once; review.replied follows the contract; a second reply is 409", async () => {
  const f = await reviewsFixture("rep_once");
  try {
    const buyer = await f.user("rbuyer1");
    const seller = await f.user("rseller1");
    const order = await f.completedOrder(buyer, seller);
    const review = await f.review(order, buyer, { rating: 3, comment: "Slow replies." });

    const replied = await f.call("POST", `/api/v1/reviews/${review.body.id}/reply`, {
      body: { reply: "  Sorry — I was travelling that week.  " },
      token: seller.token,
    });
    assert.equal(replied.status, 201);
    assert.equal(replied.body.id, review.body.id);
    assert.equal(replied.body.reply.text, "Sorry — I was travelling that week.");
    assert.ok(!Number.isNaN(Date.parse(replied.body.reply.repliedAt)));
    assert.deepEqual({ ...replied.body, reply: null }, review.body);

    const [event] = await f.outbox("review.replied");
    assert.deepEqual(event.data, {
      reviewId: review.body.id,
      orderId: order.orderId,
      gigId: order.gigId,
      replierId: seller.id,
      reply: "Sorry — I was travelling that week.",
      repliedAt: replied.body.reply.repliedAt,
    });

    const before = await f.counts();
    const again = await f.call("POST", `/api/v1/reviews/${review.body.id}/reply`, {
      body: { reply: "Edited answer" },
      token: seller.token,
    });
    assertProblem(again, 409, "already_replied");
    assert.deepEqual(await f.counts(), before);
    const shown = await f.call("GET", `/api/v1/reviews/${review.body.id}`);
    assert.equal(shown.body.reply.text, "Sorry — I was travelling that week.");
  } finally {
    await f.close();
  }
});

Deno.test("the reviewer and outsiders get 403 replying, an unknown review 404, and nothing changes", async () => {
  const f = await reviewsFixture("rep_forbidden");
  try {
    const buyer = await f.user("rbuyer2");
    const seller = await f.user("rseller2");
    const outsider = await f.user("rmallory");
    const order = await f.completedOrder(buyer, seller);
    const review = await f.review(order, buyer);
    const before = await f.counts();

    for (const who of [buyer, outsider]) {
      const answer = await f.call("POST", `/api/v1/reviews/${review.body.id}/reply`, {
        body: { reply: "Not mine to answer" },
        token: who.token,
      });
      assertProblem(answer, 403, "forbidden");
    }
    assertProblem(
      await f.call("POST", `/api/v1/reviews/${crypto.randomUUID()}/reply`, {
        body: { reply: "Hello" },
        token: seller.token,
      }),
      404,
      "review_not_found",
    );
    assert.deepEqual(await f.counts(), before);
    assert.deepEqual(await f.outbox("review.replied"), []);
  } finally {
    await f.close();
  }
});

Deno.test("the buyer replies to the seller's review of them, and only to that one", async () => {
  const f = await reviewsFixture("rep_buyer");
  try {
    const buyer = await f.user("rbuyer3");
    const seller = await f.user("rseller3");
    const order = await f.completedOrder(buyer, seller);
    const ofBuyer = await f.review(order, seller, { rating: 2, comment: "Vague brief." });
    const ofSeller = await f.review(order, buyer, { rating: 5, comment: "Great" });

    const answer = await f.call("POST", `/api/v1/reviews/${ofBuyer.body.id}/reply`, {
      body: { reply: "I sent the details on day one." },
      token: buyer.token,
    });
    assert.equal(answer.status, 201);
    assertProblem(
      await f.call("POST", `/api/v1/reviews/${ofSeller.body.id}/reply`, {
        body: { reply: "Thanks me" },
        token: buyer.token,
      }),
      403,
    );
    const [event] = await f.outbox("review.replied");
    assert.equal(event.data.replierId, buyer.id);
  } finally {
    await f.close();
  }
});

Deno.test("two replies racing: one 201, the other 409, one event", async () => {
  const f = await reviewsFixture("rep_race");
  try {
    const buyer = await f.user("rbuyer4");
    const seller = await f.user("rseller4");
    const order = await f.completedOrder(buyer, seller);
    const review = await f.review(order, buyer);
    const answers = await Promise.all(
      Array.from(
        { length: 4 },
        (_, i) =>
          f.call("POST", `/api/v1/reviews/${review.body.id}/reply`, {
            body: { reply: `answer ${i}` },
            token: seller.token,
          }),
      ),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409]);
    assert.equal((await f.outbox("review.replied")).length, 1);
  } finally {
    await f.close();
  }
});
