/**
 * The mail sender against a real PostgreSQL database and real SMTP servers:
 * replicas, concurrent send loops over a pooled transport, crashed senders,
 * refused and failing mails, shutdown mid-send and while idle.
 */
import assert from "node:assert/strict";
import type { Sql } from "@mp/shared/db";
import { quietLogger, startSmtpCapture, waitFor } from "@mp/shared/testing";
// @ts-types="@types/smtp-server"
import { SMTPServer } from "smtp-server";
import { claimNextMail, enqueueMail, markMailSent, type NewMail } from "./mail_outbox.ts";
import {
  createSmtpTransport,
  mailMessageId,
  MailSender,
  type MailSenderOptions,
  type MailTransport,
} from "./mail_sender.ts";
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

/** A sender that owns its pooled transport and, like main.ts, closes it after stopping. */
class PooledSender extends MailSender {
  readonly #transport: MailTransport;

  constructor(options: MailSenderOptions) {
    super(options);
    this.#transport = options.transport;
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.#transport.close?.();
  }
}

function sender(sql: Sql, smtpUrl: string, extra: Partial<MailSenderOptions> = {}) {
  return new PooledSender({
    sql,
    transport: createSmtpTransport(smtpUrl, "market.example", extra.concurrency),
    from: FROM,
    log: quietLogger("notifications"),
    pollMs: 50,
    retryBaseMs: 50,
    retryMaxMs: 200,
    ...extra,
  });
}

/** What a `slowSmtpServer` saw. */
interface SmtpStats {
  /** Recipients of the messages accepted, one entry per message. */
  accepted: string[];
  /** DATA phases per recipient, accepted or not. */
  tries: Map<string, number>;
  /** Most DATA phases in progress at the same time. */
  maxInFlight: number;
  /** Connections opened, and those still open. */
  sessions: number;
  openSessions: number;
}

/**
 * A real SMTP server that holds every message `holdMs` before answering, so
 * concurrent sends overlap, and refuses the first DATA for each recipient in
 * `failFirst` with a transient 451.
 */
async function slowSmtpServer(holdMs: number, failFirst: string[] = []) {
  const stats: SmtpStats = {
    accepted: [],
    tries: new Map(),
    maxInFlight: 0,
    sessions: 0,
    openSessions: 0,
  };
  let inFlight = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onConnect(_session, callback) {
      stats.sessions++;
      stats.openSessions++;
      callback();
    },
    onClose() {
      stats.openSessions--;
    },
    onData(stream, session, callback) {
      const recipient = session.envelope.rcptTo[0].address;
      const tries = (stats.tries.get(recipient) ?? 0) + 1;
      stats.tries.set(recipient, tries);
      stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
      stream.on("end", () => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          inFlight--;
          if (failFirst.includes(recipient) && tries === 1) {
            return callback(Object.assign(new Error("Try again later"), { responseCode: 451 }));
          }
          stats.accepted.push(recipient);
          callback();
        }, holdMs);
        timers.add(timer);
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
      }),
  };
}

async function countByStatus(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql<{ status: string; n: number }[]>`
    select status, count(*)::int as n from mail_outbox group by status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Resolves with `value` after `ms`; `cancel()` clears the timer. */
function after<T>(ms: number, value: T): { promise: Promise<T>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(value), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
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

Deno.test("with concurrency 4, one NOTIFY wakes every loop and mails go out several at a time over a few reused connections, each once", async () => {
  const db = await migratedDatabase("notif_concurrent");
  const smtp = await slowSmtpServer(200);
  // No poll within the test: only the NOTIFY can wake the loops that went idle at start.
  const s = sender(db.sql, smtp.url, { concurrency: 4, pollMs: 60_000 });
  try {
    await s.start();
    // One transaction, so one NOTIFY (PostgreSQL folds identical ones) for all 20 mails.
    const mails = Array.from({ length: 20 }, (_, i) => newMail(`user${i}@example.com`));
    await enqueue(db.sql, mails);
    await waitFor(async () => (await countByStatus(db.sql)).sent === mails.length, {
      timeoutMs: 30_000,
      what: "all marked sent",
    });
    assert.deepEqual(
      [...smtp.stats.accepted].sort(),
      mails.map((m) => m.recipient).sort(),
      "every mail accepted exactly once",
    );
    const attempts = await db.sql`select distinct attempts from mail_outbox`;
    assert.deepEqual(attempts.map((r) => r.attempts), [1]);
    assert.ok(smtp.stats.maxInFlight > 1, `messages in flight at once: ${smtp.stats.maxInFlight}`);
    // Pooled: at most one connection per loop, not one per mail.
    assert.ok(smtp.stats.sessions <= 4, `SMTP sessions: ${smtp.stats.sessions}`);
  } finally {
    await s.stop();
    await smtp.close();
    await db.drop();
  }
});

Deno.test("with several loops, a mail whose send fails is retried and delivered once, like the rest", async () => {
  const db = await migratedDatabase("notif_concurrent_retry");
  const smtp = await slowSmtpServer(20, ["flaky@example.com"]);
  const s = sender(db.sql, smtp.url, { concurrency: 4 });
  try {
    const mails = [
      newMail("flaky@example.com"),
      ...Array.from({ length: 7 }, (_, i) => newMail(`user${i}@example.com`)),
    ];
    await enqueue(db.sql, mails);
    await s.start();
    await waitFor(async () => (await countByStatus(db.sql)).sent === mails.length, {
      timeoutMs: 30_000,
      what: "all marked sent",
    });
    assert.deepEqual(
      [...smtp.stats.accepted].sort(),
      mails.map((m) => m.recipient).sort(),
      "every mail accepted exactly once",
    );
    assert.equal(smtp.stats.tries.get("flaky@example.com"), 2);
    const rows = await db.sql`
      select recipient, attempts, last_error from mail_outbox order by recipient`;
    for (const row of rows) {
      const expected = row.recipient === "flaky@example.com" ? 2 : 1;
      assert.equal(row.attempts, expected, row.recipient);
      assert.equal(row.last_error, null, row.recipient);
    }
  } finally {
    await s.stop();
    await smtp.close();
    await db.drop();
  }
});

Deno.test("stop() with every loop idle returns without waiting for the poll, and the pool's connections close", async () => {
  const db = await migratedDatabase("notif_stop_idle");
  const smtp = await slowSmtpServer(0);
  const s = sender(db.sql, smtp.url, { concurrency: 4, pollMs: 60_000 });
  const hang = after(15_000, "still waiting");
  try {
    await s.start();
    // One mail, so the pool holds an open connection while the loops go idle.
    await enqueue(db.sql, [newMail("ada@example.com")]);
    await waitFor(async () => (await countByStatus(db.sql)).sent === 1, { what: "sent" });
    assert.equal(smtp.stats.openSessions, 1);

    // Far below the one-minute poll: stop() must wake all four waiting loops.
    const outcome = await Promise.race([s.stop().then(() => "stopped"), hang.promise]);
    assert.equal(outcome, "stopped");
    await waitFor(() => smtp.stats.openSessions === 0, { what: "SMTP connection closed" });

    // Stopped for good: a new mail stays in the outbox.
    await enqueue(db.sql, [newMail("bob@example.com")]);
    assert.deepEqual(await countByStatus(db.sql), { sent: 1, pending: 1 });
    assert.deepEqual(smtp.stats.accepted, ["ada@example.com"]);
  } finally {
    hang.cancel();
    await s.stop();
    await smtp.close();
    await db.drop();
  }
});
