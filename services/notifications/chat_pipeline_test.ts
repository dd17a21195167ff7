/**
 * Chat's unread reminders and `notification.created`, end to end inside the
 * service: events published on a real RabbitMQ exchange, consumed by the real
 * handlers into a real PostgreSQL database, mails sent by the real sender to a
 * real SMTP server, and the event outbox published by the kit's real relay to
 * the exchange, where a stand-in for the realtime edge consumes it.
 */
import assert from "node:assert/strict";
import type { EventEnvelope } from "@mp/shared/bus";
import { OutboxRelay } from "@mp/shared/outbox";
import {
  type CapturedMail,
  consumerHarness,
  quietLogger,
  type SmtpCapture,
  startSmtpCapture,
  waitFor,
} from "@mp/shared/testing";
import { mailMessageId } from "./mail_sender.ts";
import { listNotifications, type NotificationCreated } from "./store.ts";
import {
  assertLink,
  envelope,
  MAIL_DOMAIN,
  orderEvents,
  pendingMails,
  type Pipeline,
  PUBLIC_URL,
  registeredEvent,
  startPipeline,
  testOrder,
  testUser,
} from "./test_support.ts";

type User = ReturnType<typeof testUser>;

/** `chat.unread_reminder` with every field of chat's contract. */
function reminder(
  recipient: { userId: string },
  extra: Record<string, unknown> = {},
): EventEnvelope {
  return envelope("chat.unread_reminder", {
    recipientId: recipient.userId,
    conversationId: crypto.randomUUID(),
    senderId: crypto.randomUUID(),
    senderUsername: "sam",
    unreadCount: 3,
    firstUnreadAt: "2031-03-05T14:30:00.000Z",
    ...extra,
  });
}

async function mailOf(smtp: SmtpCapture, event: EventEnvelope, user: User): Promise<CapturedMail> {
  const messageId = await mailMessageId(event.id, user.email, MAIL_DOMAIN);
  return await smtp.waitForMail((mail) => mail.messageId === messageId);
}

async function register(p: Pipeline, ...users: User[]): Promise<void> {
  const events = users.map((user) => registeredEvent(user));
  await p.publish(...events);
  await p.handledAll(...events);
}

const conversationOf = (event: EventEnvelope) =>
  (event.data as { conversationId: string }).conversationId;

Deno.test("chat.unread_reminder mails its recipient once per event id, with the inbox link", async (t) => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_chat", smtp.url);
  try {
    const ada = testUser("ada");
    await register(p, ada);

    await t.step("the mail: count, sender, link to the conversation, Message-ID", async () => {
      const event = reminder(ada);
      await p.publish(event);
      const mail = await mailOf(smtp, event, ada);
      assert.deepEqual(mail.to, [ada.email]);
      assert.equal(mail.subject, "You have 3 unread messages from sam");
      assert.match(mail.text, /Hi ada,/);
      assert.match(mail.text, /You have 3 unread messages from sam\./);
      assert.match(mail.text, /Wed, Mar 5, 2031, 14:30 UTC/);
      assertLink(mail, `${PUBLIC_URL}/inbox/${conversationOf(event)}`);
      // Mail only: no in-app notification for a reminder.
      const [row] = await p.db.sql`
        select count(*)::int as n from notifications where event_id = ${event.id}`;
      assert.equal(row.n, 0);
    });

    await t.step("one message reads in the singular", async () => {
      const event = reminder(ada, { unreadCount: 1, senderUsername: "bea_2" });
      await p.publish(event);
      const mail = await mailOf(smtp, event, ada);
      assert.equal(mail.subject, "You have 1 unread message from bea_2");
    });

    await t.step("a redelivered reminder is mailed once; a new event id mails again", async () => {
      const event = reminder(ada);
      await p.publish(event);
      await mailOf(smtp, event, ada);
      await p.publish(event);
      await waitFor(() => p.handled.filter((id) => id === event.id).length === 2, {
        what: "redelivery handled",
      });
      const next = { ...event, id: crypto.randomUUID() };
      await p.publish(next);
      const second = await mailOf(smtp, next, ada);
      assertLink(second, `${PUBLIC_URL}/inbox/${conversationOf(event)}`);
      await waitFor(async () => (await pendingMails(p.db.sql)) === 0, { what: "outbox drained" });
      const [rows] = await p.db.sql`
        select count(*)::int as n from mail_outbox where event_id = ${event.id}`;
      assert.equal(rows.n, 1);
      const messageId = await mailMessageId(event.id, ada.email, MAIL_DOMAIN);
      assert.equal(smtp.mails.filter((m) => m.messageId === messageId).length, 1);
    });

    await t.step("a recipient not known yet gets the mail once they register", async () => {
      const late = testUser("lin");
      const event = reminder(late);
      await p.publish(event);
      await p.handledAll(event);
      const [parked] = await p.db.sql`
        select count(*)::int as n from pending_mails where event_id = ${event.id}`;
      assert.equal(parked.n, 1);
      await register(p, late);
      const mail = await mailOf(smtp, event, late);
      assert.match(mail.text, /Hi lin,/);
      assertLink(mail, `${PUBLIC_URL}/inbox/${conversationOf(event)}`);
    });

    await t.step("a reminder without its fields is dead-lettered and mails nothing", async () => {
      const bad = [
        reminder(ada, { unreadCount: 0 }),
        envelope("chat.unread_reminder", { recipientId: ada.userId }),
      ];
      await p.publish(...bad);
      await waitFor(
        async () => (await p.broker.messageCount(p.consumer.deadLetterQueue)) === 2,
        { what: "two dead letters" },
      );
      const [rows] = await p.db.sql`
        select count(*)::int as n from mail_outbox where event_id = any(${bad.map((e) => e.id)})`;
      assert.equal(rows.n, 0);
      // Judged by the bad events' own Message-IDs: a mail of an earlier step (the late
      // registration's) may still arrive during this one, so a total count would flake.
      for (const event of bad) {
        const messageId = await mailMessageId(event.id, ada.email, MAIL_DOMAIN);
        assert.equal(smtp.mails.filter((m) => m.messageId === messageId).length, 0);
      }
    });
  } finally {
    await p.close();
    await smtp.close();
  }
});

Deno.test("every in-app notification is published as notification.created, as the REST API shows it", async () => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_created", smtp.url);
  const log = quietLogger("notifications");
  // The kit's relay, as main.ts runs it with `publishes: true`.
  const relay = new OutboxRelay({ sql: p.db.sql, bus: p.consumer, log, pollMs: 50 });
  const received: EventEnvelope<NotificationCreated>[] = [];
  const realtime = await consumerHarness({
    broker: p.broker,
    service: "realtime_probe",
    log,
    handlers: {
      "notification.created": (event) => {
        received.push(event as EventEnvelope<NotificationCreated>);
        return Promise.resolve();
      },
    },
  });
  await relay.start();
  try {
    const buyer = testUser("bea");
    const seller = testUser("sam");
    await register(p, buyer, seller);
    const order = testOrder(buyer, seller);
    const created = orderEvents.created(order);
    const paid = orderEvents.paid(order);
    await p.publish(created, paid);
    await p.handledAll(created, paid);
    // A redelivery creates no notification, so publishes nothing.
    await p.publish(created);
    await waitFor(() => p.handled.filter((id) => id === created.id).length === 2, {
      what: "redelivery handled",
    });
    // Two welcomes and two per order event: six notifications.
    const [count] = await p.db.sql`select count(*)::int as n from notifications`;
    assert.equal(count.n, 6);
    await waitFor(() => received.length === 6, { what: "six notification.created" });

    for (const user of [buyer, seller]) {
      const page = await listNotifications(p.db.sql, user.userId, {
        page: 1,
        limit: 50,
        unreadOnly: false,
      });
      assert.equal(page.items.length, 3);
      const published = received.filter((e) => e.data.userId === user.userId)
        .map((e) => e.data.notification)
        .sort((a, b) => a.id < b.id ? -1 : 1);
      const shown = [...page.items].sort((a, b) => a.id < b.id ? -1 : 1);
      assert.deepEqual(published, shown);
    }
    assert.deepEqual(
      received.map((e) => Object.keys(e.data).sort()),
      received.map(() => ["notification", "userId"]),
    );
    // The outbox rows are what was published: one per notification, all sent. The relay
    // marks a row sent in the transaction that publishes it, so a consumer may see the
    // event a moment before that commit: wait for it.
    const outbox = await waitFor(async () => {
      const [row] = await p.db.sql`
        select count(*)::int as n, count(published_at)::int as sent from outbox
        where type = 'notification.created'`;
      return row.sent === 6 ? row : undefined;
    }, { what: "six outbox rows marked sent" });
    assert.deepEqual({ ...outbox }, { n: 6, sent: 6 });
    assert.equal(new Set(received.map((e) => e.id)).size, 6);
  } finally {
    await relay.stop();
    await realtime.close();
    await p.close();
    await smtp.close();
  }
});
