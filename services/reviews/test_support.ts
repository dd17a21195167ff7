/**
 * Helpers shared by this service's tests (not a test file itself). A fixture is
 * the real service on real servers: a fresh PostgreSQL database, a unique
 * RabbitMQ exchange with the real consumer on it, a publisher that stands in
 * for auth and orders, real ES256 tokens, and `createApp()` over all of it.
 */
import type { EventEnvelope } from "@mp/shared/bus";
import { idempotencyMigration } from "@mp/shared/idempotency";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { outboxMigration } from "@mp/shared/outbox";
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
  waitFor,
} from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";

export { deleteQueues, envelope, freePort } from "@mp/shared/testing";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** The shared tables this service uses, applied before its own migrations. */
export const SHARED_MIGRATIONS = [outboxMigration, inboxMigration, idempotencyMigration];

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

/** An order as orders' events describe it. */
export interface TestOrder {
  orderId: string;
  gigId: string;
  buyerId: string;
  sellerId: string;
  gigTitle: string;
}

/** What `call()` answers. */
export type Answer = TestResponse;

/** Options of `reviewsFixture`. */
export interface FixtureOptions {
  reviewWindowDays?: number;
}

const DAY = 86_400_000;

/** Starts the service's consuming side and app on fresh resources; `close()` removes them. */
export async function reviewsFixture(prefix: string, options: FixtureOptions = {}) {
  const log = quietLogger("reviews");
  const db = await migratedDatabase(prefix);
  const broker = testBus(prefix);
  const keys = await createTestKeys();
  const events = await consumerHarness({
    broker,
    service: "reviews",
    publisherName: "orders",
    handlers: createEventHandlers({ sql: db.sql, log }),
    log,
  });
  const { consumer, publisher, handled } = events;

  const verifier = createTokenVerifier({
    jwks: keys.jwks,
    issuer: keys.issuer,
    audience: keys.audience,
  });
  const { app } = createApp({
    sql: db.sql,
    verifier,
    log,
    reviewWindowMs: (options.reviewWindowDays ?? 30) * DAY,
  });

  /** Publishes envelopes on the exchange, as another service's relay would. */
  const publishRaw = (...envelopes: EventEnvelope[]) => events.publish(...envelopes);

  /** Waits until the consumer finished handling event `id` at least `times` times. */
  const handledTimes = (id: string, times = 1) =>
    waitFor(() => handled.filter((h) => h === id).length >= times, { what: `event ${id}` });

  /** Publishes one event and waits until it was handled. */
  const deliver = async <T>(type: string, data: T, occurredAt?: Date) => {
    const event = envelope(type, data, occurredAt);
    await publishRaw(event);
    await handledTimes(event.id);
    return event;
  };

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
      verificationExpiresAt: new Date(Date.now() + DAY).toISOString(),
    });
    return { id, username, token: await keys.sign({ sub: id, username }) };
  };

  /** The ids of a new order between `buyer` and `seller` (nothing published). */
  const newOrder = (
    buyer: TestUser,
    seller: TestUser,
    gigId: string = crypto.randomUUID(),
  ): TestOrder => ({
    orderId: crypto.randomUUID(),
    gigId,
    buyerId: buyer.id,
    sellerId: seller.id,
    gigTitle: `I will do task ${crypto.randomUUID().slice(0, 4)}`,
  });

  /** Event data as orders publishes it (CONTRACTS: issue 4). */
  const orderEvent = {
    created: (order: TestOrder) => ({
      ...order,
      package: "basic",
      price: { amount: 2500, currency: "USD" },
      serviceFee: { amount: 138, currency: "USD" },
      total: { amount: 2638, currency: "USD" },
      createdAt: new Date().toISOString(),
    }),
    completed: (order: TestOrder, completedAt = new Date()) => ({
      ...order,
      price: { amount: 2500, currency: "USD" },
      sellerEarnings: { amount: 2000, currency: "USD" },
      completedAt: completedAt.toISOString(),
      by: "buyer",
    }),
    cancelled: (order: TestOrder, cancelledAt = new Date()) => ({
      ...order,
      reason: "buyer asked",
      refund: { amount: 2638, currency: "USD" },
      cancelledAt: cancelledAt.toISOString(),
    }),
  };

  /** An order created and completed (both events delivered). */
  const completedOrder = async (
    buyer: TestUser,
    seller: TestUser,
    options: { gigId?: string; completedAt?: Date } = {},
  ): Promise<TestOrder> => {
    const order = newOrder(buyer, seller, options.gigId);
    await deliver("order.created", orderEvent.created(order));
    await deliver("order.completed", orderEvent.completed(order, options.completedAt));
    return order;
  };

  /** Calls the app as the gateway would; `body` strings are sent as they are. */
  const call = (method: string, path: string, request: TestRequest = {}): Promise<Answer> =>
    callApp(app, method, path, request);

  /** Posts a review of `order` as `by`. */
  const review = (
    order: TestOrder,
    by: TestUser,
    body: unknown = { rating: 5, comment: "Great" },
  ) => call("POST", `/api/v1/orders/${order.orderId}/reviews`, { body, token: by.token });

  /** Events in the outbox, oldest first. */
  const outbox = async (type?: string) => {
    const rows = await db.sql<
      { id: string; type: string; data: Record<string, unknown> }[]
    >`select id, type, data from outbox order by seq`;
    return rows.filter((r) => !type || r.type === type);
  };

  /** Row counts that a refused request must leave as they were. */
  const counts = async () => {
    const [row] = await db.sql<{ reviews: number; replies: number; outbox: number }[]>`select
      (select count(*)::int from reviews) as reviews,
      (select count(*)::int from reviews where reply is not null) as replies,
      (select count(*)::int from outbox) as outbox`;
    return row;
  };

  return {
    app,
    db,
    broker,
    keys,
    consumer,
    publisher,
    handled,
    publishRaw,
    handledTimes,
    deliver,
    user,
    newOrder,
    orderEvent,
    completedOrder,
    call,
    review,
    outbox,
    counts,
    async close() {
      await settleAll([() => events.close(), () => broker.cleanup(), () => db.drop()]);
    },
  };
}

/** The fixture type. */
export type ReviewsFixture = Awaited<ReturnType<typeof reviewsFixture>>;

/** The kit's problem assertion, for this service's tests. */
export { assertProblem } from "@mp/shared/testing";
