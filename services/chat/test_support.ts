/**
 * Helpers shared by this service's tests (not a test file itself). A fixture is
 * the real service on real servers: a fresh PostgreSQL database, a unique
 * RabbitMQ exchange with the real consumer on it, a publisher that stands in for
 * auth, users, gigs and orders, real ES256 tokens, a Redis connection whose
 * presence keys carry a unique prefix, and `createApp()` over all of it.
 */
import { idempotencyMigration } from "@mp/shared/idempotency";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { outboxMigration } from "@mp/shared/outbox";
import { mediaRefsMigration, mediaUploadedHandler } from "@mp/shared/media_refs";
import { PROBLEM_CONTENT_TYPE } from "@mp/shared/problem";
import { closeRedis, connectRedis } from "@mp/shared/redis";
import {
  callApp,
  consumerHarness,
  createTestKeys,
  envelope,
  migratedDatabase as freshMigrated,
  quietLogger,
  settleAll,
  testBus,
  type TestDatabase,
  type TestRequest,
  type TestResponse,
} from "@mp/shared/testing";
import assert from "node:assert/strict";
import { type ChatLimits, createApp, DEFAULT_LIMITS } from "./app.ts";
import { createEventHandlers } from "./events.ts";
import { redisPresence } from "./workers.ts";

export { deleteQueues, envelope, freePort } from "@mp/shared/testing";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** The shared tables this service uses, applied before its own migrations. */
export const SHARED_MIGRATIONS = [
  outboxMigration,
  inboxMigration,
  idempotencyMigration,
  mediaRefsMigration,
];

/** A fresh database with this service's schema. */
export function migratedDatabase(prefix: string): Promise<TestDatabase> {
  return freshMigrated(prefix, MIGRATIONS, SHARED_MIGRATIONS);
}

/** A user of the tests: their id, name and a valid access token. */
export interface TestUser {
  id: string;
  username: string;
  token: string;
}

/** What `call()` answers. */
export type Answer = TestResponse;

const MINUTE = 60_000;

/** Starts the service's consuming side and app on fresh resources; `close()` removes them. */
export async function chatFixture(prefix: string, limits: Partial<ChatLimits> = {}) {
  const quiet = quietLogger("chat");
  /** Every warning logged (quiet otherwise): what the service says about events it ignores. */
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    ...quiet,
    warn: (msg, fields) => {
      warnings.push({ msg, fields });
      quiet.warn(msg, fields);
    },
  };
  const db = await migratedDatabase(prefix);
  const broker = testBus(prefix);
  const keys = await createTestKeys();
  const events = await consumerHarness({
    broker,
    service: "chat",
    publisherName: "others",
    handlers: {
      ...createEventHandlers({ sql: db.sql, log }),
      "media.uploaded": mediaUploadedHandler({ sql: db.sql, log }),
    },
    log,
  });
  const redis = connectRedis(Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379", log);
  const presencePrefix = `test:${prefix}:${crypto.randomUUID().slice(0, 8)}:online:`;
  const online = redisPresence(redis, presencePrefix, log);
  const fullLimits: ChatLimits = {
    messagesPerMinute: DEFAULT_LIMITS.messagesPerMinute,
    pageMax: DEFAULT_LIMITS.pageMax,
    attachmentsMax: DEFAULT_LIMITS.attachmentsMax,
    attachmentMaxBytes: DEFAULT_LIMITS.attachmentMaxBytes,
    mailDelayMs: DEFAULT_LIMITS.mailDelayMinutes * MINUTE,
    ...limits,
  };
  const verifier = createTokenVerifier({
    jwks: keys.jwks,
    issuer: keys.issuer,
    audience: keys.audience,
  });
  const { app } = createApp({ sql: db.sql, verifier, log, limits: fullLimits });

  /** Publishes one event as another service would and waits until it was handled. */
  const deliver = <T>(type: string, data: T, occurredAt?: Date) =>
    events.deliver(envelope(type, data, occurredAt));

  /** A registered user (`user.registered` delivered) with a valid token. */
  const user = async (username: string): Promise<TestUser> => {
    const id = crypto.randomUUID();
    await deliver("user.registered", {
      userId: id,
      email: `${username.toLowerCase()}@example.com`,
      username,
      country: null,
      createdAt: new Date().toISOString(),
      verificationToken: "t",
      verificationExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    return { id, username, token: await keys.sign({ sub: id, username }) };
  };

  // Gig versions strictly increase even within one millisecond (an equal one is stale).
  let lastGigVersion = 0;
  /** `gig.created` (or `gig.updated`) for a gig of `seller`; returns the gig id. */
  const gig = async (
    seller: TestUser,
    options: { gigId?: string; status?: "active" | "paused"; currency?: string; at?: Date } = {},
  ) => {
    const gigId = options.gigId ?? crypto.randomUUID();
    const currency = options.currency ?? "USD";
    await deliver(options.gigId ? "gig.updated" : "gig.created", {
      gigId,
      sellerId: seller.id,
      title: "I will build your web shop",
      status: options.status ?? "active",
      category: "programming-tech",
      subcategory: "website-development",
      packages: [{
        tier: "basic",
        name: "Basic",
        description: "One page",
        price: { amount: 5000, currency },
        deliveryDays: 3,
        revisions: 1,
        features: [],
      }],
      requirements: [],
      updatedAt: (options.at ?? new Date(lastGigVersion = Math.max(Date.now(), lastGigVersion + 1)))
        .toISOString(),
    });
    return gigId;
  };

  /** Calls the app as the gateway would; `body` strings are sent as they are. */
  const call = (method: string, path: string, request: TestRequest = {}): Promise<Answer> =>
    callApp(app, method, path, request);

  /** Starts (or finds) the conversation of `from` with `to`; asserts success. */
  const start = async (from: TestUser, to: TestUser, extra: Record<string, unknown> = {}) => {
    const answer = await call("POST", "/api/v1/conversations", {
      token: from.token,
      body: { recipient: to.username, ...extra },
    });
    assert.ok(answer.status === 201 || answer.status === 200, JSON.stringify(answer.body));
    return answer.body.conversation as { id: string } & Record<string, unknown>;
  };

  /** Sends a text message; returns the answer. */
  const send = (
    from: TestUser,
    conversationId: string,
    body: Record<string, unknown> = {},
  ) =>
    call("POST", `/api/v1/conversations/${conversationId}/messages`, {
      token: from.token,
      body: { clientId: crypto.randomUUID(), body: "Hello there", ...body },
    });

  /**
   * A ready file of `owner` as the media service announces it (`media.uploaded`
   * through the exchange into the replica); returns its id.
   */
  const mediaFile = async (
    owner: TestUser,
    purpose: "avatar" | "gig_image" | "delivery" | "chat_attachment" = "chat_attachment",
    name = "brief.pdf",
  ) => {
    const mediaId = crypto.randomUUID();
    await deliver("media.uploaded", {
      mediaId,
      ownerId: owner.id,
      purpose,
      contentType: "application/pdf",
      size: 2_048,
      name,
      uploadedAt: new Date().toISOString(),
    });
    return mediaId;
  };

  /** A valid offer body for `gigId`. */
  const offerBody = (gigId: string, extra: Record<string, unknown> = {}) => ({
    gigId,
    description: "A custom web shop with five pages",
    price: { amount: 25_000, currency: "USD" },
    deliveryDays: 7,
    revisions: 2,
    expiresInDays: 3,
    ...extra,
  });

  /** Events in the outbox, oldest first. */
  const outbox = async (type?: string) => {
    const rows = await db.sql<
      // deno-lint-ignore no-explicit-any
      { id: string; type: string; data: any }[]
    >`select id, type, data from outbox order by seq`;
    return rows.filter((r) => !type || r.type === type);
  };

  /** Row counts that a refused request must leave as they were. */
  const counts = async () => {
    const [row] = await db.sql<
      {
        conversations: number;
        messages: number;
        offers: number;
        outbox: number;
        blocks: number;
        read: string;
        statuses: string;
      }[]
    >`select
      (select count(*)::int from conversations) as conversations,
      (select count(*)::int from messages) as messages,
      (select count(*)::int from offers) as offers,
      (select count(*)::int from outbox) as outbox,
      (select count(*)::int from conversation_members where blocked) as blocks,
      (select coalesce(sum(read_upto_seq), 0)::text from conversation_members) as read,
      (select coalesce(string_agg(status, ',' order by id), '') from offers) as statuses`;
    return row;
  };

  /** Marks a user online the way the realtime edge does (a key with a TTL). */
  const setOnline = async (user: TestUser, isOnline: boolean) => {
    if (isOnline) await redis.set(`${presencePrefix}${user.id}`, "1", "PX", 60_000);
    else await redis.del(`${presencePrefix}${user.id}`);
  };

  return {
    app,
    db,
    broker,
    keys,
    events,
    redis,
    online,
    limits: fullLimits,
    warnings,
    deliver,
    user,
    gig,
    call,
    start,
    send,
    mediaFile,
    offerBody,
    outbox,
    counts,
    setOnline,
    async close() {
      await settleAll([
        async () => {
          const keys = await redis.keys(`${presencePrefix}*`);
          if (keys.length > 0) await redis.del(...keys);
        },
        () => closeRedis(redis),
        () => events.close(),
        () => broker.cleanup(),
        () => db.drop(),
      ]);
    },
  };
}

/** The fixture type. */
export type ChatFixture = Awaited<ReturnType<typeof chatFixture>>;

/** Asserts a problem+json answer with `status` (and `code` when given). */
export function assertProblem(answer: Answer, status: number, code?: string) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.type, PROBLEM_CONTENT_TYPE);
  assert.equal(answer.body.status, status);
  if (code) assert.equal(answer.body.code, code);
}
