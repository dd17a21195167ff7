/**
 * Media service process: its own part of the kit's start-up (shared/service.ts):
 * the object store (bucket made sure of at start, checked by /readyz) and the
 * janitor of uploads never completed, the worker loop making resized variants
 * of images (variants.ts). Publishes `media.uploaded` and
 * `media.variants_ready` through its outbox; consumes `order.delivered`, `message.sent` (who may read private
 * files) and `gig.deleted` (its images go): access.ts.
 *
 * Run from the repository root with the flags of README.md ("Permissions");
 * main_test.ts runs it under exactly those. deploy.ts serves the same handler
 * with `Deno.serve`.
 */
import { startService } from "@mp/shared/service";
import { createAccessHandlers } from "./access.ts";
import { createApp } from "./app.ts";
import { browserOrigins, mediaEnv, rulesFrom } from "./config.ts";
import { UploadJanitor } from "./janitor.ts";
import { ObjectStore } from "./object_store.ts";
import { VariantRenderer } from "./variant_renderer.ts";
import { VariantWorker } from "./variants.ts";

export default await startService({
  name: "media",
  env: mediaEnv,
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  setup: async ({ sql, config, log, readiness, onClose }) => {
    const objects = new ObjectStore({
      endpoint: config.S3_ENDPOINT,
      publicUrl: config.S3_PUBLIC_URL,
      region: config.S3_REGION,
      bucket: config.S3_BUCKET,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    });
    const { policy } = await objects.ensureBucket();
    // s3rver has no policies (and serves everything); MinIO and S3 take it.
    if (!policy) log.info("the object store took no bucket policy", { bucket: config.S3_BUCKET });
    // Browsers upload and download straight from the store: its CORS rule names the site.
    const origins = browserOrigins(config);
    if (!(await objects.allowBrowsers(origins))) {
      log.warn("the object store took no CORS rule: browsers cannot upload", { origins });
    }
    readiness.objectStore = () => objects.isReady();
    onClose("close object store clients", () => objects.close());
    // Resized variants of avatars and gig images: a Web Worker renders, a loop feeds it.
    const renderer = new VariantRenderer();
    onClose("terminate the variant worker", () => renderer.close());
    const variants = new VariantWorker({ sql, objects, log, renderer });
    return { objects, variants };
  },
  consumes: ({ sql, log, objects }) => createAccessHandlers({ sql, log, objects }),
  start: ({ sql, log, objects, variants, config, onStop }) => {
    const janitor = new UploadJanitor({
      sql,
      objects,
      log,
      olderThanMs: config.MEDIA_PENDING_HOURS * 3_600_000,
    });
    janitor.start();
    onStop("stop upload janitor", () => janitor.stop());
    variants.start();
    onStop("stop variant worker", () => variants.stop());
  },
  createApp: ({ sql, verifier, log, readiness, objects, variants, config }) =>
    createApp({
      sql,
      verifier,
      log,
      readiness,
      objects,
      rules: rulesFrom(config),
      uploadUrlSeconds: config.MEDIA_UPLOAD_URL_SECONDS,
      downloadUrlSeconds: config.MEDIA_DOWNLOAD_URL_SECONDS,
      onVariantsQueued: () => variants.wake(),
    }),
}) satisfies Deno.ServeDefaultExport;
