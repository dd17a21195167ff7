/**
 * What the media service publishes (through its outbox): the services that
 * take media ids (users, gigs, orders, chat) learn of ready files from
 * `media.uploaded`, and of an image's resized variants from
 * `media.variants_ready`.
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

/**
 * `media.variants_ready`: resized WebP variants of an avatar or gig image were
 * made (variants.ts), published once, only when at least one was (an image no
 * wider than 200 px gets none). Nobody consumes it yet: users and gigs may
 * keep the URLs to show smaller images.
 */
export interface MediaVariantsReady {
  mediaId: string;
  ownerId: string;
  /** Public URL by width (`"200"`, `"800"`): only widths narrower than the original. */
  variants: Record<string, string>;
}

/** Typed publishers; each writes to the outbox inside the caller's transaction. */
export const publish = {
  mediaUploaded: (tx: Tx, data: MediaUploaded) => enqueueEvent(tx, "media.uploaded", data),
  mediaVariantsReady: (tx: Tx, data: MediaVariantsReady) =>
    enqueueEvent(tx, "media.variants_ready", data),
};
