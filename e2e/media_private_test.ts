/**
 * Private files end to end through the gateway, as clients do it (issue 14):
 * a seller delivers an order with a file uploaded to the object store, the
 * buyer downloads it once media has seen `order.delivered`, a stranger never;
 * a chat attachment goes to the conversation's other participant only; another
 * user's media id is refused by orders and chat; a deleted gig's images are
 * gone from the store. Real processes under their flags, the fleet's s3rver,
 * RabbitMQ between them; orders in local test payment mode (no Stripe needed
 * for what is tested here).
 */
import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { fileOf, SAMPLES } from "../services/media/test_support.ts";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { type SignedUp, startMarketplace } from "./support.ts";

Deno.test({
  name:
    "delivery files and chat attachments reach the order's buyer and the conversation's other participant only; others' media ids are refused; a deleted gig's images leave the store",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("media_private", {
      only: ["auth", "notifications", "users", "gigs", "orders", "chat", "media", "gateway"],
      env: { orders: { PAYMENTS_MODE: "local_test" } },
    });
    const call = (who: SignedUp | null, method: string, path: string, body?: unknown) =>
      (who?.client ?? market.client()).request(method, path, {
        token: who?.accessToken,
        body,
        headers: method === "POST" && path.startsWith("/api/v1/orders")
          ? { "idempotency-key": crypto.randomUUID() }
          : undefined,
      });

    /** Announces, PUTs to the store with the presigned URL, completes; answers the media id. */
    const upload = async (
      who: SignedUp,
      purpose: string,
      bytes: Uint8Array<ArrayBuffer>,
      name: string,
      contentType: string,
    ) => {
      const announced = await call(who, "POST", "/api/v1/uploads", {
        purpose,
        contentType,
        size: bytes.length,
        name,
      });
      assert.equal(announced.status, 201, JSON.stringify(announced.body));
      const { media, upload } = announced.body;
      const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: bytes });
      assert.equal(put.status, 200, await put.text());
      const done = await call(who, "POST", `/api/v1/uploads/${media.id}/complete`);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      return media.id as string;
    };
    /** `who` downloads the file through its presigned GET; answers the bytes. */
    const download = async (who: SignedUp, id: string) => {
      const shown = await waitFor(async () => {
        const res = await call(who, "GET", `/api/v1/media/${id}`);
        return res.status === 404 ? undefined : res; // until media saw the event
      }, { what: `media ${id} readable by ${who.user.username}` });
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.equal(shown.body.visibility, "private");
      const got = await fetch(shown.body.url);
      assert.equal(got.status, 200);
      return new Uint8Array(await got.arrayBuffer());
    };
    const refused = async (who: SignedUp | null, id: string) => {
      const res = await call(who, "GET", `/api/v1/media/${id}`);
      assert.equal(res.status, 404, JSON.stringify(res.body));
      assert.equal(res.type, "application/problem+json");
      assert.equal(res.body.code, "media_not_found");
    };

    let ada: SignedUp; // seller
    let bob: SignedUp; // buyer
    let eve: SignedUp; // stranger
    let gig: Json;
    let images: string[];
    try {
      await t.step(
        "a seller with a gig showing two uploaded images, a buyer, a stranger",
        async () => {
          ada = await market.signup("ada");
          bob = await market.signup("bob");
          eve = await market.signup("eve");
          await becomeSeller(market, ada);
          images = [
            await upload(ada, "gig_image", fileOf(SAMPLES.png, 2_000), "one.png", "image/png"),
            await upload(ada, "gig_image", fileOf(SAMPLES.jpeg, 3_000), "two.jpg", "image/jpeg"),
          ];
          gig = await publishGig(
            ada,
            gigBody("Logo design with uploaded samples", 3000, { imageMediaIds: images }),
          );
          // Public: anyone reads the images, straight from the store.
          for (const id of images) {
            const shown = await call(null, "GET", `/api/v1/media/${id}`);
            assert.equal(shown.status, 200);
            const got = await fetch(shown.body.url);
            assert.equal(got.status, 200);
            await got.body?.cancel();
          }
        },
      );

      await t.step(
        "a delivery file reaches the buyer only; another user's id is refused",
        async () => {
          const placed = await waitFor(async () => {
            const res = await call(bob, "POST", "/api/v1/orders", {
              gigId: gig.id,
              package: "basic",
              requirements: [{ questionId: gig.requirements[0].id, answer: "Bob's Bakery" }],
            });
            return res.status === 404 ? undefined : res; // until gig.created reached orders
          }, { what: "orders to know the gig" });
          assert.equal(placed.status, 201, JSON.stringify(placed.body));
          const order = placed.body;
          const paid = await call(bob, "POST", order.payment.localTest.succeedPath);
          assert.equal(paid.status, 200, JSON.stringify(paid.body));

          const zip = fileOf([0x50, 0x4b, 0x03, 0x04], 6_000);
          const work = await upload(ada, "delivery", zip, "logo-final.zip", "application/zip");
          const evesFile = await upload(eve, "delivery", zip, "eve.zip", "application/zip");
          const path = `/api/v1/orders/${order.id}/deliveries`;
          const others = await call(ada, "POST", path, {
            message: "Here it is",
            fileMediaIds: [work, evesFile],
          });
          assert.equal(others.status, 422, JSON.stringify(others.body));
          assert.equal(others.type, "application/problem+json");
          assert.equal(others.body.code, "media_not_usable");
          assert.equal(
            (await call(bob, "GET", `/api/v1/orders/${order.id}`)).body.status,
            "in_progress",
          );

          // Before the delivery even the buyer cannot read the seller's file.
          await refused(bob, work);
          const delivered = await call(ada, "POST", path, {
            message: "Here it is",
            fileMediaIds: [work],
          });
          assert.equal(delivered.status, 201, JSON.stringify(delivered.body));
          const seen = (await call(bob, "GET", `/api/v1/orders/${order.id}`)).body;
          assert.equal(seen.status, "delivered");
          assert.deepEqual(seen.deliveries[0].mediaFiles, [
            { id: work, name: "logo-final.zip", size: zip.length, contentType: "application/zip" },
          ]);

          assert.deepEqual(await download(bob, work), zip);
          assert.deepEqual(await download(ada, work), zip);
          await refused(eve, work);
          await refused(null, work);
        },
      );

      await t.step(
        "a chat attachment reaches the other participant only; another user's id is refused",
        async () => {
          const started = await waitFor(async () => {
            const res = await call(bob, "POST", "/api/v1/conversations", { recipient: "ada" });
            return res.status === 404 ? undefined : res; // until user.registered reached chat
          }, { what: "chat to know ada" });
          assert.ok(started.status === 201 || started.status === 200, JSON.stringify(started.body));
          const messages = `/api/v1/conversations/${started.body.conversation.id}/messages`;

          const pdf = fileOf(SAMPLES.pdf, 4_000);
          const brief = await upload(bob, "chat_attachment", pdf, "brief.pdf", "application/pdf");
          const evesFile = await upload(eve, "chat_attachment", pdf, "eve.pdf", "application/pdf");
          const others = await call(bob, "POST", messages, {
            clientId: crypto.randomUUID(),
            body: "The brief",
            attachmentMediaIds: [evesFile],
          });
          assert.equal(others.status, 422, JSON.stringify(others.body));
          assert.equal(others.body.code, "media_not_usable");

          await refused(ada, brief);
          const sent = await call(bob, "POST", messages, {
            clientId: crypto.randomUUID(),
            body: "The brief",
            attachmentMediaIds: [brief],
          });
          assert.equal(sent.status, 201, JSON.stringify(sent.body));
          assert.deepEqual(sent.body.message.attachments, [
            { mediaId: brief, name: "brief.pdf", size: pdf.length, contentType: "application/pdf" },
          ]);
          assert.deepEqual(await download(ada, brief), pdf);
          assert.deepEqual(await download(bob, brief), pdf);
          await refused(eve, brief);
          await refused(null, brief);
        },
      );

      await t.step("a deleted gig's images are gone from the store and from media", async () => {
        const urls = await Promise.all(
          images.map(async (id) =>
            (await call(null, "GET", `/api/v1/media/${id}`)).body.url as string
          ),
        );
        const deleted = await call(ada, "DELETE", `/api/v1/gigs/${gig.id}`);
        assert.ok(deleted.status === 204 || deleted.status === 200, JSON.stringify(deleted.body));
        for (const id of images) {
          await waitFor(async () => {
            const res = await call(null, "GET", `/api/v1/media/${id}`);
            return res.status === 404 ? res : undefined; // until media saw gig.deleted
          }, { what: `image ${id} removed` });
        }
        for (const url of urls) {
          const got = await fetch(url);
          await got.body?.cancel();
          assert.equal(got.status, 404, url);
        }
      });
    } finally {
      await market.close();
    }
  },
});
