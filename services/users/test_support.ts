/**
 * Builds a real users service for one test suite: a fresh migrated database,
 * the app, and the real event handlers consuming from a unique exchange on the
 * real broker, fed by a publisher that stands in for auth, orders and reviews.
 * (Not a test file itself.)
 */
import type { EventEnvelope } from "@mp/shared/bus";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { outboxMigration } from "@mp/shared/outbox";
import { mediaRefsMigration } from "@mp/shared/media_refs";
import {
  callApp,
  consumerHarness,
  createTestKeys,
  envelope,
  mediaUploadedData,
  migratedDatabase as freshMigrated,
  quietLogger,
  settleAll,
  testBus,
  type TestDatabase,
} from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";

export { deleteQueues, envelope, settleAll, type TestResponse } from "@mp/shared/testing";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** A fresh database with this service's schema. */
export function migratedDatabase(prefix = "users"): Promise<TestDatabase> {
  return freshMigrated(prefix, MIGRATIONS, [outboxMigration, inboxMigration, mediaRefsMigration]);
}

/** A user the fixture registered through `user.registered`. */
export interface TestUser {
  userId: string;
  username: string;
  email: string;
  /** A valid access token for this user. */
  token: string;
}

/** Starts the service's app and consumers on fresh resources. */
export async function usersFixture(prefix = "users") {
  const log = quietLogger("users");
  const db = await migratedDatabase(prefix);
  const keys = await createTestKeys();
  const broker = testBus(prefix);
  const events = await consumerHarness({
    broker,
    service: "users",
    publisherName: "others",
    handlers: createEventHandlers({ sql: db.sql, log }),
    log,
  });
  const { consumer, publisher } = events;

  const { app } = createApp({
    sql: db.sql,
    log,
    verifier: createTokenVerifier({
      jwks: keys.jwks,
      issuer: keys.issuer,
      audience: keys.audience,
    }),
  });

  /**
   * Publishes an envelope on the exchange and waits until the consumer has handled it
   * once more (`until: "handled"`), or has tried to, successfully or not (`"attempted"`).
   */
  const publish = (event: EventEnvelope, until: "handled" | "attempted" = "handled") =>
    events.deliver(event, until);

  /** Publishes a new event of `type` and waits for its handling. */
  const deliver = <T>(type: string, data: T) => publish(envelope(type, data));

  const call = (method: string, path: string, body?: unknown, token?: string) =>
    callApp(app, method, path, { body, token });

  /** Registers a user the way auth announces it; `verified` also delivers user.email_verified. */
  const register = async (
    username: string,
    options: { verified?: boolean; country?: string | null; userId?: string } = {},
  ): Promise<TestUser> => {
    const userId = options.userId ?? crypto.randomUUID();
    const email = `${username.toLowerCase()}@example.com`;
    await deliver("user.registered", {
      userId,
      email,
      username,
      country: options.country ?? null,
      createdAt: new Date().toISOString(),
      verificationToken: "x".repeat(43),
      verificationExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    if (options.verified) await deliver("user.email_verified", { userId, email, username });
    return { userId, username, email, token: await keys.sign({ sub: userId, username }) };
  };

  /**
   * A file the media service announced as ready (`media.uploaded`), waiting for its handling;
   * avatars and gig images carry their public URL as media publishes it.
   */
  const uploaded = async (ownerId: string, purpose = "avatar", publish = true) => {
    const data = mediaUploadedData(ownerId, purpose, { name: "face.png", size: 2048 });
    if (publish) await deliver("media.uploaded", data);
    return data;
  };

  /** Events waiting in the outbox, oldest first. */
  const outbox = async (type?: string) => {
    // deno-lint-ignore no-explicit-any
    const rows = await db.sql<{ type: string; data: any }[]>`select type, data from outbox
      order by seq`;
    return rows.filter((r) => !type || r.type === type);
  };

  /** A snapshot of every table a request or event may change, to prove nothing changed. */
  const snapshot = async () => {
    const tables = [
      "profiles",
      "email_verifications",
      "sellers",
      "rating_aggregates",
      "counted_reviews",
      "counted_orders",
      "seller_stats",
      "seller_earnings",
      "media_refs",
      "outbox",
    ];
    const out: Record<string, unknown> = {};
    for (const table of tables) {
      out[table] = await db.sql.unsafe(`select * from ${table} order by 1`);
    }
    return JSON.parse(JSON.stringify(out));
  };

  return {
    app,
    db,
    keys,
    broker,
    consumer,
    publisher,
    call,
    publish,
    deliver,
    register,
    uploaded,
    outbox,
    snapshot,
    /** Releases everything, each step even if an earlier one failed (e.g. the broker went away). */
    async close() {
      await settleAll([() => events.close(), () => broker.cleanup(), () => db.drop()]);
    },
  };
}

/** A fixture of this service. */
export type UsersFixture = Awaited<ReturnType<typeof usersFixture>>;

/** A complete, valid seller profile body. */
export function sellerBody(overrides: Record<string, unknown> = {}) {
  return {
    description: "I design clean, fast websites and explain every step along the way.",
    skills: ["Web design", "TypeScript"],
    languages: [{ language: "en", level: "native" }, { language: "de", level: "fluent" }],
    education: [{ institution: "TU Berlin", degree: "MSc", field: "Computer Science" }],
    certifications: [{ name: "AWS Developer", issuer: "Amazon", year: 2022 }],
    portfolio: [{ title: "Shop redesign", url: "https://portfolio.example.com/shop" }],
    ...overrides,
  };
}
