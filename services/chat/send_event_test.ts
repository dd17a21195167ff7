/**
 * A text message's `message.sent` is written in SQL (migration 006's
 * `chat_send_message`), not by `enqueueEvent` (shared/outbox.ts). These tests
 * keep the two in step: the row the function writes must be the row
 * `publish.messageSent` writes for the same message (every column of the outbox
 * table, headers included), and the relay must be woken by it and publish the
 * envelope consumers expect. A change of the outbox table, its NOTIFY channel,
 * the header rule or the message view that the SQL does not follow fails here.
 */
import assert from "node:assert/strict";
import { EventBus, type EventEnvelope, type EventHeaders } from "@mp/shared/bus";
import { runWithContext } from "@mp/shared/log";
import { OutboxRelay } from "@mp/shared/outbox";
import { quietLogger, waitFor } from "@mp/shared/testing";
import { publish } from "./events.ts";
import type { MessageView } from "./store.ts";
import { type ChatFixture, chatFixture, type TestUser } from "./test_support.ts";

type OutboxRow = Record<string, unknown> & { id: string; headers: EventHeaders };

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async function outboxRow(f: ChatFixture, where: { eventId?: string; messageId?: string }) {
  const rows = await f.db.sql<OutboxRow[]>`select * from outbox
    where ${
    where.eventId
      ? f.db.sql`id = ${where.eventId}`
      : f.db.sql`type = 'message.sent' and data->'message'->>'id' = ${where.messageId!}`
  }`;
  assert.equal(rows.length, 1, `one outbox row for ${JSON.stringify(where)}`);
  return rows[0];
}

/**
 * Asserts that the row the send wrote equals, column by column, the row
 * `publish.messageSent` writes for the same message in the same request context;
 * answers the send's row.
 */
async function assertSameAsTypeScript(
  f: ChatFixture,
  message: MessageView,
  recipient: TestUser,
) {
  const written = await outboxRow(f, { messageId: message.id });
  // The REST answer and the pushed message are the same object.
  assert.deepEqual((written.data as { message: unknown }).message, message);
  const context = {
    requestId: written.headers["x-request-id"]!,
    traceparent: written.headers.traceparent,
  };
  const envelope = await runWithContext(
    context,
    () => f.db.sql.begin((tx) => publish.messageSent(tx, { message, recipientId: recipient.id })),
  );
  const reference = await outboxRow(f, { eventId: envelope.id });
  assert.deepEqual(Object.keys(written).sort(), Object.keys(reference).sort());
  // What differs by nature: the row's place, the event's id and when it was written.
  const own = new Set(["seq", "id", "occurred_at"]);
  for (const column of Object.keys(reference).filter((name) => !own.has(name))) {
    assert.deepEqual(written[column], reference[column], `outbox.${column}`);
  }
  // The event happened when the message was stored.
  assert.equal((written.occurred_at as Date).toISOString(), message.createdAt);
  assert.match(written.id, /^[0-9a-f-]{36}$/);
  assert.notEqual(written.id, message.id);
  // The reference row was only for comparing: one event per message stays.
  await f.db.sql`delete from outbox where id = ${reference.id}`;
  return written;
}

Deno.test("a text message's message.sent row is the one publish.messageSent writes for it, headers included", async () => {
  const f = await chatFixture("chat_send_event");
  try {
    const ada = await f.user("Ada");
    const bob = await f.user("Bob");
    const gigId = await f.gig(bob);
    const orderId = crypto.randomUUID();
    await f.deliver("order.created", {
      orderId,
      buyerId: ada.id,
      sellerId: bob.id,
      offerId: null,
    });

    // The first message of a new conversation: the function inside the route's transaction.
    const started = await f.call("POST", "/api/v1/conversations", {
      token: ada.token,
      body: { recipient: bob.username, message: "Hi Bob" },
      headers: { "x-request-id": "req-start-1" },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const conversationId = started.body.conversation.id as string;
    const first = started.body.conversation.lastMessage as MessageView;
    assert.deepEqual((await assertSameAsTypeScript(f, first, bob)).headers, {
      "x-request-id": "req-start-1",
    });

    // A send on its own (one statement), with every optional field and a trace.
    const full = await f.call("POST", `/api/v1/conversations/${conversationId}/messages`, {
      token: ada.token,
      body: {
        clientId: "full-1",
        body: 'Line one\nLine "two" — with ünïcode and a tab\t.',
        attachments: [
          { url: "https://files.example.com/brief.pdf", name: "brief.pdf", size: 1024 },
          {
            url: "https://files.example.com/r%C3%A9sum%C3%A9.pdf?v=2",
            name: 'résumé "final".pdf',
            size: 1,
          },
        ],
        gigId,
        orderId,
      },
      headers: { "x-request-id": "req-send-1", traceparent: TRACEPARENT },
    });
    assert.equal(full.status, 201, JSON.stringify(full.body));
    assert.deepEqual((await assertSameAsTypeScript(f, full.body.message, bob)).headers, {
      "x-request-id": "req-send-1",
      traceparent: TRACEPARENT,
    });

    // The other way, no context fields, no request id given (the service makes one).
    const reply = await f.send(bob, conversationId, { body: "Hello Ada" });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.message.gigId, null);
    await assertSameAsTypeScript(f, reply.body.message, ada);

    // A retried clientId answers the first message and enqueues nothing more.
    const before = (await f.outbox("message.sent")).length;
    const again = await f.call("POST", `/api/v1/conversations/${conversationId}/messages`, {
      token: ada.token,
      body: { clientId: "full-1", body: "different" },
    });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.message, full.body.message);
    assert.equal((await f.outbox("message.sent")).length, before);
  } finally {
    await f.close();
  }
});

Deno.test("a refused send writes no event; a send wakes the relay at once, which publishes the envelope consumers get", async () => {
  const f = await chatFixture("chat_send_relay");
  const log = quietLogger("chat");
  // A poll far longer than the test may wait: only the send's NOTIFY can wake it in time.
  const relay = new OutboxRelay({ sql: f.db.sql, bus: f.events.publisher, log, pollMs: 600_000 });
  const probe = new EventBus({
    url: f.broker.url,
    exchange: f.broker.exchange,
    service: "probe",
    log,
  });
  f.broker.own(probe.queue, probe.deadLetterQueue);
  const received: { envelope: EventEnvelope; headers: EventHeaders }[] = [];
  try {
    await relay.start();
    await probe.start();
    const ada = await f.user("Ada");
    const bob = await f.user("Bob");
    const { id } = await f.start(ada, bob);
    await probe.consume({
      "message.sent": (envelope, headers) => {
        received.push({ envelope, headers });
        return Promise.resolve();
      },
    });

    const blocked = await f.call("POST", `/api/v1/conversations/${id}/block`, { token: bob.token });
    assert.equal(blocked.status, 200);
    const counts = await f.counts();
    const refused = await f.send(ada, id);
    assert.equal(refused.status, 403);
    assert.deepEqual(await f.counts(), counts);
    await f.call("POST", `/api/v1/conversations/${id}/unblock`, { token: bob.token });

    // The relay's batch of conversation.started is over well before this; it now waits.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sent = await f.call("POST", `/api/v1/conversations/${id}/messages`, {
      token: ada.token,
      body: { clientId: "c-1", body: "Are you there?" },
      headers: { "x-request-id": "req-relay-1", traceparent: TRACEPARENT },
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const message = sent.body.message as MessageView;
    await waitFor(() =>
      received.some((r) =>
        r.envelope.data &&
        (r.envelope.data as { message: MessageView }).message.id === message.id
      ), {
      timeoutMs: 10_000,
      what: "message.sent published by the relay",
    });
    const row = await outboxRow(f, { messageId: message.id });
    const got = received.find((r) =>
      (r.envelope.data as { message: MessageView }).message.id === message.id
    )!;
    assert.deepEqual(got.envelope, {
      id: row.id,
      type: "message.sent",
      occurredAt: message.createdAt,
      data: { message, recipientId: bob.id },
    });
    assert.equal(got.headers["x-request-id"], "req-relay-1");
    assert.equal(got.headers.traceparent, TRACEPARENT);
    assert.ok(row.published_at instanceof Date, "marked published");
  } finally {
    await relay.stop();
    await probe.close();
    await f.close();
  }
});

Deno.test("a send's NOTIFY names its outbox row's seq, as enqueueEvent's does", async () => {
  const f = await chatFixture("chat_send_notify");
  const heard: string[] = [];
  const { unlisten } = await f.db.sql.listen("outbox", (payload) => heard.push(payload));
  try {
    const ada = await f.user("Ada");
    const bob = await f.user("Bob");
    const { id } = await f.start(ada, bob);
    // What the start wrote (conversation.started, through enqueueEvent) is heard first.
    await waitFor(async () => heard.length === (await f.db.sql`select 1 from outbox`).length, {
      what: "the start's notifications",
    });
    heard.length = 0;
    const sent = await f.send(ada, id, { body: "Are you there?" });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const row = await outboxRow(f, { messageId: sent.body.message.id });
    await waitFor(() => heard.length > 0, { what: "the send's notification" });
    assert.deepEqual(heard, [String(row.seq)]);
  } finally {
    await unlisten();
    await f.close();
  }
});
