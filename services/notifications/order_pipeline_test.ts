/**
 * Order and review events end to end inside the service: published on a real
 * RabbitMQ exchange with every field the contract gives them, consumed by the real
 * handlers into a real PostgreSQL database, mailed by the real sender to a real
 * SMTP server. Recipients are addressed through the directory learned from
 * `user.registered`.
 */
import assert from "node:assert/strict";
import type { EventEnvelope } from "@mp/shared/bus";
import type { Sql } from "@mp/shared/db";
import { type CapturedMail, type SmtpCapture, startSmtpCapture, waitFor } from "@mp/shared/testing";
import { mailMessageId } from "./mail_sender.ts";
import {
  assertLink,
  MAIL_DOMAIN,
  orderEvents,
  pendingMails,
  type Pipeline,
  PUBLIC_URL,
  registeredEvent,
  reviewCreatedEvent,
  startPipeline,
  type TestOrder,
  testOrder,
  testUser,
} from "./test_support.ts";

type User = ReturnType<typeof testUser>;

/** The mail `event` caused for `user`: matched by its Message-ID, so by (event, recipient). */
async function mailOf(smtp: SmtpCapture, event: EventEnvelope, user: User): Promise<CapturedMail> {
  const messageId = await mailMessageId(event.id, user.email, MAIL_DOMAIN);
  return await smtp.waitForMail((mail) => mail.messageId === messageId);
}

/** Recipients of the mails an event put in the outbox, sorted. */
async function outboxRecipients(sql: Sql, event: EventEnvelope): Promise<string[]> {
  const rows = await sql<{ recipient: string }[]>`
    select recipient from mail_outbox where event_id = ${event.id} order by recipient`;
  return rows.map((row) => row.recipient);
}

/** `[userId, type, link]` of the in-app notifications an event left, sorted. */
async function notificationsOf(sql: Sql, event: EventEnvelope): Promise<string[][]> {
  const rows = await sql<{ user_id: string; type: string; link: string }[]>`
    select user_id, type, link from notifications where event_id = ${event.id}`;
  return rows.map((row) => [row.user_id, row.type, row.link]).sort();
}

const orderUrl = (order: TestOrder) => `${PUBLIC_URL}/orders/${order.orderId}`;
const orderPath = (order: TestOrder) => `/orders/${order.orderId}`;

/** Registers users the way auth announces them and waits until they are in the directory. */
async function register(p: Pipeline, ...users: User[]): Promise<void> {
  const events = users.map((user) => registeredEvent(user));
  await p.publish(...events);
  await p.handledAll(...events);
}

Deno.test("order and review events mail and notify exactly the right parties, with the order link", async (t) => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_orders", smtp.url);
  const buyer = testUser("bea");
  const seller = testUser("sam");
  const order = testOrder(buyer, seller);
  try {
    await register(p, buyer, seller);

    /** One case: an event, the subject each party's mail has, the in-app type each gets. */
    interface Case {
      event: EventEnvelope;
      buyer?: { subject: string; type: string };
      seller?: { subject: string; type: string };
      /** Checks of the mails' content beyond subject and link. */
      check?: (mails: { buyer?: CapturedMail; seller?: CapturedMail }) => void;
    }
    const cancellation = orderEvents.cancellationRequested(order, { requestedBy: "buyer" });
    const cases: Case[] = [
      {
        event: orderEvents.created(order),
        buyer: { subject: "Your order receipt", type: "order_placed" },
        seller: { subject: "You have a new order", type: "order_received" },
        check: ({ buyer: receipt, seller: newOrder }) => {
          for (const line of ["Package: Standard", "Price: $25.00", "Service fee: $2.50"]) {
            assert.ok(receipt!.text.includes(line), `receipt lacks ${line}:\n${receipt!.text}`);
          }
          assert.ok(receipt!.text.includes("Total: $27.50"));
          assert.ok(receipt!.html.includes("$27.50"));
          assert.ok(newOrder!.text.includes("Price: $25.00"));
          // The seller is not shown what the buyer pays the platform.
          assert.ok(!newOrder!.text.includes("$27.50") && !newOrder!.text.includes("$2.50"));
        },
      },
      {
        event: orderEvents.paid(order),
        buyer: { subject: "Payment received for your order", type: "payment_received" },
        seller: {
          subject: "Payment confirmed: start working on your order",
          type: "order_started",
        },
        check: ({ buyer: receipt, seller: start }) => {
          assert.match(receipt!.text, /payment of \$27\.50/);
          assert.match(start!.text, /Deliver by: Wed, Mar 5, 2031, 14:30 UTC/);
        },
      },
      {
        event: orderEvents.delivered(order),
        buyer: { subject: "Your order was delivered", type: "order_delivered" },
        check: ({ buyer: mail }) => assert.match(mail!.text, /automatically on Sat, Mar 8, 2031/),
      },
      {
        event: orderEvents.revisionRequested(order),
        seller: { subject: "The buyer asked for a revision", type: "revision_requested" },
      },
      {
        event: orderEvents.extensionRequested(order),
        buyer: { subject: "The seller asks for more time", type: "extension_requested" },
        check: ({ buyer: mail }) => {
          assert.match(mail!.text, /by 3 days/);
          assert.match(mail!.text, /The brief changed\./);
        },
      },
      {
        event: orderEvents.extensionAnswered(order, { approved: true }),
        seller: { subject: "Your extension request was approved", type: "extension_approved" },
      },
      {
        event: cancellation,
        seller: {
          subject: "A cancellation of your order was requested",
          type: "cancellation_requested",
        },
        check: ({ seller: mail }) => assert.match(mail!.text, /The buyer of .* asks to cancel/),
      },
      {
        event: orderEvents.completed(order),
        buyer: { subject: "Your order is complete", type: "order_completed" },
        seller: {
          subject: "Order complete: your earnings are released",
          type: "order_completed",
        },
        check: ({ seller: mail }) => assert.match(mail!.text, /Earnings: \$20\.00/),
      },
      {
        event: orderEvents.cancelled(order, {
          refund: { amount: 5000, currency: "JPY" },
          reason: "Cancelled by mutual agreement",
        }),
        buyer: { subject: "Your order was cancelled", type: "order_cancelled" },
        seller: { subject: "An order was cancelled", type: "order_cancelled" },
        check: ({ buyer: mail, seller: sellerMail }) => {
          assert.match(mail!.text, /A refund of ¥5,000 is on its way/);
          assert.match(mail!.text, /Reason: Cancelled by mutual agreement/);
          assert.ok(!sellerMail!.text.includes("refund"));
        },
      },
      {
        event: reviewCreatedEvent(order, "buyer_to_seller", { rating: 4 }),
        seller: { subject: "You received a new review", type: "review_received" },
        check: ({ seller: mail }) => {
          assert.match(mail!.text, /Your buyer left you a review: 4 stars out of 5\./);
          assert.match(mail!.text, /Great work, delivered early\./);
        },
      },
      {
        event: reviewCreatedEvent(order, "seller_to_buyer"),
        buyer: { subject: "You received a new review", type: "review_received" },
        check: ({ buyer: mail }) => assert.match(mail!.text, /Your seller left you a review/),
      },
    ];
    // The answer comes after the request it answers, as orders publishes them.
    const answer = orderEvents.cancellationAnswered(order, {
      requestId: (cancellation.data as { requestId: string }).requestId,
      accepted: false,
    });
    await p.publish(...cases.map((c) => c.event));
    await p.handledAll(cancellation);
    await p.publish(answer);
    cases.push({
      event: answer,
      buyer: { subject: "Your cancellation request was declined", type: "cancellation_declined" },
      check: ({ buyer: mail }) => assert.match(mail!.text, /The seller declined your request/),
    });

    for (const c of cases) {
      const to = [c.buyer && "buyer", c.seller && "seller"].filter(Boolean).join(" and ");
      await t.step(`${c.event.type} → ${to}`, async () => {
        const mails: { buyer?: CapturedMail; seller?: CapturedMail } = {};
        for (const [party, user] of [["buyer", buyer], ["seller", seller]] as const) {
          const expected = c[party];
          if (!expected) continue;
          const mail = await mailOf(smtp, c.event, user);
          mails[party] = mail;
          assert.deepEqual(mail.to, [user.email]);
          assert.equal(mail.subject, expected.subject);
          assert.ok(mail.text.startsWith(`Hi ${user.username},`), mail.text);
          assertLink(mail, orderUrl(order));
          assert.ok(mail.html.startsWith("<!doctype html>"));
          assert.equal(mail.headers.get("auto-submitted"), "auto-generated");
        }
        c.check?.(mails);
        // Nobody else got a mail or a notification for this event.
        const parties = [c.buyer && buyer, c.seller && seller].filter((u): u is User => !!u);
        assert.deepEqual(
          await outboxRecipients(p.db.sql, c.event),
          parties.map((u) => u.email).sort(),
        );
        assert.deepEqual(
          await notificationsOf(p.db.sql, c.event),
          [
            ...(c.buyer ? [[buyer.userId, c.buyer.type, orderPath(order)]] : []),
            ...(c.seller ? [[seller.userId, c.seller.type, orderPath(order)]] : []),
          ].sort(),
        );
      });
    }
    await waitFor(async () => (await pendingMails(p.db.sql)) === 0, { what: "outbox drained" });
  } finally {
    await p.close();
    await smtp.close();
  }
});

Deno.test("an order event delivered twice, at once and later, mails each party once", async () => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_orders_dup", smtp.url);
  try {
    const buyer = testUser("dora");
    const seller = testUser("dan");
    await register(p, buyer, seller);
    const event = orderEvents.created(testOrder(buyer, seller));
    await p.publish(event, event);
    await mailOf(smtp, event, buyer);
    await mailOf(smtp, event, seller);
    await p.publish(event);
    await waitFor(() => p.handled.filter((id) => id === event.id).length === 3, {
      what: "3 deliveries",
    });
    await waitFor(async () => (await pendingMails(p.db.sql)) === 0, { what: "outbox drained" });
    for (const user of [buyer, seller]) {
      const messageId = await mailMessageId(event.id, user.email, MAIL_DOMAIN);
      assert.equal(smtp.mails.filter((m) => m.messageId === messageId).length, 1, user.username);
    }
    assert.equal((await notificationsOf(p.db.sql, event)).length, 2);
  } finally {
    await p.close();
    await smtp.close();
  }
});

Deno.test("an order event for a user not registered yet notifies in-app at once and mails once they register", async () => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_orders_early", smtp.url);
  try {
    const buyer = testUser("erin");
    const seller = testUser("eve");
    await register(p, buyer);
    const order = testOrder(buyer, seller);
    const paid = orderEvents.paid(order);
    await p.publish(paid);

    // The known buyer is mailed; the unknown seller has the notification, the mail waits.
    await mailOf(smtp, paid, buyer);
    assert.deepEqual(
      await notificationsOf(p.db.sql, paid),
      [
        [buyer.userId, "payment_received", orderPath(order)],
        [seller.userId, "order_started", orderPath(order)],
      ].sort(),
    );
    assert.deepEqual(await outboxRecipients(p.db.sql, paid), [buyer.email]);
    const parked = await p.db.sql`select user_id, event_type from pending_mails`;
    assert.deepEqual(parked.map((r) => [r.user_id, r.event_type]), [[seller.userId, "order.paid"]]);

    // The seller's registration arrives (late): welcome mail and the parked one.
    const registration = registeredEvent(seller);
    await p.publish(registration);
    const welcome = await mailOf(smtp, registration, seller);
    assert.match(welcome.subject, /^Welcome/);
    const start = await mailOf(smtp, paid, seller);
    assert.equal(start.subject, "Payment confirmed: start working on your order");
    assert.ok(start.text.startsWith(`Hi ${seller.username},`));
    assertLink(start, orderUrl(order));
    assert.equal((await p.db.sql`select 1 from pending_mails`).length, 0);

    // Redeliveries of both change nothing.
    await p.publish(paid, registration);
    await waitFor(
      () => p.handled.filter((id) => id === paid.id || id === registration.id).length === 4,
      { what: "redeliveries handled" },
    );
    await waitFor(async () => (await pendingMails(p.db.sql)) === 0, { what: "outbox drained" });
    const ids = await Promise.all([
      mailMessageId(paid.id, buyer.email, MAIL_DOMAIN),
      mailMessageId(paid.id, seller.email, MAIL_DOMAIN),
      mailMessageId(registration.id, seller.email, MAIL_DOMAIN),
    ]);
    for (const id of ids) assert.equal(smtp.mails.filter((m) => m.messageId === id).length, 1);
    assert.equal((await notificationsOf(p.db.sql, paid)).length, 2);
  } finally {
    await p.close();
    await smtp.close();
  }
});

Deno.test("order events arriving together with their parties' registrations are each mailed exactly once", async () => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_orders_race", smtp.url);
  try {
    // Orders between fresh users, published in one batch with the registrations,
    // interleaved, so handlers for an order and its parties run at the same time.
    const pairs = Array.from({ length: 8 }, (_, i) => {
      const buyer = testUser(`b${i}`);
      const seller = testUser(`s${i}`);
      return { buyer, seller, created: orderEvents.created(testOrder(buyer, seller)) };
    });
    const batch = pairs.flatMap(({ buyer, seller, created }, i) =>
      i % 2 === 0
        ? [created, registeredEvent(buyer), registeredEvent(seller)]
        : [registeredEvent(seller), created, registeredEvent(buyer)]
    );
    await p.publish(...batch);
    for (const { buyer, seller, created } of pairs) {
      assert.equal((await mailOf(smtp, created, buyer)).subject, "Your order receipt");
      assert.equal((await mailOf(smtp, created, seller)).subject, "You have a new order");
    }
    await p.handledAll(...batch);
    await waitFor(async () => (await pendingMails(p.db.sql)) === 0, { what: "outbox drained" });
    assert.equal((await p.db.sql`select 1 from pending_mails`).length, 0);
    const [counts] = await p.db.sql`select
      (select count(*)::int from mail_outbox) as mails,
      (select count(*)::int from notifications) as notifications`;
    // Per pair: two welcome mails and two order mails; two welcome and two order notifications.
    assert.deepEqual({ ...counts }, { mails: 32, notifications: 32 });
    assert.equal(smtp.mails.length, 32);
  } finally {
    await p.close();
    await smtp.close();
  }
});

Deno.test("malformed order and review events go to the dead-letter queue and change nothing; later events flow", async () => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_orders_poison", smtp.url);
  try {
    const buyer = testUser("pat");
    const seller = testUser("pia");
    await register(p, buyer, seller);
    const order = testOrder(buyer, seller);
    const { sellerId: _, ...withoutSeller } = order;
    const poison = [
      {
        ...orderEvents.paid(order),
        data: { ...withoutSeller, total: { amount: 1, currency: "USD" } },
      },
      orderEvents.created(order, { total: { amount: 27.5, currency: "USD" } }),
      orderEvents.created(order, { price: { amount: 2500, currency: "usd" } }),
      orderEvents.cancellationRequested(order, { requestedBy: "admin" }),
      reviewCreatedEvent(order, "buyer_to_seller", { rating: 6 }),
      { ...orderEvents.delivered(order), data: "not an object" },
    ];
    const later = orderEvents.delivered(order);
    await p.publish(...poison, later);
    await mailOf(smtp, later, buyer);
    await waitFor(
      async () => (await p.broker.messageCount(p.consumer.deadLetterQueue)) === poison.length,
      { what: "DLQ" },
    );
    const dead = await p.broker.drainQueue(p.consumer.deadLetterQueue);
    assert.deepEqual(
      dead.map((m) => JSON.parse(m.body).id).sort(),
      poison.map((e) => e.id).sort(),
    );
    const ids = poison.map((e) => e.id);
    const [effects] = await p.db.sql`select
      (select count(*)::int from inbox where event_id = any(${ids}::uuid[])) as inbox,
      (select count(*)::int from mail_outbox where event_id = any(${ids}::uuid[])) as mails,
      (select count(*)::int from notifications where event_id = any(${ids}::uuid[])) as notifications,
      (select count(*)::int from pending_mails) as parked,
      (select count(*)::int from cancellation_requests) as requests`;
    assert.deepEqual({ ...effects }, {
      inbox: 0,
      mails: 0,
      notifications: 0,
      parked: 0,
      requests: 0,
    });
  } finally {
    await p.close();
    await smtp.close();
  }
});
