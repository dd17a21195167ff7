/**
 * The mail sender against a real PostgreSQL database and real SMTP servers:
 * replicas, crashed senders, refused recipients, shutdown mid-send.
 */
import assert from "node:assert/strict";
import type { Sql } from "@mp/shared/db";
import { quietLogger, startSmtpCapture, waitFor } from "@mp/shared/testing";
// @ts-types="@types/smtp-server"
import { SMTPServer } from "smtp-server";
import { claimNextMail, enqueueMail, markMailSent, type NewMail } from "./mail_outbox.ts";
import { createSmtpTransport, mailMessageId, MailSender } from "./mail_sender.ts";
import { migratedDatabase } from "./test_support.ts";

const FROM = "Marketplace <no-reply@market.example>";

function newMail(recipient: string, eventId: string = crypto.randomUUID()): NewMail {
  return {
    eventId,
    recipient,
    template: "test",
    subject: `For ${recipient}`,
    text: "hello",
    html: "<p>hello</p>",
  };
}

async function enqueue(sql: Sql, mails: NewMail[]): Promise<void> {
  await sql.begin(async (tx) => {
    for (const mail of mails) await enqueueMail(tx, mail);
  });
}

function sender(
  sql: Sql,
  smtpUrl: string,
  extra: Partial<ConstructorParameters<typeof MailSender>[0]> = {},
) {
  return new MailSender({
    sql,
    transport: createSmtpTransport(smtpUrl, "market.example"),
    from: FROM,
    log: quietLogger("notifications"),
    pollMs: 50,
    retryBaseMs: 50,
    retryMaxMs: 200,
    ...extra,
  });
}

Deno.test("mailMessageId() is the same for one event and recipient, whatever the case, and differs otherwise", async () => {
  const event = crypto.randomUUID();
  const id = await mailMessageId(event, "Ada@Example.com", "market.example");
  assert.match(id, /^<[0-9a-f]{32}@market\.example>$/);
  assert.equal(await mailMessageId(event, "ada@example.com", "market.example"), id);
  assert.notEqual(await mailMessageId(event, "bob@example.com", "market.example"), id);
  assert.notEqual(
    await mailMessageId(crypto.randomUUID(), "ada@example.com", "market.example"),
    id,
  );
});

Deno.test("enqueueMail() keeps one row per event and recipient, ignoring the address's case", async () => {
  const db = await migratedDatabase("notif_enqueue");
  try {
    const event = crypto.randomUUID();
    await enqueue(db.sql, [newMail("ada@example.com", event), newMail("ADA@example.com", event)]);
    await enqueue(db.sql, [newMail("ada@example.com", event), newMail("bob@example.com", event)]);
    const rows = await db.sql`select recipient from mail_outbox order by recipient`;
    assert.deepEqual(rows.map((r) => r.recipient), ["ada@example.com", "bob@example.com"]);
  } finally {
    await db.drop();
  }
});

Deno.test("two senders over one database send each mail exactly once", async () => {
  const db = await migratedDatabase("notif_replicas");
  const smtp = await startSmtpCapture();
  const a = sender(db.sql, smtp.url);
  const b = sender(db.sql, smtp.url);
  try {
    const mails = Array.from({ length: 30 }, (_, i) => newMail(`user${i}@example.com`));
    await enqueue(db.sql, mails);
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => smtp.mails.length >= mails.length, { what: "all mails" });
    await waitFor(async () => {
      const [row] = await db.sql`select count(*)::int as n from mail_outbox where status = 'sent'`;
      return row.n === mails.length;
    }, { what: "all marked sent" });
    await a.stop();
    await b.stop();
    assert.equal(smtp.mails.length, mails.length);
    assert.equal(new Set(smtp.mails.map((m) => m.messageId)).size, mails.length);
    // Every row was claimed once: no sender ever held a row another had claimed.
    const attempts = await db.sql`select distinct attempts from mail_outbox`;
    assert.deepEqual(attempts.map((r) => r.attempts), [1]);
  } finally {
    await a.stop();
    await b.stop();
    await smtp.close();
    await db.drop();
  }
});

Deno.test("a mail claimed by a sender that died is sent by another once the lease runs out", async () => {
  const db = await migratedDatabase("notif_lease");
  const smtp = await startSmtpCapture();
  const survivor = sender(db.sql, smtp.url);
  try {
    await enqueue(db.sql, [newMail("ada@example.com")]);
    // The dead sender claimed the row with a short lease and never came back.
    const deadClaim = crypto.randomUUID();
    const claimed = await claimNextMail(db.sql, deadClaim, 300);
    assert.ok(claimed);
    // While the lease holds, nobody else may take the row.
    assert.equal(await claimNextMail(db.sql, crypto.randomUUID(), 300), undefined);

    await survivor.start();
    await smtp.waitForMail((m) => m.to.includes("ada@example.com"));
    await waitFor(async () => {
      const [row] = await db.sql`select status from mail_outbox`;
      return row.status === "sent";
    });
    const [row] = await db.sql`select attempts from mail_outbox`;
    assert.equal(row.attempts, 2);
    // The dead sender's claim can no longer complete the row.
    assert.equal(await markMailSent(db.sql, claimed.id, deadClaim), false);
    assert.equal(smtp.mails.length, 1);
  } finally {
    await survivor.stop();
    await smtp.close();
    await db.drop();
  }
});

Deno.test("a recipient the SMTP server refuses is marked failed and not retried; other mail still goes", async () => {
  const db = await migratedDatabase("notif_refused");
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith("gone@")) {
        const error = Object.assign(new Error("No such user"), { responseCode: 550 });
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      stream.on("end", () => {
        received.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as { port: number };
  const s = sender(db.sql, `smtp://127.0.0.1:${port}`);
  try {
    await enqueue(db.sql, [newMail("gone@example.com"), newMail("here@example.com")]);
    await s.start();
    await waitFor(async () => {
      const rows = await db.sql`select status from mail_outbox where status = 'pending'`;
      return rows.length === 0;
    }, { what: "both settled" });
    await s.stop();
    const rows = await db
      .sql`select recipient, status, attempts, last_error from mail_outbox order by recipient`;
    assert.equal(rows[0].recipient, "gone@example.com");
    assert.equal(rows[0].status, "failed");
    assert.equal(rows[0].attempts, 1);
    assert.match(rows[0].last_error, /550/);
    assert.equal(rows[1].status, "sent");
    assert.deepEqual(received, ["here@example.com"]);
  } finally {
    await s.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.drop();
  }
});

Deno.test("stop() aborts a send stuck on a hung SMTP server and gives the mail back untried", async () => {
  const db = await migratedDatabase("notif_stop");
  // A TCP server that accepts connections and never says a word.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const s = sender(db.sql, `smtp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`, {
    stopGraceMs: 100,
  });
  try {
    await enqueue(db.sql, [newMail("ada@example.com")]);
    await s.start();
    await waitFor(async () => {
      const [row] = await db.sql`select claim from mail_outbox`;
      return row.claim !== null && held.length > 0;
    }, { what: "send in progress" });
    await s.stop();
    const [row] = await db.sql`
      select status, attempts, claim, next_attempt_at <= now() as due from mail_outbox`;
    assert.deepEqual({ ...row }, { status: "pending", attempts: 0, claim: null, due: true });
  } finally {
    await s.stop();
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
    await db.drop();
  }
});
