/**
 * SQL of the variant jobs and the variants made (migrations/003_variants.sql).
 */
import type { Sql, Tx } from "@mp/shared/db";
import type { Media } from "./store.ts";

type Db = Sql | Tx;

/** Widths made for every avatar and gig image (only those narrower than it). */
export const VARIANT_WIDTHS = [200, 800] as const;

/**
 * Where a variant is stored: beside its original (`public/avatar/<id>.w200.webp`),
 * public like it. A sibling, not `<original>/w200.webp`: MinIO refuses an
 * object under a key that is itself an object.
 */
export const variantKey = (originalKey: string, width: number) => `${originalKey}.w${width}.webp`;

/** All keys a file's variants may have (deleted with the file, made or not). */
export const variantKeys = (originalKey: string) =>
  VARIANT_WIDTHS.map((width) => variantKey(originalKey, width));

/** A variant made. */
export interface Variant {
  width: number;
  height: number;
  objectKey: string;
  size: number;
}

/** A claimed job. */
export interface ClaimedJob {
  mediaId: string;
  /** Claims so far, this one included. */
  attempts: number;
}

/** Queues the variants of a file that just became ready (in `complete`'s transaction). */
export async function queueJob(tx: Tx, mediaId: string): Promise<void> {
  await tx`insert into media_variant_jobs (media_id) values (${mediaId})
    on conflict (media_id) do nothing`;
}

/**
 * Claims the oldest due job (SKIP LOCKED: replicas never take the same one),
 * counting the attempt and pushing it `leaseMs` ahead so a replica that dies
 * mid-job leaves it to another after the lease. Answers undefined when none is due.
 */
export async function claimJob(sql: Sql, leaseMs: number): Promise<ClaimedJob | undefined> {
  const rows = await sql<{ media_id: string; attempts: number }[]>`
    update media_variant_jobs
    set attempts = attempts + 1, run_after = now() + make_interval(secs => ${leaseMs / 1000})
    where media_id = (
      select media_id from media_variant_jobs
      where state = 'queued' and run_after <= now()
      order by run_after limit 1
      for update skip locked)
    returning media_id, attempts`;
  return rows[0] && { mediaId: rows[0].media_id, attempts: rows[0].attempts };
}

/**
 * The file of a job, locked against deletion (FOR SHARE) until the caller's
 * transaction ends: a deleter (gig.deleted) locks the file FOR UPDATE before
 * deleting its objects, so variants are either recorded before it looks or
 * found orphaned here. Undefined when the file is gone.
 */
export async function lockFile(tx: Tx, mediaId: string): Promise<Pick<Media, "id"> | undefined> {
  const rows = await tx<{ id: string }[]>`select id from media where id = ${mediaId} for share`;
  return rows[0];
}

/** Records the variants made and closes the job (`done`). */
export async function finishJob(tx: Tx, mediaId: string, variants: Variant[]): Promise<void> {
  for (const variant of variants) {
    await tx`insert into media_variants (media_id, width, height, object_key, size)
      values (${mediaId}, ${variant.width}, ${variant.height}, ${variant.objectKey},
        ${variant.size})
      on conflict (media_id, width) do update set height = excluded.height, size = excluded.size`;
  }
  await tx`update media_variant_jobs
    set state = 'done', finished_at = now(), last_error = null
    where media_id = ${mediaId}`;
}

/** Gives a job up (`failed`) with the reason. */
export async function failJob(db: Db, mediaId: string, error: string): Promise<void> {
  await db`update media_variant_jobs
    set state = 'failed', finished_at = now(), last_error = ${error.slice(0, 1000)}
    where media_id = ${mediaId}`;
}

/** Leaves a job queued for another try after `delayMs`. */
export async function retryJob(db: Db, mediaId: string, error: string, delayMs: number) {
  await db`update media_variant_jobs
    set run_after = now() + make_interval(secs => ${delayMs / 1000}),
      last_error = ${error.slice(0, 1000)}
    where media_id = ${mediaId}`;
}

/** The variants of a file, by width. */
export async function variantsOf(db: Db, mediaId: string): Promise<Variant[]> {
  const rows = await db<
    { width: number; height: number; object_key: string; size: number }[]
  >`select width, height, object_key, size from media_variants
    where media_id = ${mediaId} order by width`;
  return rows.map((row) => ({
    width: row.width,
    height: row.height,
    objectKey: row.object_key,
    size: row.size,
  }));
}
