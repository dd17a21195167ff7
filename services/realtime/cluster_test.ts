/**
 * Two edges in one test, sharing rooms through the Redis adapter: a client on
 * instance A receives a push whose event instance B consumed (A does not
 * consume at all), and typing and presence cross instances too.
 */
import assert from "node:assert/strict";
import { createCluster, envelope, newUser } from "./test_support.ts";

Deno.test("a client on instance A gets a push consumed by instance B", async () => {
  const cluster = await createCluster("cluster");
  try {
    const a = await cluster.start();
    const b = await cluster.start();
    await a.bus.stopConsuming(); // only B consumes the shared queue now
    const onA = await cluster.client(a, newUser("on-a"));
    const onB = await cluster.client(b, newUser("on-b"));
    const message = { id: crypto.randomUUID(), senderId: onB.userId, conversationId: "c1" };
    await cluster.publish(envelope("message.sent", { message, recipientId: onA.userId }));
    assert.deepEqual(await onA.next("message:new"), message);
    assert.deepEqual(await onB.next("message:new"), message);

    // Typing from B's client reaches A's, presence of A's user reaches B's.
    const conversationId = await cluster.converse(onA.userId, onB.userId);
    assert.deepEqual(await onB.ask("typing", { conversationId }), { ok: true });
    assert.deepEqual(await onA.next("typing"), { conversationId, userId: onB.userId });
    onA.close();
    const offline = await onB.next("presence", (p) => p.userId === onA.userId && !p.online);
    assert.equal(typeof (offline as { lastSeenAt: string }).lastSeenAt, "string");
  } finally {
    await cluster.cleanup();
  }
});
