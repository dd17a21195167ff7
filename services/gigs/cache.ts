/**
 * Redis caches of gig details and search results, never serving an entry older
 * than the last change it could reflect, and never failing a read because Redis
 * is down (every Redis error falls back to the database).
 *
 * Versioned keys instead of plain deletes, so a reader that loaded old data
 * just before a change cannot put it back after the change:
 * - detail: `gig:<id>` holds `{ v, gig }`; `gig:<id>:v` gets a new random value
 *   after every committed change of the gig or its seller. A reader takes the version
 *   *before* reading the database and stores its entry under that version; an
 *   entry whose version is no longer current is a miss.
 * - search: one generation counter `search:gen`, bumped after any change of any
 *   gig or seller; entries live at `search:<gen>:<hash of the normalized query>`
 *   for a short TTL, so old generations simply expire.
 *
 * If Redis is unreachable at the moment of a change, entries written before it
 * may be served until their TTL ends: the TTLs bound staleness in that case.
 */
import type { Redis } from "ioredis";
import type { Logger } from "@mp/shared/log";

/** Options of `createGigCache`. */
export interface GigCacheOptions {
  redis: Redis;
  log: Logger;
  /** Lifetime of a cached gig detail. */
  detailTtlSeconds: number;
  /** Lifetime of a cached search result page. */
  searchTtlSeconds: number;
}

/** The caches the app and the event handlers use. */
export interface GigCache {
  /** The gig from the cache, or from `load` (then cached). */
  gig<T>(id: string, load: () => Promise<T | undefined>): Promise<T | undefined>;
  /** The search result for `params` (any JSON value) from the cache, or from `load`. */
  search<T>(params: unknown, load: () => Promise<T>): Promise<T>;
  /** Call after a change of these gigs committed: their details and every search go stale. */
  invalidate(gigIds: string[]): Promise<void>;
}

const detailKey = (id: string) => `gig:${id}`;
const versionKey = (id: string) => `gig:${id}:v`;
const GENERATION = "search:gen";

/** Builds the caches on a Redis connection. */
export function createGigCache(options: GigCacheOptions): GigCache {
  const { redis, log, detailTtlSeconds, searchTtlSeconds } = options;
  const failed = (what: string) => (error: unknown) => {
    log.debug("redis command failed", { what, error: (error as Error)?.message });
    return undefined;
  };

  return {
    async gig<T>(id: string, load: () => Promise<T | undefined>) {
      const cached = await redis.mget(detailKey(id), versionKey(id)).catch(failed("read gig"));
      // undefined: Redis unusable, so neither trust nor write it this time.
      const version = cached ? cached[1] ?? "0" : undefined;
      if (cached?.[0]) {
        const entry = JSON.parse(cached[0]) as { v: string; gig: T };
        if (entry.v === version) return entry.gig;
      }
      const gig = await load();
      if (gig !== undefined && version !== undefined) {
        await redis.set(detailKey(id), JSON.stringify({ v: version, gig }), "EX", detailTtlSeconds)
          .catch(failed("write gig"));
      }
      return gig;
    },

    async search<T>(params: unknown, load: () => Promise<T>) {
      const generation = await redis.get(GENERATION).then((g) => g ?? "0")
        .catch(failed("read generation"));
      const key = generation === undefined
        ? undefined
        : `search:${generation}:${await digest(JSON.stringify(params))}`;
      if (key) {
        const hit = await redis.get(key).catch(failed("read search"));
        if (hit) return JSON.parse(hit) as T;
      }
      const result = await load();
      if (key) {
        await redis.set(key, JSON.stringify(result), "EX", searchTtlSeconds)
          .catch(failed("write search"));
      }
      return result;
    },

    async invalidate(gigIds: string[]) {
      const tx = redis.multi();
      for (const id of gigIds) {
        // A fresh random version never equals one an old entry was stored under.
        // It outlives every entry stored before it, so when it expires (and the
        // version reads as "0" again) no entry from before this change is left.
        tx.set(versionKey(id), crypto.randomUUID(), "EX", detailTtlSeconds * 2 + 60);
      }
      tx.incr(GENERATION);
      const result = await tx.exec().catch((error: unknown) => {
        log.warn("cache invalidation failed; entries expire by TTL", {
          error: (error as Error)?.message,
          gigs: gigIds.length,
        });
        return null;
      });
      if (result?.some(([error]) => error)) {
        log.warn("cache invalidation partly failed; entries expire by TTL", {
          gigs: gigIds.length,
        });
      }
    },
  };
}

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
