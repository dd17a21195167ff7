import assert from "node:assert/strict";
import { PoisonMessageError } from "@mp/shared/bus";
import { envelope, gigsFixture } from "./test_support.ts";

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

Deno.test("a seller's rename and new avatar (user.profile_updated) show in search results and gig details, cached or not", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    // Both cached now.
    assert.equal((await f.call("GET", "?q=logo")).body.items[0].seller.displayName, "Ada Studio");
    assert.equal((await f.call("GET", `/${gig.id}`)).body.gig.seller.displayName, "Ada Studio");

    await f.deliver("user.profile_updated", {
      userId: ada.userId,
      username: "ada_lovelace",
      displayName: "Ada Lovelace Design",
      avatarUrl: "https://cdn.example.com/avatars/new.png",
      country: "GB",
    });
    const card = (await f.call("GET", "?q=logo")).body.items[0];
    assert.deepEqual(card.seller, {
      username: "ada_lovelace",
      displayName: "Ada Lovelace Design",
      level: "level_1",
      avatarUrl: "https://cdn.example.com/avatars/new.png",
    });
    const detail = (await f.call("GET", `/${gig.id}`)).body.gig;
    assert.equal(detail.seller.displayName, "Ada Lovelace Design");
    assert.equal(detail.seller.username, "ada_lovelace");
    // The seller filter follows the new username.
    assert.equal((await f.call("GET", "?seller=ada_lovelace")).body.total, 1);
    assert.equal((await f.call("GET", "?seller=ada")).body.total, 0);
  } finally {
    await f.close();
  }
});

Deno.test("seller.updated changes the level shown on cards and details", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    assert.equal((await f.call("GET", `/${gig.id}`)).body.gig.seller.level, "level_1");
    await f.deliver("seller.updated", {
      userId: ada.userId,
      username: "ada",
      displayName: "Ada Studio",
      avatarUrl: null,
      level: "top_rated",
      skills: [],
      languages: [],
      rating: { average: 4.9, count: 120 },
    });
    assert.equal((await f.call("GET", `/${gig.id}`)).body.gig.seller.level, "top_rated");
    assert.equal((await f.call("GET", `/${gig.id}`)).body.gig.seller.avatarUrl, null);
    assert.equal((await f.call("GET", "")).body.items[0].seller.level, "top_rated");
    const [row] = await f.db.sql`select rating_average, rating_count from sellers`;
    assert.deepEqual([Number(row.rating_average), row.rating_count], [4.9, 120]);
  } finally {
    await f.close();
  }
});

Deno.test("seller and profile events arriving out of order converge on the newest data", async () => {
  const f = await gigsFixture();
  try {
    const userId = crypto.randomUUID();
    const sellerEvent = (name: string, level: string) => ({
      userId,
      username: "ada",
      displayName: name,
      avatarUrl: null,
      level,
      skills: [],
      languages: [],
      rating: { average: null, count: 0 },
    });
    // The profile change (10 min ago) arrives before the older seller.created (20 min ago).
    await f.deliver("user.profile_updated", {
      userId,
      username: "ada",
      displayName: "Newest Name",
      avatarUrl: null,
      country: null,
    }, minutesAgo(10));
    await f.deliver("seller.created", sellerEvent("Old Name", "new"), minutesAgo(20));
    const row = async () =>
      (await f.db.sql`select display_name, level from sellers where user_id = ${userId}`)[0];
    assert.deepEqual({ ...await row() }, { display_name: "Newest Name", level: "new" });

    // A newer seller.updated wins for both; an older one afterwards changes nothing.
    await f.deliver("seller.updated", sellerEvent("Renamed", "level_2"), minutesAgo(5));
    await f.deliver("seller.updated", sellerEvent("Stale", "level_1"), minutesAgo(15));
    assert.deepEqual({ ...await row() }, { display_name: "Renamed", level: "level_2" });
  } finally {
    await f.close();
  }
});

Deno.test("review.created from a buyer rates the gig once per event; seller-to-buyer and gig-less reviews do not", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    assert.deepEqual((await f.call("GET", `/${gig.id}`)).body.gig.rating, {
      average: null,
      count: 0,
    });
    const review = (rating: number, extra: Record<string, unknown> = {}) => ({
      reviewId: crypto.randomUUID(),
      orderId: crypto.randomUUID(),
      gigId: gig.id,
      reviewerId: crypto.randomUUID(),
      revieweeId: ada.userId,
      direction: "buyer_to_seller",
      rating,
      comment: "Great",
      createdAt: new Date().toISOString(),
      ...extra,
    });
    const first = envelope("review.created", review(5));
    await f.handlers["review.created"](first, {});
    await f.handlers["review.created"](first, {}); // redelivered: no second effect
    await f.deliver("review.created", review(4));
    await f.deliver("review.created", review(1, { direction: "seller_to_buyer" }));
    await f.deliver("review.created", review(1, { gigId: null }));
    await f.deliver("review.created", review(1, { gigId: crypto.randomUUID() }));

    const rating = (await f.call("GET", `/${gig.id}`)).body.gig.rating;
    assert.deepEqual(rating, { average: 4.5, count: 2 });
    assert.deepEqual((await f.call("GET", "")).body.items[0].rating, rating);
    assert.equal((await f.call("GET", "?minRating=4.5")).body.total, 1);
    assert.equal((await f.call("GET", "?minRating=4.6")).body.total, 0);
  } finally {
    await f.close();
  }
});

Deno.test("events of the wrong shape are poison (dead-lettered by the bus) and change nothing", async () => {
  const f = await gigsFixture();
  try {
    const before = await f.db.sql`select count(*)::int as n from sellers`;
    const bad: [string, unknown][] = [
      ["seller.created", { userId: "not-a-uuid", username: "x", displayName: "X", level: "new" }],
      ["seller.updated", { userId: crypto.randomUUID(), username: "x", displayName: "X" }],
      ["user.profile_updated", { userId: crypto.randomUUID() }],
      ["review.created", { gigId: crypto.randomUUID(), direction: "buyer_to_seller", rating: 9 }],
      ["review.created", "just a string"],
    ];
    for (const [type, data] of bad) {
      await assert.rejects(() => f.handlers[type](envelope(type, data), {}), PoisonMessageError);
    }
    const badTime = {
      ...envelope("user.profile_updated", {
        userId: crypto.randomUUID(),
        username: "x",
        displayName: "X",
        avatarUrl: null,
      }),
      occurredAt: "yesterday",
    };
    await assert.rejects(() => f.handlers["user.profile_updated"](badTime, {}), PoisonMessageError);
    assert.deepEqual(await f.db.sql`select count(*)::int as n from sellers`, before);
    const [inbox] = await f.db.sql`select count(*)::int as n from inbox`;
    assert.equal(inbox.n, 0);
  } finally {
    await f.close();
  }
});
