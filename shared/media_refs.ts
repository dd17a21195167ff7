/**
 * The local replica of media files a service may reference (avatars, gig images, delivery files,
 * chat attachments), learned from the media service's `media.uploaded` events. Services never ask
 * the media service over HTTP (DESIGN.md: service ↔ service is events only), so a request naming a
 * media id is checked against this table: `requireOwnedMedia` accepts only ready files of the
 * caller, of the purpose the field is for.
 *
 * Wiring, in a service that takes media ids:
 *
 * ```ts
 * // main.ts: the table, with the kit's migration runner (same advisory lock, applied once)
 * setup: ({ sql }) => migrateMediaRefs(sql, new URL("./migrations/", import.meta.url)),
 * consumes: ({ sql, log }) => ({ ...handlers, "media.uploaded": mediaUploadedHandler({ sql, log }) }),
 * // tests: migratedDatabase(prefix, migrations, [inboxMigration, mediaRefsMigration])
 * // a route: const [avatar] = await requireOwnedMedia(sql, id, userId, "avatar", "avatarMediaId");
 * ```
 *
 * The race it covers: a client completes an upload and uses the id at once, while the event is
 * still on its way (outbox relay → broker → consumer, usually a few milliseconds). An id this
 * service has never heard of is therefore looked up again for up to `waitMs` (2 s) before it is
 * refused; an id known to belong to someone else or to another purpose is refused at once.
 */
import { z } from "zod";
import type { EventHandler } from "./bus.ts";
import { migrate, type Sql } from "./db.ts";
import { handleOnce, parseEventData } from "./inbox.ts";
import type { Logger } from "./log.ts";
import { AppError, type FieldError } from "./problem.ts";

/** Purposes of the media service (services/media/purposes.ts). */
export type MediaPurpose = "avatar" | "gig_image" | "delivery" | "chat_attachment";

/**
 * DDL of the replica, applied by `migrate()` through its `include` option (`migrateMediaRefs`).
 * `url` is the plain public URL of avatars and gig images (null for private files, or when the
 * event came without one).
 */
export const mediaRefsMigration = {
  version: "shared/media_refs_v1",
  sql: `
    create table if not exists media_refs (
      id uuid primary key,
      owner_id uuid not null,
      purpose text not null,
      content_type text not null,
      size bigint not null,
      name text not null,
      url text,
      uploaded_at timestamptz not null,
      learned_at timestamptz not null default now()
    );
    create index if not exists media_refs_owner on media_refs (owner_id);
  `,
};

/**
 * Applies `mediaRefsMigration` to a service's database with the kit's runner: `migrations` is
 * the service's own folder (already applied by `startService`, so only the replica is new). For a
 * service's `setup` step, until `startService` takes extra kit migrations itself.
 */
export async function migrateMediaRefs(sql: Sql, migrations: URL): Promise<Record<never, never>> {
  await migrate(sql, migrations, [mediaRefsMigration]);
  return {};
}

/** A file of the replica. */
export interface MediaRef {
  id: string;
  ownerId: string;
  purpose: string;
  contentType: string;
  size: number;
  name: string;
  /** The plain public URL (avatars, gig images); null for private files. */
  url: string | null;
  uploadedAt: Date;
}

const instant = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "not a timestamp");

/** The fields of `media.uploaded` the replica keeps (unknown fields are ignored). */
const mediaUploaded = z.object({
  mediaId: z.uuid(),
  ownerId: z.uuid(),
  purpose: z.string().min(1).max(40),
  contentType: z.string().min(1).max(255),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  name: z.string().min(1).max(255),
  url: z.url({ protocol: /^https?$/ }).max(2048).nullish(),
  uploadedAt: instant,
});

/**
 * The `media.uploaded` handler: records the file in `media_refs` through the inbox (a redelivered
 * event changes nothing), and upserts, so the same file announced again under a new event id
 * (a repeated relay) leaves one row; a later announcement with a URL fills it in.
 */
export function mediaUploadedHandler(deps: { sql: Sql; log: Logger }): EventHandler {
  return async (envelope) => {
    const data = parseEventData(mediaUploaded, envelope);
    const fresh = await handleOnce(deps.sql, envelope, async (tx) => {
      await tx`
        insert into media_refs (id, owner_id, purpose, content_type, size, name, url, uploaded_at)
        values (${data.mediaId}, ${data.ownerId}, ${data.purpose}, ${data.contentType},
          ${data.size}, ${data.name}, ${data.url ?? null}, ${data.uploadedAt})
        on conflict (id) do update set url = coalesce(excluded.url, media_refs.url)`;
    });
    deps.log.info(fresh ? "event handled" : "duplicate event ignored", {
      eventId: envelope.id,
      type: envelope.type,
    });
  };
}

/** Options of `requireOwnedMedia`. */
export interface RequireMediaOptions {
  /** How long an unknown id is looked up again before it is refused; default 2,000 ms. */
  waitMs?: number;
  /** Between lookups; default 50 ms. */
  intervalMs?: number;
  /**
   * Refuse a file the replica has no public URL for (avatars and gig images are shown by it;
   * an event without `url` leaves it null).
   */
  publicUrl?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `code` of the 422 problem `requireOwnedMedia` throws. */
export const MEDIA_NOT_USABLE = "media_not_usable";

type Row = {
  id: string;
  owner_id: string;
  purpose: string;
  content_type: string;
  size: string | number;
  name: string;
  url: string | null;
  uploaded_at: Date;
};

const toRef = (row: Row): MediaRef => ({
  id: row.id,
  ownerId: row.owner_id,
  purpose: row.purpose,
  contentType: row.content_type,
  size: Number(row.size),
  name: row.name,
  url: row.url,
  uploadedAt: row.uploaded_at,
});

/**
 * The files `ids` name, in the same order, when every one is a ready file of `ownerId` with this
 * `purpose`. Otherwise throws one 422 `media_not_usable` problem listing each refused id under
 * `/<field>` (`ids` a single id) or `/<field>/<index>` (`ids` a list). An id the replica does not know yet is
 * looked up again for up to `waitMs` (the `media.uploaded` of a just-completed upload may be a
 * few ms behind); unknown and someone else's read the same, so an id reveals nothing of others'.
 * Call it before the transaction that stores the ids (it sleeps between lookups).
 */
export async function requireOwnedMedia(
  sql: Sql,
  ids: string | readonly string[],
  ownerId: string,
  purpose: MediaPurpose,
  field: string,
  options: RequireMediaOptions = {},
): Promise<MediaRef[]> {
  const single = typeof ids === "string";
  const list: readonly string[] = typeof ids === "string" ? [ids] : ids;
  if (list.length === 0) return [];
  const { waitMs = 2_000, intervalMs = 50 } = options;
  const pointer = (index: number) => single ? `/${field}` : `/${field}/${index}`;
  const wellFormed = [...new Set(list.filter((id) => UUID.test(id)))].map((id) => id.toLowerCase());
  const deadline = Date.now() + waitMs;
  let found = new Map<string, MediaRef>();
  for (;;) {
    const rows = wellFormed.length === 0 ? [] : await sql<Row[]>`
      select id, owner_id, purpose, content_type, size, name, url, uploaded_at
      from media_refs where id = any(${wellFormed}::uuid[])`;
    found = new Map(rows.map((row) => [row.id, toRef(row)]));
    const missing = wellFormed.some((id) => !found.has(id));
    // Someone else's or another purpose's file will not become usable by waiting.
    const refusedNow = [...found.values()].some((ref) =>
      ref.ownerId !== ownerId || ref.purpose !== purpose
    );
    if (!missing || refusedNow || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const problems: FieldError[] = [];
  list.forEach((id, index) => {
    const ref = UUID.test(id) ? found.get(id.toLowerCase()) : undefined;
    if (!ref || ref.ownerId !== ownerId) {
      problems.push({ pointer: pointer(index), detail: `${id} is not a ready file of yours.` });
    } else if (ref.purpose !== purpose) {
      problems.push({
        pointer: pointer(index),
        detail: `${id} was uploaded as ${ref.purpose}, not as ${purpose}.`,
      });
    } else if (options.publicUrl && !ref.url) {
      problems.push({ pointer: pointer(index), detail: `${id} has no public URL.` });
    }
  });
  if (problems.length > 0) {
    throw new AppError(
      422,
      MEDIA_NOT_USABLE,
      `${field}: only files you uploaded as ${purpose} can be used here.`,
      { errors: problems },
    );
  }
  return list.map((id) => found.get(id.toLowerCase())!);
}
