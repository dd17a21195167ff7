/**
 * The mail sender: sends what event handlers put in `mail_outbox`, over SMTP
 * (npm:nodemailer).
 *
 * Like shared/outbox.ts `OutboxRelay` it wakes on NOTIFY and polls as a fallback.
 * Unlike it, it does not hold a transaction while it talks to the SMTP server: it
 * claims one due row with a lease (`claimNextMail`), sends, then records the
 * outcome under its claim token. Each process runs `concurrency` such loops over
 * one pooled SMTP transport, so mails go out several at a time over connections
 * that are reused. Two loops, in one replica or in two, never claim the same row
 * (`for update skip locked` plus the lease); a replica that dies mid-send leaves
 * a row that becomes due again when its lease ends.
 *
 * SMTP is at-least-once at this boundary: if the process dies after the server
 * accepted a mail and before the row is marked sent, the mail goes out again.
 * The Message-ID is derived from (event id, recipient), so such a repeat carries
 * the same id as the first and mail systems and clients can treat it as one.
 *
 * Each send is a CLIENT span "send mail" continuing the traceparent stored with
 * the row (the consumer span of the event that queued it), so a trace runs on
 * from the event to the SMTP server although the send happens later, in another
 * loop. Without Deno's OpenTelemetry the span is a no-op.
 */
import { backoffDelay, LOOP_FAILURE_BACKOFF } from "@mp/shared/backoff";
import type { Sql } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { PollingLoop } from "@mp/shared/loop";
import { SpanKind, withSpan } from "@mp/shared/tracing";
import net from "node:net";
import nodemailer from "nodemailer";
import type { SMTPTransportGetSocket } from "nodemailer/lib/smtp-transport";
import {
  type ClaimedMail,
  claimNextMail,
  MAIL_CHANNEL,
  markMailFailed,
  markMailSent,
  releaseMail,
  scheduleMailRetry,
} from "./mail_outbox.ts";

/** A message as the sender hands it to the transport (nodemailer's field names). */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** What the sender needs of a transport; a nodemailer transporter is one. */
export interface MailTransport {
  sendMail(mail: OutgoingMail): Promise<unknown>;
  /** Closes idle pooled connections; call it once the sender has stopped. */
  close?(): void;
}

/** Send loops per process, and SMTP connections in the pool (`MAIL_SEND_CONCURRENCY`). */
export const DEFAULT_MAIL_CONCURRENCY = 4;

const CONNECTION_TIMEOUT_MS = 10_000;

/**
 * An SMTP transport for `url` (smtp://host:port, smtps://user:pass@host:port)
 * that keeps up to `maxConnections` connections open and reuses them; give it
 * the sender's `concurrency`, so every send loop has a connection and none waits
 * in the pool's queue. `heloName` is the name given in EHLO; passing it keeps
 * nodemailer from asking the OS for the hostname (which needs `--allow-sys`).
 * Timeouts are bounded so a hung server cannot outlast the lease of the row being
 * sent. Close it (`close()`) on shutdown.
 */
export function createSmtpTransport(
  url: string,
  heloName: string,
  maxConnections: number = DEFAULT_MAIL_CONCURRENCY,
): MailTransport {
  return nodemailer.createTransport({
    url,
    pool: true,
    maxConnections,
    // A fresh connection now and then: relays commonly cap messages per session,
    // and the pool would otherwise hold one session open for as long as mail flows.
    maxMessages: 100,
    name: heloName,
    // The pool opens each of its connections through this too (smtp-pool's
    // PoolResource.connect calls the transport's getSocket).
    getSocket: connectByName,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // The sender only sends what templates render; it never needs to load files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
}

/**
 * Opens the TCP connection by host name with node:net. Left to itself, nodemailer
 * resolves the name and connects to the address it got, which Deno checks against
 * `--allow-net` as an IP that is not known in advance (docker-compose assigns
 * them). Connecting by name keeps `--allow-net=<smtp host>:<port>` sufficient.
 * Nodemailer runs SMTP, STARTTLS or implicit TLS over the socket as usual.
 */
const connectByName: SMTPTransportGetSocket = (options, callback) => {
  const secure = options.secure === true;
  const socket = net.connect({
    host: options.host ?? "localhost",
    port: Number(options.port) || (secure ? 465 : 587),
  });
  let settled = false;
  const settle = (error: Error | null) => {
    if (settled) return;
    settled = true;
    socket.setTimeout(0);
    socket.off("error", settle);
    if (error) {
      socket.destroy();
      callback(error);
    } else {
      callback(null, { connection: socket });
    }
  };
  socket.setTimeout(CONNECTION_TIMEOUT_MS, () => {
    settle(Object.assign(new Error("Connection timeout"), { code: "ETIMEDOUT" }));
  });
  socket.once("error", settle);
  socket.once("connect", () => settle(null));
};

/**
 * `<hash@domain>` from (event id, recipient): the same mail always gets the same
 * Message-ID, across retries, replicas and restarts.
 */
export async function mailMessageId(
  eventId: string,
  recipient: string,
  domain: string,
): Promise<string> {
  const bytes = new TextEncoder().encode(`${eventId}\n${recipient.toLowerCase()}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest.slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `<${hex}@${domain}>`;
}

/** The domain of the address in a From value such as `Name <no-reply@example.com>`. */
export function addressDomain(from: string): string | undefined {
  return from.match(/@([A-Za-z0-9.-]+)>?\s*$/)?.[1];
}

/** Options of `MailSender`. */
export interface MailSenderOptions {
  sql: Sql;
  transport: MailTransport;
  /** The From header (`MAIL_FROM`); its domain also names Message-IDs. */
  from: string;
  log: Logger;
  /** Poll interval; NOTIFY wakes the sender sooner. */
  pollMs?: number;
  /** How long a claim keeps other senders off a row; longer than any one send. */
  leaseMs?: number;
  /** Delay before the first retry of a failed mail; doubles per attempt (less up to 20 % jitter). */
  retryBaseMs?: number;
  /** Longest delay between retries. */
  retryMaxMs?: number;
  /** On stop, how long a send in progress may take before it is aborted. */
  stopGraceMs?: number;
  /**
   * Send loops run at once, each claiming its own row; at most the transport's
   * pooled connections (`createSmtpTransport`'s `maxConnections`). Default 4.
   */
  concurrency?: number;
}

/** What one `sendOnce()` did. */
export type SendOutcome = "idle" | "sent" | "retry" | "failed";

/** Sends `mail_outbox` rows with several loops at once; safe with several replicas. */
export class MailSender {
  #loops: PollingLoop[] = [];
  #unlisten?: () => Promise<void>;
  #abort = new AbortController();
  readonly #domain: string;
  readonly #concurrency: number;

  constructor(private readonly options: MailSenderOptions) {
    this.#domain = addressDomain(options.from) ?? "localhost";
    this.#concurrency = options.concurrency ?? DEFAULT_MAIL_CONCURRENCY;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
  }

  /** Starts the send loops in the background. */
  async start(): Promise<void> {
    this.#abort = new AbortController();
    // Each loop claims its own row (skip locked); a NOTIFY wakes them all, and one
    // that arrives while a loop is claiming makes it look again, not wait for the poll.
    this.#loops = Array.from({ length: this.#concurrency }, () => this.#sendLoop());
    try {
      const { unlisten } = await this.options.sql.listen(MAIL_CHANNEL, () => {
        for (const loop of this.#loops) loop.wake();
      });
      this.#unlisten = unlisten;
    } catch (error) {
      this.options.log.warn("mail outbox listen failed, polling only", { error });
    }
    for (const loop of this.#loops) loop.start();
  }

  /**
   * Stops the loops. Sends in progress may finish within `stopGraceMs`; after
   * that they are aborted and their rows released for another sender. The
   * transport stays open: its owner closes it.
   */
  async stop(): Promise<void> {
    const timer = setTimeout(() => this.#abort.abort(), this.options.stopGraceMs ?? 5_000);
    try {
      await Promise.all(this.#loops.map((loop) => loop.stop()));
    } finally {
      clearTimeout(timer);
    }
    await this.#unlisten?.().catch(() => {});
    this.#unlisten = undefined;
  }

  /** Claims and sends at most one due mail. */
  async sendOnce(): Promise<SendOutcome> {
    const { sql, log, leaseMs = 120_000 } = this.options;
    const claim = crypto.randomUUID();
    const mail = await claimNextMail(sql, claim, leaseMs);
    if (!mail) return "idle";
    const messageId = await mailMessageId(mail.eventId, mail.recipient, this.#domain);
    const fields = { mailId: mail.id, eventId: mail.eventId, messageId, attempt: mail.attempts };
    try {
      // Under the row's traceparent, never the loop's context: a row without one
      // starts a trace of its own. Attributes name the mail, never its address.
      await withSpan("send mail", {
        kind: SpanKind.CLIENT,
        remoteParent: mail.traceparent,
        attributes: {
          "mail.template": mail.template,
          "mail.attempt": mail.attempts,
          "mail.outbox_id": mail.id,
          "mail.event_id": mail.eventId,
        },
      }, () =>
        this.options.transport.sendMail({
          from: this.options.from,
          to: mail.recipient,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId,
          // RFC 3834: keeps vacation responders from answering a no-reply address.
          headers: { "Auto-Submitted": "auto-generated" },
          signal: this.#abort.signal,
        }));
    } catch (error) {
      return await this.#failed(mail, claim, error, fields);
    }
    if (!(await markMailSent(sql, mail.id, claim))) {
      log.warn("mail sent after its lease ran out; another sender may send it again", fields);
    } else {
      log.info("mail sent", fields);
    }
    return "sent";
  }

  async #failed(
    mail: ClaimedMail,
    claim: string,
    error: unknown,
    fields: Record<string, unknown>,
  ): Promise<SendOutcome> {
    const { sql, log, retryBaseMs = 5_000, retryMaxMs = 15 * 60_000 } = this.options;
    const message = error instanceof Error ? error.message : String(error);
    if (this.#abort.signal.aborted) {
      await releaseMail(sql, mail.id, claim);
      log.info("mail send aborted by shutdown, released", fields);
      return "idle";
    }
    if (isRecipientRefused(error)) {
      await markMailFailed(sql, mail.id, claim, message);
      log.error("mail refused by the SMTP server, not retrying", { ...fields, error: message });
      return "failed";
    }
    // Jitter, so replicas do not retry in step.
    const delay = backoffDelay(
      { initialMs: retryBaseMs, maxMs: retryMaxMs, jitter: 0.2 },
      mail.attempts - 1,
    );
    await scheduleMailRetry(sql, mail.id, claim, delay, message);
    log.warn("mail send failed, will retry", {
      ...fields,
      retryInMs: Math.round(delay),
      error: message,
    });
    return "retry";
  }

  /** One send loop: keeps going while there is mail; after a failed send the server is likely down. */
  #sendLoop(): PollingLoop {
    const { log, pollMs = 1000 } = this.options;
    return new PollingLoop({
      tick: async () => {
        const outcome = await this.sendOnce();
        return outcome === "sent" || outcome === "failed"
          ? "busy"
          : outcome === "retry"
          ? "pause"
          : "idle";
      },
      intervalMs: pollMs,
      // The database is unreachable or similar; the rows are safe where they are.
      failureBackoff: LOOP_FAILURE_BACKOFF,
      onError: (error, failures) => log.warn("mail sender failed, retrying", { error, failures }),
    });
  }
}

/**
 * A permanent refusal of the recipient (5xx to RCPT TO): retrying cannot help.
 * Every other failure (connection refused, timeouts, 4xx, a 5xx to MAIL FROM from
 * a misconfigured relay) is retried, so a mail is never dropped for a problem on
 * our side.
 */
function isRecipientRefused(error: unknown): boolean {
  const e = error as { command?: string; permanent?: boolean } | null;
  return e?.command === "RCPT TO" && e.permanent === true;
}
