/**
 * Who may do what, with three users: a pair and a stranger. A stranger gets the
 * 404 of a conversation (or offer) that does not exist on every route and
 * changes nothing; blocking stops sending both ways; bad input is a 4xx problem
 * that changes nothing; the per-user limit answers 429 with Retry-After.
 */
import assert from "node:assert/strict";
import { assertProblem, type ChatFixture, chatFixture } from "./test_support.ts";

/** Ada and Bob talk, Bob sells; Eve is a stranger with a gig of her own. */
async function threeUsers(f: ChatFixture) {
  const ada = await f.user("ada");
  const bob = await f.user("bob");
  const eve = await f.user("eve");
  const gigId = await f.gig(bob);
  const eveGig = await f.gig(eve);
  const { id } = await f.start(ada, bob, { message: "Hello Bob" });
  const message = (await f.send(bob, id, { body: "Hi Ada" })).body.message;
  const offer = (await f.call("POST", `/api/v1/conversations/${id}/offers`, {
    token: bob.token,
    body: f.offerBody(gigId),
  })).body.offer;
  assert.ok(offer?.id);
  return { ada, bob, eve, gigId, eveGig, conversationId: id, message, offer };
}

Deno.test("a stranger cannot read, send to, mark read, block in, offer in a pair's conversation, nor see or act on its offers: 404, nothing changes", async () => {
  const f = await chatFixture("chat_authz");
  try {
    const { ada, eve, eveGig, conversationId, message, offer } = await threeUsers(f);
    const before = await f.counts();
    const base = `/api/v1/conversations/${conversationId}`;
    const attempts: [string, string, unknown?][] = [
      ["GET", base],
      ["GET", `${base}/messages`],
      ["GET", `${base}/messages?after=${message.id}`],
      ["POST", `${base}/messages`, { clientId: "eve-1", body: "let me in" }],
      ["POST", `${base}/read`, { upTo: message.id }],
      ["POST", `${base}/block`],
      ["POST", `${base}/unblock`],
      ["POST", `${base}/offers`, f.offerBody(eveGig)],
    ];
    for (const [method, path, body] of attempts) {
      assertProblem(
        await f.call(method, path, { token: eve.token, body }),
        404,
        "conversation_not_found",
      );
      // Exactly what a conversation that does not exist answers.
      const unknown = path.replace(conversationId, crypto.randomUUID());
      assertProblem(
        await f.call(method, unknown, { token: eve.token, body }),
        404,
        "conversation_not_found",
      );
    }
    for (
      const [method, path] of [["GET", ""], ["POST", "/accept"], ["POST", "/decline"], [
        "POST",
        "/withdraw",
      ]]
    ) {
      assertProblem(
        await f.call(method, `/api/v1/offers/${offer.id}${path}`, { token: eve.token }),
        404,
        "offer_not_found",
      );
    }
    assert.deepEqual(await f.counts(), before);
    // Eve sees none of it in her own lists.
    const list = await f.call("GET", "/api/v1/conversations", { token: eve.token });
    assert.deepEqual(list.body, { items: [], nextCursor: null });
    const unread = await f.call("GET", "/api/v1/conversations/unread-count", { token: eve.token });
    assert.deepEqual(unread.body, { unreadCount: 0 });
    // Ada's view is untouched (still unread, not blocked).
    const view = await f.call("GET", base, { token: ada.token });
    assert.equal(view.body.conversation.unreadCount, 2);
    assert.equal(view.body.conversation.blockedByMe, false);
    assert.equal(view.body.conversation.blockedMe, false);
  } finally {
    await f.close();
  }
});

Deno.test("every route needs a valid token: missing, tampered or expired is a 401 problem", async () => {
  const f = await chatFixture("chat_tokens");
  try {
    const { ada, conversationId, offer, message } = await threeUsers(f);
    const expired = await f.keys.sign({ sub: ada.id, username: "ada" }, { expiresIn: "-1m" });
    const tampered = ada.token.slice(0, -4) + (ada.token.endsWith("AAAA") ? "BBBB" : "AAAA");
    const base = `/api/v1/conversations/${conversationId}`;
    const routes: [string, string, unknown?][] = [
      ["POST", "/api/v1/conversations", { recipient: "bob" }],
      ["GET", "/api/v1/conversations"],
      ["GET", "/api/v1/conversations/unread-count"],
      ["GET", base],
      ["GET", `${base}/messages`],
      ["POST", `${base}/messages`, { clientId: "x", body: "hi" }],
      ["POST", `${base}/read`, { upTo: message.id }],
      ["POST", `${base}/block`],
      ["POST", `${base}/unblock`],
      ["POST", `${base}/offers`, f.offerBody(crypto.randomUUID())],
      ["GET", `/api/v1/offers/${offer.id}`],
      ["POST", `/api/v1/offers/${offer.id}/accept`],
      ["POST", `/api/v1/offers/${offer.id}/decline`],
      ["POST", `/api/v1/offers/${offer.id}/withdraw`],
    ];
    const before = await f.counts();
    for (const [method, path, body] of routes) {
      for (const token of [undefined, expired, tampered]) {
        assertProblem(await f.call(method, path, { token, body }), 401, "unauthorized");
      }
    }
    assert.deepEqual(await f.counts(), before);
  } finally {
    await f.close();
  }
});

Deno.test("not to yourself, not to an unknown user", async () => {
  const f = await chatFixture("chat_recipient");
  try {
    const ada = await f.user("ada");
    assertProblem(
      await f.call("POST", "/api/v1/conversations", {
        token: ada.token,
        body: { recipient: "ADA" },
      }),
      422,
      "cannot_message_self",
    );
    assertProblem(
      await f.call("POST", "/api/v1/conversations", {
        token: ada.token,
        body: { recipient: "nobody", message: "hello?" },
      }),
      404,
      "user_not_found",
    );
    assert.deepEqual((await f.counts()).conversations, 0);
  } finally {
    await f.close();
  }
});

Deno.test("a blocked user cannot send to the blocker, nor the blocker to them, until unblocked", async () => {
  const f = await chatFixture("chat_block");
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob);
    const blocked = await f.call("POST", `/api/v1/conversations/${id}/block`, { token: ada.token });
    assert.equal(blocked.status, 200);
    assert.equal(blocked.body.conversation.blockedByMe, true);
    assert.equal(blocked.body.conversation.blockedMe, false);
    const bobsView = await f.call("GET", `/api/v1/conversations/${id}`, { token: bob.token });
    assert.equal(bobsView.body.conversation.blockedMe, true);

    const before = await f.counts();
    assertProblem(await f.send(bob, id), 403, "blocked");
    assertProblem(await f.send(ada, id), 403, "you_blocked");
    // Starting the conversation again with a message is the same send.
    assertProblem(
      await f.call("POST", "/api/v1/conversations", {
        token: bob.token,
        body: { recipient: "ada", message: "please" },
      }),
      403,
      "blocked",
    );
    assert.equal((await f.counts()).messages, before.messages);
    assert.equal((await f.counts()).outbox, before.outbox);

    // Bob cannot lift Ada's block; only Ada can.
    await f.call("POST", `/api/v1/conversations/${id}/unblock`, { token: bob.token });
    assertProblem(await f.send(bob, id), 403, "blocked");
    const unblocked = await f.call("POST", `/api/v1/conversations/${id}/unblock`, {
      token: ada.token,
    });
    assert.equal(unblocked.body.conversation.blockedByMe, false);
    assert.equal((await f.send(bob, id)).status, 201);
  } finally {
    await f.close();
  }
});

Deno.test("bad input is a 4xx problem and changes nothing", async () => {
  const f = await chatFixture("chat_bad_input", { attachmentsMax: 2, attachmentMaxBytes: 1000 });
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const { id } = await f.start(ada, bob, { message: "first" });
    const first = (await f.call("GET", `/api/v1/conversations/${id}/messages`, {
      token: ada.token,
    })).body.items[0];
    const link = (url: string) => ({ url, name: "file.pdf", size: 10 });
    const badSends: unknown[] = [
      { clientId: "a", body: "" },
      { clientId: "a", body: "   " },
      { clientId: "a", body: "x".repeat(5001) },
      { clientId: "a", body: "bell\u0007" },
      { clientId: "a", body: "lone \ud800 surrogate" },
      { clientId: "a" },
      { body: "no client id" },
      { clientId: "", body: "x" },
      { clientId: "has space", body: "x" },
      { clientId: "offer:abc", body: "x" },
      { clientId: "a", body: "x", extra: 1 },
      { clientId: "a", body: "x", gigId: "not-a-uuid" },
      { clientId: "a", body: "x", attachments: [link("http://files.example.com/a.pdf")] },
      { clientId: "a", body: "x", attachments: [link("https://127.0.0.1/a.pdf")] },
      { clientId: "a", body: "x", attachments: [link("https://10.0.0.8/a.pdf")] },
      { clientId: "a", body: "x", attachments: [link("https://localhost/a.pdf")] },
      { clientId: "a", body: "x", attachments: [link("javascript:alert(1)")] },
      { clientId: "a", body: "x", attachments: [link("https://user:pw@example.com/a")] },
      {
        clientId: "a",
        body: "x",
        attachments: [1, 2, 3].map((i) => link(`https://files.example.com/${i}.pdf`)),
      },
      {
        clientId: "a",
        body: "x",
        attachments: [{ url: "https://files.example.com/a.pdf", name: "a", size: 1001 }],
      },
      {
        clientId: "a",
        body: "x",
        attachments: [{ url: "https://files.example.com/a.pdf", name: "", size: 10 }],
      },
      [],
      "just a string",
    ];
    const before = await f.counts();
    for (const body of badSends) {
      const answer = await f.call("POST", `/api/v1/conversations/${id}/messages`, {
        token: ada.token,
        body: typeof body === "string" ? JSON.stringify(body) : body,
      });
      assertProblem(answer, 400, "validation_failed");
      assert.ok(answer.body.errors.length > 0);
    }
    assertProblem(
      await f.call("POST", `/api/v1/conversations/${id}/messages`, {
        token: ada.token,
        body: "{not json",
      }),
      400,
      "malformed_json",
    );
    assertProblem(
      await f.call("POST", `/api/v1/conversations/${id}/messages`, {
        token: ada.token,
        body: "clientId=a&body=x",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
    );
    assertProblem(
      await f.call("POST", `/api/v1/conversations/${id}/messages`, {
        token: ada.token,
        body: JSON.stringify({ clientId: "a", body: "x".repeat(200_000) }),
      }),
      413,
    );
    for (
      const body of [{}, { recipient: "" }, { recipient: "bob", clientId: "x" }, {
        recipient: "bob",
        message: "",
      }]
    ) {
      assertProblem(
        await f.call("POST", "/api/v1/conversations", { token: ada.token, body }),
        400,
        "validation_failed",
      );
    }
    for (const body of [{}, { upTo: "nope" }, { upTo: first.id, more: 1 }]) {
      assertProblem(
        await f.call("POST", `/api/v1/conversations/${id}/read`, { token: bob.token, body }),
        400,
        "validation_failed",
      );
    }
    const messages = `/api/v1/conversations/${id}/messages`;
    for (
      const query of [
        `?before=${first.id}&after=${first.id}`,
        "?before=abc",
        `?before=${crypto.randomUUID()}`,
        "?limit=0",
        "?limit=101",
        "?limit=1e2",
        "?limit=-1",
        "?sort=asc",
      ]
    ) {
      assertProblem(
        await f.call("GET", `${messages}${query}`, { token: ada.token }),
        400,
        "validation_failed",
      );
    }
    for (const query of ["?cursor=abc", "?cursor=-1", "?limit=101", "?page=2"]) {
      assertProblem(
        await f.call("GET", `/api/v1/conversations${query}`, { token: ada.token }),
        400,
        "validation_failed",
      );
    }
    assertProblem(
      await f.call("GET", "/api/v1/conversations/not-a-uuid", { token: ada.token }),
      400,
      "validation_failed",
    );
    assertProblem(
      await f.call("POST", "/api/v1/offers/not-a-uuid/accept", { token: ada.token }),
      400,
      "validation_failed",
    );
    assert.deepEqual(await f.counts(), before);
  } finally {
    await f.close();
  }
});

Deno.test("CHAT_MESSAGES_PER_MINUTE per user: the next send is a 429 with Retry-After; retries of a sent clientId and other users are not held back", async () => {
  const f = await chatFixture("chat_rate", { messagesPerMinute: 3 });
  try {
    const ada = await f.user("ada");
    const bob = await f.user("bob");
    const cy = await f.user("cy");
    const withBob = (await f.start(ada, bob)).id;
    const withCy = (await f.start(ada, cy)).id;
    assert.equal((await f.send(ada, withBob, { clientId: "m1" })).status, 201);
    assert.equal((await f.send(ada, withBob, { clientId: "m2" })).status, 201);
    assert.equal((await f.send(ada, withCy, { clientId: "m3" })).status, 201);
    const before = await f.counts();
    // Over all of the user's conversations, offers included.
    for (const conversation of [withBob, withCy]) {
      const refused = await f.send(ada, conversation);
      assertProblem(refused, 429, "rate_limited");
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60);
    }
    assertProblem(
      await f.call("POST", "/api/v1/conversations", {
        token: ada.token,
        body: { recipient: "bob", message: "one more" },
      }),
      429,
      "rate_limited",
    );
    assert.deepEqual(await f.counts(), before);
    // A retry of a message already sent is answered, not counted.
    assert.equal((await f.send(ada, withBob, { clientId: "m1" })).status, 200);
    // Bob has his own allowance.
    assert.equal((await f.send(bob, withBob)).status, 201);
    // Concurrent sends cannot pass the limit together.
    const bursts = await Promise.all(Array.from({ length: 12 }, () => f.send(cy, withCy)));
    const statuses = bursts.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 201).length, 3, String(statuses));
    assert.equal(statuses.filter((s) => s === 429).length, 9, String(statuses));
  } finally {
    await f.close();
  }
});
