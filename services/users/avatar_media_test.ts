/**
 * `avatarMediaId` on PATCH /users/me: only an avatar the caller uploaded (known from
 * `media.uploaded`, consumed from real RabbitMQ into the replica) becomes their `avatarUrl`;
 * someone else's file, another purpose or an id never announced is a 422 and changes nothing.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import { sellerBody, usersFixture } from "./test_support.ts";

Deno.test("an avatar the caller uploaded becomes avatarUrl, announced to gigs and chat", async () => {
  const f = await usersFixture("users_avatar");
  try {
    const ada = await f.register("ada", { verified: true });
    const seller = await f.call("POST", "/api/v1/sellers", sellerBody(), ada.token);
    assert.equal(seller.status, 201);
    const avatar = await f.uploaded(ada.userId, "avatar");
    const res = await f.call(
      "PATCH",
      "/api/v1/users/me",
      { avatarMediaId: avatar.mediaId },
      ada.token,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.avatarUrl, avatar.url);
    assert.equal((await f.call("GET", "/api/v1/users/ada")).body.avatarUrl, avatar.url);
    const [profile] = (await f.outbox("user.profile_updated")).slice(-1);
    assert.equal(profile.data.avatarUrl, avatar.url);
    const [sellerEvent] = (await f.outbox("seller.updated")).slice(-1);
    assert.equal(sellerEvent.data.avatarUrl, avatar.url);

    // Links stay accepted; both at once is a 400 naming the media id.
    const link = await f.call("PATCH", "/api/v1/users/me", {
      avatarUrl: "https://images.example.com/ada.png",
    }, ada.token);
    assert.equal(link.status, 200);
    assert.equal(link.body.avatarUrl, "https://images.example.com/ada.png");
    const both = await f.call("PATCH", "/api/v1/users/me", {
      avatarUrl: "https://images.example.com/ada.png",
      avatarMediaId: avatar.mediaId,
    }, ada.token);
    assertProblem(both, 400, "validation_failed");
    assert.deepEqual(both.body.errors.map((e: { pointer: string }) => e.pointer), [
      "/avatarMediaId",
    ]);
    const notAnId = await f.call("PATCH", "/api/v1/users/me", { avatarMediaId: "x" }, ada.token);
    assertProblem(notAnId, 400, "validation_failed");
  } finally {
    await f.close();
  }
});

Deno.test("another user's avatar, a gig image and an id never announced are refused with nothing changed", async () => {
  const f = await usersFixture("users_avatar_refused");
  try {
    const ada = await f.register("ada");
    const bob = await f.register("bob");
    const bobs = await f.uploaded(bob.userId, "avatar");
    const gigImage = await f.uploaded(ada.userId, "gig_image");
    const delivery = await f.uploaded(ada.userId, "delivery");
    const before = await f.snapshot();

    const cases: [string, string][] = [
      [bobs.mediaId, "is not a ready file of yours"],
      [gigImage.mediaId, "uploaded as gig_image, not as avatar"],
      [delivery.mediaId, "uploaded as delivery, not as avatar"],
    ];
    for (const [mediaId, detail] of cases) {
      const res = await f.call("PATCH", "/api/v1/users/me", { avatarMediaId: mediaId }, ada.token);
      assertProblem(res, 422, "media_not_usable");
      assert.equal(res.body.errors[0].pointer, "/avatarMediaId");
      assert.match(res.body.errors[0].detail, new RegExp(detail));
    }
    // Never announced: refused once the replica's wait is over.
    const unknown = await f.call("PATCH", "/api/v1/users/me", {
      avatarMediaId: crypto.randomUUID(),
    }, ada.token);
    assertProblem(unknown, 422, "media_not_usable");
    assert.deepEqual(await f.snapshot(), before);
    assert.equal((await f.call("GET", "/api/v1/users/ada")).body.avatarUrl, null);
  } finally {
    await f.close();
  }
});

Deno.test("an avatar used before its media.uploaded arrived is accepted once the event comes", async () => {
  const f = await usersFixture("users_avatar_race");
  try {
    const ada = await f.register("ada");
    const avatar = await f.uploaded(ada.userId, "avatar", false);
    const answer = f.call(
      "PATCH",
      "/api/v1/users/me",
      { avatarMediaId: avatar.mediaId },
      ada.token,
    );
    // The client was quicker than the event: it arrives while the request waits.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await f.deliver("media.uploaded", avatar);
    const res = await answer;
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.avatarUrl, avatar.url);
  } finally {
    await f.close();
  }
});
