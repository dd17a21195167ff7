/**
 * What a client receives from the media service, for its OpenAPI document.
 */
import { z } from "zod";
import { PURPOSES } from "./purposes.ts";

/** The purposes, as the API names them. */
export const PurposeSchema = z.enum(PURPOSES).meta({
  description: "What the file is for: `avatar` and `gig_image` (JPEG, PNG or WebP; public), " +
    "`delivery` and `chat_attachment` (any type but executables; private).",
});

/** A file or an upload as every route shows it. */
export const MediaSchema = z.object({
  id: z.uuid(),
  purpose: PurposeSchema,
  name: z.string().meta({ description: "The name given at upload (shown, never used as a path)." }),
  contentType: z.string().meta({
    description: "The declared type; at `complete` an image's first bytes must match it.",
  }),
  size: z.number().int().meta({ description: "Bytes; the store refused any other size." }),
  status: z.enum(["pending", "ready"]).meta({
    description: "`pending` until `complete` checked the stored bytes.",
  }),
  visibility: z.enum(["public", "private"]),
  url: z.string().nullable().meta({
    description: "Where to download it: a plain URL of the object store for public files, a " +
      "presigned GET for private ones (owner only); null while pending.",
  }),
  urlExpiresAt: z.iso.datetime().nullable().meta({
    description: "When a presigned `url` stops working; null for public URLs.",
  }),
  createdAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  variants: z.object({ "200": z.string().optional(), "800": z.string().optional() }).meta({
    description: "Resized WebP copies of an avatar or gig image by width in pixels, public " +
      "URLs like `url`; made in the background after `complete` (empty until then, and " +
      "always for other files). Only widths narrower than the original: an image 500 px " +
      "wide gets `200` only, one 200 px wide or less none (show `url`).",
  }),
}).openapi("Media");

/** The answer to `POST /api/v1/uploads`. */
export const UploadSchema = z.object({
  media: MediaSchema,
  upload: z.object({
    method: z.literal("PUT"),
    url: z.string().meta({
      description: "Presigned URL of the object store (`S3_PUBLIC_URL`): PUT the bytes there.",
    }),
    headers: z.record(z.string(), z.string()).meta({
      description: "Headers the PUT must carry, exactly: `Content-Type`, and for private files " +
        "`Content-Disposition` (the download's name). The signature also covers " +
        "`Content-Length` (set by the client from the body): another type or size is refused " +
        "by the store.",
    }),
    expiresAt: z.iso.datetime(),
  }),
}).openapi("Upload");
