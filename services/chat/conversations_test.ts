/**
 * The inbox flow through `createApp()` on a real database, with users learned
 * from events on a real exchange: one conversation per pair, messages both
 * ways, pages in both directions, read state, unread counts, the events in the
 * outbox, and `clientId` de-duplication.
 */
import assert from "node:assert/strict";
import { assertProblem, chatFixture } from "./test_support.ts";

Deno.test("a conversation is one per pair: 201 then 200 from either side, recipient by username in any case", async () => {
  const f = await chatFixture("chat_pair");
  try {
    const ada = await f.user("Ada");
    const bob = await f.user("bob");
    const first = await f.call("POST", "/api/v1/conversations", {
      token: ada.token,
      body: { recipient: "BOB" },
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const conversation = first.body.conversation;
    assert.deepEqual({ ...conversation, id: "-", createdAt: "-", lastActivityAt: "-" }, {
      id: "-",
      otherParty: { userId: bob.id, username: "bob", displayName: "bob", avatarUrl: null },
      lastMessage: null,
      unreadCount: 0,
      blockedByMe: false,
      blockedMe: false,
      createdAt: "-",
      lastActivityAt: "-",
    });
    const again = await f.call("POST", "/api/v1/conversations", {
      token: ada.token,
      body: { recipient: "bob" },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.conversation.id, conversation.id);
    const fromBob = await f.call("POST", "/api/v1/conversations", {
      token: bob.token,
      body: { recipient: "ada" },
    });
    assert.equal(fromBob.status, 200);
    assert.equal(fromBob.body.conversation.id, conversation.id);
    assert.equal(fromBob.body.conversation.otherParty.username, "Ada");

    const started = await f.outbox("conversation.started");
    assert.equal(started.length, 1);
    assert.deepEqual(started[0].data, {
      conversationId: conversation.id,
      participants: [ada.id, bob.id],
      startedAt: conversation.createdAt,
    });
  } finally {
    await f.close();
  }
});

Deno.test("concurrent first requests of one pair create one conversation", async () => {
  const f = await chatFixture("chat_race");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const answers = await Promise.all([
      ...Array.from(
        { length: 4 },
        () =>
          f.call("POST", "/api/v1/conversations", { token: ada.token, body: { recipient: "bob" } }),
      ),
      ...Array.from(
        { length: 4 },
        () =>
          f.call("POST", "/api/v1/conversations", { token: bob.token, body: { recipient: "ada" } }),
      ),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
    assert.equal(new Set(answers.map((a) => a.body.conversation.id)).size, 1);
    assert.equal((await f.counts()).conversations, 1);
    assert.equal((await f.outbox("conversation.started")).length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("messages go both ways with message.sent, the list shows the other party, last message and unread count, latest activity first", async () => {
  const f = await chatFixture("chat_flow");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const cy = await f.user("cy");
    await f.deliver("user.profile_updated", {
      userId: bob.id,
      username: "bob",
      displayName: "Bob Builder",
      avatarUrl: "https://images.example.com/bob.png",
      country: "GB",
      version: 2,
    });
    // An older profile version arriving late changes nothing.
    await f.deliver("user.profile_updated", {
      userId: bob.id,
      username: "bob",
      displayName: "Old Bob",
      avatarUrl: null,
      country: null,
      version: 1,
    });
    const withBob = await f.start(ada, bob, { message: "Hi Bob, are you free?" });
    const withCy = await f.start(ada, cy);
    const reply = await f.send(bob, withBob.id, { body: "Yes!\r\nWhat do you need?" });
    assert.equal(reply.status, 201);
    assert.equal(reply.body.message.body, "Yes!\nWhat do you need?");
    assert.equal(reply.body.message.kind, "text");
    assert.equal(reply.body.message.senderId, bob.id);

    const sent = await f.outbox("message.sent");
    assert.equal(sent.length, 2);
    assert.equal(sent[0].data.recipientId, bob.id);
    assert.equal(sent[0].data.message.body, "Hi Bob, are you free?");
    assert.deepEqual(sent[1].data, { message: reply.body.message, recipientId: ada.id });

    // Cy's conversation is newer but Bob's had the latest message.
    const list = await f.call("GET", "/api/v1/conversations", { token: ada.token });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((c: { id: string }) => c.id), [withBob.id, withCy.id]);
    assert.equal(list.body.nextCursor, null);
    const first = list.body.items[0];
    assert.deepEqual(first.otherParty, {
      userId: bob.id,
      username: "bob",
      displayName: "Bob Builder",
      avatarUrl: "https://images.example.com/bob.png",
    });
    assert.deepEqual(first.lastMessage, reply.body.message);
    assert.equal(first.unreadCount, 1);
    assert.equal(list.body.items[1].lastMessage, null);

    const bobList = await f.call("GET", "/api/v1/conversations", { token: bob.token });
    assert.equal(bobList.body.items.length, 1);
    assert.equal(bobList.body.items[0].unreadCount, 1);
    assert.equal(bobList.body.items[0].otherParty.username, "ada");

    // Cy speaks last: Cy's conversation moves to the top.
    await f.send(cy, withCy.id, { body: "Ping" });
    const after = await f.call("GET", "/api/v1/conversations", { token: ada.token });
    assert.deepEqual(after.body.items.map((c: { id: string }) => c.id), [withCy.id, withBob.id]);
    const unread = await f.call("GET", "/api/v1/conversations/unread-count", { token: ada.token });
    assert.deepEqual(unread.body, { unreadCount: 2 });
  } finally {
    await f.close();
  }
});

Deno.test("the conversation list pages by cursor, latest activity first, and caps its limit", async () => {
  const f = await chatFixture("chat_list_pages", { pageMax: 3 });
  try {
    const me = await f.user("me");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await f.start(me, await f.user(`peer${i}`))).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = await f.call("GET", `/api/v1/conversations${query}`, { token: me.token });
      assert.equal(page.status, 200);
      assert.ok(page.body.items.length <= 2);
      seen.push(...page.body.items.map((c: { id: string }) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    // Without a limit, the default is capped by CHAT_PAGE_MAX.
    const all = await f.call("GET", "/api/v1/conversations", { token: me.token });
    assert.equal(all.body.items.length, 3);
    assertProblem(
      await f.call("GET", "/api/v1/conversations?limit=4", { token: me.token }),
      400,
      "validation_failed",
    );
  } finally {
    await f.close();
  }
});

Deno.test("message pages: the newest by default, `before` for older, `after` for what came later", async () => {
  const f = await chatFixture("chat_msg_pages");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob);
    const bodies: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const from = i % 2 ? ada : bob;
      const answer = await f.send(from, id, { body: `message ${i}` });
      assert.equal(answer.status, 201);
      bodies.push(answer.body.message.body);
    }
    const path = `/api/v1/conversations/${id}/messages`;
    const newest = await f.call("GET", `${path}?limit=3`, { token: bob.token });
    assert.equal(newest.status, 200);
    const texts = (page: { body: { items: { body: string }[] } }) =>
      page.body.items.map((m) => m.body);
    assert.deepEqual(texts(newest), ["message 5", "message 6", "message 7"]);
    assert.equal(newest.body.nextCursor, newest.body.items[0].id);

    const older = await f.call("GET", `${path}?limit=3&before=${newest.body.nextCursor}`, {
      token: bob.token,
    });
    assert.deepEqual(texts(older), ["message 2", "message 3", "message 4"]);
    const oldest = await f.call("GET", `${path}?limit=3&before=${older.body.nextCursor}`, {
      token: bob.token,
    });
    assert.deepEqual(texts(oldest), ["message 1"]);
    assert.equal(oldest.body.nextCursor, null);

    // A client that has message 2 asks for what came after it, page by page.
    const secondId = older.body.items[0].id;
    const next = await f.call("GET", `${path}?limit=3&after=${secondId}`, { token: ada.token });
    assert.deepEqual(texts(next), ["message 3", "message 4", "message 5"]);
    assert.equal(next.body.nextCursor, next.body.items[2].id);
    const rest = await f.call("GET", `${path}?limit=3&after=${next.body.nextCursor}`, {
      token: ada.token,
    });
    assert.deepEqual(texts(rest), ["message 6", "message 7"]);
    assert.equal(rest.body.nextCursor, null);
    const nothing = await f.call("GET", `${path}?after=${rest.body.items[1].id}`, {
      token: ada.token,
    });
    assert.deepEqual(nothing.body, { items: [], nextCursor: null });
    assert.deepEqual([...texts(oldest), ...texts(older), ...texts(newest)], bodies);
  } finally {
    await f.close();
  }
});

Deno.test("read marks never go backwards, publish messages.read, and move unread counts", async () => {
  const f = await chatFixture("chat_read");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob);
    const m1 = (await f.send(ada, id, { body: "one" })).body.message;
    const m2 = (await f.send(ada, id, { body: "two" })).body.message;
    const m3 = (await f.send(ada, id, { body: "three" })).body.message;
    await f.send(bob, id, { body: "from bob" });
    const unread = () => f.call("GET", "/api/v1/conversations/unread-count", { token: bob.token });
    assert.equal((await unread()).body.unreadCount, 3);

    const read = await f.call("POST", `/api/v1/conversations/${id}/read`, {
      token: bob.token,
      body: { upTo: m2.id },
    });
    assert.equal(read.status, 200);
    assert.equal(read.body.conversation.unreadCount, 1);
    assert.equal((await unread()).body.unreadCount, 1);
    const events = await f.outbox("messages.read");
    assert.equal(events.length, 1);
    assert.equal(typeof events[0].data.readAt, "string");
    assert.deepEqual({ ...events[0].data, readAt: "-" }, {
      conversationId: id,
      readerId: bob.id,
      otherUserId: ada.id,
      upTo: m2.id,
      readAt: "-",
    });

    // Marking an older message read changes nothing and publishes nothing.
    const back = await f.call("POST", `/api/v1/conversations/${id}/read`, {
      token: bob.token,
      body: { upTo: m1.id },
    });
    assert.equal(back.status, 200);
    assert.equal(back.body.conversation.unreadCount, 1);
    assert.equal((await f.outbox("messages.read")).length, 1);

    await f.call("POST", `/api/v1/conversations/${id}/read`, {
      token: bob.token,
      body: { upTo: m3.id },
    });
    assert.equal((await unread()).body.unreadCount, 0);
    // Ada's own unread count is Bob's message only.
    const adaUnread = await f.call("GET", "/api/v1/conversations/unread-count", {
      token: ada.token,
    });
    assert.equal(adaUnread.body.unreadCount, 1);

    assertProblem(
      await f.call("POST", `/api/v1/conversations/${id}/read`, {
        token: bob.token,
        body: { upTo: crypto.randomUUID() },
      }),
      404,
      "message_not_found",
    );
  } finally {
    await f.close();
  }
});

Deno.test("a retried clientId answers the first message with 200, also when sent concurrently", async () => {
  const f = await chatFixture("chat_client_id");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob);
    const clientId = crypto.randomUUID();
    const first = await f.send(ada, id, { clientId, body: "only once" });
    assert.equal(first.status, 201);
    const retry = await f.send(ada, id, { clientId, body: "only once" });
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body, first.body);

    const racing = crypto.randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => f.send(ada, id, { clientId: racing, body: "raced" })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 201]);
    assert.equal(new Set(answers.map((a) => a.body.message.id)).size, 1);
    assert.equal((await f.counts()).messages, 2);
    assert.equal((await f.outbox("message.sent")).length, 2);

    // The same clientId from the other participant is their own message.
    const bobs = await f.send(bob, id, { clientId, body: "mine" });
    assert.equal(bobs.status, 201);

    // A first message sent with the conversation is de-duplicated the same way.
    const cy = await f.user("cy");
    const opening = { recipient: "cy", message: "Hello Cy", clientId: "open-1" };
    const a = await f.call("POST", "/api/v1/conversations", { token: ada.token, body: opening });
    const b = await f.call("POST", "/api/v1/conversations", { token: ada.token, body: opening });
    assert.equal(a.status, 201);
    assert.equal(b.status, 200);
    assert.deepEqual(b.body.conversation.lastMessage, a.body.conversation.lastMessage);
    const page = await f.call("GET", `/api/v1/conversations/${a.body.conversation.id}/messages`, {
      token: cy.token,
    });
    assert.equal(page.body.items.length, 1);
  } finally {
    await f.close();
  }
});

Deno.test("attachments are public https links; gig and order context is checked", async () => {
  const f = await chatFixture("chat_context");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const cy = await f.user("cy");
    const { id } = await f.start(ada, bob);
    const gigId = await f.gig(bob);
    const orderId = crypto.randomUUID();
    await f.deliver("order.created", {
      orderId,
      gigId,
      buyerId: ada.id,
      sellerId: bob.id,
      gigTitle: "I will build your web shop",
      package: "basic",
      price: { amount: 5000, currency: "USD" },
      serviceFee: { amount: 375, currency: "USD" },
      total: { amount: 5375, currency: "USD" },
      createdAt: new Date().toISOString(),
    });
    const sent = await f.send(ada, id, {
      body: "See the brief",
      attachments: [{ url: "https://files.example.com/brief.pdf", name: "brief.pdf", size: 1024 }],
      gigId,
      orderId,
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.deepEqual(sent.body.message.attachments, [
      { url: "https://files.example.com/brief.pdf", name: "brief.pdf", size: 1024 },
    ]);
    assert.equal(sent.body.message.gigId, gigId);
    assert.equal(sent.body.message.orderId, orderId);

    // An order of another pair, an unknown order or gig: 422, nothing stored.
    const otherOrder = crypto.randomUUID();
    await f.deliver("order.created", {
      orderId: otherOrder,
      gigId,
      buyerId: cy.id,
      sellerId: bob.id,
    });
    const before = await f.counts();
    assertProblem(await f.send(ada, id, { orderId: otherOrder }), 422, "unknown_order");
    assertProblem(await f.send(ada, id, { orderId: crypto.randomUUID() }), 422, "unknown_order");
    assertProblem(await f.send(ada, id, { gigId: crypto.randomUUID() }), 422, "unknown_gig");
    await f.deliver("gig.deleted", {
      gigId,
      sellerId: bob.id,
      deletedAt: new Date().toISOString(),
    });
    assertProblem(await f.send(ada, id, { gigId }), 422, "unknown_gig");
    assert.deepEqual(await f.counts(), before);
  } finally {
    await f.close();
  }
});
