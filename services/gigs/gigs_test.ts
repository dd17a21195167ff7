import assert from "node:assert/strict";
import { gigBody, gigsFixture, pkg } from "./test_support.ts";

Deno.test("a seller publishes a gig: 201 with the full shape, derived prices, and gig.created carrying the packages", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const res = await f.call(
      "POST",
      "",
      gigBody({
        // Sent out of tier order and with mixed-case tags: stored in order, normalized.
        packages: [pkg("premium", 9900, 7), pkg("basic", 2500, 3), pkg("standard", 5000, 2)],
        tags: ["Logo", "Brand  Identity"],
      }),
      ada.token,
    );
    assert.equal(res.status, 201);
    const gig = res.body.gig;
    assert.equal(res.headers.get("location"), `/api/v1/gigs/${gig.id}`);
    assert.deepEqual(Object.keys(gig).sort(), [
      "category",
      "createdAt",
      "description",
      "faq",
      "id",
      "imageMediaIds",
      "images",
      "packages",
      "rating",
      "requirements",
      "seller",
      "startingPrice",
      "status",
      "subcategory",
      "tags",
      "title",
      "updatedAt",
    ]);
    assert.deepEqual(gig.seller, {
      id: ada.userId,
      username: "ada",
      displayName: "Ada Studio",
      avatarUrl: "https://cdn.example.com/avatars/ada.png",
      level: "level_1",
    });
    assert.deepEqual(gig.packages.map((p: { tier: string }) => p.tier), [
      "basic",
      "standard",
      "premium",
    ]);
    assert.deepEqual(gig.tags, ["logo", "brand identity"]);
    assert.deepEqual(gig.startingPrice, { amount: 2500, currency: "USD" });
    assert.deepEqual(gig.rating, { average: null, count: 0 });
    assert.equal(gig.status, "active");
    assert.match(gig.requirements[0].id, /^[0-9a-f-]{36}$/);

    const [row] = await f.db.sql`select min_delivery_days, starting_price from gigs`;
    assert.equal(row.min_delivery_days, 2);

    const [event] = await f.events("gig.created");
    assert.equal(event.data.gigId, gig.id);
    assert.equal(event.data.sellerId, ada.userId);
    assert.equal(event.data.status, "active");
    assert.deepEqual(event.data.packages, gig.packages);
    assert.deepEqual(event.data.requirements, gig.requirements);
    assert.equal(event.data.packages[0].price.amount, 2500);

    const read = await f.call("GET", `/${gig.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.gig, gig);
  } finally {
    await f.close();
  }
});

Deno.test("the owner edits a gig: fields replaced, prices re-derived, gig.updated published, requirement ids kept", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    const keptId = gig.requirements[0].id;
    const res = await f.call("PATCH", `/${gig.id}`, {
      title: "I will design a bold vintage logo",
      packages: [pkg("basic", 1500, 4)],
      requirements: [
        { id: keptId, question: "What is your brand name, exactly?" },
        { question: "Pick a style", type: "choice", choices: ["Modern", "Vintage"] },
      ],
    }, ada.token);
    assert.equal(res.status, 200);
    assert.equal(res.body.gig.title, "I will design a bold vintage logo");
    assert.deepEqual(res.body.gig.startingPrice, { amount: 1500, currency: "USD" });
    assert.equal(res.body.gig.packages.length, 1);
    assert.equal(res.body.gig.requirements[0].id, keptId);
    assert.notEqual(res.body.gig.requirements[1].id, keptId);
    assert.equal(res.body.gig.description, gig.description, "untouched fields stay");
    assert.ok(Date.parse(res.body.gig.updatedAt) >= Date.parse(gig.updatedAt));

    const [event] = await f.events("gig.updated");
    assert.equal(event.data.title, "I will design a bold vintage logo");
    assert.deepEqual(event.data.packages, res.body.gig.packages);

    // Moving to another category needs a subcategory of it.
    const move = await f.call("PATCH", `/${gig.id}`, {
      category: "programming-tech",
      subcategory: "web-development",
    }, ada.token);
    assert.equal(move.status, 200);
    assert.equal(move.body.gig.category, "programming-tech");
    const counts = await f.db.sql`select category, subcategory, active from category_counts
      order by category`;
    assert.deepEqual(counts.map((r) => [r.category, r.subcategory, r.active]), [
      ["graphics-design", "logo-design", 0],
      ["programming-tech", "web-development", 1],
    ]);
  } finally {
    await f.close();
  }
});

Deno.test("pause hides a gig from others but not from its owner; activate brings it back; both publish gig.updated once", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const bob = await f.buyer("bob");
    const gig = await f.createGig(ada.token);

    const paused = await f.call("POST", `/${gig.id}/pause`, undefined, ada.token);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.gig.status, "paused");
    // Pausing again changes nothing and publishes nothing.
    assert.equal((await f.call("POST", `/${gig.id}/pause`, undefined, ada.token)).status, 200);
    assert.equal((await f.events("gig.updated")).length, 1);
    assert.equal((await f.events("gig.updated"))[0].data.status, "paused");

    assert.equal((await f.call("GET", `/${gig.id}`)).status, 404);
    assert.equal((await f.call("GET", `/${gig.id}`, undefined, bob.token)).status, 404);
    const own = await f.call("GET", `/${gig.id}`, undefined, ada.token);
    assert.equal(own.status, 200);
    assert.equal(own.body.gig.status, "paused");
    const mine = await f.call("GET", "/mine", undefined, ada.token);
    assert.deepEqual(mine.body.items.map((c: { status: string }) => c.status), ["paused"]);

    const active = await f.call("POST", `/${gig.id}/activate`, undefined, ada.token);
    assert.equal(active.body.gig.status, "active");
    assert.equal((await f.call("GET", `/${gig.id}`)).status, 200);
    const updates = await f.events("gig.updated");
    assert.deepEqual(updates.map((e) => e.data.status), ["paused", "active"]);
  } finally {
    await f.close();
  }
});

Deno.test("delete is soft: the gig is 404 for everyone, its row stays, gig.deleted is published, and it cannot be changed again", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    assert.equal((await f.call("GET", `/${gig.id}`)).status, 200); // now cached

    const res = await f.call("DELETE", `/${gig.id}`, undefined, ada.token);
    assert.equal(res.status, 204);
    assert.equal((await f.call("GET", `/${gig.id}`)).status, 404);
    assert.equal((await f.call("GET", `/${gig.id}`, undefined, ada.token)).status, 404);
    const [row] = await f.db.sql`select status, deleted_at from gigs where id = ${gig.id}`;
    assert.equal(row.status, "deleted");
    assert.ok(row.deleted_at instanceof Date);
    const [event] = await f.events("gig.deleted");
    assert.deepEqual(Object.keys(event.data).sort(), [
      "deletedAt",
      "gigId",
      "imageMediaIds",
      "sellerId",
    ]);
    assert.equal(event.data.gigId, gig.id);

    for (
      const [method, path, body] of [
        ["DELETE", `/${gig.id}`],
        ["PATCH", `/${gig.id}`, { title: "A brand new title here" }],
        ["POST", `/${gig.id}/activate`],
      ] as const
    ) {
      const again = await f.call(method, path, body, ada.token);
      assert.equal(again.status, 404, `${method} ${path}`);
      assert.equal(again.type, "application/problem+json");
    }
    assert.equal((await f.events()).length, 2, "only gig.created and gig.deleted");
  } finally {
    await f.close();
  }
});

Deno.test("GET /gigs/categories lists the whole taxonomy with active-gig counts", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    await f.createGig(ada.token);
    await f.createGig(ada.token, { subcategory: "illustration" });
    const paused = await f.createGig(ada.token);
    await f.call("POST", `/${paused.id}/pause`, undefined, ada.token);
    await f.createGig(ada.token, { category: "business", subcategory: "business-plans" });

    const res = await f.call("GET", "/categories");
    assert.equal(res.status, 200);
    assert.equal(res.body.categories.length, 7);
    const design = res.body.categories.find((c: { slug: string }) => c.slug === "graphics-design");
    assert.equal(design.name, "Graphics & Design");
    assert.equal(design.count, 2);
    const sub = (slug: string) =>
      design.subcategories.find((s: { slug: string }) => s.slug === slug).count;
    assert.equal(sub("logo-design"), 1);
    assert.equal(sub("illustration"), 1);
    assert.equal(sub("web-design"), 0);
    const music = res.body.categories.find((c: { slug: string }) => c.slug === "music-audio");
    assert.equal(music.count, 0);
  } finally {
    await f.close();
  }
});
