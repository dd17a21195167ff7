/**
 * The media service's own variables (beside the kit's): where the object
 * store is, the URL lifetimes and each purpose's limits. `MEDIA_ENV_NAMES`
 * is what scripts/processes.ts allows it to read.
 */
import { env } from "@mp/shared/config";
import { z } from "zod";
import { DEFAULT_RULES, IMAGE_TYPES, type PurposeRules } from "./purposes.ts";

const imageTypes = z.string().default(IMAGE_TYPES.join(",")).transform((value) =>
  value.split(",").map((type) => type.trim()).filter(Boolean)
).refine(
  (types) =>
    types.length > 0 && types.every((type) => (IMAGE_TYPES as readonly string[]).includes(type)),
  { message: `must be a comma-separated subset of ${IMAGE_TYPES.join(",")}` },
);

/** The media service's variables (added to the kit's). */
export const mediaEnv = {
  S3_ENDPOINT: env.url(["http", "https"]),
  S3_PUBLIC_URL: env.url(["http", "https"]).optional(),
  // The site whose pages upload and download straight from the store: the bucket's
  // CORS rule allows its origin (and CORS_ORIGINS', e.g. Vite's dev server).
  PUBLIC_URL: env.url(["http", "https"]).default("http://localhost:8000"),
  CORS_ORIGINS: z.string().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name")
    .default("media"),
  S3_ACCESS_KEY_ID: z.string().min(1),
  S3_SECRET_ACCESS_KEY: z.string().min(1),
  MEDIA_UPLOAD_URL_SECONDS: env.positiveInt(900),
  MEDIA_DOWNLOAD_URL_SECONDS: env.positiveInt(300),
  MEDIA_PENDING_HOURS: env.positiveInt(24),
  MEDIA_IMAGE_TYPES: imageTypes,
  MEDIA_AVATAR_MAX_BYTES: env.positiveInt(DEFAULT_RULES.avatar.maxBytes),
  MEDIA_GIG_IMAGE_MAX_BYTES: env.positiveInt(DEFAULT_RULES.gig_image.maxBytes),
  MEDIA_DELIVERY_MAX_BYTES: env.positiveInt(DEFAULT_RULES.delivery.maxBytes),
  MEDIA_CHAT_ATTACHMENT_MAX_BYTES: env.positiveInt(DEFAULT_RULES.chat_attachment.maxBytes),
};

/** Names of the media service's own variables. */
export const MEDIA_ENV_NAMES = Object.keys(mediaEnv);

/** The purposes' limits from the configuration. */
export function rulesFrom(config: {
  MEDIA_IMAGE_TYPES: string[];
  MEDIA_AVATAR_MAX_BYTES: number;
  MEDIA_GIG_IMAGE_MAX_BYTES: number;
  MEDIA_DELIVERY_MAX_BYTES: number;
  MEDIA_CHAT_ATTACHMENT_MAX_BYTES: number;
}): PurposeRules {
  return {
    avatar: { maxBytes: config.MEDIA_AVATAR_MAX_BYTES, types: config.MEDIA_IMAGE_TYPES },
    gig_image: { maxBytes: config.MEDIA_GIG_IMAGE_MAX_BYTES, types: config.MEDIA_IMAGE_TYPES },
    delivery: { maxBytes: config.MEDIA_DELIVERY_MAX_BYTES, types: "any" },
    chat_attachment: { maxBytes: config.MEDIA_CHAT_ATTACHMENT_MAX_BYTES, types: "any" },
  };
}

/**
 * The origins whose pages may PUT and GET objects from a browser: PUBLIC_URL's,
 * and each of CORS_ORIGINS (comma-separated, as the gateway reads it).
 */
export function browserOrigins(config: { PUBLIC_URL: string; CORS_ORIGINS?: string }): string[] {
  const extra = (config.CORS_ORIGINS ?? "").split(",").map((item) => item.trim()).filter(Boolean)
    .flatMap((item) => {
      try {
        return [new URL(item).origin];
      } catch {
        return [];
      }
    });
  return [...new Set([new URL(config.PUBLIC_URL).origin, ...extra])];
}
