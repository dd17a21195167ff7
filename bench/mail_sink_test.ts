import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { type SinkMail, startMailSink } from "./mail_sink.ts";

Deno.test("the mail sink takes nodemailer's mail, unstuffs dots, and hands each mail to listeners once", async () => {
  const sink = startMailSink();
  try {
    const got: SinkMail[] = [];
    const stop = sink.onMail((mail) => got.push(mail));
    const transport = nodemailer.createTransport({ url: sink.smtpUrl, name: "example.com" });
    const sentAt = performance.now();
    for (const n of [1, 2]) {
      await transport.sendMail({
        from: "Marketplace <no-reply@example.com>",
        to: "bob@example.com",
        subject: `Mail ${n}`,
        text: `.starts with a dot\nline ${n}\n`,
        html: `<p>héllo ${n}</p>`,
      });
    }
    while (got.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    assert.deepEqual(got.map((m) => m.subject), ["Mail 1", "Mail 2"]);
    assert.deepEqual(got[0].to, ["bob@example.com"]);
    assert.deepEqual(got[0].recipients, ["bob@example.com"]);
    assert.equal(got[1].text, ".starts with a dot\nline 2\n");
    assert.equal(got[1].html, "<p>héllo 2</p>");
    assert.ok(got[0].receivedAt > sentAt && got[1].receivedAt > got[0].receivedAt);
    assert.equal(sink.received, 2);
    // The catcher's JSON list, newest first, as seed() reads it.
    const list = await (await fetch(sink.apiUrl)).json();
    assert.deepEqual(list.map((m: SinkMail) => m.subject), ["Mail 2", "Mail 1"]);
  } finally {
    await sink.close();
  }
});
