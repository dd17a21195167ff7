/**
 * Messages with files of the media service (`attachmentMediaIds`), against real
 * PostgreSQL and RabbitMQ, with the media replica fed by `media.uploaded`
 * through the exchange: the sender's chat attachments are shown on the message
 * (after the links), in the page the recipient reads and in `message.sent` with
 * both participants; another user's file, another purpose, an unknown id, a
 * duplicate or too many are refused and store nothing; a stranger with their
 * own file gets the 404 of an unknown conversation.
 */
import assert from "node:assert/strict";
import { assertProblem } from "@mp/shared/testing";
import { chatFixture } from "./test_support.ts";

Deno.test("a message carries the sender's media attachments to the page and to message.sent; others' ids are refused", async () => {
  const f = await chatFixture("chat_media", { attachmentsMax: 3 });
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const cy = await f.user("cy");
    const { id } = await f.start(ada, bob);

    const brief = await f.mediaFile(ada, "chat_attachment", "brief.pdf");
    const bobs = await f.mediaFile(bob, "chat_attachment");
    const delivery = await f.mediaFile(ada, "delivery");
    const cys = await f.mediaFile(cy, "chat_attachment");

    const before = await f.counts();
    const refused = await f.send(ada, id, { attachmentMediaIds: [brief, bobs] });
    assertProblem(refused, 422, "media_not_usable");
    assert.deepEqual(refused.body.errors.map((e: { pointer: string }) => e.pointer), [
      "/attachmentMediaIds/1",
    ]);
    assertProblem(await f.send(ada, id, { attachmentMediaIds: [delivery] }), 422);
    assertProblem(await f.send(ada, id, { attachmentMediaIds: [crypto.randomUUID()] }), 422);
    assertProblem(await f.send(ada, id, { attachmentMediaIds: ["x"] }), 400);
    assertProblem(await f.send(ada, id, { attachmentMediaIds: [brief, brief] }), 400);
    assertProblem(await f.send(ada, id, { attachmentMediaIds: brief }), 400);
    // Links and files together count against the one limit (3 here).
    const link = { url: "https://files.example.com/a.pdf", name: "a.pdf", size: 10 };
    assertProblem(
      await f.send(ada, id, { attachments: [link, link, link], attachmentMediaIds: [brief] }),
      400,
    );
    // A stranger learns nothing of the conversation, even with a file of their own.
    assertProblem(await f.send(cy, id, { attachmentMediaIds: [cys] }), 404);
    assert.deepEqual(await f.counts(), before);

    const sent = await f.send(ada, id, {
      body: "The brief and a link",
      attachments: [link],
      attachmentMediaIds: [brief],
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const expected = [
      link,
      { mediaId: brief, name: "brief.pdf", size: 2_048, contentType: "application/pdf" },
    ];
    assert.deepEqual(sent.body.message.attachments, expected);
    const page = await f.call("GET", `/api/v1/conversations/${id}/messages`, {
      token: bob.token,
    });
    assert.deepEqual(page.body.items.at(-1).attachments, expected);
    const [event] = (await f.outbox("message.sent")).filter((e) =>
      e.data.message.id === sent.body.message.id
    );
    assert.deepEqual(event.data.message.attachments, expected);
    assert.equal(event.data.message.senderId, ada.id);
    assert.equal(event.data.recipientId, bob.id);
  } finally {
    await f.close();
  }
});
