/**
 * The public lists: a user's reviews as seller or buyer and a gig's reviews,
 * paged newest first with a rating summary over all of them.
 */
import assert from "node:assert/strict";
import type { Sql } from "@mp/shared/db";
import {
  assertProblem,
  type ReviewsFixture,
  reviewsFixture,
  type TestUser,
} from "./test_support.ts";

/**
 * Inserts `ratings.length` reviews of `reviewee` (as seller: buyer_to_seller),
 * one order each, the first rating the newest, one minute apart. Bulk data for
 * paging; the API path itself is exercised by the other tests.
 */
async function seedSellerReviews(
  sql: Sql,
  options: { reviewer: TestUser; reviewee: TestUser; gigId: string; ratings: number[] },
): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, rating] of options.ratings.entries()) {
    const orderId = crypto.randomUUID();
    const id = crypto.randomUUID();
    await sql`insert into orders (order_id, gig_id, buyer_id, seller_id, gig_title, completed_at)
      values (${orderId}, ${options.gigId}, ${options.reviewer.id}, ${options.reviewee.id},
        'Seeded gig', now())`;
    await sql`insert into reviews (id, order_id, gig_id, reviewer_id, reviewee_id, direction,
        rating, comment, created_at)
      values (${id}, ${orderId}, ${options.gigId}, ${options.reviewer.id}, ${options.reviewee.id},
        'buyer_to_seller', ${rating}, ${"review " + i}, now() - ${i} * interval '1 minute')`;
    ids.push(id);
  }
  return ids;
}

async function people(f: ReviewsFixture, suffix: string) {
  return {
    buyer: await f.user(`lbuyer${suffix}`),
    seller: await f.user(`lseller${suffix}`),
  };
}

Deno.test("GET /users/{username}/reviews pages a seller's reviews newest first with total and summary", async () => {
  const f = await reviewsFixture("list_pages");
  try {
    const { buyer, seller } = await people(f, "1");
    const gigId = crypto.randomUUID();
    const ratings = Array.from({ length: 23 }, (_, i) => (i % 5) + 1);
    const ids = await seedSellerReviews(f.db.sql, {
      reviewer: buyer,
      reviewee: seller,
      gigId,
      ratings,
    });

    const get = async (query: string) => {
      const answer = await f.call("GET", `/api/v1/users/lseller1/reviews${query}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const first = await get("");
    assert.equal(first.as, "seller");
    assert.equal(first.page, 1);
    assert.equal(first.limit, 20);
    assert.equal(first.total, 23);
    assert.deepEqual(first.items.map((r: { id: string }) => r.id), ids.slice(0, 20));
    // 23 reviews cycling 1..5 stars: 5 each of 1, 2 and 3 stars, 4 each of 4 and 5: 66/23.
    assert.deepEqual(first.summary, {
      average: 2.87,
      count: 23,
      histogram: { "1": 5, "2": 5, "3": 5, "4": 4, "5": 4 },
    });
    const last = await get("?page=3&limit=10");
    assert.deepEqual(last.items.map((r: { id: string }) => r.id), ids.slice(20));
    assert.equal(last.total, 23);
    assert.deepEqual(last.summary, first.summary);
    const beyond = await get("?page=9&limit=50");
    assert.deepEqual(beyond.items, []);
    assert.equal(beyond.total, 23);
    // Case-insensitive, like usernames everywhere.
    assert.equal((await f.call("GET", "/api/v1/users/LSELLER1/reviews?limit=1")).body.total, 23);
    // As a buyer the same user has no reviews yet.
    const asBuyer = await get("?as=buyer");
    assert.deepEqual(asBuyer.items, []);
    assert.deepEqual(asBuyer.summary, {
      average: null,
      count: 0,
      histogram: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 },
    });
  } finally {
    await f.close();
  }
});

Deno.test("as=seller and as=buyer list what a user received in each role, through the real API", async () => {
  const f = await reviewsFixture("list_roles");
  try {
    const { buyer, seller } = await people(f, "2");
    const gigId = crypto.randomUUID();
    const order = await f.completedOrder(buyer, seller, { gigId });
    const ofSeller = await f.review(order, buyer, { rating: 4, comment: "Good" });
    const ofBuyer = await f.review(order, seller, { rating: 5, comment: "Ideal client" });
    await f.call("POST", `/api/v1/reviews/${ofSeller.body.id}/reply`, {
      body: { reply: "Thank you!" },
      token: seller.token,
    });

    const sellerSide = await f.call("GET", "/api/v1/users/lseller2/reviews?as=seller");
    assert.equal(sellerSide.body.total, 1);
    assert.equal(sellerSide.body.items[0].id, ofSeller.body.id);
    assert.equal(sellerSide.body.items[0].reviewer.username, "lbuyer2");
    assert.equal(sellerSide.body.items[0].reply.text, "Thank you!");
    assert.equal(sellerSide.body.summary.average, 4);
    assert.equal((await f.call("GET", "/api/v1/users/lseller2/reviews?as=buyer")).body.total, 0);

    const buyerSide = await f.call("GET", "/api/v1/users/lbuyer2/reviews?as=buyer");
    assert.deepEqual(buyerSide.body.items, [ofBuyer.body]);
    assert.equal(buyerSide.body.items[0].reviewer.username, "lseller2");

    // The gig shows only what buyers said about it.
    const gig = await f.call("GET", `/api/v1/gigs/${gigId}/reviews`);
    assert.equal(gig.status, 200);
    assert.equal(gig.body.total, 1);
    assert.equal(gig.body.items[0].id, ofSeller.body.id);
    assert.equal(gig.body.items[0].gigTitle, order.gigTitle);
    assert.equal(gig.body.summary.count, 1);
  } finally {
    await f.close();
  }
});

Deno.test("GET /gigs/{id}/reviews lists only that gig's buyer reviews, paged; an unreviewed gig is an empty page", async () => {
  const f = await reviewsFixture("list_gig");
  try {
    const { buyer, seller } = await people(f, "3");
    const gigA = crypto.randomUUID();
    const gigB = crypto.randomUUID();
    const a = await seedSellerReviews(f.db.sql, {
      reviewer: buyer,
      reviewee: seller,
      gigId: gigA,
      ratings: [5, 5, 4],
    });
    await seedSellerReviews(f.db.sql, {
      reviewer: buyer,
      reviewee: seller,
      gigId: gigB,
      ratings: [1],
    });
    const page = await f.call("GET", `/api/v1/gigs/${gigA}/reviews?limit=2`);
    assert.deepEqual(page.body.items.map((r: { id: string }) => r.id), a.slice(0, 2));
    assert.equal(page.body.total, 3);
    assert.equal(page.body.summary.average, 4.67);
    const none = await f.call("GET", `/api/v1/gigs/${crypto.randomUUID()}/reviews`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.body.items, []);
    assert.equal(none.body.total, 0);
    assert.equal(none.body.summary.average, null);
  } finally {
    await f.close();
  }
});

Deno.test("the public lists ignore any Authorization header, even a garbage or tampered one", async () => {
  const f = await reviewsFixture("list_public");
  try {
    const { buyer, seller } = await people(f, "4");
    const gigId = crypto.randomUUID();
    const order = await f.completedOrder(buyer, seller, { gigId });
    const posted = await f.review(order, buyer);
    const paths = [
      "/api/v1/users/lseller4/reviews",
      `/api/v1/gigs/${gigId}/reviews`,
      `/api/v1/reviews/${posted.body.id}`,
    ];
    for (const path of paths) {
      for (
        const authorization of [undefined, "Bearer garbage", `Bearer ${buyer.token}x`, "Basic x"]
      ) {
        const answer = await f.call("GET", path, {
          headers: authorization ? { authorization } : {},
        });
        assert.equal(answer.status, 200, `${path} with ${authorization}`);
      }
    }
  } finally {
    await f.close();
  }
});

Deno.test("bad list queries are 400 with pointers; unknown users and reviews are 404", async () => {
  const f = await reviewsFixture("list_bad");
  try {
    await people(f, "5");
    const bad = [
      "?limit=51",
      "?limit=10000",
      "?limit=0",
      "?limit=abc",
      "?limit=1.5",
      "?limit=-1",
      "?limit=1e3",
      "?page=0",
      "?page=10001",
      "?page=1&page=2",
      "?as=admin",
      "?as=",
      "?sort=rating",
    ];
    for (const query of bad) {
      const answer = await f.call("GET", `/api/v1/users/lseller5/reviews${query}`);
      assertProblem(answer, 400, "validation_failed");
      assert.ok(answer.body.errors[0].pointer.startsWith("#/"), query);
    }
    for (const query of ["?limit=51", "?as=seller", "?page=x"]) {
      assertProblem(
        await f.call("GET", `/api/v1/gigs/${crypto.randomUUID()}/reviews${query}`),
        400,
      );
    }
    assertProblem(await f.call("GET", "/api/v1/gigs/not-a-uuid/reviews"), 400);
    assertProblem(await f.call("GET", "/api/v1/reviews/not-a-uuid"), 400);
    assertProblem(
      await f.call("GET", `/api/v1/reviews/${crypto.randomUUID()}`),
      404,
      "review_not_found",
    );
    // Unknown, malformed or hostile names: 404, never a 5xx.
    for (
      const name of ["nobody_here", "x", "a%00b", "%F0%9F%91%8D", "'%20or%201=1--", "a".repeat(300)]
    ) {
      assertProblem(await f.call("GET", `/api/v1/users/${name}/reviews`), 404, "user_not_found");
    }
  } finally {
    await f.close();
  }
});
