/**
 * Every event of the contract, published as a real envelope on the suite's
 * exchange, reaches exactly the users it concerns: each expected client gets
 * it, and a bystander connected to the same edge does not (a marker pushed to
 * the bystander afterwards arrives first, so an earlier push would have too).
 */
import assert from "node:assert/strict";
import type { EventEnvelope } from "@mp/shared/bus";
import { ORDER_STATUS } from "./routes.ts";
import { createCluster, envelope, newUser, type TestClient, waitFor } from "./test_support.ts";

Deno.test("each event is pushed to exactly its users", async () => {
  const cluster = await createCluster("routing");
  try {
    const edge = await cluster.start();
    const buyer = await cluster.client(edge, newUser("buyer"));
    const seller = await cluster.client(edge, newUser("seller"));
    const bystander = await cluster.client(edge, newUser("bystander"));
    const conversationId = crypto.randomUUID();
    const now = new Date().toISOString();

    // Publishes, waits for the expected clients, then proves the others got nothing.
    let markers = 0;
    const expect = async (
      event: EventEnvelope,
      name: string,
      to: TestClient[],
      payload: unknown,
    ) => {
      await cluster.publish(event);
      for (const client of to) {
        assert.deepEqual(await client.next(name, (p) => sameId(p, payload)), payload);
      }
      const marker = `marker-${++markers}`;
      const others = [buyer, seller, bystander].filter((c) => !to.includes(c));
      for (const other of others) {
        await cluster.publish(envelope("notification.created", {
          userId: other.userId,
          notification: { id: marker },
        }));
        await other.next("notification:new", (p) => p.id === marker);
        assert.equal(
          other.all(name).filter((p) => sameId(p as Record<string, unknown>, payload)).length,
          0,
          `${other.userId} got ${name}`,
        );
      }
    };

    const message = {
      id: crypto.randomUUID(),
      conversationId,
      senderId: buyer.userId,
      clientId: "c-1",
      kind: "text",
      body: "Hello!",
      attachments: [{ url: "https://files.example/a.pdf", name: "a.pdf", size: 10 }],
      gigId: null,
      orderId: null,
      offerId: null,
      createdAt: now,
    };
    await expect(
      envelope("message.sent", { message, recipientId: seller.userId }),
      "message:new",
      [buyer, seller],
      message,
    );

    const read = { conversationId, readerId: seller.userId, upTo: message.id, readAt: now };
    await expect(
      envelope("messages.read", { ...read, otherUserId: buyer.userId }),
      "message:read",
      [buyer, seller],
      read,
    );

    // Each side gets the field of its own view; a bystander gets nothing.
    const blockChanges: [TestClient, TestClient, boolean][] = [
      [seller, buyer, true],
      [buyer, seller, false],
    ];
    for (const [blocker, blockedUser, blocked] of blockChanges) {
      await cluster.publish(envelope("conversation.block_changed", {
        conversationId,
        blockerId: blocker.userId,
        blockedId: blockedUser.userId,
        blocked,
        at: now,
      }));
      // `next` also answers pushes received earlier: match this change's field.
      const pushed = (client: TestClient, field: string) =>
        client.next("conversation:updated", (p) => p[field] === blocked);
      assert.deepEqual(await pushed(blocker, "blockedByMe"), {
        conversationId,
        blockedByMe: blocked,
      });
      assert.deepEqual(await pushed(blockedUser, "blockedMe"), {
        conversationId,
        blockedMe: blocked,
      });
    }
    const marker = "after-blocks";
    await cluster.publish(envelope("notification.created", {
      userId: bystander.userId,
      notification: { id: marker },
    }));
    await bystander.next("notification:new", (p) => p.id === marker);
    assert.deepEqual(bystander.all("conversation:updated"), []);
    assert.deepEqual(seller.all("conversation:updated"), [
      { conversationId, blockedByMe: true },
      { conversationId, blockedMe: false },
    ]);
    assert.deepEqual(buyer.all("conversation:updated"), [
      { conversationId, blockedMe: true },
      { conversationId, blockedByMe: false },
    ]);

    const offer = {
      id: crypto.randomUUID(),
      conversationId,
      messageId: crypto.randomUUID(),
      sellerId: seller.userId,
      buyerId: buyer.userId,
      gigId: crypto.randomUUID(),
      description: "A logo",
      price: { amount: 5000, currency: "USD" },
      deliveryDays: 3,
      revisions: 1,
      expiresAt: now,
      status: "pending",
      orderId: null,
      createdAt: now,
      updatedAt: now,
    };
    await expect(
      envelope("offer.updated", { offer, buyerId: buyer.userId, sellerId: seller.userId }),
      "offer:updated",
      [buyer, seller],
      offer,
    );

    for (const [type, status] of Object.entries(ORDER_STATUS)) {
      const orderId = crypto.randomUUID();
      const event = envelope(type, {
        orderId,
        gigId: crypto.randomUUID(),
        buyerId: buyer.userId,
        sellerId: seller.userId,
        gigTitle: "A logo",
      });
      await expect(event, "order:updated", [buyer, seller], {
        orderId,
        type,
        ...(status ? { status } : {}),
        occurredAt: event.occurredAt,
      });
    }

    const notification = {
      id: crypto.randomUUID(),
      type: "order_placed",
      title: "Order placed",
      body: "…",
      link: "/orders/1",
      createdAt: now,
      readAt: null,
    };
    await expect(
      envelope("notification.created", { notification, userId: seller.userId }),
      "notification:new",
      [seller],
      notification,
    );
  } finally {
    await cluster.cleanup();
  }
});

Deno.test("a malformed event is dead-lettered and the edge keeps pushing", async () => {
  const cluster = await createCluster("poison");
  try {
    const edge = await cluster.start();
    const user = await cluster.client(edge, newUser("user"));
    await cluster.publish(
      envelope("message.sent", { message: { id: 1 }, recipientId: user.userId }),
      envelope("order.paid", { orderId: "o" }),
      envelope("conversation.started", { conversationId: "c", participants: [user.userId] }),
      envelope("conversation.block_changed", {
        conversationId: "c",
        blockerId: user.userId,
        blockedId: "b",
        blocked: "yes",
      }),
    );
    const dlq = `${cluster.exchange}.realtime.dlq`;
    const { default: amqp } = await import("amqplib");
    const connection = await amqp.connect(
      Deno.env.get("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672",
    );
    try {
      const channel = await connection.createChannel();
      await waitFor(async () => (await channel.checkQueue(dlq)).messageCount === 4, {
        what: "four dead letters",
      });
    } finally {
      await connection.close();
    }
    await cluster.publish(envelope("notification.created", {
      userId: user.userId,
      notification: { id: "after" },
    }));
    await user.next("notification:new", (p) => p.id === "after");
    assert.equal(
      user.all("message:new").length + user.all("order:updated").length +
        user.all("conversation:updated").length,
      0,
    );
  } finally {
    await cluster.cleanup();
  }
});

function sameId(payload: Record<string, unknown>, expected: unknown): boolean {
  const e = expected as Record<string, unknown>;
  const key = "id" in e ? "id" : "orderId" in e ? "orderId" : "upTo";
  return payload?.[key] === e[key];
}
