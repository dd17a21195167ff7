import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { closedPort, gigsFixture, REDIS_URL } from "./test_support.ts";

Deno.test("gig details are served from Redis, and any change through the service invalidates them", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    assert.equal((await f.call("GET", `/${gig.id}`)).status, 200);

    // Changed behind the service's back: the cached copy is still served...
    await f.db
      .sql`update gigs set description = 'Changed directly in the database, not via the API.'
      where id = ${gig.id}`;
    assert.equal((await f.call("GET", `/${gig.id}`)).body.gig.description, gig.description);

    // ...until a change through the service (here an edit) invalidates it.
    const edit = await f.call(
      "PATCH",
      `/${gig.id}`,
      { title: "I will design a bold vintage logo" },
      ada.token,
    );
    assert.equal(edit.status, 200);
    const fresh = (await f.call("GET", `/${gig.id}`)).body.gig;
    assert.equal(fresh.title, "I will design a bold vintage logo");
    assert.equal(fresh.description, "Changed directly in the database, not via the API.");

    // Pause invalidates too: others get 404 at once, not a cached active gig.
    await f.call("POST", `/${gig.id}/pause`, undefined, ada.token);
    assert.equal((await f.call("GET", `/${gig.id}`)).status, 404);

    // Keys live under the suite's own prefix.
    const raw = new Redis(REDIS_URL);
    try {
      const keys = await raw.keys(`${f.prefix}*`);
      assert.ok(keys.includes(`${f.prefix}gig:${gig.id}`), keys.join());
      assert.ok(keys.every((k) => k.startsWith(f.prefix)));
    } finally {
      raw.disconnect();
    }
  } finally {
    await f.close();
  }
});

Deno.test("search results are cached, and a change of any gig makes the next search fresh", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token);
    const first = await f.call("GET", "?q=logo&sort=newest");
    assert.equal(first.body.total, 1);

    await f.db.sql`update gigs set status = 'paused' where id = ${gig.id}`;
    const cached = await f.call("GET", "?q=logo&sort=newest");
    assert.deepEqual(cached.body, first.body, "served from the cache");
    // A different query is not cached yet and sees the database.
    assert.equal((await f.call("GET", "?q=logo&sort=rating")).body.total, 0);

    // Publishing another gig moves the search generation on.
    await f.createGig(ada.token, { title: "I will design a playful mascot logo" });
    const fresh = await f.call("GET", "?q=logo&sort=newest");
    assert.deepEqual(fresh.body.items.map((c: { title: string }) => c.title), [
      "I will design a playful mascot logo",
    ]);
  } finally {
    await f.close();
  }
});

Deno.test("a detail read that overlaps a change cannot cache the old gig (versioned entries)", async () => {
  const f = await gigsFixture();
  try {
    const id = crypto.randomUUID();
    let loads = 0;
    // The change commits while this read is loading from the database.
    const racing = await f.cache.gig(id, async () => {
      loads++;
      await f.cache.invalidate([id]);
      return { version: "old" };
    });
    assert.deepEqual(racing, { version: "old" });
    const next = await f.cache.gig(id, () => {
      loads++;
      return Promise.resolve({ version: "new" });
    });
    assert.deepEqual(next, { version: "new" }, "the entry stored during the change is ignored");
    const cached = await f.cache.gig(id, () => {
      loads++;
      return Promise.resolve({ version: "newer" });
    });
    assert.deepEqual(cached, { version: "new" }, "a quiet read is a hit");
    assert.equal(loads, 2);
  } finally {
    await f.close();
  }
});

Deno.test("with Redis unreachable every read and write still works from the database", async () => {
  const f = await gigsFixture({ redisUrl: `redis://127.0.0.1:${closedPort()}` });
  try {
    const ada = await f.seller("ada");
    const bob = await f.buyer("bob");
    const gig = await f.createGig(ada.token);
    assert.equal((await f.call("GET", `/${gig.id}`)).body.gig.title, gig.title);
    const search = await f.call("GET", "?q=logo");
    assert.equal(search.status, 200);
    assert.equal(search.body.total, 1);
    const edit = await f.call(
      "PATCH",
      `/${gig.id}`,
      { title: "I will design a bold vintage logo" },
      ada.token,
    );
    assert.equal(edit.status, 200);
    assert.equal(
      (await f.call("GET", `/${gig.id}`)).body.gig.title,
      "I will design a bold vintage logo",
    );
    assert.equal((await f.call("PUT", `/${gig.id}/favorite`, undefined, bob.token)).status, 204);
    assert.equal((await f.call("GET", "/favorites", undefined, bob.token)).body.total, 1);
    await f.deliver("user.profile_updated", {
      userId: ada.userId,
      username: "ada",
      displayName: "Ada Renamed",
      avatarUrl: null,
    });
    assert.equal((await f.call("GET", "?q=logo")).body.items[0].seller.displayName, "Ada Renamed");
    assert.equal((await f.call("DELETE", `/${gig.id}`, undefined, ada.token)).status, 204);
    assert.equal((await f.call("GET", `/${gig.id}`)).status, 404);
  } finally {
    await f.close();
  }
});
