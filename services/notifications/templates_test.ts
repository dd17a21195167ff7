import assert from "node:assert/strict";
import {
  describeDuration,
  emailVerifiedMail,
  escapeHtml,
  passwordChangedMail,
  passwordResetMail,
  tokenLink,
  verifyEmailMail,
  welcomeMail,
  welcomeNotification,
} from "./templates.ts";
import { addressDomain } from "./mail_sender.ts";

const HOUR = 3_600_000;

Deno.test("escapeHtml() turns markup and both quote kinds into entities", () => {
  assert.equal(
    escapeHtml(`<script>alert("x")</script> & 'y'`),
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;",
  );
});

Deno.test("every mail escapes a hostile username and address in HTML and keeps them readable in text", () => {
  const username = `<img src=x onerror="alert(1)">`;
  const email = `"><b>@example.com`;
  const url = "https://market.example/verify-email?token=abc";
  const mails = [
    welcomeMail({ username, verifyUrl: url, expiresIn: "24 hours" }),
    verifyEmailMail({ username, verifyUrl: url, expiresIn: "24 hours" }),
    emailVerifiedMail({ username, email }),
    passwordResetMail({ username, resetUrl: url, expiresIn: "an hour" }),
    passwordChangedMail({ username, email, via: "change" }),
  ];
  for (const mail of mails) {
    assert.ok(!mail.html.includes("<img"), mail.subject);
    assert.ok(!mail.html.includes("<b>"), mail.subject);
    assert.ok(mail.html.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"), mail.subject);
    assert.ok(mail.text.includes(username), mail.subject);
    // Subjects are fixed text: nothing a user chose can reach a header.
    assert.ok(!mail.subject.includes(username), mail.subject);
  }
});

Deno.test("a link's token is URL-encoded in the text part and attribute-escaped in the HTML part", () => {
  const link = tokenLink("https://market.example/", "reset-password", `a&b"c<d`);
  assert.equal(link, "https://market.example/reset-password?token=a%26b%22c%3Cd");
  const mail = passwordResetMail({ username: "ada", resetUrl: link, expiresIn: "an hour" });
  assert.ok(mail.text.includes(link));
  assert.ok(mail.html.includes(`href="${link}"`));
  // An & that survived encoding would still be escaped in the attribute.
  const withAmp = verifyEmailMail({
    username: "ada",
    verifyUrl: "https://x.example/?a=1&b=2",
    expiresIn: "an hour",
  });
  assert.ok(withAmp.html.includes(`href="https://x.example/?a=1&amp;b=2"`));
});

Deno.test("tokenLink() follows the contract with or without a trailing slash or a path prefix", () => {
  assert.equal(
    tokenLink("http://localhost:8000", "verify-email", "t0k"),
    "http://localhost:8000/verify-email?token=t0k",
  );
  assert.equal(
    tokenLink("http://localhost:8000/", "verify-email", "t0k"),
    "http://localhost:8000/verify-email?token=t0k",
  );
  assert.equal(
    tokenLink("https://x.example/app/", "reset-password", "t"),
    "https://x.example/app/reset-password?token=t",
  );
});

Deno.test("describeDuration() rounds the few milliseconds between event and expiry away", () => {
  assert.equal(describeDuration(HOUR - 3), "an hour");
  assert.equal(describeDuration(HOUR + 40), "an hour");
  assert.equal(describeDuration(24 * HOUR), "24 hours");
  assert.equal(describeDuration(72 * HOUR), "3 days");
  assert.equal(describeDuration(30 * 60_000), "30 minutes");
  assert.equal(describeDuration(90 * 60_000), "90 minutes");
  assert.equal(describeDuration(-5), "a minute");
});

Deno.test("the reset mail says when the link expires and the change notice says how the password changed", () => {
  const reset = passwordResetMail({
    username: "ada",
    resetUrl: "https://x.example/r",
    expiresIn: "an hour",
  });
  assert.match(reset.text, /expires in an hour/);
  assert.match(
    passwordChangedMail({ username: "a", email: "a@x.example", via: "reset" }).text,
    /reset link/,
  );
  assert.match(
    passwordChangedMail({ username: "a", email: "a@x.example", via: "change" }).text,
    /account settings/,
  );
});

Deno.test("welcomeNotification() names the user and the address the link went to", () => {
  const n = welcomeNotification({ username: "ada", email: "ada@example.com" });
  assert.equal(n.type, "welcome");
  assert.match(n.title, /ada/);
  assert.match(n.body, /ada@example\.com/);
});

Deno.test("addressDomain() finds the domain of a From value, bare or with a display name", () => {
  assert.equal(addressDomain("Marketplace <no-reply@marketplace.local>"), "marketplace.local");
  assert.equal(addressDomain("no-reply@example.com"), "example.com");
  assert.equal(addressDomain("Marketplace"), undefined);
});
