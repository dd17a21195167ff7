/**
 * Files end to end, as a client does it: through the gateway to the media
 * service, the bytes straight to the object store (the fleet's s3rver) with
 * the presigned URL, `complete`, then the download; an uploaded avatar set on
 * the profile and an uploaded image on a gig by media id (users and gigs learn
 * of the files from `media.uploaded`), shown as their public URLs, and refused
 * to another user or for another purpose. The answers are checked against the
 * gateway's merged API document (support.ts).
 */
import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { fileOf, SAMPLES } from "../services/media/test_support.ts";
import { becomeSeller, gigBody, publishGig } from "./fixtures.ts";
import { type SignedUp, startMarketplace } from "./support.ts";

Deno.test({
  name:
    "uploads and downloads go through presigned URLs end to end; the store refuses what was not signed, complete refuses wrong bytes, strangers get 404",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("media", {
      only: ["auth", "notifications", "users", "gigs", "media", "gateway"],
    });
    try {
      const ada = await market.signup("media_ada");
      const eve = await market.signup("media_eve");
      const as = (who: typeof ada) => (method: string, path: string, body?: unknown) =>
        who.client.request(method, path, { token: who.accessToken, body });
      const asAda = as(ada);
      const asEve = as(eve);

      /** A file uploaded and completed as a browser does it; answers the ready file. */
      const upload = async (
        who: SignedUp,
        purpose: string,
        bytes: Uint8Array<ArrayBuffer>,
        name: string,
      ) => {
        const announced = await as(who)("POST", "/api/v1/uploads", {
          purpose,
          contentType: "image/png",
          size: bytes.length,
          name,
        });
        assert.equal(announced.status, 201, JSON.stringify(announced.body));
        const { media, upload } = announced.body;
        const put = await fetch(upload.url, {
          method: "PUT",
          headers: upload.headers,
          body: bytes,
        });
        assert.equal(put.status, 200);
        await put.body?.cancel();
        const done = await as(who)("POST", `/api/v1/uploads/${media.id}/complete`);
        assert.equal(done.status, 200, JSON.stringify(done.body));
        return done.body;
      };

      await t.step("an avatar: announce, PUT to the store, complete, read by anyone", async () => {
        const png = fileOf(SAMPLES.png, 3_000);
        const announced = await asAda("POST", "/api/v1/uploads", {
          purpose: "avatar",
          contentType: "image/png",
          size: png.length,
          name: "ada.png",
        });
        assert.equal(announced.status, 201, JSON.stringify(announced.body));
        const { media, upload } = announced.body;
        // The browser reaches the store at S3_PUBLIC_URL, not through the gateway.
        assert.ok(upload.url.startsWith(`${market.fleet.objectStore!.url}/media/public/avatar/`));
        const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: png });
        assert.equal(put.status, 200);
        await put.body?.cancel();
        const done = await asAda("POST", `/api/v1/uploads/${media.id}/complete`);
        assert.equal(done.status, 200, JSON.stringify(done.body));
        assert.equal(done.body.status, "ready");

        const anyone = await market.client().request("GET", `/api/v1/media/${media.id}`);
        assert.equal(anyone.status, 200);
        const download = await fetch(anyone.body.url);
        assert.equal(download.status, 200);
        assert.deepEqual(new Uint8Array(await download.arrayBuffer()), png);
      });

      await t.step(
        "an uploaded avatar becomes the profile's picture; another user cannot use it",
        async () => {
          const png = fileOf(SAMPLES.png, 2_500);
          // Until user.registered reached users (the profile exists).
          await waitFor(async () =>
            (await asAda("GET", "/api/v1/users/me")).status === 200 &&
            (await asEve("GET", "/api/v1/users/me")).status === 200, { what: "profiles" });
          const avatar = await upload(ada, "avatar", png, "ada.png");
          // Used at once: users waits for the media.uploaded still on its way.
          const set = await asAda("PATCH", "/api/v1/users/me", { avatarMediaId: avatar.id });
          assert.equal(set.status, 200, JSON.stringify(set.body));
          assert.equal(set.body.avatarUrl, avatar.url);
          const open = await market.client().request("GET", "/api/v1/users/media_ada");
          assert.equal(open.body.avatarUrl, avatar.url);
          const picture = await fetch(open.body.avatarUrl);
          assert.equal(picture.status, 200);
          assert.deepEqual(new Uint8Array(await picture.arrayBuffer()), png);

          const stolen = await asEve("PATCH", "/api/v1/users/me", { avatarMediaId: avatar.id });
          assert.equal(stolen.status, 422);
          assert.equal(stolen.type, "application/problem+json");
          assert.equal(stolen.body.code, "media_not_usable");
          assert.equal(stolen.body.errors[0].pointer, "/avatarMediaId");
          assert.equal((await asEve("GET", "/api/v1/users/me")).body.avatarUrl, null);
        },
      );

      await t.step("a gig shows its uploaded image; an avatar is not a gig image", async () => {
        await becomeSeller(market, ada);
        const png = fileOf(SAMPLES.png, 4_000);
        const image = await upload(ada, "gig_image", png, "logo.png");
        const gig = await publishGig(
          ada,
          gigBody("Uploaded logo pictures", 5_000, { images: [], imageMediaIds: [image.id] }),
        );
        assert.deepEqual(gig.images, [image.url]);
        assert.deepEqual(gig.imageMediaIds, [image.id]);
        const shown = await market.client().request("GET", `/api/v1/gigs/${gig.id}`);
        assert.deepEqual(shown.body.gig.images, [image.url]);
        const picture = await fetch(shown.body.gig.images[0]);
        assert.equal(picture.status, 200);
        assert.deepEqual(new Uint8Array(await picture.arrayBuffer()), png);

        const avatar = await upload(ada, "avatar", fileOf(SAMPLES.png, 1_500), "me.png");
        const wrong = await asAda("PATCH", `/api/v1/gigs/${gig.id}`, {
          imageMediaIds: [avatar.id],
        });
        assert.equal(wrong.status, 422);
        assert.equal(wrong.body.code, "media_not_usable");
        assert.equal(wrong.body.errors[0].pointer, "/imageMediaIds/0");
      });

      await t.step("the store refuses a PUT of another type or size than signed", async () => {
        const png = fileOf(SAMPLES.png, 1_000);
        const { body } = await asAda("POST", "/api/v1/uploads", {
          purpose: "gig_image",
          contentType: "image/png",
          size: png.length,
          name: "gig.png",
        });
        for (
          const [type, bytes] of [
            ["image/webp", png],
            ["image/png", fileOf(SAMPLES.png, 1_001)],
          ] as const
        ) {
          const put = await fetch(body.upload.url, {
            method: "PUT",
            headers: { "content-type": type },
            body: bytes,
          });
          assert.equal(put.status, 403);
          await put.body?.cancel();
        }
        const completed = await asAda("POST", `/api/v1/uploads/${body.media.id}/complete`);
        assert.equal(completed.status, 409);
        assert.equal(completed.body.code, "upload_missing");
      });

      await t.step("bytes that are not the declared image are refused at complete", async () => {
        const text = fileOf(SAMPLES.text, 800);
        const { body } = await asAda("POST", "/api/v1/uploads", {
          purpose: "avatar",
          contentType: "image/jpeg",
          size: text.length,
          name: "not-really.jpg",
        });
        const put = await fetch(body.upload.url, {
          method: "PUT",
          headers: body.upload.headers,
          body: text,
        });
        assert.equal(put.status, 200);
        await put.body?.cancel();
        const refused = await asAda("POST", `/api/v1/uploads/${body.media.id}/complete`);
        assert.equal(refused.status, 422);
        assert.equal(refused.type, "application/problem+json");
        assert.equal(refused.body.code, "upload_content_refused");
      });

      await t.step(
        "a delivery is private: the owner downloads it, another user gets 404",
        async () => {
          const pdf = fileOf(SAMPLES.pdf, 5_000);
          const { body } = await asAda("POST", "/api/v1/uploads", {
            purpose: "delivery",
            contentType: "application/pdf",
            size: pdf.length,
            name: "final.pdf",
          });
          const id = body.media.id;
          const put = await fetch(body.upload.url, {
            method: "PUT",
            headers: body.upload.headers,
            body: pdf,
          });
          assert.equal(put.status, 200);
          await put.body?.cancel();
          assert.equal((await asEve("POST", `/api/v1/uploads/${id}/complete`)).status, 404);
          assert.equal((await asAda("POST", `/api/v1/uploads/${id}/complete`)).status, 200);
          assert.equal((await asEve("GET", `/api/v1/media/${id}`)).status, 404);
          assert.equal((await market.client().request("GET", `/api/v1/media/${id}`)).status, 404);
          const mine = await asAda("GET", `/api/v1/media/${id}`);
          assert.equal(mine.status, 200);
          const download = await fetch(mine.body.url);
          assert.equal(download.status, 200);
          assert.deepEqual(new Uint8Array(await download.arrayBuffer()), pdf);
        },
      );
    } finally {
      await market.close();
    }
  },
});
