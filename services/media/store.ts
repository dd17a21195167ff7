/**
 * Plain SQL of the media service: the `media` table (uploads and the files
 * they became).
 */
import type { Sql, Tx } from "@mp/shared/db";
import type { Purpose } from "./purposes.ts";

type Db = Sql | Tx;

/** One upload or file. */
export interface Media {
  id: string;
  ownerId: string;
  purpose: Purpose;
  objectKey: string;
  name: string;
  contentType: string;
  size: number;
  status: "pending" | "ready";
  createdAt: string;
  completedAt: string | null;
}

interface Row {
  id: string;
  owner_id: string;
  purpose: Purpose;
  object_key: string;
  name: string;
  content_type: string;
  size: string | number;
  status: "pending" | "ready";
  created_at: Date;
  completed_at: Date | null;
}

const fromRow = (row: Row): Media => ({
  id: row.id,
  ownerId: row.owner_id,
  purpose: row.purpose,
  objectKey: row.object_key,
  name: row.name,
  contentType: row.content_type,
  size: Number(row.size),
  status: row.status,
  createdAt: row.created_at.toISOString(),
  completedAt: row.completed_at?.toISOString() ?? null,
});

/** Records an announced upload (`pending`). */
export async function insertUpload(
  db: Db,
  upload: Pick<Media, "id" | "ownerId" | "purpose" | "objectKey" | "name" | "contentType" | "size">,
): Promise<Media> {
  const [row] = await db<Row[]>`insert into media
      (id, owner_id, purpose, object_key, name, content_type, size)
    values (${upload.id}, ${upload.ownerId}, ${upload.purpose}, ${upload.objectKey},
      ${upload.name}, ${upload.contentType}, ${upload.size})
    returning *`;
  return fromRow(row);
}

/** One upload or file by id; `lock` takes a row lock (inside a transaction). */
export async function findMedia(db: Db, id: string, lock = false): Promise<Media | undefined> {
  const rows = lock
    ? await db<Row[]>`select * from media where id = ${id} for update`
    : await db<Row[]>`select * from media where id = ${id}`;
  return rows[0] && fromRow(rows[0]);
}

/** Marks an upload `ready`. */
export async function markReady(tx: Tx, id: string): Promise<Media> {
  const [row] = await tx<Row[]>`update media set status = 'ready', completed_at = now()
    where id = ${id} returning *`;
  return fromRow(row);
}

/** Removes an upload's row (its object is deleted by the caller). */
export async function deleteMedia(db: Db, id: string): Promise<void> {
  await db`delete from media where id = ${id}`;
}

/**
 * Up to `limit` pending uploads older than `olderThanMs`, locked and skipped by
 * other replicas' janitors, oldest first.
 */
export async function stalePending(tx: Tx, olderThanMs: number, limit: number): Promise<Media[]> {
  const rows = await tx<Row[]>`select * from media
    where status = 'pending' and created_at < now() - make_interval(secs => ${olderThanMs / 1000})
    order by created_at limit ${limit}
    for update skip locked`;
  return rows.map(fromRow);
}

/**
 * Lets each of `userIds` read those of `mediaIds` that are ready files of
 * `purpose` owned by `ownerId` (an id that is not, or is unknown, grants
 * nothing: the publisher checked ownership, this is the second lock). Answers
 * the ids granted.
 */
export async function grantAccess(db: Db, grant: {
  mediaIds: string[];
  ownerId: string;
  purpose: Purpose;
  userIds: string[];
  reason: string;
}): Promise<string[]> {
  if (grant.mediaIds.length === 0 || grant.userIds.length === 0) return [];
  const rows = await db<{ media_id: string }[]>`insert into media_grants (media_id, user_id, reason)
    select m.id, u.user_id, ${grant.reason}
    from media m cross join unnest(${grant.userIds}::uuid[]) as u(user_id)
    where m.id = any(${grant.mediaIds}::uuid[]) and m.owner_id = ${grant.ownerId}
      and m.purpose = ${grant.purpose} and m.status = 'ready'
    on conflict (media_id, user_id) do nothing
    returning media_id`;
  return [...new Set(rows.map((row) => row.media_id))];
}

/** Whether `userId` was granted reading `mediaId`. */
export async function isGranted(db: Db, mediaId: string, userId: string): Promise<boolean> {
  const rows = await db`select 1 from media_grants
    where media_id = ${mediaId} and user_id = ${userId}`;
  return rows.length > 0;
}

/** Files of `purpose` among `ids` owned by `ownerId`, locked (inside a transaction). */
export async function ownedFiles(tx: Tx, ids: string[], ownerId: string, purpose: Purpose) {
  if (ids.length === 0) return [];
  const rows = await tx<Row[]>`select * from media
    where id = any(${ids}::uuid[]) and owner_id = ${ownerId} and purpose = ${purpose}
    for update`;
  return rows.map(fromRow);
}

/** Removes files' rows (and with them their grants); their objects are deleted by the caller. */
export async function deleteFiles(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db`delete from media where id = any(${ids}::uuid[])`;
}
