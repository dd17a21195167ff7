/**
 * Builds a real users service for one test suite: a fresh migrated database,
 * the app, and the real event handlers consuming from a unique exchange on the
 * real broker, fed by a publisher that stands in for auth, orders and reviews.
 * (Not a test file itself.)
 */
import amqp from "amqplib";
import { EventBus, type EventEnvelope, type EventHandler } from "@mp/shared/bus";
import { migrate } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { outboxMigration } from "@mp/shared/outbox";
import {
  createTestKeys,
  freshDatabase,
  quietLogger,
  testBus,
  type TestDatabase,
  waitFor,
} from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** A fresh database with this service's schema. */
export async function migratedDatabase(prefix = "users"): Promise<TestDatabase> {
  const db = await freshDatabase(prefix);
  await migrate(db.sql, MIGRATIONS, [outboxMigration, inboxMigration]);
  return db;
}

/** An envelope as another service's outbox relay publishes it. */
export function envelope<T>(type: string, data: T): EventEnvelope<T> {
  return { id: crypto.randomUUID(), type, occurredAt: new Date().toISOString(), data };
}

/** Deletes queues a suite created on the broker. */
export async function deleteQueues(url: string, queues: string[]): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Runs every step in order, then throws the first failure, if any. */
export async function settleAll(steps: (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** A user the fixture registered through `user.registered`. */
export interface TestUser {
  userId: string;
  username: string;
  email: string;
  /** A valid access token for this user. */
  token: string;
}

/** A response read in full. */
export interface TestResponse {
  status: number;
  type: string;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** Starts the service's app and consumers on fresh resources. */
export async function usersFixture(prefix = "users") {
  const log = quietLogger("users");
  const db = await migratedDatabase(prefix);
  const keys = await createTestKeys();
  const broker = testBus(prefix);
  const consumer = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "users",
    log,
    retryDelayMs: 10,
    maxDeliveries: 3,
  });
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "others",
    log,
  });
  await consumer.start();
  await publisher.start();

  // The real handlers, observed (not replaced) so a test knows when a delivery was processed:
  // `handled` counts successes, `attempts` every try (a poison message only ever fails).
  const handled = new Map<string, number>();
  const attempts = new Map<string, number>();
  const bump = (counts: Map<string, number>, id: string) =>
    counts.set(id, (counts.get(id) ?? 0) + 1);
  const observed: Record<string, EventHandler> = {};
  for (const [type, handler] of Object.entries(createEventHandlers({ sql: db.sql, log }))) {
    observed[type] = async (event, headers) => {
      try {
        await handler(event, headers);
        bump(handled, event.id);
      } finally {
        bump(attempts, event.id);
      }
    };
  }
  await consumer.consume(observed);

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
  const publish = async (
    event: EventEnvelope,
    until: "handled" | "attempted" = "handled",
  ): Promise<EventEnvelope> => {
    const counts = until === "handled" ? handled : attempts;
    const before = counts.get(event.id) ?? 0;
    await publisher.publish([{ envelope: event, headers: {} }]);
    await waitFor(() => (counts.get(event.id) ?? 0) > before, { what: event.type });
    return event;
  };

  /** Publishes a new event of `type` and waits for its handling. */
  const deliver = <T>(type: string, data: T) => publish(envelope(type, data));

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<TestResponse> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get("content-type") ?? "",
      headers: res.headers,
      body: text ? JSON.parse(text) : null,
    };
  };

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
    outbox,
    snapshot,
    /** Releases everything, each step even if an earlier one failed (e.g. the broker went away). */
    async close() {
      await settleAll([
        () => consumer.close(),
        () => publisher.close(),
        () => deleteQueues(broker.url, [consumer.queue, consumer.deadLetterQueue]),
        () => broker.cleanup(),
        () => db.drop(),
      ]);
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
