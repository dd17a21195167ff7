/**
 * What the media service publishes (through its outbox). It consumes nothing
 * yet: the services that will take media ids (users, gigs, orders, chat) learn
 * of ready files from `media.uploaded`.
 */
import type { Tx } from "@mp/shared/db";
import { enqueueEvent } from "@mp/shared/outbox";
import type { Purpose } from "./purposes.ts";

/** `media.uploaded`: an upload was completed and its bytes checked. */
export interface MediaUploaded {
  mediaId: string;
  ownerId: string;
  purpose: Purpose;
  /** The type its first bytes showed (for images) or the one declared. */
  contentType: string;
  size: number;
  name: string;
  /**
   * The plain public URL of an avatar or gig image (`<S3_PUBLIC_URL>/<bucket>/public/…`), which
   * the services that show it keep in their replica (shared/media_refs.ts); null or absent for
   * private files.
   */
  url?: string | null;
  uploadedAt: string;
}

/** Typed publishers; each writes to the outbox inside the caller's transaction. */
export const publish = {
  mediaUploaded: (tx: Tx, data: MediaUploaded) => enqueueEvent(tx, "media.uploaded", data),
};
