/**
 * A gig's pictures: links (as before issue 14) and images the seller uploaded to the media
 * service (`imageMediaIds`). What clients see is one list of URLs, `images`: the uploads' public
 * URLs first, in the order of their ids, then the links, so cards keep showing `images[1]`. The
 * stored row keeps both the shown list and the ids, so an edit of one kind keeps the other.
 */
import type { GigRow } from "./gig.ts";
import { GIG_LIMITS } from "./gig.ts";

/** The links of a stored gig: what follows its uploads' URLs. */
export function linksOf(row: Pick<GigRow, "images" | "image_media_ids">): string[] {
  return row.images.slice(row.image_media_ids.length);
}

/** The public URLs of a stored gig's uploads, in order. */
export function uploadUrlsOf(row: Pick<GigRow, "images" | "image_media_ids">): string[] {
  return row.images.slice(0, row.image_media_ids.length);
}

/**
 * The detail of a 400 when uploads and links together exceed the limit, or undefined when they
 * fit.
 */
export function tooManyImages(uploads: number, links: number): string | undefined {
  const total = uploads + links;
  return total > GIG_LIMITS.images
    ? `At most ${GIG_LIMITS.images} images in all (links and uploads), not ${total}.`
    : undefined;
}
