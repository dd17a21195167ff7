/**
 * `conversation.block_changed` is written with the block itself, once per real
 * change: a repeated block or unblock, the other participant's unblock of a block
 * that is not theirs, and a stranger's attempt write nothing.
 */
import assert from "node:assert/strict";
import { assertProblem, chatFixture } from "./test_support.ts";

Deno.test("a block and an unblock each write one conversation.block_changed; a repeat writes none", async () => {
  const f = await chatFixture("chat_block_event");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const eve = await f.user("eve");
    const { id } = await f.start(ada, bob);
    const block = (who: typeof ada, action: "block" | "unblock") =>
      f.call("POST", `/api/v1/conversations/${id}/${action}`, { token: who.token });
    const events = () => f.outbox("conversation.block_changed");

    assert.equal((await block(ada, "block")).status, 200);
    const [first, ...none] = await events();
    assert.deepEqual(none, []);
    const { at, ...rest } = first.data;
    assert.deepEqual(rest, {
      conversationId: id,
      blockerId: ada.id,
      blockedId: bob.id,
      blocked: true,
    });
    assert.ok(Math.abs(Date.parse(at) - Date.now()) < 60_000, `at is now: ${at}`);

    // Repeats and the other participant's unblock (Bob has blocked nobody) change nothing.
    assert.equal((await block(ada, "block")).status, 200);
    assert.equal((await block(bob, "unblock")).status, 200);
    assertProblem(await block(eve, "unblock"), 404);
    assert.equal((await events()).length, 1);

    assert.equal((await block(ada, "unblock")).status, 200);
    assert.equal((await block(ada, "unblock")).status, 200);
    // Bob blocks Ada too: the event names him as the blocker.
    assert.equal((await block(bob, "block")).status, 200);
    const changes = (await events()).map((e) => [e.data.blockerId, e.data.blocked]);
    assert.deepEqual(changes, [[ada.id, true], [ada.id, false], [bob.id, true]]);
    assert.equal((await events())[2].data.blockedId, ada.id);
  } finally {
    await f.close();
  }
});
