/**
 * `typing` through real sockets: relayed to the other participant only (not to
 * the sender's other socket, not to a bystander), refused for a stranger with
 * an error ack, throttled per socket and conversation, and every bad payload
 * answered `bad_request` without harming the socket.
 */
import assert from "node:assert/strict";
import { createCluster, envelope, newUser, type TestClient } from "./test_support.ts";

// Every push before the marker has arrived once the marker has (one edge, one socket).
async function settled(cluster: Awaited<ReturnType<typeof createCluster>>, client: TestClient) {
  const id = crypto.randomUUID();
  await cluster.publish(envelope("notification.created", {
    userId: client.userId,
    notification: { id },
  }));
  await client.next("notification:new", (p) => p.id === id);
}

Deno.test("typing goes to the other participant only; a stranger is refused", async () => {
  const cluster = await createCluster("typing");
  try {
    const edge = await cluster.start();
    const ada = await cluster.client(edge, newUser("ada"));
    const adaPhone = await cluster.client(edge, ada.userId);
    const bob = await cluster.client(edge, newUser("bob"));
    const eve = await cluster.client(edge, newUser("eve"));
    const conversationId = await cluster.converse(ada.userId, bob.userId);

    assert.deepEqual(await ada.ask("typing", { conversationId }), { ok: true });
    assert.deepEqual(await bob.next("typing"), { conversationId, userId: ada.userId });

    assert.deepEqual(await eve.ask("typing", { conversationId }), {
      error: { code: "forbidden", message: "You are not a participant of this conversation." },
    });
    assert.deepEqual(await eve.ask("typing", { conversationId: crypto.randomUUID() }), {
      error: { code: "forbidden", message: "You are not a participant of this conversation." },
    });
    for (const client of [ada, adaPhone, bob, eve]) await settled(cluster, client);
    assert.equal(bob.all("typing").length, 1);
    assert.equal(ada.all("typing").length, 0);
    assert.equal(adaPhone.all("typing").length, 0);
    assert.equal(eve.all("typing").length, 0);
  } finally {
    await cluster.cleanup();
  }
});

Deno.test("typing is throttled per socket and conversation", async () => {
  const cluster = await createCluster("throttle");
  try {
    // TYPING_THROTTLE_MS is a minute here: the repeats below all fall inside it.
    const edge = await cluster.start();
    const ada = await cluster.client(edge, newUser("ada"));
    const bob = await cluster.client(edge, newUser("bob"));
    const cid = await cluster.client(edge, newUser("cid"));
    const first = await cluster.converse(ada.userId, bob.userId);
    const second = await cluster.converse(ada.userId, cid.userId);

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => ada.ask("typing", { conversationId: first })),
    );
    assert.deepEqual(answers.filter((a) => JSON.stringify(a) === '{"ok":true}').length, 1);
    assert.deepEqual(
      answers.filter((a) => JSON.stringify(a) === '{"ok":true,"throttled":true}').length,
      4,
    );
    assert.deepEqual(await ada.ask("typing", { conversationId: first }), {
      ok: true,
      throttled: true,
    });
    // Another conversation has its own throttle; so has bob's socket.
    assert.deepEqual(await ada.ask("typing", { conversationId: second }), { ok: true });
    assert.deepEqual(await bob.ask("typing", { conversationId: first }), { ok: true });
    await cid.next("typing");
    await ada.next("typing");
    await settled(cluster, bob);
    assert.equal(bob.all("typing").length, 1);
  } finally {
    await cluster.cleanup();
  }
});

Deno.test("bad client payloads get bad_request acks and the socket keeps working", async () => {
  const cluster = await createCluster("badtyping");
  try {
    const edge = await cluster.start();
    const ada = await cluster.client(edge, newUser("ada"));
    const bob = await cluster.client(edge, newUser("bob"));
    const conversationId = await cluster.converse(ada.userId, bob.userId);
    const badRequest = { code: "bad_request", message: "Expected { conversationId: string }." };
    for (
      const payload of [
        undefined,
        null,
        42,
        "text",
        [],
        {},
        { conversationId: 42 },
        { conversationId: "" },
        { conversationId: "../../etc" },
        { conversationId: "a".repeat(101) },
        { conversationId: { $ne: null } },
      ]
    ) {
      assert.deepEqual(await ada.ask("typing", payload), { error: badRequest }, String(payload));
    }
    assert.deepEqual(await ada.ask("delete-everything", { conversationId }), {
      error: { code: "bad_request", message: "Unknown event." },
    });
    // Without an ack, with extra arguments, or as binary: no answer and no harm.
    ada.socket.emit("typing");
    ada.socket.emit("typing", { conversationId: 1 }, "extra", 3);
    ada.socket.emit("unknown");
    ada.socket.emit("typing", new Uint8Array([1, 2, 3]));
    assert.deepEqual(await ada.ask("typing", { conversationId }), { ok: true });
    assert.deepEqual(await bob.next("typing"), { conversationId, userId: ada.userId });
    assert.ok(ada.socket.connected);
  } finally {
    await cluster.cleanup();
  }
});
