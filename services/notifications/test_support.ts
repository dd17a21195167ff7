/**
 * Helpers shared by this service's tests (not a test file itself). They build
 * real resources: a migrated fresh database, the service's consuming side on a
 * real broker with a real mail sender, events shaped as auth, orders and reviews
 * publish them, a free TCP port for an SMTP server started later.
 */
import assert from "node:assert/strict";
import type { EventBus, EventEnvelope } from "@mp/shared/bus";
import type { Sql } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { outboxMigration } from "@mp/shared/outbox";
import {
  type CapturedMail,
  consumerHarness,
  envelope,
  migratedDatabase as freshMigrated,
  quietLogger,
  settleAll,
  type TestBus,
  testBus,
  type TestDatabase,
} from "@mp/shared/testing";
import { createEventHandlers } from "./events.ts";
import { createSmtpTransport, MailSender } from "./mail_sender.ts";

export { deleteQueues, envelope, freePort } from "@mp/shared/testing";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** `PUBLIC_URL` and `MAIL_FROM` of the pipeline tests. */
export const PUBLIC_URL = "https://market.example";
export const FROM = "Marketplace <no-reply@market.example>";
/** The domain of `FROM`, which names Message-IDs. */
export const MAIL_DOMAIN = "market.example";

/** A fresh database with this service's schema. */
export function migratedDatabase(prefix: string): Promise<TestDatabase> {
  return freshMigrated(prefix, MIGRATIONS, [outboxMigration, inboxMigration]);
}

/** A user as auth's events describe them; the address is unique per call. */
export function testUser(name = "ada"): { userId: string; email: string; username: string } {
  const id = crypto.randomUUID();
  return { userId: id, email: `${name}.${id.slice(0, 8)}@example.com`, username: name };
}

/** `user.registered` for a user, with every field auth publishes. */
export function registeredEvent(
  user: { userId: string; email: string; username: string },
  occurredAt = new Date(),
): EventEnvelope {
  return envelope("user.registered", {
    ...user,
    country: null,
    createdAt: occurredAt.toISOString(),
    verificationToken: testToken(),
    verificationExpiresAt: new Date(occurredAt.getTime() + 86_400_000).toISOString(),
  }, occurredAt);
}

/** A random token in the shape auth issues (base64url). */
export function testToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** The ids every order event carries, plus the gig title most carry. */
export interface TestOrder {
  orderId: string;
  gigId: string;
  buyerId: string;
  sellerId: string;
  gigTitle: string;
}

/** A new order between two users. */
export function testOrder(
  buyer: { userId: string },
  seller: { userId: string },
  gigTitle = "I will design a minimalist logo",
): TestOrder {
  return {
    orderId: crypto.randomUUID(),
    gigId: crypto.randomUUID(),
    buyerId: buyer.userId,
    sellerId: seller.userId,
    gigTitle,
  };
}

const usd = (amount: number) => ({ amount, currency: "USD" });
const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/**
 * Every order event about `order`, with every field of docs/CONTRACTS.md (also
 * those this service does not read), as the orders service publishes them.
 * `extra` overrides or adds fields.
 */
export const orderEvents = {
  created: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.created", {
      ...order,
      package: "standard",
      price: usd(2500),
      serviceFee: usd(250),
      total: usd(2750),
      createdAt: new Date().toISOString(),
      ...extra,
    }),
  paid: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.paid", {
      ...order,
      total: usd(2750),
      paidAt: new Date().toISOString(),
      dueAt: "2031-03-05T14:30:00.000Z",
      ...extra,
    }),
  delivered: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.delivered", {
      ...order,
      deliveryId: crypto.randomUUID(),
      deliveredAt: new Date().toISOString(),
      autoCompleteAt: "2031-03-08T09:00:00.000Z",
      ...extra,
    }),
  revisionRequested: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.revision_requested", {
      ...order,
      revisionsLeft: 1,
      requestedAt: new Date().toISOString(),
      ...extra,
    }),
  completed: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.completed", {
      ...order,
      price: usd(2500),
      sellerEarnings: usd(2000),
      completedAt: new Date().toISOString(),
      by: "buyer",
      ...extra,
    }),
  cancelled: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.cancelled", {
      ...order,
      reason: "The buyer and seller agreed to cancel.",
      refund: usd(2750),
      cancelledAt: new Date().toISOString(),
      ...extra,
    }),
  extensionRequested: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.extension_requested", {
      ...order,
      days: 3,
      reason: "The brief changed.",
      requestId: crypto.randomUUID(),
      ...extra,
    }),
  extensionAnswered: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.extension_answered", {
      ...order,
      requestId: crypto.randomUUID(),
      approved: true,
      dueAt: later(10),
      ...extra,
    }),
  cancellationRequested: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.cancellation_requested", {
      ...order,
      requestId: crypto.randomUUID(),
      requestedBy: "buyer",
      reason: "I no longer need it.",
      ...extra,
    }),
  cancellationAnswered: (order: TestOrder, extra: Record<string, unknown> = {}) =>
    envelope("order.cancellation_answered", {
      ...order,
      requestId: crypto.randomUUID(),
      accepted: false,
      ...extra,
    }),
};

/** `review.created` about an order, as the reviews service publishes it. */
export function reviewCreatedEvent(
  order: TestOrder,
  direction: "buyer_to_seller" | "seller_to_buyer",
  extra: Record<string, unknown> = {},
): EventEnvelope {
  const buyerReviews = direction === "buyer_to_seller";
  return envelope("review.created", {
    reviewId: crypto.randomUUID(),
    orderId: order.orderId,
    gigId: order.gigId,
    reviewerId: buyerReviews ? order.buyerId : order.sellerId,
    revieweeId: buyerReviews ? order.sellerId : order.buyerId,
    direction,
    rating: 5,
    comment: "Great work, delivered early.",
    createdAt: new Date().toISOString(),
    ...extra,
  });
}

/** The service's consuming side plus a publisher standing in for the other services. */
export interface Pipeline {
  db: TestDatabase;
  broker: TestBus;
  consumer: EventBus;
  publisher: EventBus;
  sender: MailSender;
  /** Ids of events whose handler completed (once per delivery). */
  handled: string[];
  publish(...envelopes: EventEnvelope[]): Promise<void>;
  /** Resolves once every one of these events was handled at least once. */
  handledAll(...envelopes: EventEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the real handlers on a real queue of a fresh exchange, over a fresh
 * database, with the real mail sender sending to `smtpUrl`.
 */
export async function startPipeline(prefix: string, smtpUrl: string): Promise<Pipeline> {
  const log = quietLogger("notifications");
  const db = await migratedDatabase(prefix);
  const broker = testBus(prefix);
  const events = await consumerHarness({
    broker,
    service: "notifications",
    handlers: createEventHandlers({ sql: db.sql, publicUrl: PUBLIC_URL, log }),
    log,
  });
  const transport = createSmtpTransport(smtpUrl, MAIL_DOMAIN);
  const sender = new MailSender({
    sql: db.sql,
    transport,
    from: FROM,
    log,
    pollMs: 50,
    retryBaseMs: 50,
    retryMaxMs: 400,
  });
  await sender.start();
  return {
    db,
    broker,
    consumer: events.consumer,
    publisher: events.publisher,
    sender,
    handled: events.handled,
    publish: events.publish,
    handledAll: events.handledAll,
    async close() {
      await sender.stop();
      // As main.ts does: the pool's open connections would otherwise outlive the test.
      transport.close?.();
      await settleAll([() => events.close(), () => broker.cleanup(), () => db.drop()]);
    },
  };
}

/** Mails in the outbox not sent yet. */
export async function pendingMails(sql: Sql): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`select count(*)::int as n from mail_outbox where status = 'pending'`;
  return row.n;
}

/** Asserts that both parts of a mail carry `link` (as an anchor in the HTML part). */
export function assertLink(mail: CapturedMail, link: string): void {
  assert.ok(mail.text.includes(link), `text part lacks ${link}:\n${mail.text}`);
  assert.ok(mail.html.includes(`href="${link}"`), `HTML part lacks a link to ${link}`);
}
