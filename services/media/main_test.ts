/**
 * main.ts as a real process under exactly the permission flags of README.md
 * (scripts/processes.ts): it migrates, creates its bucket in a real s3rver,
 * gets ready, takes an upload whose bytes go straight to the store, completes
 * it, publishes `media.uploaded` on the exchange through its outbox relay and
 * shuts down cleanly on SIGTERM. A real image gets its resized variant from
 * the Web Worker under the same flags (workers inherit them; the codecs need
 * none) and `media.variants_ready` is published. A dependency (the AWS SDK) that starts needing
 * a wider permission fails this test instead of production.
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import {
  createTestKeys,
  deleteQueues,
  freePort,
  freshDatabase,
  passThrough,
  startProcess,
  testBus,
  waitFor,
} from "@mp/shared/testing";
import { processSpec, serveArgs } from "../../scripts/processes.ts";
import { startLocalObjectStore } from "../../scripts/object_store.ts";
import { imageFile, webpHeader } from "./test_images.ts";
import { fileOf, SAMPLES } from "./test_support.ts";

const ROOT = new URL("../../", import.meta.url);

// scripts/processes.ts lists services/media/render in media's `reads`: Deno checks
// read access to a Web Worker's own module files.
const spec = processSpec("media");

Deno.test("main.ts runs under its least-privilege flags: makes its bucket, takes an upload, publishes media.uploaded, stops on SIGTERM", async () => {
  const db = await freshDatabase("media_main");
  const broker = testBus("media_main");
  const store = await startLocalObjectStore();
  const keys = await createTestKeys();
  const port = freePort();
  const probeQueue = `${broker.exchange}.probe`;
  const proc = startProcess(
    Deno.execPath(),
    serveArgs(spec, {
      root: ROOT.pathname,
      host: "127.0.0.1",
      port,
      databaseUrl: db.url,
      amqpUrl: broker.url,
      objectStoreUrl: store.url,
    }),
    {
      cwd: ROOT,
      env: {
        ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]),
        DATABASE_URL: db.url,
        AMQP_URL: broker.url,
        EVENTS_EXCHANGE: broker.exchange,
        JWT_JWKS: JSON.stringify(keys.jwks),
        S3_ENDPOINT: store.url,
        S3_BUCKET: "media-main",
        S3_ACCESS_KEY_ID: store.accessKeyId,
        S3_SECRET_ACCESS_KEY: store.secretAccessKey,
        MEDIA_AVATAR_MAX_BYTES: "2048",
        PUBLIC_URL: "https://market.example",
        CORS_ORIGINS: "http://localhost:5173",
        LOG_LEVEL: "warn",
      },
    },
  );
  const base = `http://127.0.0.1:${port}`;
  const connection = await amqp.connect(broker.url);
  try {
    await waitFor(async () => {
      const response = await fetch(`${base}/readyz`);
      await response.body?.cancel();
      return response.status === 200;
    }, { timeoutMs: 30_000, what: "ready" });
    // The bucket lets the site's pages (and CORS_ORIGINS') PUT and GET from a browser.
    const preflight = (origin: string) =>
      fetch(`${store.url}/media-main/public/avatar/x`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "PUT" },
      });
    // (s3rver answers a matched preflight with `*`, and refuses one no rule matches.)
    for (const origin of ["https://market.example", "http://localhost:5173"]) {
      const allowed = await preflight(origin);
      await allowed.body?.cancel();
      assert.equal(allowed.status, 200, origin);
      assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /PUT/);
    }
    const refused = await preflight("https://elsewhere.example");
    await refused.body?.cancel();
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get("access-control-allow-origin"), null);

    const channel = await connection.createChannel();
    await channel.assertQueue(probeQueue, { durable: false });
    await channel.bindQueue(probeQueue, broker.exchange, "media.*");

    const owner = crypto.randomUUID();
    const token = await keys.sign({ sub: owner, username: "procowner" });
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    // MEDIA_AVATAR_MAX_BYTES is read: 2049 bytes is too many.
    const tooBig = await fetch(`${base}/api/v1/uploads`, {
      method: "POST",
      headers,
      body: JSON.stringify({ purpose: "avatar", contentType: "image/png", size: 2049, name: "a" }),
    });
    assert.equal(tooBig.status, 422);
    await tooBig.body?.cancel();

    const png = fileOf(SAMPLES.png, 2048);
    const announced = await fetch(`${base}/api/v1/uploads`, {
      method: "POST",
      headers,
      body: JSON.stringify({ purpose: "avatar", contentType: "image/png", size: 2048, name: "a" }),
    }).then((r) => r.json());
    assert.ok(announced.upload.url.startsWith(`${store.url}/media-main/public/avatar/`));
    const put = await fetch(announced.upload.url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: png,
    });
    assert.equal(put.status, 200);
    await put.body?.cancel();
    const completed = await fetch(`${base}/api/v1/uploads/${announced.media.id}/complete`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "x-request-id": "media-req-1" },
    });
    assert.equal(completed.status, 200);
    const ready = await completed.json();
    assert.equal(ready.status, "ready");

    const [message] = await waitFor(async () => {
      const messages = await broker.drainQueue(probeQueue);
      return messages.length > 0 ? messages : undefined;
    }, { what: "media.uploaded on the exchange" });
    assert.equal(message.routingKey, "media.uploaded");
    assert.equal(message.headers["x-request-id"], "media-req-1");
    assert.equal(JSON.parse(message.body).data.mediaId, announced.media.id);

    // A real image: its variants are rendered in the Web Worker under the process's
    // flags (the codecs' WebAssembly needs no permission) and announced.
    const image = await imageFile("png", 400, 300);
    const gigImage = await fetch(`${base}/api/v1/uploads`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        purpose: "gig_image",
        contentType: "image/png",
        size: image.length,
        name: "g",
      }),
    }).then((r) => r.json());
    const stored = await fetch(gigImage.upload.url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: image,
    });
    assert.equal(stored.status, 200);
    await stored.body?.cancel();
    const made = await fetch(`${base}/api/v1/uploads/${gigImage.media.id}/complete`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(made.status, 200);
    await made.body?.cancel();
    const seen: { routingKey: string; body: string }[] = [];
    const variantsReady = await waitFor(async () => {
      seen.push(...await broker.drainQueue(probeQueue));
      return seen.map((m) => JSON.parse(m.body)).find((e) =>
        e.type === "media.variants_ready" && e.data.mediaId === gigImage.media.id
      );
    }, { timeoutMs: 30_000, what: "media.variants_ready on the exchange" });
    assert.deepEqual(Object.keys(variantsReady.data.variants), ["200"]);
    const variant = await fetch(variantsReady.data.variants["200"]);
    const header = webpHeader(new Uint8Array(await variant.arrayBuffer()));
    assert.ok(header.riff);
    assert.equal(header.width, 200);
    const answer = await fetch(`${base}/api/v1/media/${gigImage.media.id}`).then((r) => r.json());
    assert.deepEqual(answer.variants, variantsReady.data.variants);

    await proc.stop();
  } finally {
    await proc.kill();
    await connection.close().catch(() => {});
    await deleteQueues(broker.url, [probeQueue]);
    await broker.cleanup();
    await store.close();
    await db.drop();
  }
});
