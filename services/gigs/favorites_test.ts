import assert from "node:assert/strict";
import { gigsFixture } from "./test_support.ts";

Deno.test("favorites: save and unsave are idempotent, the list is the caller's own, newest first and paginated", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const bob = await f.buyer("bob");
    const eve = await f.buyer("eve");
    const first = await f.createGig(ada.token, { title: "I will design a modern minimalist logo" });
    const second = await f.createGig(ada.token, { title: "I will design a playful mascot logo" });

    for (let i = 0; i < 2; i++) {
      const res = await f.call("PUT", `/${first.id}/favorite`, undefined, bob.token);
      assert.equal(res.status, 204);
    }
    assert.equal((await f.call("PUT", `/${second.id}/favorite`, undefined, bob.token)).status, 204);
    assert.equal((await f.call("PUT", `/${second.id}/favorite`, undefined, eve.token)).status, 204);

    const list = await f.call("GET", "/favorites", undefined, bob.token);
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 2);
    assert.deepEqual(list.body.items.map((c: { id: string }) => c.id), [second.id, first.id]);
    assert.deepEqual(list.body.items[0].seller, {
      username: "ada",
      displayName: "Ada Studio",
      level: "level_1",
      avatarUrl: "https://cdn.example.com/avatars/ada.png",
    });
    const page2 = await f.call("GET", "/favorites?limit=1&page=2", undefined, bob.token);
    assert.deepEqual(page2.body.items.map((c: { id: string }) => c.id), [first.id]);
    assert.equal(page2.body.total, 2);
    assert.equal(page2.body.page, 2);

    // Eve sees only her own save.
    const eves = await f.call("GET", "/favorites", undefined, eve.token);
    assert.deepEqual(eves.body.items.map((c: { id: string }) => c.id), [second.id]);

    for (let i = 0; i < 2; i++) {
      assert.equal(
        (await f.call("DELETE", `/${first.id}/favorite`, undefined, bob.token)).status,
        204,
      );
    }
    const after = await f.call("GET", "/favorites", undefined, bob.token);
    assert.deepEqual(after.body.items.map((c: { id: string }) => c.id), [second.id]);
    // Unsaving never touches anyone else's save.
    assert.equal((await f.call("GET", "/favorites", undefined, eve.token)).body.total, 1);
  } finally {
    await f.close();
  }
});

Deno.test("favorites of paused gigs are hidden until reactivated, of deleted gigs gone; hidden or unknown gigs cannot be saved", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const bob = await f.buyer("bob");
    const paused = await f.createGig(ada.token);
    const deleted = await f.createGig(ada.token);
    await f.call("PUT", `/${paused.id}/favorite`, undefined, bob.token);
    await f.call("PUT", `/${deleted.id}/favorite`, undefined, bob.token);

    await f.call("POST", `/${paused.id}/pause`, undefined, ada.token);
    await f.call("DELETE", `/${deleted.id}`, undefined, ada.token);
    const hidden = await f.call("GET", "/favorites", undefined, bob.token);
    assert.deepEqual(hidden.body.items, []);
    assert.equal(hidden.body.total, 0);

    const before = await f.snapshot();
    for (const id of [paused.id, deleted.id, crypto.randomUUID()]) {
      const res = await f.call("PUT", `/${id}/favorite`, undefined, bob.token);
      assert.equal(res.status, 404);
      assert.equal(res.type, "application/problem+json");
    }
    assert.equal((await f.call("PUT", "/nope/favorite", undefined, bob.token)).status, 400);
    assert.equal((await f.call("PUT", `/${paused.id}/favorite`)).status, 401);
    assert.equal((await f.call("GET", "/favorites?limit=10000", undefined, bob.token)).status, 400);
    assert.equal((await f.call("GET", "/favorites?owner=ada", undefined, bob.token)).status, 400);
    assert.equal(await f.snapshot(), before);

    await f.call("POST", `/${paused.id}/activate`, undefined, ada.token);
    const back = await f.call("GET", "/favorites", undefined, bob.token);
    assert.deepEqual(back.body.items.map((c: { id: string }) => c.id), [paused.id]);
  } finally {
    await f.close();
  }
});
