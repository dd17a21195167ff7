/**
 * Gigs service process: its own part of the kit's start-up (shared/service.ts):
 * the Redis caches, which the consumers invalidate. Run with `deno serve` (see
 * README.md for the exact permission flags, and why this one needs a bare
 * `--allow-env`); deploy.ts serves the same handler with `Deno.serve`.
 */
import { z } from "zod";
import { env } from "@mp/shared/config";
import { closeRedis, connectRedis } from "@mp/shared/redis";
import { startService } from "@mp/shared/service";
import { migrateMediaRefs } from "@mp/shared/media_refs";
import { createApp } from "./app.ts";
import { createGigCache } from "./cache.ts";
import { createEventHandlers } from "./events.ts";

export default await startService({
  name: "gigs",
  env: {
    REDIS_URL: env.url(["redis", "rediss"]).default("redis://127.0.0.1:6379"),
    GIGS_REDIS_PREFIX: z.string().regex(/^[\w.:-]{1,64}$/).default("gigs:"),
    GIGS_DETAIL_CACHE_TTL_SECONDS: env.positiveInt(300),
    GIGS_SEARCH_CACHE_TTL_SECONDS: env.positiveInt(30),
  },
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  setup: async ({ config, log, sql, onClose }) => {
    // The replica of gig images the sellers uploaded (shared/media_refs.ts), from media.uploaded.
    await migrateMediaRefs(sql, new URL("./migrations/", import.meta.url));
    const redis = connectRedis(config.REDIS_URL, log, {
      keyPrefix: config.GIGS_REDIS_PREFIX,
      downMessage: "redis unavailable, serving from the database",
    });
    onClose("close redis", () => closeRedis(redis));
    const cache = createGigCache({
      redis,
      log,
      detailTtlSeconds: config.GIGS_DETAIL_CACHE_TTL_SECONDS,
      searchTtlSeconds: config.GIGS_SEARCH_CACHE_TTL_SECONDS,
    });
    return { cache };
  },
  consumes: ({ sql, cache, log }) => createEventHandlers({ sql, cache, log }),
  // Redis is not a readiness condition: without it reads go to the database.
  createApp: ({ sql, cache, log, verifier, readiness }) =>
    createApp({ sql, cache, log, verifier, readiness }),
}) satisfies Deno.ServeDefaultExport;
