import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { startMailCatcher } from "./mail_catcher.ts";

async function sendMail(
  smtpUrl: string,
  mail: { to: string; subject: string; text: string; html: string },
) {
  const transport = nodemailer.createTransport(smtpUrl);
  try {
    await transport.sendMail({ from: "Marketplace <no-reply@marketplace.local>", ...mail });
  } finally {
    transport.close();
  }
}

Deno.test("the mail catcher keeps mails sent over SMTP and lists them as JSON, newest first", async () => {
  const catcher = await startMailCatcher({ smtpPort: 0, httpPort: 0 });
  try {
    await sendMail(catcher.smtpUrl, {
      to: "ada@example.com",
      subject: "First",
      text: "one",
      html: "<p>one</p>",
    });
    await sendMail(catcher.smtpUrl, {
      to: "bob@example.com",
      subject: "Verify your email",
      text: "Open http://localhost:8000/verify-email?token=abc&x=1 to verify.",
      html: '<p><a href="http://localhost:8000/verify-email?token=abc">Verify</a></p>',
    });
    const response = await fetch(`${catcher.webUrl}/api/mails`);
    const mails = await response.json();
    assert.equal(response.status, 200);
    assert.deepEqual(mails.map((m: { subject: string }) => m.subject), [
      "Verify your email",
      "First",
    ]);
    assert.deepEqual(mails[0].to, ["bob@example.com"]);
    assert.match(mails[0].from, /no-reply@marketplace\.local/);
    assert.match(mails[0].html, /verify-email\?token=abc/);
    assert.match(mails[0].text, /token=abc&x=1/);
    assert.equal(mails[0].id, 2);

    const one = await fetch(`${catcher.webUrl}/api/mails/1`);
    assert.equal((await one.json()).subject, "First");
    const missing = await fetch(`${catcher.webUrl}/api/mails/99`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
  } finally {
    await catcher.close();
  }
});

Deno.test("the mail catcher's page shows a mail's text with clickable links and its HTML sandboxed", async () => {
  const catcher = await startMailCatcher({ smtpPort: 0, httpPort: 0 });
  try {
    await sendMail(catcher.smtpUrl, {
      to: "eve@example.com",
      subject: "Reset <your> password",
      text: "Reset at http://localhost:8000/reset-password?token=t1&a=b now.",
      html: '<p>Reset</p><script>alert("x")</script>',
    });
    const list = await (await fetch(`${catcher.webUrl}/`)).text();
    assert.match(list, /Reset &lt;your&gt; password/);
    assert.match(list, /href="\/mails\/1"/);

    const page = await (await fetch(`${catcher.webUrl}/mails/1`)).text();
    assert.match(
      page,
      /<a href="http:\/\/localhost:8000\/reset-password\?token=t1&#38;a=b" target="_blank"/,
    );
    // The mail's HTML only appears escaped inside a sandboxed iframe's srcdoc.
    assert.match(
      page,
      /<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="[^"]*&lt;script&gt;/,
    );
    assert.doesNotMatch(page, /<script>/);
  } finally {
    await catcher.close();
  }
});

Deno.test("the mail catcher forgets every mail on DELETE /api/mails", async () => {
  const catcher = await startMailCatcher({ smtpPort: 0, httpPort: 0 });
  try {
    await sendMail(catcher.smtpUrl, { to: "a@example.com", subject: "x", text: "x", html: "" });
    const deleted = await fetch(`${catcher.webUrl}/api/mails`, { method: "DELETE" });
    assert.equal(deleted.status, 204);
    assert.deepEqual(await (await fetch(`${catcher.webUrl}/api/mails`)).json(), []);
    assert.deepEqual(catcher.mails(), []);
  } finally {
    await catcher.close();
  }
});
