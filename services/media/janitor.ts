/**
 * Removes uploads never completed: a pending row older than a day (by default)
 * goes with its object, if the client stored one. Its presigned PUT expired
 * long before, so nothing can still arrive for it. Runs on the kit's polling
 * loop like shared/retention.ts: soon after start, then every interval, in
 * short batches; replicas share the work (SKIP LOCKED).
 */
import type { Sql } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { PollingLoop } from "@mp/shared/loop";
import type { ObjectStore } from "./object_store.ts";
import * as store from "./store.ts";
import { variantKeys } from "./variant_store.ts";

/** Pending uploads older than this are removed. */
export const PENDING_RETENTION_MS = 86_400_000;

/** Rows per batch (one transaction each). */
export const JANITOR_BATCH = 100;

/** Options of `removeStaleUploads` and `UploadJanitor`. */
export interface JanitorOptions {
  sql: Sql;
  objects: ObjectStore;
  log: Logger;
  /** Default `PENDING_RETENTION_MS`. */
  olderThanMs?: number;
  /** Default `JANITOR_BATCH`. */
  batchSize?: number;
  /** Between runs; default one hour. */
  intervalMs?: number;
  /** Before the first run; default 60 s (off the start-up path). */
  firstDelayMs?: number;
}

/**
 * Deletes stale pending uploads and their objects, batch by batch; returns how
 * many. The row goes only once the object is gone (the delete runs inside the
 * row's transaction), so a store outage leaves the row for the next run.
 */
export async function removeStaleUploads(
  options: JanitorOptions,
  signal?: AbortSignal,
): Promise<number> {
  const { sql, objects, olderThanMs = PENDING_RETENTION_MS, batchSize = JANITOR_BATCH } = options;
  let total = 0;
  while (!signal?.aborted) {
    const removed = await sql.begin(async (tx) => {
      const stale = await store.stalePending(tx, olderThanMs, batchSize);
      for (const upload of stale) {
        // A pending upload has no variants yet; their keys go too, so no path leaves one.
        for (const key of [upload.objectKey, ...variantKeys(upload.objectKey)]) {
          await objects.delete(key);
        }
        await store.deleteMedia(tx, upload.id);
      }
      return stale.length;
    });
    total += removed;
    if (removed < batchSize) break;
  }
  return total;
}

/** The background loop around `removeStaleUploads`; `start()`, `stop()` on shutdown. */
export class UploadJanitor {
  readonly #loop: PollingLoop;

  constructor(options: JanitorOptions) {
    const { log } = options;
    this.#loop = new PollingLoop({
      tick: async (signal) => {
        const removed = await removeStaleUploads(options, signal);
        if (removed > 0) log.info("removed uploads never completed", { removed });
        return "idle";
      },
      intervalMs: options.intervalMs ?? 3_600_000,
      firstDelayMs: options.firstDelayMs ?? 60_000,
      onError: (error) =>
        log.warn("upload janitor failed, retrying at the next interval", { error }),
    });
  }

  /** Starts the loop in the background. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the loop after the batch in progress. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }
}
