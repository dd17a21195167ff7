/**
 * A mail's send continues the trace of the event that queued it: the handler
 * stores the traceparent with the row (real RabbitMQ, PostgreSQL), and the sender
 * sends in a "send mail" span under it (a child process with Deno's
 * OpenTelemetry on, exporting to a receiver in this test, and a real SMTP server).
 */
import assert from "node:assert/strict";
import { startSmtpCapture, waitFor } from "@mp/shared/testing";
import { migratedDatabase, registeredEvent, startPipeline, testUser } from "./test_support.ts";

const TRACE = "0af7651916cd43dd8448eb211c80319c";
const HEADER = `00-${TRACE}-b7ad6b7169203331-01`;
const OTHER = "00-11111111111111111111111111111111-2222222222222222-01";

Deno.test("a mail is queued with the traceparent of its event; an invalid or missing one is stored as null", async () => {
  const smtp = await startSmtpCapture();
  const p = await startPipeline("notif_mail_trace", smtp.url);
  try {
    const traced = testUser("tracy");
    const garbled = testUser("garble");
    const bare = testUser("bare");
    const events = [registeredEvent(traced), registeredEvent(garbled), registeredEvent(bare)];
    await p.publisher.publish([
      { envelope: events[0], headers: { traceparent: HEADER } },
      { envelope: events[1], headers: { traceparent: `${HEADER}-not-w3c` } },
      { envelope: events[2], headers: {} },
    ]);
    // A bad header must not keep the mail from going out (the column refuses it).
    for (const user of [traced, garbled, bare]) {
      await smtp.waitForMail((m) => m.to.includes(user.email));
    }
    const rows = await p.db.sql<{ recipient: string; traceparent: string | null }[]>`
      select recipient, traceparent from mail_outbox`;
    const stored = new Map(rows.map((r) => [r.recipient, r.traceparent]));
    assert.equal(stored.get(traced.email), HEADER);
    assert.equal(stored.get(garbled.email), null);
    assert.equal(stored.get(bare.email), null);
  } finally {
    await p.close();
    await smtp.close();
  }
});

Deno.test("the mail_outbox column refuses a traceparent that is not W3C version 00", async () => {
  const db = await migratedDatabase("notif_mail_trace_col");
  try {
    const insert = (traceparent: string) =>
      db.sql`insert into mail_outbox
        (event_id, recipient, template, subject, text_body, html_body, traceparent)
        values (${crypto.randomUUID()}, 'a@example.com', 't', 's', 'x', 'y', ${traceparent})`;
    await insert(HEADER);
    for (const bad of ["junk", HEADER.toUpperCase(), `${HEADER} `]) {
      await assert.rejects(insert(bad), /check constraint/, bad);
    }
  } finally {
    await db.drop();
  }
});

// The sender with Deno's OpenTelemetry on: one mail queued under a span of
// TRACE, one outside any span, the loops started under an unrelated span.
const CHILD = `
import { connectDb } from "@mp/shared/db";
import { quietLogger } from "@mp/shared/testing";
import { withSpan } from "@mp/shared/tracing";
import { enqueueMail } from ${JSON.stringify(new URL("./mail_outbox.ts", import.meta.url).href)};
import { createSmtpTransport, MailSender } from ${
  JSON.stringify(new URL("./mail_sender.ts", import.meta.url).href)
};
const sql = connectDb(Deno.env.get("DATABASE_URL"));
const mail = (recipient, template) =>
  ({ eventId: crypto.randomUUID(), recipient, template, subject: "s", text: "t", html: "<p>t</p>" });
await withSpan("handle", { remoteParent: ${JSON.stringify(HEADER)} }, () =>
  sql.begin((tx) => enqueueMail(tx, mail("traced@example.com", "welcome"))));
await sql.begin((tx) => enqueueMail(tx, mail("untraced@example.com", "password_changed")));
const transport = createSmtpTransport(Deno.env.get("SMTP_URL"), "market.example");
const sender = new MailSender({ sql, transport, from: "M <no-reply@market.example>",
  log: quietLogger("notifications"), pollMs: 50 });
await withSpan("unrelated", { remoteParent: ${JSON.stringify(OTHER)} }, () => sender.start());
while ((await sql\`select count(*)::int as n from mail_outbox where status <> 'sent'\`)[0].n > 0) {
  await new Promise((r) => setTimeout(r, 50));
}
await sender.stop();
transport.close();
const rows = await sql\`select recipient, traceparent from mail_outbox\`;
await sql.end();
console.log(JSON.stringify(Object.fromEntries(rows.map((r) => [r.recipient, r.traceparent]))));
`;

/** An OTLP/HTTP (JSON) span as exported, with its attributes. */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** The part of an OTLP/JSON trace export read here. */
interface OtlpExport {
  resourceSpans: {
    scopeSpans: {
      spans: (Omit<ExportedSpan, "attributes" | "parentSpanId"> & {
        parentSpanId?: string;
        attributes?: { key: string; value: Record<string, unknown> }[];
      })[];
    }[];
  }[];
}

/** A local OTLP/HTTP receiver keeping the raw trace exports too (to search them). */
async function otlpReceiver() {
  const bodies: string[] = [];
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: resolve }, async (req) => {
    const body = await req.text();
    if (new URL(req.url).pathname === "/v1/traces") bodies.push(body);
    return Response.json({});
  });
  const address = await promise;
  return {
    url: `http://127.0.0.1:${address.port}`,
    bodies,
    spans(): ExportedSpan[] {
      return bodies.flatMap((body) =>
        (JSON.parse(body) as OtlpExport).resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((scope) =>
            scope.spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? "",
              name: span.name,
              kind: span.kind,
              attributes: Object.fromEntries(
                (span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]),
              ),
            }))
          )
        )
      );
    },
    close: () => server.shutdown(),
  };
}

Deno.test("with OTel on, each mail is sent in a CLIENT span under its stored traceparent, never the loop's", async () => {
  const receiver = await otlpReceiver();
  const smtp = await startSmtpCapture();
  const db = await migratedDatabase("notif_mail_span");
  try {
    const root = new URL("../..", import.meta.url).pathname;
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", CHILD],
      cwd: root,
      env: {
        OTEL_DENO: "true",
        OTEL_SERVICE_NAME: "notifications",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        DATABASE_URL: db.url,
        SMTP_URL: smtp.url,
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
    const stored = JSON.parse(new TextDecoder().decode(child.stdout).trim().split("\n").at(-1)!);
    assert.equal(smtp.mails.length, 2);
    // Queued under a span of TRACE: the row names that span (not HEADER's, its parent).
    const queued = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(stored["traced@example.com"])!;
    assert.ok(queued, stored["traced@example.com"]);
    assert.equal(queued[1], TRACE);
    assert.equal(stored["untraced@example.com"], null);

    // The child flushes its spans as it exits; allow for an export still arriving.
    const sends = await waitFor(() => {
      const found = receiver.spans().filter((s) => s.name === "send mail");
      return found.length >= 2 ? found : undefined;
    }, { what: "both send spans" });
    const traced = sends.find((s) => s.attributes["mail.template"] === "welcome")!;
    const untraced = sends.find((s) => s.attributes["mail.template"] === "password_changed")!;
    assert.equal(traced.kind, 3, "a CLIENT span");
    assert.equal(traced.traceId, TRACE);
    assert.equal(traced.parentSpanId, queued[2], "a child of the span that queued the mail");
    assert.equal(String(traced.attributes["mail.attempt"]), "1");
    // No stored traceparent: a trace of its own, not the unrelated span the loops started in.
    assert.equal(untraced.parentSpanId, "");
    assert.notEqual(untraced.traceId, TRACE);
    assert.notEqual(untraced.traceId, OTHER.slice(3, 35));
    // The address is personal data: no exported span carries it.
    assert.ok(!receiver.bodies.some((b) => b.includes("@example.com")), "no address in spans");
  } finally {
    await db.drop();
    await smtp.close();
    await receiver.close();
  }
});
