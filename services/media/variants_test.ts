/**
 * Resized variants against real servers: real PNG and JPEG files (encoded by
 * the codecs themselves) uploaded through presigned URLs into a real s3rver,
 * completed through the app, the job taken from real PostgreSQL and rendered
 * in the real Web Worker; the WebP written to the store is fetched back by its
 * public URL and its header read.
 */
import assert from "node:assert/strict";
import { envelope } from "@mp/shared/testing";
import { createAccessHandlers } from "./access.ts";
import { MAX_PIXELS } from "./render/image_codecs.ts";
import { imageFile, webpHeader } from "./test_images.ts";
import { fileOf, type MediaFixture, mediaFixture, SAMPLES } from "./test_support.ts";
import { VariantRenderer } from "./variant_renderer.ts";
import { variantKeys } from "./variant_store.ts";
import { type JobOutcome, runNextJob } from "./variants.ts";

type Who = { token: string };

/** Announces, PUTs and completes an image; answers its id. */
async function uploadImage(
  f: MediaFixture,
  who: Who,
  purpose: "avatar" | "gig_image",
  bytes: Uint8Array<ArrayBuffer>,
  contentType: string,
): Promise<string> {
  const announced = await f.announce(who, {
    purpose,
    contentType,
    size: bytes.length,
    name: "picture",
  });
  assert.equal(announced.status, 201, JSON.stringify(announced.body));
  const { media, upload } = announced.body;
  assert.equal((await f.put(upload.url, bytes, upload.headers)).status, 200);
  const done = await f.call("POST", `/api/v1/uploads/${media.id}/complete`, { token: who.token });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.deepEqual(done.body.variants, {}, "none before the worker ran");
  return media.id;
}

/** Runs jobs until none is due; answers the outcomes. */
async function drain(f: MediaFixture, renderer: VariantRenderer): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (;;) {
    const outcome = await runNextJob({
      sql: f.db.sql,
      objects: f.objects,
      log: f.log,
      renderer,
      retryDelayMs: 0,
    });
    if (outcome === "none") return outcomes;
    outcomes.push(outcome);
  }
}

async function job(f: MediaFixture, id: string) {
  const [row] = await f.db.sql<{ state: string; attempts: number; last_error: string | null }[]>`
    select state, attempts, last_error from media_variant_jobs where media_id = ${id}`;
  return row;
}

/** GETs a public URL: its status and bytes. */
async function download(url: string) {
  const response = await fetch(url);
  return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
}

Deno.test("a PNG avatar and a JPEG gig image get 200 and 800 px WebP variants, public, announced by media.variants_ready", async () => {
  const f = await mediaFixture("media_variants_ok");
  const renderer = new VariantRenderer();
  try {
    const owner = await f.user("owner");
    const png = await uploadImage(
      f,
      owner,
      "avatar",
      await imageFile("png", 1000, 600),
      "image/png",
    );
    const jpeg = await uploadImage(
      f,
      owner,
      "gig_image",
      await imageFile("jpeg", 1200, 900),
      "image/jpeg",
    );
    assert.deepEqual(await drain(f, renderer), ["done", "done"]);

    const expected = { [png]: [600 / 1000, "image/png"], [jpeg]: [900 / 1200, "image/jpeg"] };
    const events = (await f.outbox()).filter((e) => e.type === "media.variants_ready");
    assert.equal(events.length, 2);
    for (const [id, [ratio]] of Object.entries(expected)) {
      const answer = await f.call("GET", `/api/v1/media/${id}`);
      assert.equal(answer.status, 200);
      assert.deepEqual(Object.keys(answer.body.variants).sort(), ["200", "800"]);
      for (const width of [200, 800]) {
        const url = answer.body.variants[String(width)];
        const got = await download(url); // anonymous: public like the original
        assert.equal(got.status, 200);
        const header = webpHeader(got.bytes);
        assert.ok(header.riff, "RIFF/WEBP");
        assert.equal(header.width, width);
        assert.ok(header.width <= width);
        assert.equal(header.height, Math.round(width * Number(ratio)));
      }
      const event = events.find((e) => e.data.mediaId === id)!;
      assert.equal(event.data.ownerId, owner.id);
      assert.deepEqual(event.data.variants, answer.body.variants);
    }
    assert.deepEqual(await drain(f, renderer), [], "each job once");
  } finally {
    renderer.close();
    await f.close();
  }
});

Deno.test("never upscaled: a 150 px image gets no variant, a 500 px one only the 200 px", async () => {
  const f = await mediaFixture("media_variants_small");
  const renderer = new VariantRenderer();
  try {
    const owner = await f.user("owner");
    const tiny = await uploadImage(
      f,
      owner,
      "avatar",
      await imageFile("png", 150, 150),
      "image/png",
    );
    const mid = await uploadImage(
      f,
      owner,
      "avatar",
      await imageFile("png", 500, 250),
      "image/png",
    );
    assert.deepEqual(await drain(f, renderer), ["done", "done"]);

    assert.deepEqual((await f.call("GET", `/api/v1/media/${tiny}`)).body.variants, {});
    assert.equal((await job(f, tiny)).state, "done");
    const midVariants = (await f.call("GET", `/api/v1/media/${mid}`)).body.variants;
    assert.deepEqual(Object.keys(midVariants), ["200"]);
    assert.deepEqual(webpHeader((await download(midVariants["200"])).bytes).height, 100);
    const [tinyKey] = await f.db.sql<{ object_key: string }[]>`
      select object_key from media where id = ${tiny}`;
    for (const key of variantKeys(tinyKey.object_key)) {
      assert.equal(await f.objects.head(key), undefined);
    }
    const events = (await f.outbox()).filter((e) => e.type === "media.variants_ready");
    assert.deepEqual(events.map((e) => e.data.mediaId), [mid], "no event without variants");
  } finally {
    renderer.close();
    await f.close();
  }
});

Deno.test("a broken image with valid magic bytes fails its job once, logged, and the worker goes on", async () => {
  const f = await mediaFixture("media_variants_broken");
  const renderer = new VariantRenderer();
  try {
    const owner = await f.user("owner");
    // A real PNG header (800×600) whose compressed pixels are garbage.
    const broken = await imageFile("png", 800, 600);
    for (let i = 60; i < broken.length - 20; i++) broken[i] = (i * 7) % 256;
    const garbage = await uploadImage(f, owner, "avatar", broken, "image/png");
    // Magic bytes and a header claiming a huge image: refused before decoding anything.
    const bomb = fileOf(SAMPLES.png, 2_000);
    new DataView(bomb.buffer).setUint32(16, 100_000);
    new DataView(bomb.buffer).setUint32(20, Math.ceil(MAX_PIXELS / 100_000) + 1);
    const huge = await uploadImage(f, owner, "avatar", bomb, "image/png");
    const good = await uploadImage(
      f,
      owner,
      "avatar",
      await imageFile("jpeg", 400, 400),
      "image/jpeg",
    );

    assert.deepEqual((await drain(f, renderer)).sort(), ["done", "failed", "failed"]);
    for (const id of [garbage, huge]) {
      const row = await job(f, id);
      assert.equal(row.state, "failed");
      assert.equal(row.attempts, 1, "a broken image is not retried");
      assert.ok(row.last_error);
      assert.deepEqual((await f.call("GET", `/api/v1/media/${id}`)).body.variants, {});
    }
    assert.match((await job(f, huge)).last_error!, /pixels/);
    assert.deepEqual(
      Object.keys((await f.call("GET", `/api/v1/media/${good}`)).body.variants),
      ["200"],
    );
    assert.deepEqual(await drain(f, renderer), [], "failed jobs never loop");
  } finally {
    renderer.close();
    await f.close();
  }
});

Deno.test("gig.deleted removes the image's variants from the store with it", async () => {
  const f = await mediaFixture("media_variants_delete");
  const renderer = new VariantRenderer();
  try {
    const seller = await f.user("seller");
    const id = await uploadImage(
      f,
      seller,
      "gig_image",
      await imageFile("png", 900, 900),
      "image/png",
    );
    assert.deepEqual(await drain(f, renderer), ["done"]);
    const urls = Object.values(
      (await f.call("GET", `/api/v1/media/${id}`)).body.variants,
    ) as string[];
    assert.equal(urls.length, 2);
    for (const url of urls) assert.equal((await download(url)).status, 200);

    const handlers = createAccessHandlers({ sql: f.db.sql, log: f.log, objects: f.objects });
    await handlers["gig.deleted"](
      envelope("gig.deleted", {
        gigId: crypto.randomUUID(),
        sellerId: seller.id,
        imageMediaIds: [id],
      }),
      {},
    );
    assert.equal((await f.call("GET", `/api/v1/media/${id}`)).status, 404);
    for (const url of urls) assert.equal((await download(url)).status, 404);
    const [left] = await f.db.sql<{ n: number }[]>`
      select (select count(*) from media_variants)::int + (select count(*) from media_variant_jobs)::int as n`;
    assert.equal(left.n, 0);
  } finally {
    renderer.close();
    await f.close();
  }
});

Deno.test("two worker loops share the jobs: each image is rendered once", async () => {
  const f = await mediaFixture("media_variants_two");
  const renderers = [new VariantRenderer(), new VariantRenderer()];
  try {
    const owner = await f.user("owner");
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(
        await uploadImage(f, owner, "gig_image", await imageFile("png", 300 + i, 300), "image/png"),
      );
    }
    const [a, b] = await Promise.all(renderers.map((renderer) => drain(f, renderer)));
    assert.deepEqual([...a, ...b], ["done", "done", "done", "done"]);
    for (const id of ids) assert.equal((await job(f, id)).attempts, 1);
    const events = (await f.outbox()).filter((e) => e.type === "media.variants_ready");
    assert.deepEqual(events.map((e) => e.data.mediaId).sort(), [...ids].sort());
  } finally {
    for (const renderer of renderers) renderer.close();
    await f.close();
  }
});

Deno.test("a render that times out is retried with a fresh worker, then given up after the attempts allowed", async () => {
  const f = await mediaFixture("media_variants_timeout");
  // A deadline no render meets: the worker is terminated and replaced each time.
  const slow = new VariantRenderer(1);
  try {
    const owner = await f.user("owner");
    const id = await uploadImage(f, owner, "avatar", await imageFile("png", 600, 400), "image/png");
    const options = {
      sql: f.db.sql,
      objects: f.objects,
      log: f.log,
      renderer: slow,
      retryDelayMs: 0,
      maxAttempts: 2,
    };
    assert.equal(await runNextJob(options), "retry");
    let row = await job(f, id);
    assert.equal(row.state, "queued");
    assert.match(row.last_error!, /took more than 1 ms/);
    assert.equal(await runNextJob(options), "failed");
    row = await job(f, id);
    assert.equal(row.state, "failed");
    assert.equal(row.attempts, 2);
    assert.equal(await runNextJob(options), "none");
    assert.deepEqual((await f.call("GET", `/api/v1/media/${id}`)).body.variants, {});
  } finally {
    slow.close();
    await f.close();
  }
});

Deno.test("a file deleted while its variants render: what was written is removed, nothing recorded", async () => {
  const f = await mediaFixture("media_variants_race");
  const handlers = createAccessHandlers({ sql: f.db.sql, log: f.log, objects: f.objects });
  const seller = await f.user("seller");
  // The real renderer, with the gig deleted between the render and the writes.
  class DeletedMeanwhile extends VariantRenderer {
    override async render(bytes: Uint8Array<ArrayBuffer>, type: string, widths: readonly number[]) {
      const variants = await super.render(bytes, type, widths);
      await handlers["gig.deleted"](
        envelope("gig.deleted", {
          gigId: crypto.randomUUID(),
          sellerId: seller.id,
          imageMediaIds: [id],
        }),
        {},
      );
      return variants;
    }
  }
  const renderer = new DeletedMeanwhile();
  let id = "";
  try {
    id = await uploadImage(f, seller, "gig_image", await imageFile("png", 900, 600), "image/png");
    const [{ object_key: key }] = await f.db.sql<{ object_key: string }[]>`
      select object_key from media where id = ${id}`;
    assert.deepEqual(await drain(f, renderer), ["gone"]);
    for (const variant of variantKeys(key)) {
      assert.equal(await f.objects.head(variant), undefined, variant);
    }
    assert.equal(await f.objects.head(key), undefined);
    const events = (await f.outbox()).filter((e) => e.type === "media.variants_ready");
    assert.equal(events.length, 0);
  } finally {
    renderer.close();
    await f.close();
  }
});
