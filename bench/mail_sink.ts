/**
 * A real SMTP server for benchmarks that follow mail: it notes when each mail
 * arrived (the end of its DATA), hands every mail to listeners as it arrives,
 * and serves the dev mail catcher's JSON list (`GET /api/mails`,
 * scripts/mail_catcher.ts) so `seed()` can read verification links from it.
 *
 * Why not npm:smtp-server (shared/testing's `startSmtpCapture`): it waits
 * 100 ms before greeting every connection (its "early talker" check, not
 * configurable), and notifications opens a connection per mail and sends one
 * at a time, so that pause alone caps the fleet at about 9 mails per second
 * and a benchmark would measure the capture server. This one answers at once
 * (or after `greetingDelayMs`, to model a slower server). It speaks the plain
 * SMTP that nodemailer needs: EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffed),
 * RSET, NOOP, QUIT; no TLS, no AUTH. Mails are parsed with npm:mailparser.
 * Also, `startSmtpCapture`'s `waitForMail` scans every kept mail for every
 * waiter on each arrival; here a listener sees each mail once.
 */
// @ts-types="@types/mailparser"
import { simpleParser } from "mailparser";
import { Buffer } from "node:buffer";
import { type CaughtMail, createMailApp } from "../scripts/mail_catcher.ts";

/** A mail as the sink received it. */
export interface SinkMail extends CaughtMail {
  /** `performance.now()` of this process when the end of the message's DATA arrived. */
  receivedAt: number;
  /** Envelope recipients (RCPT TO). */
  recipients: string[];
}

/** A running sink. */
export interface MailSink {
  /** `smtp://127.0.0.1:<port>`: the fleet's SMTP_URL. */
  smtpUrl: string;
  /** The mail catcher's JSON list (newest first), for `seed()`'s `mailApi`. */
  apiUrl: string;
  /** Mails received so far (all of them, also those no longer kept). */
  readonly received: number;
  /** Calls `listener` with every mail from now on; returns a function that stops it. */
  onMail(listener: (mail: SinkMail) => void): () => void;
  close(): Promise<void>;
}

/** Options of `startMailSink`. */
export interface MailSinkOptions {
  /** The newest mails kept for the JSON list. Default 1,000. */
  keep?: number;
  /** Pause before greeting each connection, as some servers do. Default 0. */
  greetingDelayMs?: number;
}

const encoder = new TextEncoder();
const CRLF = "\r\n";

/** Starts the sink on free ports of 127.0.0.1. */
export function startMailSink(options: MailSinkOptions = {}): MailSink {
  const keep = options.keep ?? 1_000;
  const kept: SinkMail[] = [];
  const listeners = new Set<(mail: SinkMail) => void>();
  const connections = new Set<Deno.Conn>();
  const parsing = new Set<Promise<void>>();
  let received = 0;

  const deliver = (raw: Uint8Array, recipients: string[], receivedAt: number) => {
    const id = ++received;
    const done = simpleParser(Buffer.from(raw)).then((parsed) => {
      const to = Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : [];
      const mail: SinkMail = {
        id,
        receivedAt,
        recipients,
        from: parsed.from?.text ?? "",
        to: to.flatMap((a) => a.value.map((v) => v.address ?? "")),
        subject: parsed.subject ?? "",
        date: parsed.date?.toISOString() ?? null,
        messageId: parsed.messageId ?? "",
        text: parsed.text ?? "",
        html: typeof parsed.html === "string" ? parsed.html : "",
      };
      kept.push(mail);
      if (kept.length > keep) kept.splice(0, kept.length - keep);
      for (const listener of listeners) listener(mail);
    }).catch(() => {/* an unparsable mail is dropped; the benchmark sees it missing */});
    parsing.add(done);
    done.finally(() => parsing.delete(done));
  };

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) {
      connections.add(conn);
      serve(conn, options.greetingDelayMs ?? 0, deliver)
        .catch(() => {/* a client that hangs up mid-session */})
        .finally(() => {
          connections.delete(conn);
          try {
            conn.close();
          } catch { /* already closed */ }
        });
    }
  })().catch(() => {/* the listener was closed */});

  const app = createMailApp(() => [...kept], () => kept.splice(0));
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    smtpUrl: `smtp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    apiUrl: `http://127.0.0.1:${http.addr.port}/api/mails`,
    get received() {
      return received;
    },
    onMail(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    async close() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await accepting;
      await Promise.all(parsing);
      await http.shutdown();
    },
  };
}

/** One SMTP session: commands line by line; DATA until a line with a single dot. */
async function serve(
  conn: Deno.Conn,
  greetingDelayMs: number,
  deliver: (raw: Uint8Array, recipients: string[], receivedAt: number) => void,
) {
  const reply = (line: string) => conn.write(encoder.encode(line + CRLF));
  if (greetingDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, greetingDelayMs));
  await reply("220 sink ESMTP");
  let recipients: string[] = [];
  let data: Uint8Array[] | undefined; // while receiving DATA: its lines, dot-unstuffed
  for await (const line of lines(conn)) {
    if (data) {
      if (line.length === 3 && line[0] === 0x2e && line[1] === 0x0d && line[2] === 0x0a) {
        deliver(concat(data), recipients, performance.now());
        data = undefined;
        recipients = [];
        await reply("250 OK: queued");
      } else {
        data.push(line[0] === 0x2e ? line.subarray(1) : line);
      }
      continue;
    }
    const command = new TextDecoder().decode(line).trim();
    const verb = command.slice(0, 4).toUpperCase();
    if (verb === "EHLO") await reply("250-sink" + CRLF + "250-8BITMIME" + CRLF + "250 SMTPUTF8");
    else if (verb === "HELO") await reply("250 sink");
    else if (verb === "MAIL") {
      recipients = [];
      await reply("250 Accepted");
    } else if (verb === "RCPT") {
      recipients.push(command.match(/<([^>]*)>/)?.[1] ?? "");
      await reply("250 Accepted");
    } else if (verb === "DATA") {
      data = [];
      await reply("354 End data with <CR><LF>.<CR><LF>");
    } else if (verb === "RSET") {
      recipients = [];
      await reply("250 Flushed");
    } else if (verb === "NOOP") await reply("250 OK");
    else if (verb === "QUIT") {
      await reply("221 Bye");
      return;
    } else await reply("502 Command not implemented");
  }
}

/** The lines of a connection, each with its line ending, as bytes. */
async function* lines(conn: Deno.Conn): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array = new Uint8Array(0);
  for await (const chunk of conn.readable) {
    pending = concat([pending, chunk]);
    let start = 0;
    for (let i = 0; i < pending.length; i++) {
      if (pending[i] === 0x0a) {
        yield pending.subarray(start, i + 1);
        start = i + 1;
      }
    }
    pending = pending.slice(start);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
