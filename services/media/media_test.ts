/**
 * The media routes against a real S3-compatible store (s3rver) and a real
 * database: presigned PUTs as a browser sends them, the store's own refusals,
 * the checks at `complete`, who may read what, and the janitor.
 */
import assert from "node:assert/strict";
import { removeStaleUploads } from "./janitor.ts";
import { assertProblem, fileOf, type MediaFixture, mediaFixture, SAMPLES } from "./test_support.ts";

async function withFixture(name: string, run: (f: MediaFixture) => Promise<void>) {
  const f = await mediaFixture(`media_${name}`);
  try {
    await run(f);
  } finally {
    await f.close();
  }
}

const counts = async (f: MediaFixture) => {
  const [row] = await f.db.sql<{ media: number; ready: number; outbox: number }[]>`select
    (select count(*)::int from media) as media,
    (select count(*)::int from media where status = 'ready') as ready,
    (select count(*)::int from outbox) as outbox`;
  return { ...row };
};

Deno.test("an avatar goes up with the presigned PUT, is checked at complete, publishes media.uploaded and is public", async () => {
  await withFixture("avatar", async (f) => {
    const ada = await f.user("ada");
    const png = fileOf(SAMPLES.png, 4_000);
    const announced = await f.announce(ada, {
      purpose: "avatar",
      contentType: "image/png",
      size: png.length,
      name: "me.png",
    });
    assert.equal(announced.status, 201, JSON.stringify(announced.body));
    const { media, upload } = announced.body;
    assert.equal(media.status, "pending");
    assert.equal(media.visibility, "public");
    assert.equal(media.url, null);
    assert.equal(announced.headers.get("location"), `/api/v1/media/${media.id}`);
    assert.equal(upload.method, "PUT");
    assert.deepEqual(upload.headers, { "Content-Type": "image/png" });
    // The signature names the type and the size.
    const signed = new URL(upload.url).searchParams.get("X-Amz-SignedHeaders") ?? "";
    assert.deepEqual(signed.split(";").sort(), ["content-length", "content-type", "host"]);

    const stored = await f.put(upload.url, png, "image/png");
    assert.equal(stored.status, 200, stored.text);

    const completed = await f.call("POST", `/api/v1/uploads/${media.id}/complete`, {
      token: ada.token,
    });
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    assert.equal(completed.body.status, "ready");
    assert.equal(completed.body.urlExpiresAt, null);
    const [event] = await f.outbox();
    assert.equal(event.type, "media.uploaded");
    assert.deepEqual(event.data, {
      mediaId: media.id,
      ownerId: ada.id,
      purpose: "avatar",
      contentType: "image/png",
      size: png.length,
      name: "me.png",
      url: `${f.local.url}/media/public/avatar/${media.id}`,
      uploadedAt: completed.body.completedAt,
    });

    // Public: anyone reads the metadata (no token) and the plain URL serves the bytes.
    const shown = await f.call("GET", `/api/v1/media/${media.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.url, `${f.local.url}/media/public/avatar/${media.id}`);
    const download = await fetch(shown.body.url);
    assert.equal(download.status, 200);
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), png);

    // A second complete answers the same file and publishes nothing more.
    const again = await f.call("POST", `/api/v1/uploads/${media.id}/complete`, {
      token: ada.token,
    });
    assert.equal(again.status, 200);
    assert.equal((await f.outbox()).length, 1);
  });
});

Deno.test("the store refuses a PUT with another Content-Type or another size than signed", async () => {
  await withFixture("signed", async (f) => {
    const ada = await f.user("ada");
    const png = fileOf(SAMPLES.png, 2_000);
    const { body } = await f.announce(ada, {
      purpose: "gig_image",
      contentType: "image/png",
      size: png.length,
      name: "logo.png",
    });
    const otherType = await f.put(body.upload.url, png, "image/jpeg");
    assert.equal(otherType.status, 403, otherType.text);
    assert.match(otherType.text, /SignatureDoesNotMatch/);
    const bigger = await f.put(body.upload.url, fileOf(SAMPLES.png, 2_001), "image/png");
    assert.equal(bigger.status, 403, bigger.text);
    const smaller = await f.put(body.upload.url, fileOf(SAMPLES.png, 1_999), "image/png");
    assert.equal(smaller.status, 403, smaller.text);
    // Nothing was stored, so there is nothing to complete.
    assert.equal(await f.objects.head(`public/gig_image/${body.media.id}`), undefined);
    const completed = await f.call("POST", `/api/v1/uploads/${body.media.id}/complete`, {
      token: ada.token,
    });
    assertProblem(completed, 409, "upload_missing");
    assert.equal((await counts(f)).ready, 0);
  });
});

Deno.test("complete refuses bytes that are not what the purpose allows, deletes the object and changes nothing else", async () => {
  await withFixture("magic", async (f) => {
    const ada = await f.user("ada");
    const cases: [string, string, number[], string][] = [
      ["avatar", "image/png", SAMPLES.text, /not a JPEG, PNG or WebP/.source],
      ["gig_image", "image/jpeg", SAMPLES.png, /image\/png, not the declared image\/jpeg/.source],
      ["delivery", "application/octet-stream", SAMPLES.elf, /Executable files \(elf\)/.source],
      ["delivery", "application/zip", SAMPLES.pe, /Executable files \(pe\)/.source],
      ["chat_attachment", "text/plain", SAMPLES.shebang, /Executable files \(script\)/.source],
    ];
    for (const [purpose, contentType, head, detail] of cases) {
      const file = fileOf(head, 600);
      const { body } = await f.announce(ada, { purpose, contentType, size: 600, name: "f.bin" });
      assert.equal((await f.put(body.upload.url, file, body.upload.headers)).status, 200);
      const before = await counts(f);
      const refused = await f.call("POST", `/api/v1/uploads/${body.media.id}/complete`, {
        token: ada.token,
      });
      assertProblem(refused, 422, "upload_content_refused");
      assert.match(refused.body.detail, new RegExp(detail), purpose);
      const key = `${
        purpose === "delivery" || purpose === "chat_attachment" ? "private" : "public"
      }/${purpose}/${body.media.id}`;
      assert.equal(await f.objects.head(key), undefined, "the refused object is deleted");
      assert.deepEqual(await counts(f), before);
      const shown = await f.call("GET", `/api/v1/media/${body.media.id}`, { token: ada.token });
      assert.equal(shown.body.status, "pending");
    }
  });
});

Deno.test("complete refuses an object whose size differs from the announced one (written past the presigned URL)", async () => {
  await withFixture("size", async (f) => {
    const ada = await f.user("ada");
    const { body } = await f.announce(ada, {
      purpose: "avatar",
      contentType: "image/jpeg",
      size: 1_000,
      name: "a.jpg",
    });
    const key = `public/avatar/${body.media.id}`;
    await f.putRaw(key, fileOf(SAMPLES.jpeg, 1_500), "image/jpeg");
    const refused = await f.call("POST", `/api/v1/uploads/${body.media.id}/complete`, {
      token: ada.token,
    });
    assertProblem(refused, 422, "upload_size_mismatch");
    assert.equal(await f.objects.head(key), undefined);
    assert.deepEqual(await counts(f), { media: 1, ready: 0, outbox: 0 });
  });
});

Deno.test("a delivery is private: its owner gets a short-lived presigned GET, anyone else the 404 of an unknown id", async () => {
  await withFixture("private", async (f) => {
    const ada = await f.user("ada");
    const eve = await f.user("eve");
    const pdf = fileOf(SAMPLES.pdf, 3_000);
    const { body } = await f.announce(ada, {
      purpose: "delivery",
      contentType: "application/pdf",
      size: pdf.length,
      name: "Logo final – v2.pdf",
    });
    const id = body.media.id;
    assert.equal(body.media.visibility, "private");
    assert.deepEqual(body.upload.headers, {
      "Content-Type": "application/pdf",
      "Content-Disposition":
        "attachment; filename=\"Logo final _ v2.pdf\"; filename*=UTF-8''Logo%20final%20%E2%80%93%20v2.pdf",
    });
    // Without the signed disposition the store refuses the PUT.
    assert.equal((await f.put(body.upload.url, pdf, "application/pdf")).status, 403);
    assert.equal((await f.put(body.upload.url, pdf, body.upload.headers)).status, 200);

    // Another user can neither complete nor read it; nobody without a token can read it.
    assertProblem(
      await f.call("POST", `/api/v1/uploads/${id}/complete`, { token: eve.token }),
      404,
      "media_not_found",
    );
    assert.equal((await counts(f)).ready, 0);
    const done = await f.call("POST", `/api/v1/uploads/${id}/complete`, { token: ada.token });
    assert.equal(done.status, 200);
    // A private file's event names no URL (its downloads are presigned per reader).
    const [event] = await f.outbox();
    assert.equal(event.data.url, null);
    assertProblem(
      await f.call("GET", `/api/v1/media/${id}`, { token: eve.token }),
      404,
      "media_not_found",
    );
    assertProblem(await f.call("GET", `/api/v1/media/${id}`), 404, "media_not_found");
    assertProblem(
      await f.call("GET", `/api/v1/media/${id}`, { headers: { authorization: "Bearer x.y.z" } }),
      401,
    );

    const shown = await f.call("GET", `/api/v1/media/${id}`, { token: ada.token });
    assert.equal(shown.status, 200);
    assert.equal(shown.headers.get("cache-control"), "private, no-store");
    assert.ok(shown.body.urlExpiresAt);
    const url = new URL(shown.body.url);
    assert.equal(url.searchParams.get("X-Amz-Expires"), "60");
    const download = await fetch(url);
    assert.equal(download.status, 200);
    assert.match(
      download.headers.get("content-disposition") ?? "",
      /^attachment; filename="Logo final _ v2\.pdf"; filename\*=UTF-8''Logo%20final%20%E2%80%93%20v2\.pdf$/,
    );
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), pdf);

    // A tampered signature is refused by the store.
    url.searchParams.set("X-Amz-Signature", "0".repeat(64));
    const forged = await fetch(url);
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
  });
});

Deno.test("uploads refuse what the purpose does not take, bad bodies and missing tokens, and store nothing", async () => {
  await withFixture("refusals", async (f) => {
    const ada = await f.user("ada");
    const announce = (body: unknown) =>
      f.call("POST", "/api/v1/uploads", { body, token: ada.token });
    const ok = { purpose: "avatar", contentType: "image/png", size: 100, name: "a.png" };
    assertProblem(await announce({ ...ok, size: 5 * 1024 * 1024 + 1 }), 422, "upload_not_allowed");
    assertProblem(
      await announce({ ...ok, contentType: "application/pdf" }),
      422,
      "upload_not_allowed",
    );
    assertProblem(
      await announce({ ...ok, purpose: "chat_attachment", size: 25 * 1024 ** 2 + 1 }),
      422,
      "upload_not_allowed",
    );
    for (
      const bad of [
        { ...ok, purpose: "banner" },
        { ...ok, size: 0 },
        { ...ok, size: 1.5 },
        { ...ok, size: "100" },
        { ...ok, contentType: "IMAGE/PNG" },
        { ...ok, contentType: "image" },
        { ...ok, name: "../../etc/passwd" },
        { ...ok, name: "a\u0000b" },
        { ...ok, name: "" },
        { ...ok, owner: "someone" },
        { purpose: "avatar" },
      ]
    ) {
      assertProblem(await announce(bad), 400, "validation_failed");
    }
    assertProblem(await f.call("POST", "/api/v1/uploads", { body: ok }), 401);
    assertProblem(await f.call("POST", `/api/v1/uploads/${crypto.randomUUID()}/complete`), 401);
    assertProblem(
      await f.call("POST", "/api/v1/uploads/not-a-uuid/complete", { token: ada.token }),
      400,
      "validation_failed",
    );
    assertProblem(await f.call("GET", "/api/v1/media/not-a-uuid"), 400, "validation_failed");
    assertProblem(
      await f.call("GET", `/api/v1/media/${crypto.randomUUID()}`),
      404,
      "media_not_found",
    );
    assert.deepEqual(await counts(f), { media: 0, ready: 0, outbox: 0 });
  });
});

Deno.test("the janitor removes uploads pending for more than a day with their objects, and nothing else", async () => {
  await withFixture("janitor", async (f) => {
    const ada = await f.user("ada");
    const png = fileOf(SAMPLES.png, 500);
    const upload = async () => {
      const { body } = await f.announce(ada, {
        purpose: "avatar",
        contentType: "image/png",
        size: png.length,
        name: "a.png",
      });
      assert.equal((await f.put(body.upload.url, png, "image/png")).status, 200);
      return body.media.id as string;
    };
    const stale = await upload();
    const staleNoObject = (await f.announce(ada, {
      purpose: "delivery",
      contentType: "application/pdf",
      size: 10,
      name: "x.pdf",
    })).body.media.id;
    const fresh = await upload();
    const oldReady = await upload();
    await f.call("POST", `/api/v1/uploads/${oldReady}/complete`, { token: ada.token });
    await f.db.sql`update media set created_at = now() - interval '25 hours'
      where id in (${stale}, ${staleNoObject}, ${oldReady})`;

    const removed = await removeStaleUploads({
      sql: f.db.sql,
      objects: f.objects,
      log: f.log,
      batchSize: 1,
    });
    assert.equal(removed, 2);
    const left = await f.db.sql<{ id: string }[]>`select id from media order by created_at`;
    assert.deepEqual(left.map((r) => r.id).sort(), [fresh, oldReady].sort());
    assert.equal(await f.objects.head(`public/avatar/${stale}`), undefined);
    assert.ok(await f.objects.head(`public/avatar/${fresh}`));
    assert.ok(await f.objects.head(`public/avatar/${oldReady}`));
    assert.equal(await removeStaleUploads({ sql: f.db.sql, objects: f.objects, log: f.log }), 0);
  });
});
