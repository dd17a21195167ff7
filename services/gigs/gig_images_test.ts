/**
 * `imageMediaIds` on POST and PATCH /gigs: only images the seller uploaded as `gig_image` (known
 * from `media.uploaded`, the kit's replica) are taken, shown as their public URLs ahead of links,
 * at most 5 images in all, and the ids travel in gig.created/updated/deleted for the media service.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import { gigBody, gigsFixture } from "./test_support.ts";

Deno.test("a seller's uploaded images lead the gig's images, and gig events carry their ids", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const one = await f.uploaded(ada.userId);
    const two = await f.uploaded(ada.userId);
    const link = "https://cdn.example.com/gigs/logo-1.png";
    const res = await f.call(
      "POST",
      "",
      gigBody({ imageMediaIds: [two.mediaId, one.mediaId], images: [link] }),
      ada.token,
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const gig = res.body.gig;
    assert.deepEqual(gig.images, [two.url, one.url, link]);
    assert.deepEqual(gig.imageMediaIds, [two.mediaId, one.mediaId]);
    assert.deepEqual((await f.call("GET", `/${gig.id}`)).body.gig.images, gig.images);
    const [created] = await f.events("gig.created");
    assert.deepEqual(created.data.imageMediaIds, [two.mediaId, one.mediaId]);

    // Replacing the links keeps the uploads; replacing the uploads keeps the links.
    const links = await f.call("PATCH", `/${gig.id}`, { images: [] }, ada.token);
    assert.equal(links.status, 200, JSON.stringify(links.body));
    assert.deepEqual(links.body.gig.images, [two.url, one.url]);
    const three = await f.uploaded(ada.userId);
    const again = await f.call("PATCH", `/${gig.id}`, {
      imageMediaIds: [three.mediaId],
      images: [link],
    }, ada.token);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body.gig.images, [three.url, link]);
    assert.deepEqual(again.body.gig.imageMediaIds, [three.mediaId]);
    const title = await f.call(
      "PATCH",
      `/${gig.id}`,
      { title: "A new title for it all" },
      ada.token,
    );
    assert.deepEqual(title.body.gig.images, [three.url, link]);
    const updated = (await f.events("gig.updated")).at(-1)!;
    assert.deepEqual(updated.data.imageMediaIds, [three.mediaId]);

    assert.equal((await f.call("DELETE", `/${gig.id}`, undefined, ada.token)).status, 204);
    const [deleted] = await f.events("gig.deleted");
    assert.deepEqual(deleted.data.imageMediaIds, [three.mediaId]);
  } finally {
    await f.close();
  }
});

Deno.test("another seller's image, an avatar, an id never announced and a sixth image are refused with nothing changed", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const bob = await f.seller("bob");
    const bobs = await f.uploaded(bob.userId);
    const avatar = await f.uploaded(ada.userId, "avatar");
    const own = await f.uploaded(ada.userId);
    const gig = await f.createGig(ada.token);
    const before = await f.snapshot();

    const cases: [string, string][] = [
      [bobs.mediaId, "is not a ready file of yours"],
      [avatar.mediaId, "uploaded as avatar, not as gig_image"],
      [crypto.randomUUID(), "is not a ready file of yours"], // after the replica's wait
    ];
    for (const [mediaId, detail] of cases) {
      for (
        const [method, path] of [["POST", ""], ["PATCH", `/${gig.id}`]] as const
      ) {
        const body = method === "POST"
          ? gigBody({ imageMediaIds: [own.mediaId, mediaId] })
          : { imageMediaIds: [own.mediaId, mediaId] };
        const res = await f.call(method, path, body, ada.token);
        assertProblem(res, 422, "media_not_usable");
        assert.equal(res.body.errors[0].pointer, "/imageMediaIds/1");
        assert.match(res.body.errors[0].detail, new RegExp(detail));
      }
    }

    // Six in all: five links and one upload, on create and on an edit.
    const links = [1, 2, 3, 4, 5].map((i) => `https://cdn.example.com/gigs/${i}.png`);
    const six = await f.call(
      "POST",
      "",
      gigBody({ images: links, imageMediaIds: [own.mediaId] }),
      ada.token,
    );
    assertProblem(six, 400, "validation_failed");
    assert.equal(six.body.errors[0].pointer, "/imageMediaIds");
    const filled = await f.call("PATCH", `/${gig.id}`, { images: links }, ada.token);
    assert.equal(filled.status, 200);
    const afterFill = await f.snapshot();
    const sixth = await f.call("PATCH", `/${gig.id}`, { imageMediaIds: [own.mediaId] }, ada.token);
    assertProblem(sixth, 400, "validation_failed");
    assert.equal(sixth.body.errors[0].pointer, "/imageMediaIds");
    assert.equal(await f.snapshot(), afterFill);
    assert.notEqual(afterFill, before);

    // Bob's own image cannot go on Ada's gig either: her gig is not his (403 before any wait).
    const foreign = await f.call(
      "PATCH",
      `/${gig.id}`,
      { imageMediaIds: [bobs.mediaId] },
      bob.token,
    );
    assertProblem(foreign, 403);
    const dup = await f.call("PATCH", `/${gig.id}`, {
      imageMediaIds: [own.mediaId, own.mediaId],
    }, ada.token);
    assertProblem(dup, 400, "validation_failed");
    assert.equal(await f.snapshot(), afterFill);
  } finally {
    await f.close();
  }
});

Deno.test("an image used before its media.uploaded arrived is taken once the event comes", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const late = await f.uploaded(ada.userId, "gig_image", false);
    const answer = f.call("POST", "", gigBody({ imageMediaIds: [late.mediaId] }), ada.token);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await f.deliver("media.uploaded", late);
    const res = await answer;
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.gig.images[0], late.url);
  } finally {
    await f.close();
  }
});

Deno.test("gig.deleted names only the images no other gig of the seller still shows", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const [shared, own] = [await f.uploaded(ada.userId), await f.uploaded(ada.userId)];
    const first = await f.call(
      "POST",
      "",
      gigBody({ imageMediaIds: [shared.mediaId, own.mediaId] }),
      ada.token,
    );
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await f.call(
      "POST",
      "",
      gigBody({ title: "A second gig with the same picture", imageMediaIds: [shared.mediaId] }),
      ada.token,
    );
    assert.equal(second.status, 201, JSON.stringify(second.body));
    const remove = (id: string) => f.call("DELETE", `/${id}`, undefined, ada.token);
    assert.equal((await remove(first.body.gig.id)).status, 204);
    assert.deepEqual((await f.events("gig.deleted"))[0].data.imageMediaIds, [own.mediaId]);
    // The last gig that shows it names it.
    assert.equal((await remove(second.body.gig.id)).status, 204);
    assert.deepEqual((await f.events("gig.deleted"))[1].data.imageMediaIds, [shared.mediaId]);
  } finally {
    await f.close();
  }
});
