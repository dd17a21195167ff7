/**
 * Who may read a private file, learned from other services' events through a
 * real RabbitMQ exchange, with real files in a real s3rver: an order's buyer
 * after `order.delivered`, a conversation's recipient after `message.sent`,
 * nobody else; forged ids grant nothing; `gig.deleted` removes the seller's
 * images (objects and rows) and nobody else's; duplicates change nothing.
 */
import assert from "node:assert/strict";
import { EventBus, type EventEnvelope, type EventHandler } from "@mp/shared/bus";
import { envelope, testBus, waitFor } from "@mp/shared/testing";
import { createAccessHandlers } from "./access.ts";
import { objectKey } from "./purposes.ts";
import { fileOf, type MediaFixture, mediaFixture, SAMPLES } from "./test_support.ts";

/** The real handlers on a real queue; `publish` answers once every event was handled. */
async function consuming(f: MediaFixture, prefix: string) {
  const broker = testBus(prefix);
  const consumer = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "media",
    log: f.log,
    retryDelayMs: 10,
    maxDeliveries: 2,
  });
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "others",
    log: f.log,
  });
  const handled: string[] = [];
  const observed: Record<string, EventHandler> = {};
  const handlers = createAccessHandlers({ sql: f.db.sql, log: f.log, objects: f.objects });
  for (const [type, handler] of Object.entries(handlers)) {
    observed[type] = async (event, headers) => {
      await handler(event, headers);
      handled.push(event.id);
    };
  }
  await consumer.start();
  await consumer.consume(observed);
  broker.own(`${broker.exchange}.media`, `${broker.exchange}.media.dlq`);
  await publisher.start();
  return {
    publish: async (...events: EventEnvelope[]) => {
      await publisher.publish(events.map((e) => ({ envelope: e, headers: {} })));
      await waitFor(() => events.every((e) => handled.includes(e.id)), { what: "events handled" });
    },
    async close() {
      await consumer.close();
      await publisher.close();
      await broker.cleanup();
    },
  };
}

const read = (f: MediaFixture, id: string, who?: { token: string }) =>
  f.call("GET", `/api/v1/media/${id}`, who ? { token: who.token } : {});

Deno.test("an order's buyer reads its delivery files after order.delivered; strangers never", async () => {
  const f = await mediaFixture("media_access_order");
  const bus = await consuming(f, "media_access_order");
  try {
    const seller = await f.user("seller");
    const buyer = await f.user("buyer");
    const stranger = await f.user("stranger");
    const bytes = fileOf(SAMPLES.pdf, 3_000);
    const file = await f.uploadReady(seller, "delivery", bytes, "work.pdf");
    const strangersFile = await f.uploadReady(stranger, "delivery");

    // Before the event only the owner reads it.
    assert.equal((await read(f, file, buyer)).status, 404);
    assert.equal((await read(f, file, seller)).status, 200);

    const orderId = crypto.randomUUID();
    const delivered = envelope("order.delivered", {
      orderId,
      gigId: crypto.randomUUID(),
      buyerId: buyer.id,
      sellerId: seller.id,
      // The stranger's id is not the seller's file: it must grant nothing.
      fileMediaIds: [file, strangersFile],
      deliveryId: crypto.randomUUID(),
    });
    await bus.publish(delivered, delivered); // a redelivery changes nothing

    const shown = await read(f, file, buyer);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    assert.equal(shown.headers.get("cache-control"), "private, no-store");
    const download = await fetch(shown.body.url);
    assert.equal(download.status, 200);
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), bytes);
    assert.match(download.headers.get("content-disposition") ?? "", /work\.pdf/);

    for (const who of [stranger, undefined]) {
      const refused = await read(f, file, who);
      assert.equal(refused.status, 404);
      assert.equal(refused.body.code, "media_not_found");
    }
    assert.equal((await read(f, strangersFile, buyer)).status, 404);
    const grants = await f.db.sql<{ media_id: string; user_id: string; reason: string }[]>`
      select media_id, user_id, reason from media_grants`;
    assert.deepEqual(grants.map((g) => ({ ...g })), [
      { media_id: file, user_id: buyer.id, reason: `order:${orderId}` },
    ]);
    const [{ inbox }] = await f.db.sql<
      { inbox: number }[]
    >`select count(*)::int as inbox from inbox`;
    assert.equal(inbox, 1);

    // A forged event naming someone else as the seller of the file grants nothing.
    await bus.publish(envelope("order.delivered", {
      orderId: crypto.randomUUID(),
      buyerId: stranger.id,
      sellerId: stranger.id,
      fileMediaIds: [file],
    }));
    assert.equal((await read(f, file, stranger)).status, 404);
  } finally {
    await bus.close();
    await f.close();
  }
});

Deno.test("a conversation's recipient reads its media attachments after message.sent; link attachments are ignored", async () => {
  const f = await mediaFixture("media_access_chat");
  const bus = await consuming(f, "media_access_chat");
  try {
    const sender = await f.user("sender");
    const recipient = await f.user("recipient");
    const stranger = await f.user("stranger");
    const file = await f.uploadReady(sender, "chat_attachment");
    // A delivery is not an attachment: the purpose must match too.
    const delivery = await f.uploadReady(sender, "delivery");
    const conversationId = crypto.randomUUID();
    const message = (attachments: unknown[]) =>
      envelope("message.sent", {
        message: {
          id: crypto.randomUUID(),
          conversationId,
          senderId: sender.id,
          kind: "text",
          body: "here",
          attachments,
        },
        recipientId: recipient.id,
      });
    await bus.publish(
      message([{ url: "https://files.example.com/a.pdf", name: "a.pdf", size: 10 }]),
      message([
        { url: "https://files.example.com/a.pdf", name: "a.pdf", size: 10 },
        { mediaId: file, name: "file.png", size: 2_000, contentType: "image/png" },
        { mediaId: delivery, name: "file.png", size: 2_000, contentType: "image/png" },
      ]),
    );
    assert.equal((await read(f, file, recipient)).status, 200);
    assert.equal((await read(f, file, sender)).status, 200);
    assert.equal((await read(f, file, stranger)).status, 404);
    assert.equal((await read(f, delivery, recipient)).status, 404);
    // The link-only message wrote nothing, not even an inbox row.
    const [{ inbox }] = await f.db.sql<
      { inbox: number }[]
    >`select count(*)::int as inbox from inbox`;
    assert.equal(inbox, 1);
  } finally {
    await bus.close();
    await f.close();
  }
});

Deno.test("gig.deleted removes the seller's images from the store and the table, nobody else's", async () => {
  const f = await mediaFixture("media_access_gig");
  const bus = await consuming(f, "media_access_gig");
  try {
    const seller = await f.user("seller");
    const other = await f.user("other");
    const images = [
      await f.uploadReady(seller, "gig_image"),
      await f.uploadReady(seller, "gig_image"),
    ];
    const avatar = await f.uploadReady(seller, "avatar");
    const othersImage = await f.uploadReady(other, "gig_image");
    const kept = await f.uploadReady(seller, "gig_image"); // on another gig
    for (const id of [...images, avatar, othersImage, kept]) {
      assert.equal((await read(f, id)).status, 200);
    }

    await bus.publish(envelope("gig.deleted", {
      gigId: crypto.randomUUID(),
      sellerId: seller.id,
      deletedAt: new Date().toISOString(),
      imageMediaIds: [...images, avatar, othersImage],
    }));

    for (const id of images) {
      assert.equal((await read(f, id)).status, 404);
      assert.equal(await f.objects.head(objectKey("gig_image", id)), undefined);
      const plain = await fetch(f.objects.publicUrl(objectKey("gig_image", id)));
      await plain.body?.cancel();
      assert.equal(plain.status, 404);
    }
    for (
      const [id, purpose] of [[avatar, "avatar"], [othersImage, "gig_image"], [
        kept,
        "gig_image",
      ]] as const
    ) {
      assert.equal((await read(f, id)).status, 200);
      assert.notEqual(await f.objects.head(objectKey(purpose, id)), undefined);
    }
  } finally {
    await bus.close();
    await f.close();
  }
});
