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
