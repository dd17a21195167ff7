/**
 * main.ts as a real process under exactly the permission flags of README.md:
 * it migrates, gets ready, learns users and a gig from events, serves a
 * conversation, a message and an accepted offer, publishes their events on the
 * exchange through its outbox relay, runs the reminder loop (which reads Redis)
 * and shuts down cleanly on SIGTERM. A dependency that starts needing a wider
 * permission fails this test instead of production.
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { EventBus } from "@mp/shared/bus";
import {
  createTestKeys,
  passThrough,
  quietLogger,
  startProcess,
  testBus,
  waitFor,
} from "@mp/shared/testing";
import { deleteQueues, envelope, freePort, migratedDatabase } from "./test_support.ts";
import { processSpec, serveArgs } from "../../scripts/processes.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("main.ts runs under its least-privilege flags: ready, learns users and gigs, serves the inbox, publishes its events, reminds, stops on SIGTERM", async () => {
  // Migrated here too, so the test can make a reminder due; the process's own run is a no-op.
  const db = await migratedDatabase("chat_main");
  const broker = testBus("chat_main");
  const keys = await createTestKeys();
  const port = freePort();
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "others",
    log: quietLogger(),
  });
  const probeQueue = `${broker.exchange}.probe`;
  const redisUrl = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";
  // Exactly the flags the fleet and docker-compose use (scripts/processes.ts).
  const proc = startProcess(
    Deno.execPath(),
    serveArgs(processSpec("chat"), {
      root: ROOT.pathname,
      host: "127.0.0.1",
      port,
      databaseUrl: db.url,
      amqpUrl: broker.url,
      redisUrl,
    }),
    {
      cwd: ROOT,
      // Only what the service needs, plus what Deno itself needs to find its cache.
      env: {
        ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]),
        DATABASE_URL: db.url,
        AMQP_URL: broker.url,
        EVENTS_EXCHANGE: broker.exchange,
        JWT_JWKS: JSON.stringify(keys.jwks),
        REDIS_URL: redisUrl,
        CHAT_PRESENCE_KEY_PREFIX: `test:chat_main:${crypto.randomUUID().slice(0, 8)}:`,
        CHAT_REMINDER_POLL_MS: "100",
        LOG_LEVEL: "warn",
      },
    },
  );
  const base = `http://127.0.0.1:${port}`;
  const connection = await amqp.connect(broker.url);
  try {
    await waitFor(async () => {
      const response = await fetch(`${base}/readyz`);
      await response.body?.cancel();
      return response.status === 200;
    }, { timeoutMs: 30_000, what: "ready" });

    // The service declared the exchange; listen to what it publishes.
    const channel = await connection.createChannel();
    await channel.assertQueue(probeQueue, { durable: false });
    for (const key of ["conversation.*", "message.*", "offer.*", "chat.*"]) {
      await channel.bindQueue(probeQueue, broker.exchange, key);
    }

    const buyer = { userId: crypto.randomUUID(), username: "procbuyer" };
    const seller = { userId: crypto.randomUUID(), username: "procseller" };
    const gigId = crypto.randomUUID();
    await publisher.start();
    await publisher.publish(
      [
        envelope("user.registered", { ...buyer, email: "b@example.com" }),
        envelope("user.registered", { ...seller, email: "s@example.com" }),
        envelope("gig.created", {
          gigId,
          sellerId: seller.userId,
          status: "active",
          packages: [{ price: { amount: 5000, currency: "EUR" } }],
          updatedAt: new Date().toISOString(),
        }),
      ].map((e) => ({ envelope: e, headers: { "x-request-id": "main-test" } })),
    );
    const token = (user: { userId: string; username: string }) =>
      keys.sign({ sub: user.userId, username: user.username });
    const post = async (user: typeof buyer, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await token(user)}`,
          "content-type": "application/json",
          "x-request-id": "chat-req-1",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };

    const started = await waitFor(async () => {
      const answer = await post(buyer, "/api/v1/conversations", {
        recipient: "ProcSeller",
        message: "Hello from a real process",
        clientId: "first",
      });
      return answer.status === 201 ? answer.body.conversation : undefined;
    }, { what: "conversation once the users were consumed" });
    const conversationId = started.id;
    const offer = await waitFor(async () => {
      const answer = await post(seller, `/api/v1/conversations/${conversationId}/offers`, {
        gigId,
        description: "Everything, in a week",
        price: { amount: 9900, currency: "EUR" },
        deliveryDays: 7,
        revisions: 1,
        expiresInDays: 2,
      });
      return answer.status === 201 ? answer.body.offer : undefined;
    }, { what: "offer once the gig was consumed" });
    const accepted = await post(buyer, `/api/v1/offers/${offer.id}/accept`);
    assert.equal(accepted.status, 200);
    assert.equal(accepted.body.offer.status, "accepted");

    // A reminder falls due for the seller (offline: no presence key).
    await db.sql`update conversation_members set remind_at = now()
      where conversation_id = ${conversationId} and user_id = ${seller.userId}`;

    const expected = [
      "conversation.started",
      "message.sent",
      "message.sent",
      "offer.updated",
      "offer.accepted",
      "offer.updated",
      "chat.unread_reminder",
    ];
    const messages: { routingKey: string; body: string; headers: Record<string, unknown> }[] = [];
    await waitFor(async () => {
      messages.push(...await broker.drainQueue(probeQueue));
      return messages.length >= expected.length;
    }, { what: "the events on the exchange" });
    assert.deepEqual(messages.map((m) => m.routingKey).sort(), [...expected].sort());
    const first = messages.find((m) => m.routingKey === "message.sent")!;
    assert.equal(first.headers["x-request-id"], "chat-req-1");
    assert.equal(JSON.parse(first.body).data.message.body, "Hello from a real process");
    const reminder = JSON.parse(
      messages.find((m) => m.routingKey === "chat.unread_reminder")!.body,
    );
    assert.equal(reminder.data.recipientId, seller.userId);
    assert.equal(reminder.data.senderUsername, "procbuyer");

    await proc.stop();
  } finally {
    await proc.kill();
    await connection.close().catch(() => {});
    await publisher.close();
    await deleteQueues(broker.url, [
      `${broker.exchange}.chat`,
      `${broker.exchange}.chat.dlq`,
      probeQueue,
    ]);
    await broker.cleanup();
    await db.drop();
  }
});
