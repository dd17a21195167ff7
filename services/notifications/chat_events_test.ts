/**
 * The unread reminder's text (pure): count and sender in subject and body, the
 * inbox link, and what a sender's name may not do (reach a header, become markup).
 */
import assert from "node:assert/strict";
import { CHAT_EVENTS, inboxLink, unreadReminderData, unreadReminderMail } from "./chat_events.ts";
import { CONSUMED_EVENTS } from "./events.ts";

const base = {
  conversationId: "6b0d6c52-0c1e-4d3a-9a47-5f0f7d2b8c11",
  senderUsername: "sam",
  unreadCount: 2,
  firstUnreadAt: new Date("2031-03-05T14:30:00Z"),
};
const url = "https://market.example/inbox/6b0d6c52-0c1e-4d3a-9a47-5f0f7d2b8c11";

Deno.test("unreadReminderMail() says how many messages from whom, and links to the conversation", () => {
  const mail = unreadReminderMail(base, url, { username: "ada" });
  assert.equal(mail.subject, "You have 2 unread messages from sam");
  assert.match(mail.text, /^Hi ada,/);
  assert.ok(mail.text.includes("You have 2 unread messages from sam."));
  assert.ok(mail.text.includes(url));
  assert.ok(mail.html.includes(`href="${url}"`));
  const one = unreadReminderMail({ ...base, unreadCount: 1 }, url, { username: "ada" });
  assert.equal(one.subject, "You have 1 unread message from sam");
});

Deno.test("unreadReminderMail() keeps a name outside auth's rule out of the subject and escapes it", () => {
  const hostile = "<img src=x onerror=alert(1)>\r\nBcc: x@evil.example";
  const mail = unreadReminderMail({ ...base, senderUsername: hostile }, url, {
    username: "ada",
  });
  assert.equal(mail.subject, "You have 2 unread messages");
  assert.ok(!mail.html.includes("<img"));
  assert.ok(mail.html.includes("&lt;img src=x onerror=alert(1)&gt;"));
  assert.ok(mail.text.includes(hostile));
});

Deno.test("inboxLink() encodes the id and trims the base's trailing slashes", () => {
  assert.equal(
    inboxLink("https://market.example//", "a/b?c#d"),
    "https://market.example/inbox/a%2Fb%3Fc%23d",
  );
});

Deno.test("chat.unread_reminder is consumed; parked data renders the same mail later", () => {
  assert.ok(CONSUMED_EVENTS.includes("chat.unread_reminder"));
  const spec = CHAT_EVENTS["chat.unread_reminder"];
  const event = {
    recipientId: "u1",
    senderId: "u2",
    ...base,
    firstUnreadAt: base.firstUnreadAt.toISOString(),
  };
  const now = spec.notices(spec.schema.parse(event), "https://market.example");
  const stored = JSON.parse(JSON.stringify(unreadReminderData.parse(event)));
  const later = spec.notices(spec.schema.parse(stored), "https://market.example");
  assert.deepEqual(
    later.map((n) => [n.userId, n.template, n.mail({ username: "ada" })]),
    now.map((n) => [n.userId, n.template, n.mail({ username: "ada" })]),
  );
  assert.equal(now[0].userId, "u1");
  assert.equal(now[0].template, "chat_unread_reminder");
});
