/**
 * Deliveries with files of the media service (`fileMediaIds`), against a real
 * PostgreSQL database with the media replica fed by the kit's real
 * `media.uploaded` handler: the seller's delivery files are shown on the order
 * and named by `order.delivered`; another user's file, a file of another
 * purpose, an unknown id, a duplicate or a malformed id is refused and changes
 * nothing; a buyer cannot deliver with their own files.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import { ordersFixture } from "./test_support.ts";

Deno.test("a delivery carries the seller's media files to the order and to order.delivered; others' ids are refused", async () => {
  const f = await ordersFixture({ prefix: "orders_delivery_files" });
  try {
    const seller = await f.user("sam");
    const buyer = await f.user("bea");
    const stranger = await f.user("eve");
    const gig = await f.seedGig(seller);
    const order = await f.order(buyer, gig, "standard");
    await f.pay(order);
    const path = `/api/v1/orders/${order.id}/deliveries`;
    const deliver = (who: typeof seller, body: unknown) =>
      f.call("POST", path, { token: who.token, body });

    const work = await f.mediaUploaded(seller, "delivery", "logo.zip");
    const notes = await f.mediaUploaded(seller, "delivery", "notes.zip");
    const strangers = await f.mediaUploaded(stranger, "delivery");
    const avatar = await f.mediaUploaded(seller, "avatar");
    const buyers = await f.mediaUploaded(buyer, "delivery");

    const before = await f.snapshot();
    // Someone else's file (the response names its index), another purpose, an unknown id.
    const refused = await deliver(seller, { message: "m", fileMediaIds: [work, strangers] });
    assertProblem(refused, 422, "media_not_usable");
    assert.deepEqual(refused.body.errors.map((e: { pointer: string }) => e.pointer), [
      "/fileMediaIds/1",
    ]);
    assertProblem(await deliver(seller, { message: "m", fileMediaIds: [avatar] }), 422);
    const unknown = crypto.randomUUID();
    assertProblem(await deliver(seller, { message: "m", fileMediaIds: [unknown] }), 422);
    // Malformed, twice the same, too many: 400.
    assertProblem(await deliver(seller, { message: "m", fileMediaIds: ["x"] }), 400);
    assertProblem(await deliver(seller, { message: "m", fileMediaIds: [work, work] }), 400);
    assertProblem(await deliver(seller, { message: "m", fileMediaIds: "nope" }), 400);
    const many = Array.from({ length: 21 }, () => crypto.randomUUID());
    assertProblem(await deliver(seller, { message: "m", fileMediaIds: many }), 400);
    // The buyer's own delivery files do not make the buyer the seller.
    assertProblem(await deliver(buyer, { message: "m", fileMediaIds: [buyers] }), 403);
    // A stranger is told nothing about the order.
    assertProblem(await deliver(stranger, { message: "m", fileMediaIds: [strangers] }), 404);
    assert.deepEqual(await f.snapshot(), before);

    const delivered = await deliver(seller, {
      message: "Here it is",
      files: ["https://files.example/preview.png"],
      fileMediaIds: [work, notes],
    });
    assert.equal(delivered.status, 201, JSON.stringify(delivered.body));
    const expected = [
      { id: work, name: "logo.zip", size: 12_345, contentType: "application/zip" },
      { id: notes, name: "notes.zip", size: 12_345, contentType: "application/zip" },
    ];
    for (const who of [buyer, seller]) {
      const [delivery] = (await f.view(who, order.id)).deliveries;
      assert.deepEqual(delivery.files, ["https://files.example/preview.png"]);
      assert.deepEqual(delivery.mediaFiles, expected);
    }
    const [event] = await f.events("order.delivered");
    assert.deepEqual(event.data.fileMediaIds, [work, notes]);
    assert.equal(event.data.buyerId, buyer.userId);
    assert.equal(event.data.sellerId, seller.userId);
  } finally {
    await f.close();
  }
});
