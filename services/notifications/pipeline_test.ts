/**
 * End to end inside the service: events published on a real RabbitMQ exchange the
 * way auth publishes them, consumed by the real handlers into a real PostgreSQL
 * database, sent by the real mail sender to a real SMTP server (smtp-server).
 */
import assert from "node:assert/strict";
import { type SmtpCapture, startSmtpCapture, waitFor } from "@mp/shared/testing";
import { mailMessageId } from "./mail_sender.ts";
import {
  assertLink,
  envelope,
  freePort,
  pendingMails,
  PUBLIC_URL,
  startPipeline,
  testToken,
  testUser,
} from "./test_support.ts";

const HOUR = 3_600_000;

Deno.test("auth events are mailed over SMTP and leave in-app notifications; redeliveries and poison are harmless", async (t) => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_pipeline", smtp.url);
  const mailTo = (email: string, subject: string) =>
    smtp.waitForMail((m) => m.to.includes(email) && m.subject === subject);
  try {
    await t.step(
      "each event type sends its mail (both parts, right link) and its in-app notification",
      async () => {
        const user = testUser("grace");
        const verificationToken = testToken();
        const resendToken = testToken();
        const resetToken = testToken();
        const now = new Date();
        const registered = envelope("user.registered", {
          ...user,
          country: "NZ",
          createdAt: now.toISOString(),
          verificationToken,
          verificationExpiresAt: new Date(now.getTime() + 24 * HOUR).toISOString(),
        }, now);
        const resent = envelope("user.email_verification_requested", {
          ...user,
          verificationToken: resendToken,
          verificationExpiresAt: new Date(now.getTime() + 24 * HOUR).toISOString(),
        }, now);
        const verified = envelope("user.email_verified", user);
        const reset = envelope("user.password_reset_requested", {
          ...user,
          resetToken,
          resetExpiresAt: new Date(now.getTime() + HOUR).toISOString(),
        }, now);
        const changed = envelope("user.password_changed", { ...user, via: "reset" });
        await p.publish(registered, resent, verified, reset, changed);

        const welcome = await mailTo(
          user.email,
          "Welcome to Marketplace: confirm your email address",
        );
        assert.deepEqual(welcome.to, [user.email]);
        assert.match(welcome.from, /^"?Marketplace"? <no-reply@market\.example>$/);
        assertLink(welcome, `${PUBLIC_URL}/verify-email?token=${verificationToken}`);
        assert.match(welcome.text, /Hi grace,/);
        assert.match(welcome.text, /expires in 24 hours/);
        assert.equal(
          welcome.messageId,
          await mailMessageId(registered.id, user.email, "market.example"),
        );

        const again = await mailTo(user.email, "Confirm your email address");
        assertLink(again, `${PUBLIC_URL}/verify-email?token=${resendToken}`);

        const confirmed = await mailTo(user.email, "Your email address is confirmed");
        assert.ok(confirmed.text.includes(user.email) && confirmed.html.includes(user.email));

        const resetMail = await mailTo(user.email, "Reset your password");
        assertLink(resetMail, `${PUBLIC_URL}/reset-password?token=${resetToken}`);
        assert.match(resetMail.text, /expires in an hour/);
        assert.match(resetMail.html, /expires in an hour/);

        const notice = await mailTo(user.email, "Your password was changed");
        assert.match(notice.text, /with a password reset link/);
        assert.match(notice.html, /<p[^>]*>.*was just changed/);

        for (const mail of [welcome, again, confirmed, resetMail, notice]) {
          assert.ok(mail.text.length > 0 && mail.html.startsWith("<!doctype html>"), mail.subject);
          assert.equal(mail.headers.get("auto-submitted"), "auto-generated");
        }
        const notifications = await p.db.sql`
        select type, event_id from notifications where user_id = ${user.userId} order by created_at, type`;
        assert.deepEqual(
          notifications.map((n) => [n.type, n.event_id]).sort(),
          [["email_verified", verified.id], ["password_changed", changed.id], [
            "welcome",
            registered.id,
          ]].sort(),
        );
        // Sent mails keep no copy of the one-time tokens.
        await waitFor(async () => (await pendingMails(p.db.sql)) === 0, { what: "outbox drained" });
        const [kept] = await p.db.sql`
        select count(*)::int as n from mail_outbox where text_body is not null or html_body is not null`;
        assert.equal(kept.n, 0);
      },
    );

    await t.step(
      "an event delivered twice, at once or later, sends one mail and one notification",
      async () => {
        const user = testUser("linus");
        const event = envelope("user.email_verified", user);
        await p.publish(event, event);
        await mailTo(user.email, "Your email address is confirmed");
        await p.publish(event);
        await waitFor(() => p.handled.filter((id) => id === event.id).length === 3, {
          what: "3 deliveries",
        });
        await waitFor(async () => (await pendingMails(p.db.sql)) === 0, { what: "outbox drained" });
        const messageId = await mailMessageId(event.id, user.email, "market.example");
        assert.equal(smtp.mails.filter((m) => m.messageId === messageId).length, 1);
        const [rows] = await p.db.sql`select
        (select count(*)::int from mail_outbox where event_id = ${event.id}) as mails,
        (select count(*)::int from notifications where event_id = ${event.id}) as notifications`;
        assert.deepEqual({ ...rows }, { mails: 1, notifications: 1 });
      },
    );

    await t.step(
      "a poison event goes to the dead-letter queue and later events are still processed",
      async () => {
        const user = testUser("mallory");
        const poison = envelope("user.registered", {
          userId: user.userId,
          email: "not an address",
        });
        const wrongVia = envelope("user.password_changed", { ...user, via: "telepathy" });
        const later = envelope("user.password_changed", { ...user, via: "change" });
        await p.publish(poison, wrongVia, later);
        const notice = await mailTo(user.email, "Your password was changed");
        assert.match(notice.text, /from your account settings/);
        await waitFor(async () => (await p.broker.messageCount(p.consumer.deadLetterQueue)) === 2, {
          what: "DLQ",
        });
        const dead = await p.broker.drainQueue(p.consumer.deadLetterQueue);
        assert.deepEqual(
          dead.map((m) => JSON.parse(m.body).id).sort(),
          [poison.id, wrongVia.id].sort(),
        );
        const [effects] = await p.db.sql`select
        (select count(*)::int from inbox where event_id in (${poison.id}, ${wrongVia.id})) as inbox,
        (select count(*)::int from mail_outbox where event_id in (${poison.id}, ${wrongVia.id})) as mails`;
        assert.deepEqual({ ...effects }, { inbox: 0, mails: 0 });
      },
    );
  } finally {
    await p.close();
    await smtp.close();
  }
});

Deno.test("a mail whose SMTP server is down when the event arrives is sent once the server is back", async () => {
  const port = freePort();
  const p = await startPipeline("notif_smtp_down", `smtp://127.0.0.1:${port}`);
  let smtp: SmtpCapture | undefined;
  try {
    const user = testUser("barbara");
    const resetToken = testToken();
    const event = envelope("user.password_reset_requested", {
      ...user,
      resetToken,
      resetExpiresAt: new Date(Date.now() + HOUR).toISOString(),
    });
    await p.publish(event);
    // The sender has tried and failed more than once, and kept the mail.
    await waitFor(async () => {
      const [row] = await p.db
        .sql`select attempts, last_error, status from mail_outbox where event_id = ${event.id}`;
      return row?.attempts >= 2 && row.last_error && row.status === "pending";
    }, { what: "failed attempts" });

    smtp = await startSmtpCapture(port);
    const mail = await smtp.waitForMail((m) => m.to.includes(user.email));
    assertLink(mail, `${PUBLIC_URL}/reset-password?token=${resetToken}`);
    await waitFor(async () => (await pendingMails(p.db.sql)) === 0, { what: "marked sent" });
    const [row] = await p.db
      .sql`select status, last_error from mail_outbox where event_id = ${event.id}`;
    assert.deepEqual({ ...row }, { status: "sent", last_error: null });
    assert.equal(smtp.mails.length, 1);
  } finally {
    await p.close();
    await smtp?.close();
  }
});
