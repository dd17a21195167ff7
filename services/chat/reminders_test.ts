/**
 * Unread reminders and the two loops, on a real database and real Redis
 * presence keys. Time is moved by setting `remind_at` (the schedule the send
 * wrote is asserted first), never by waiting for a clock.
 */
import assert from "node:assert/strict";
import { closeRedis, connectRedis } from "@mp/shared/redis";
import { quietLogger, waitFor } from "@mp/shared/testing";
import { type ChatFixture, chatFixture } from "./test_support.ts";
import { redisPresence, remindOnce, startWorkers } from "./workers.ts";

const MINUTE = 60_000;

const schedule = async (f: ChatFixture, conversationId: string, userId: string) => {
  const [row] = await f.db.sql<{ remind_at: Date | null; reminded_at: Date | null }[]>`
    select remind_at, reminded_at from conversation_members
    where conversation_id = ${conversationId} and user_id = ${userId}`;
  return row;
};

/** Time passes: the reminder of `userId` in the conversation is due now. */
const due = (f: ChatFixture, conversationId: string, userId: string) =>
  f.db.sql`update conversation_members set remind_at = now() - interval '1 second'
    where conversation_id = ${conversationId} and user_id = ${userId}`;

const tick = (f: ChatFixture) => remindOnce({ sql: f.db.sql, online: f.online, recheckMs: MINUTE });

Deno.test("a message unread after CHAT_MAIL_DELAY_MINUTES by an offline recipient publishes one chat.unread_reminder per window", async () => {
  const f = await chatFixture("chat_remind");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob);
    const m1 = (await f.send(ada, id, { body: "are you there?" })).body.message;
    await f.send(ada, id, { body: "hello?" });
    // Due five minutes after the first unread message; nothing for the sender.
    assert.equal(
      (await schedule(f, id, bob.id)).remind_at?.getTime(),
      Date.parse(m1.createdAt) + 5 * MINUTE,
    );
    assert.equal((await schedule(f, id, ada.id)).remind_at, null);
    assert.equal(await tick(f), 0);
    assert.equal((await f.outbox("chat.unread_reminder")).length, 0);

    await due(f, id, bob.id);
    assert.equal(await tick(f), 1);
    const reminders = await f.outbox("chat.unread_reminder");
    assert.deepEqual(reminders.map((r) => r.data), [{
      recipientId: bob.id,
      conversationId: id,
      senderId: ada.id,
      senderUsername: "ada",
      unreadCount: 2,
      firstUnreadAt: m1.createdAt,
    }]);
    assert.equal(await tick(f), 0);

    // A later message: due no sooner than a window after the reminder.
    await f.send(ada, id, { body: "still waiting" });
    const after = await schedule(f, id, bob.id);
    assert.ok(after.reminded_at);
    assert.ok(after.remind_at!.getTime() >= after.reminded_at!.getTime() + 5 * MINUTE);
    assert.equal(await tick(f), 0);
    assert.equal((await f.outbox("chat.unread_reminder")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("no reminder while the recipient is online; one once they are offline with the message still unread", async () => {
  const f = await chatFixture("chat_remind_online");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob);
    await f.send(ada, id);
    await f.setOnline(bob, true);
    await due(f, id, bob.id);
    assert.equal(await tick(f), 1);
    assert.equal((await f.outbox("chat.unread_reminder")).length, 0);
    // Looked at again later, not forgotten.
    assert.ok((await schedule(f, id, bob.id)).remind_at!.getTime() > Date.now());

    await f.setOnline(bob, false);
    await due(f, id, bob.id);
    assert.equal(await tick(f), 1);
    assert.equal((await f.outbox("chat.unread_reminder")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("reading moves the reminder to the first message still unread, and reading all cancels it", async () => {
  const f = await chatFixture("chat_remind_read");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob);
    const m1 = (await f.send(ada, id, { body: "one" })).body.message;
    const m2 = (await f.send(ada, id, { body: "two" })).body.message;
    await f.call("POST", `/api/v1/conversations/${id}/read`, {
      token: bob.token,
      body: { upTo: m1.id },
    });
    assert.equal(
      (await schedule(f, id, bob.id)).remind_at?.getTime(),
      Date.parse(m2.createdAt) + 5 * MINUTE,
    );
    await f.call("POST", `/api/v1/conversations/${id}/read`, {
      token: bob.token,
      body: { upTo: m2.id },
    });
    assert.equal((await schedule(f, id, bob.id)).remind_at, null);

    // A reminder that falls due with nothing unread goes away quietly.
    await due(f, id, bob.id);
    assert.equal(await tick(f), 1);
    assert.equal((await schedule(f, id, bob.id)).remind_at, null);
    assert.equal((await f.outbox("chat.unread_reminder")).length, 0);
  } finally {
    await f.close();
  }
});

Deno.test("two replicas ticking at once publish one reminder", async () => {
  const f = await chatFixture("chat_remind_replicas");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob);
    await f.send(ada, id);
    await due(f, id, bob.id);
    const handled = await Promise.all([tick(f), tick(f), tick(f)]);
    assert.equal(handled.reduce((a, b) => a + b, 0), 1);
    assert.equal((await f.outbox("chat.unread_reminder")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("when Redis cannot answer, the recipient counts as offline", async () => {
  const log = quietLogger();
  // Nothing listens on port 1: every command fails at once.
  const broken = connectRedis("redis://127.0.0.1:1", log);
  try {
    assert.equal(await redisPresence(broken, "x:", log)(crypto.randomUUID()), false);
  } finally {
    await closeRedis(broken);
  }
});

Deno.test("the running loops remind and expire on their own", async () => {
  const f = await chatFixture("chat_loops", { mailDelayMs: 1 });
  const stop = startWorkers({
    sql: f.db.sql,
    log: quietLogger(),
    online: f.online,
    recheckMs: MINUTE,
    reminderPollMs: 50,
    expiryPollMs: 50,
  });
  try {
    const seller = await f.user("seller");
    const buyer = await f.user("buyer");
    const gigId = await f.gig(seller);
    const { id } = await f.start(buyer, seller, { message: "hi" });
    const reminder = await waitFor(async () => (await f.outbox("chat.unread_reminder"))[0]);
    assert.equal(reminder.data.recipientId, seller.id);

    const offer = (await f.call("POST", `/api/v1/conversations/${id}/offers`, {
      token: seller.token,
      body: f.offerBody(gigId),
    })).body.offer;
    await f.db.sql`update offers set expires_at = now() where id = ${offer.id}`;
    const expired = await waitFor(async () =>
      (await f.outbox("offer.updated")).find((e) => e.data.offer.status === "expired")
    );
    assert.equal(expired.data.offer.id, offer.id);
  } finally {
    await stop();
    await f.close();
  }
});

Deno.test("a reminder always names its sender: one known only from their token is in the directory, and a message of an unknown sender cannot exist", async () => {
  const f = await chatFixture("chat_remind_named");
  try {
    const bob = await f.user("bob");
    // No user.registered for this sender: only their verified token names them.
    const id = crypto.randomUUID();
    const cyd = { id, username: "cyd", token: await f.keys.sign({ sub: id, username: "cyd" }) };
    const { id: conversationId } = await f.start(cyd, bob, { message: "hi bob" });
    await due(f, conversationId, bob.id);
    assert.equal(await tick(f), 1);
    const [reminder] = await f.outbox("chat.unread_reminder");
    assert.equal(reminder.data.senderId, cyd.id);
    assert.equal(reminder.data.senderUsername, "cyd");

    // The directory key (migration 003) refuses a message whose sender it does not know.
    await assert.rejects(
      f.db.sql`insert into messages (id, conversation_id, sender_id, client_id, kind, body)
        values (${crypto.randomUUID()}, ${conversationId}, ${crypto.randomUUID()}, 'x', 'text',
          'ghost')`,
      (error: { code?: string }) => error.code === "23503",
    );
  } finally {
    await f.close();
  }
});
