/**
 * Builds a real gigs app for one test suite: a fresh migrated PostgreSQL
 * database, the real Redis under a key prefix of its own, real keys for access
 * tokens, and the real event handlers (events are delivered to them as the bus
 * would). Not a test file itself.
 */
import { Redis } from "ioredis";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { outboxMigration } from "@mp/shared/outbox";
import { mediaRefsMigration } from "@mp/shared/media_refs";
import {
  callApp,
  createTestKeys,
  envelope,
  mediaUploadedData,
  migratedDatabase,
  quietLogger,
  waitFor,
} from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { connectRedis } from "@mp/shared/redis";
import { createGigCache } from "./cache.ts";
import { createEventHandlers } from "./events.ts";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);
/** The Redis the tests use. */
export const REDIS_URL = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";

export { envelope, freePort as closedPort, type TestResponse } from "@mp/shared/testing";

/** A valid `POST /gigs` body; `overrides` replace top-level fields. */
export function gigBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: "I will design a modern minimalist logo",
    description: "A clean, memorable logo for your brand, with source files and unlimited care.",
    category: "graphics-design",
    subcategory: "logo-design",
    tags: ["logo", "branding"],
    images: ["https://cdn.example.com/gigs/logo-1.png"],
    packages: [
      pkg("basic", 2500, 3),
      pkg("standard", 5000, 5),
      pkg("premium", 9900, 7),
    ],
    requirements: [{ question: "What is your brand name?", required: true, type: "text" }],
    faq: [{ question: "Do I get source files?", answer: "Yes, in every package." }],
    ...overrides,
  };
}

/** A package of `tier` at `amount` cents (USD unless given). */
export function pkg(tier: string, amount: number, deliveryDays: number, currency = "USD") {
  return {
    tier,
    name: `${tier[0].toUpperCase()}${tier.slice(1)}`,
    description: `The ${tier} package.`,
    price: { amount, currency },
    deliveryDays,
    revisions: 2,
    features: ["Source files"],
  };
}

/** The fixture; `redisUrl` points the cache elsewhere (e.g. at a closed port). */
export async function gigsFixture(options: { redisUrl?: string } = {}) {
  const db = await migratedDatabase("gigs", MIGRATIONS, [
    outboxMigration,
    inboxMigration,
    mediaRefsMigration,
  ]);
  const keys = await createTestKeys();
  const log = quietLogger("gigs");
  const prefix = `test:gigs:${crypto.randomUUID().slice(0, 8)}:`;
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const redis = connectRedis(redisUrl, log, { keyPrefix: prefix });
  if (!options.redisUrl) await waitFor(() => redis.status === "ready", { what: "redis" });
  const cache = createGigCache({ redis, log, detailTtlSeconds: 300, searchTtlSeconds: 30 });
  const handlers = createEventHandlers({ sql: db.sql, cache, log });
  const { app } = createApp({
    sql: db.sql,
    cache,
    log,
    verifier: createTokenVerifier({
      jwks: keys.jwks,
      issuer: keys.issuer,
      audience: keys.audience,
    }),
  });

  const call = (
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    headers: Record<string, string> = {},
  ) => callApp(app, method, `/api/v1/gigs${path}`, { body, token, headers });

  /** Delivers an event to the real handler, as the bus would; returns the envelope. */
  const deliver = async <T>(type: string, data: T, occurredAt = new Date()) => {
    const event = envelope(type, data, occurredAt);
    await handlers[type](event, {});
    return event;
  };

  /** A seller (through `seller.created`) and an access token for them. */
  const seller = async (username: string, extra: Record<string, unknown> = {}) => {
    const userId = crypto.randomUUID();
    await deliver("seller.created", {
      userId,
      username,
      displayName: `${username[0].toUpperCase()}${username.slice(1)} Studio`,
      avatarUrl: `https://cdn.example.com/avatars/${username}.png`,
      level: "level_1",
      skills: ["design"],
      languages: [{ language: "en", level: "native" }],
      rating: { average: null, count: 0 },
      ...extra,
    });
    return { userId, username, token: await keys.sign({ sub: userId, username }) };
  };

  /** A signed-in user the gigs service has never heard of as a seller. */
  const buyer = async (username: string) => {
    const userId = crypto.randomUUID();
    return { userId, username, token: await keys.sign({ sub: userId, username }) };
  };

  /** Publishes a gig and returns it (throws unless 201). */
  const createGig = async (token: string, overrides: Record<string, unknown> = {}) => {
    const res = await call("POST", "", gigBody(overrides), token);
    if (res.status !== 201) throw new Error(`create failed: ${JSON.stringify(res.body)}`);
    return res.body.gig;
  };

  /**
   * A file the media service announced as ready (`media.uploaded`, delivered to the real
   * handler unless `announce` is false); public files carry their URL as media publishes it.
   */
  const uploaded = async (ownerId: string, purpose = "gig_image", announce = true) => {
    const data = mediaUploadedData(ownerId, purpose, { name: "work.png", size: 4096 });
    if (announce) await deliver("media.uploaded", data);
    return data;
  };

  /** Events waiting in the outbox, oldest first. */
  const events = async (type?: string) => {
    // deno-lint-ignore no-explicit-any
    const rows = await db.sql<{ type: string; data: any }[]>`select type, data from outbox
      order by seq`;
    return rows.filter((r) => !type || r.type === type);
  };

  /** Everything a request could change, to prove a refused one changed nothing. */
  const snapshot = async () =>
    JSON.stringify(
      await db.sql`select
        (select coalesce(json_agg(g order by g.id), '[]') from gigs g) as gigs,
        (select coalesce(json_agg(f order by f.gig_id), '[]') from favorites f) as favorites,
        (select count(*) from outbox) as outbox,
        (select coalesce(json_agg(c order by c.category, c.subcategory), '[]')
          from category_counts c) as counts`,
    );

  return {
    app,
    db,
    keys,
    redis,
    prefix,
    cache,
    handlers,
    call,
    deliver,
    seller,
    buyer,
    createGig,
    uploaded,
    events,
    snapshot,
    async close() {
      redis.disconnect();
      if (!options.redisUrl) await deleteKeys(prefix);
      await db.drop();
    },
  };
}

/** Deletes every Redis key under `prefix`. */
export async function deleteKeys(prefix: string): Promise<void> {
  const raw = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await raw.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    raw.disconnect();
  }
}
