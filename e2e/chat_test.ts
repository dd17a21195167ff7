/**
 * The inbox through the gateway, on the real fleet: REST to chat, live pushes
 * over the real socket.io-client through the gateway's WebSocket bridge to the
 * realtime edge (transports ["websocket"], auth { token } = the access token).
 *
 * A buyer starts a conversation with a seller; messages go both ways live, read
 * receipts, unread counts, typing (to the other participant only), presence (to
 * contacts only); the seller's custom offer is accepted, orders makes the
 * pending_payment order, the buyer pays it (local test payments) and both see
 * order:updated live, the offer carrying the orderId. A third user can read,
 * send, mark or join nothing of the pair's and gets no presence of them; forged
 * and missing tokens cannot connect; bad socket payloads get error acks and the
 * edge keeps serving.
 */
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from "jose";
import { createTestKeys, waitFor } from "@mp/shared/testing";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { connectSocket, type LiveClient, refusal } from "./sockets.ts";
import { type SignedUp, startMarketplace } from "./support.ts";

Deno.test({
  name:
    "the inbox through the gateway: live messages, receipts, typing, presence, a custom offer paid as an order; strangers see nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("chat", {
      env: {
        // Short waits, so offline presence and relays are quick to observe.
        realtime: { PRESENCE_GRACE_MS: "300", TYPING_THROTTLE_MS: "200" },
      },
    });
    const gateway = market.fleet.gatewayUrl;
    const sockets: LiveClient[] = [];
    const live = async (who: SignedUp, name = who.user.username) => {
      const socket = await connectSocket(gateway, who.accessToken, name);
      sockets.push(socket);
      return socket;
    };
    const call = (who: SignedUp, method: string, path: string, body?: unknown) =>
      who.client.request(method, path, { token: who.accessToken, body });
    let ada: SignedUp; // seller
    let bob: SignedUp; // buyer
    let eve: SignedUp; // a stranger to both
    let gig: Json;
    let adaLive: LiveClient;
    let bobLive: LiveClient;
    let eveLive: LiveClient;
    let conversationId: string;
    const messages: Json[] = [];
    const send = async (who: SignedUp, body: string, clientId = crypto.randomUUID()) => {
      const res = await call(who, "POST", `/api/v1/conversations/${conversationId}/messages`, {
        clientId,
        body,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      messages.push(res.body.message);
      return res.body.message;
    };
    const isOf = (id: string) => (payload: Json) => payload?.id === id;

    try {
      await t.step("a seller with a gig, a buyer and a stranger, each with a socket", async () => {
        [ada, bob, eve] = await Promise.all(["ada", "bob", "eve"].map((n) => market.signup(n)));
        await becomeSeller(market, ada);
        gig = await publishGig(ada, gigBody("Hand-drawn logo with three concepts", 4000));
        [adaLive, bobLive, eveLive] = await Promise.all([live(ada), live(bob), live(eve)]);
      });

      await t.step("a forged, tampered, expired or missing token cannot connect", async () => {
        const [header, payload, signature] = bob.accessToken.split(".");
        const claims0 = decodeJwt(bob.accessToken);
        // Signed with a key of our own under the gateway's key id: forged.
        const forger = await createTestKeys();
        const kid = decodeProtectedHeader(bob.accessToken).kid;
        const forged = await forger.sign(
          { sub: bob.user.id, username: "bob", ...claims0 },
          { kid },
        );
        // Signed with the gateway's real key, but past its expiry.
        const gatewayKey = JSON.parse(market.fleet.keys.privateJwk);
        const expired = await new SignJWT({ ...claims0, exp: Math.floor(Date.now() / 1000) - 60 })
          .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: gatewayKey.kid })
          .sign(await importJWK(gatewayKey, "ES256"));
        const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
        const forgedPayload = btoa(JSON.stringify({ ...claims, sub: eve.user.id }))
          .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        const cases: [Record<string, unknown>, string][] = [
          [{}, "token_missing"],
          [{ token: "" }, "token_missing"],
          [{ token: `${header}.${forgedPayload}.${signature}` }, "token_invalid"],
          [{ token: `${header}.${payload}.${signature.slice(0, -4)}AAAA` }, "token_invalid"],
          [{ token: forged }, "token_invalid"],
          [{ token: expired }, "token_expired"],
          [{ token: "not-a-jwt" }, "token_invalid"],
          [{ token: 42 }, "token_invalid"],
        ];
        for (const [auth, code] of cases) {
          const refused = await refusal(gateway, auth);
          assert.equal(refused.message, "unauthorized", JSON.stringify(auth));
          assert.equal(refused.data?.code, code, JSON.stringify(auth));
        }
        // Long-polling does not pass the gateway: it says to use the WebSocket transport.
        const polling = await fetch(`${gateway}/socket.io/?EIO=4&transport=polling`);
        assert.equal(polling.status, 400);
        assert.equal((await polling.json()).code, "websocket_required");
      });

      await t.step("the buyer starts a conversation; the seller sees it live", async () => {
        const started = await waitFor(async () => {
          const res = await call(bob, "POST", "/api/v1/conversations", {
            recipient: "ada",
            gigId: gig.id,
            message: "Hi Ada, could you draw a logo for my bakery?",
          });
          // Until user.registered (and gig.created) reached chat.
          return res.status === 404 || res.status === 422 ? undefined : res;
        }, { what: "chat to know ada" });
        assert.equal(started.status, 201, JSON.stringify(started.body));
        const conversation = started.body.conversation;
        conversationId = conversation.id;
        assert.equal(conversation.otherParty.username, "ada");
        assert.equal(conversation.lastMessage.body, "Hi Ada, could you draw a logo for my bakery?");
        assert.equal(conversation.lastMessage.gigId, gig.id);
        messages.push(conversation.lastMessage);
        const pushed = await adaLive.next("message:new", isOf(conversation.lastMessage.id));
        assert.deepEqual(pushed, conversation.lastMessage);
        await bobLive.next("message:new", isOf(conversation.lastMessage.id));
        // One conversation per pair: asking again answers the same one.
        const again = await call(bob, "POST", "/api/v1/conversations", { recipient: "ADA" });
        assert.equal(again.status, 200);
        assert.equal(again.body.conversation.id, conversationId);
        const fromAda = await call(ada, "POST", "/api/v1/conversations", { recipient: "bob" });
        assert.equal(fromAda.status, 200);
        assert.equal(fromAda.body.conversation.id, conversationId);
      });

      await t.step(
        "each participant learns the other is online; the stranger does not",
        async () => {
          const adaSeen = await bobLive.next("presence", (p) => p.userId === ada.user.id);
          assert.equal(adaSeen.online, true);
          const bobSeen = await adaLive.next("presence", (p) => p.userId === bob.user.id);
          assert.equal(bobSeen.online, true);
        },
      );

      await t.step("messages go both ways live; a retried clientId sends once", async () => {
        const reply = await send(ada, "Hello Bob! Happy to. What style do you like?");
        assert.deepEqual(await bobLive.next("message:new", isOf(reply.id)), reply);
        await adaLive.next("message:new", isOf(reply.id));
        const clientId = crypto.randomUUID();
        const answer = await send(bob, "Something warm, hand-drawn.", clientId);
        assert.deepEqual(await adaLive.next("message:new", isOf(answer.id)), answer);
        const retried = await call(
          bob,
          "POST",
          `/api/v1/conversations/${conversationId}/messages`,
          {
            clientId,
            body: "Something warm, hand-drawn.",
          },
        );
        assert.equal(retried.status, 200);
        assert.equal(retried.body.message.id, answer.id);
        const page = await call(ada, "GET", `/api/v1/conversations/${conversationId}/messages`);
        assert.equal(page.status, 200);
        assert.deepEqual(page.body.items.map((m: Json) => m.id), messages.map((m) => m.id));
      });

      await t.step("unread counts and read receipts, live to the other side", async () => {
        const unread = async (who: SignedUp) =>
          (await call(who, "GET", "/api/v1/conversations/unread-count")).body.unreadCount;
        assert.equal(await unread(ada), 2);
        assert.equal(await unread(bob), 1);
        const list = await call(ada, "GET", "/api/v1/conversations");
        assert.equal(list.body.items.length, 1);
        assert.equal(list.body.items[0].unreadCount, 2);
        assert.equal(list.body.items[0].otherParty.username, "bob");
        assert.equal(list.body.items[0].lastMessage.id, messages.at(-1).id);

        const last = messages.at(-1);
        const read = await call(ada, "POST", `/api/v1/conversations/${conversationId}/read`, {
          upTo: last.id,
        });
        assert.equal(read.status, 200);
        assert.equal(read.body.conversation.unreadCount, 0);
        const receipt = await bobLive.next("message:read", (p) => p.readerId === ada.user.id);
        assert.deepEqual(
          { conversationId: receipt.conversationId, upTo: receipt.upTo },
          { conversationId, upTo: last.id },
        );
        assert.ok(receipt.readAt);
        assert.equal(await unread(ada), 0);
        assert.equal(await unread(bob), 1);
      });

      await t.step(
        "typing reaches the other participant only; bad payloads get error acks",
        async () => {
          assert.deepEqual(await adaLive.ask("typing", { conversationId }), { ok: true });
          const typing = await bobLive.next("typing", (p) => p.conversationId === conversationId);
          assert.deepEqual(typing, { conversationId, userId: ada.user.id });
          // The stranger cannot type into (or learn of) the pair's conversation.
          const refused = await eveLive.ask("typing", { conversationId });
          assert.equal(refused.error?.code, "forbidden");
          const bad = [
            ["typing", "nonsense"],
            ["typing", { conversationId: "../../etc" }],
            ["typing", { conversationId: 7 }],
            ["typing", null],
            ["join", { room: `user:${bob.user.id}` }],
            ["message:new", { body: "spoofed" }],
          ] as const;
          for (const [event, payload] of bad) {
            const answer = await eveLive.ask(event, payload);
            assert.equal(answer.error?.code, "bad_request", `${event} ${JSON.stringify(payload)}`);
            assert.equal(typeof answer.error?.message, "string");
          }
          // The edge lives on: the same sockets still relay and push.
          assert.equal(eveLive.socket.connected, true);
          assert.deepEqual(await bobLive.ask("typing", { conversationId }), { ok: true });
          await adaLive.next("typing", (p) => p.userId === bob.user.id);
          const ready = await fetch(`${market.fleet.urlOf("realtime")}/readyz`);
          assert.equal(ready.status, 200);
          await ready.body?.cancel();
        },
      );

      await t.step(
        "a frame over the edge's limit closes that one socket, never the edge",
        async () => {
          const big = await live(eve, "eve-big");
          const closed = new Promise<string>((resolve) => big.socket.once("disconnect", resolve));
          big.socket.emit("typing", { conversationId: "x".repeat(40 * 1024) });
          assert.match(await closed, /transport (close|error)/);
          assert.equal(eveLive.socket.connected, true);
          const marker = await send(bob, "Still there?");
          await adaLive.next("message:new", isOf(marker.id));
        },
      );

      await t.step(
        "a stranger cannot read, send to, mark read or offer in the pair's conversation",
        async () => {
          const base = `/api/v1/conversations/${conversationId}`;
          const attempts: [string, string, unknown?][] = [
            ["GET", base],
            ["GET", `${base}/messages`],
            ["GET", `${base}/messages?after=${messages[0].id}`],
            ["POST", `${base}/messages`, { clientId: crypto.randomUUID(), body: "let me in" }],
            ["POST", `${base}/read`, { upTo: messages.at(-1).id }],
            ["POST", `${base}/block`],
            ["POST", `${base}/offers`, {
              gigId: gig.id,
              description: "x",
              price: { amount: 100, currency: "USD" },
              deliveryDays: 1,
              revisions: 0,
              expiresInDays: 1,
            }],
          ];
          for (const [method, path, body] of attempts) {
            const res = await call(eve, method, path, body);
            assert.equal(res.status, 404, `${method} ${path}`);
            assert.equal(res.body.code, "conversation_not_found", `${method} ${path}`);
          }
          const list = await call(eve, "GET", "/api/v1/conversations");
          assert.deepEqual(list.body.items, []);
          const page = await call(bob, "GET", `${base}/messages`);
          assert.deepEqual(page.body.items.map((m: Json) => m.id), messages.map((m) => m.id));
          assert.equal(page.body.items.at(-1).body, "Still there?");
          const unread = await call(bob, "GET", "/api/v1/conversations/unread-count");
          assert.equal(unread.body.unreadCount, 1, "eve's read mark changed nothing");
        },
      );

      await t.step(
        "presence: the seller goes offline and comes back; only her contact hears",
        async () => {
          adaLive.close();
          const offline = await bobLive.next(
            "presence",
            (p) => p.userId === ada.user.id && !p.online,
          );
          assert.ok(offline.lastSeenAt);
          adaLive = await live(ada, "ada-again");
          await waitFor(
            () =>
              bobLive.all("presence").filter((p: Json) => p.userId === ada.user.id && p.online)
                .length === 2,
            { what: "ada online again" },
          );
          // Back online, ada is told who of her contacts is online.
          await adaLive.next("presence", (p) => p.userId === bob.user.id && p.online);
        },
      );

      let offer: Json;
      await t.step("the seller makes a custom offer; both see it live, as a message", async () => {
        const body = {
          gigId: gig.id,
          description: "A hand-drawn bakery logo, three concepts, source files.",
          price: { amount: 12_000, currency: "USD" },
          deliveryDays: 5,
          revisions: 2,
          expiresInDays: 3,
        };
        // The buyer cannot offer the seller's gig.
        const byBuyer = await call(
          bob,
          "POST",
          `/api/v1/conversations/${conversationId}/offers`,
          body,
        );
        assert.equal(byBuyer.status, 403, JSON.stringify(byBuyer.body));
        const made = await call(
          ada,
          "POST",
          `/api/v1/conversations/${conversationId}/offers`,
          body,
        );
        assert.equal(made.status, 201, JSON.stringify(made.body));
        offer = made.body.offer;
        assert.equal(offer.status, "pending");
        assert.equal(offer.buyerId, bob.user.id);
        assert.equal(offer.orderId, null);
        for (const socket of [adaLive, bobLive]) {
          const pushed = await socket.next("offer:updated", (p) => p.id === offer.id);
          assert.equal(pushed.status, "pending");
          const asMessage = await socket.next("message:new", (p) => p.offerId === offer.id);
          assert.equal(asMessage.kind, "offer");
          assert.equal(asMessage.id, offer.messageId);
        }
      });

      let orderId: string;
      await t.step(
        "only the buyer accepts; orders makes a pending_payment order; the offer carries it",
        async () => {
          assert.equal((await call(eve, "POST", `/api/v1/offers/${offer.id}/accept`)).status, 404);
          assert.equal((await call(eve, "GET", `/api/v1/offers/${offer.id}`)).status, 404);
          assert.equal((await call(ada, "POST", `/api/v1/offers/${offer.id}/accept`)).status, 403);
          const accepted = await call(bob, "POST", `/api/v1/offers/${offer.id}/accept`);
          assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
          assert.equal(accepted.body.offer.status, "accepted");
          const twice = await call(bob, "POST", `/api/v1/offers/${offer.id}/accept`);
          assert.equal(twice.status, 409);

          const withOrder = await bobLive.next(
            "offer:updated",
            (p) => p.id === offer.id && p.orderId,
          );
          orderId = withOrder.orderId;
          assert.equal(withOrder.status, "accepted");
          await adaLive.next("offer:updated", (p) => p.id === offer.id && p.orderId === orderId);
          for (const socket of [adaLive, bobLive]) {
            const created = await socket.next(
              "order:updated",
              (p) => p.orderId === orderId && p.type === "order.created",
            );
            assert.equal(created.status, "pending_payment");
          }
          const order = (await call(bob, "GET", `/api/v1/orders/${orderId}`)).body;
          assert.equal(order.status, "pending_payment");
          assert.deepEqual(order.price, { amount: 12_000, currency: "USD" });
          assert.deepEqual([order.buyerId, order.sellerId], [bob.user.id, ada.user.id]);
          const shown = await call(bob, "GET", `/api/v1/offers/${offer.id}`);
          assert.equal(shown.body.offer.orderId, orderId);
          assert.equal((await call(eve, "GET", `/api/v1/orders/${orderId}`)).status, 404);
        },
      );

      await t.step(
        "the buyer pays; both see order:updated live, the seller a notification",
        async () => {
          const paid = await call(bob, "POST", `/api/v1/payments/local-test/${orderId}/succeed`);
          assert.equal(paid.status, 200, JSON.stringify(paid.body));
          for (const socket of [adaLive, bobLive]) {
            const update = await socket.next(
              "order:updated",
              (p) => p.orderId === orderId && p.type === "order.paid",
            );
            assert.equal(update.status, "in_progress");
            assert.ok(update.occurredAt);
          }
          const notice = await adaLive.next(
            "notification:new",
            (p) => typeof p.link === "string" && p.link.includes(orderId),
          );
          assert.ok(notice.id);
          assert.equal(
            (await call(bob, "GET", `/api/v1/orders/${orderId}`)).body.status,
            "in_progress",
          );
        },
      );

      await t.step(
        "the stranger received nothing of theirs, and no presence of strangers",
        async () => {
          // A conversation of eve's own: its push arrives after everything above was pushed.
          const own = await call(eve, "POST", "/api/v1/conversations", {
            recipient: "ada",
            message: "Do you also do menus?",
          });
          assert.equal(own.status, 201);
          const mine = own.body.conversation;
          await eveLive.next("message:new", isOf(mine.lastMessage.id));
          // …and ada, now her contact, is announced to her; bob never is.
          await eveLive.next("presence", (p) => p.userId === ada.user.id && p.online);
          const leaked = eveLive.received.filter(({ event, payload }) =>
            payload?.conversationId === conversationId || payload?.userId === bob.user.id ||
            payload?.orderId === orderId || payload?.id === offer.id ||
            (event === "presence" && payload?.userId !== ada.user.id) ||
            ["typing", "message:read", "offer:updated", "order:updated"].includes(event)
          );
          assert.deepEqual(leaked, []);
          assert.equal(
            bobLive.all("message:new").filter((m: Json) => m.conversationId === mine.id).length,
            0,
          );
        },
      );
    } catch (error) {
      for (const name of market.fleet.names) {
        console.error(`--- ${name} ---\n${market.fleet.logs(name).slice(-3000)}`);
      }
      throw error;
    } finally {
      for (const socket of sockets) socket.close();
      await market.close();
    }
  },
});
