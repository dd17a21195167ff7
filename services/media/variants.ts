/**
 * The variant jobs' worker loop: on every replica, claims one queued job at a
 * time (SKIP LOCKED, so each job is taken by one replica), reads the original
 * from the store, renders the WebP variants in a Web Worker
 * (variant_renderer.ts), writes them beside the original and records them,
 * publishing `media.variants_ready`. Runs on the kit's polling loop like
 * janitor.ts; `complete` wakes it.
 *
 * Failures are bounded: a broken image (it does not decode) fails the job at
 * once, logged; anything else (the store, a worker crash or timeout) is
 * retried after a delay until `maxAttempts` claims, then fails. A claim counts
 * before the work, so an image that kills the process is not retried forever.
 */
import type { Sql } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { PollingLoop } from "@mp/shared/loop";
import { publish } from "./events.ts";
import { UndecodableImage } from "./render/errors.ts";
import type { ObjectStore } from "./object_store.ts";
import * as store from "./store.ts";
import type { VariantRenderer } from "./variant_renderer.ts";
import * as jobs from "./variant_store.ts";

/** Options of `runNextJob` and `VariantWorker`. */
export interface VariantOptions {
  sql: Sql;
  objects: ObjectStore;
  log: Logger;
  renderer: VariantRenderer;
  /** Claims of one job before it fails; default 3. */
  maxAttempts?: number;
  /** How long a claim holds a job from other replicas; default 5 minutes. */
  leaseMs?: number;
  /** Wait before retrying a job after a failure; default 30 s. */
  retryDelayMs?: number;
  /** Between looks when idle; default 10 s (`wake()` ends the wait). */
  intervalMs?: number;
}

/** What `runNextJob` did. */
export type JobOutcome = "none" | "done" | "failed" | "retry" | "gone";

/** Claims and runs one due job, if any. */
export async function runNextJob(options: VariantOptions): Promise<JobOutcome> {
  const { sql, objects, log, renderer } = options;
  const { maxAttempts = 3, leaseMs = 300_000, retryDelayMs = 30_000 } = options;
  const job = await jobs.claimJob(sql, leaseMs);
  if (!job) return "none";
  const media = await store.findMedia(sql, job.mediaId);
  if (!media) return "gone"; // deleted meanwhile; its job went with it
  if (job.attempts > maxAttempts) {
    await jobs.failJob(sql, job.mediaId, `gave up after ${maxAttempts} attempts`);
    log.error("image variants given up", { mediaId: media.id, attempts: maxAttempts });
    return "failed";
  }
  const written: string[] = [];
  try {
    const original = await objects.read(media.objectKey);
    const rendered = await renderer.render(original, media.contentType, jobs.VARIANT_WIDTHS);
    const variants: jobs.Variant[] = [];
    for (const variant of rendered) {
      const key = jobs.variantKey(media.objectKey, variant.width);
      await objects.write(key, variant.bytes, "image/webp");
      written.push(key);
      variants.push({
        width: variant.width,
        height: variant.height,
        objectKey: key,
        size: variant.bytes.length,
      });
    }
    const recorded = await sql.begin(async (tx) => {
      // Deleters lock the file before deleting its objects: either it is still here and
      // stays until this commits, or it is gone and what was just written is an orphan.
      if (!await jobs.lockFile(tx, media.id)) return false;
      await jobs.finishJob(tx, media.id, variants);
      if (variants.length > 0) {
        await publish.mediaVariantsReady(tx, {
          mediaId: media.id,
          ownerId: media.ownerId,
          variants: variantUrls(objects, variants),
        });
      }
      return true;
    });
    if (!recorded) {
      for (const key of written) await objects.delete(key);
      return "gone";
    }
    log.info("image variants made", { mediaId: media.id, widths: rendered.map((v) => v.width) });
    return "done";
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UndecodableImage || job.attempts >= maxAttempts) {
      await jobs.failJob(sql, media.id, message);
      log.error("image variants failed", { mediaId: media.id, attempts: job.attempts, error });
      return "failed";
    }
    await jobs.retryJob(sql, media.id, message, retryDelayMs);
    log.warn("image variants failed, retrying later", { mediaId: media.id, error });
    return "retry";
  }
}

/** `{ "200": url, "800": url }` of the variants made (public URLs, like the original's). */
export function variantUrls(
  objects: ObjectStore,
  variants: jobs.Variant[],
): Record<string, string> {
  return Object.fromEntries(
    variants.map((variant) => [String(variant.width), objects.publicUrl(variant.objectKey)]),
  );
}

/** The background loop around `runNextJob`; `start()`, `wake()`, `stop()` on shutdown. */
export class VariantWorker {
  readonly #loop: PollingLoop;

  constructor(options: VariantOptions) {
    const { log } = options;
    this.#loop = new PollingLoop({
      tick: async () => (await runNextJob(options)) === "none" ? "idle" : "busy",
      intervalMs: options.intervalMs ?? 10_000,
      onError: (error) =>
        log.warn("variant worker failed, retrying at the next interval", { error }),
    });
  }

  /** Starts the loop in the background. */
  start(): void {
    this.#loop.start();
  }

  /** Looks for jobs now (a file just became ready). */
  wake(): void {
    this.#loop.wake();
  }

  /** Stops the loop after the job in progress. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }
}
