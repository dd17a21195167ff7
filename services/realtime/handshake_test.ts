/**
 * The handshake through a real socket.io-client: a missing, forged, tampered,
 * wrong-audience or expired token is refused with `unauthorized` and the code
 * the client acts on; a valid one joins its user's room; a token that expires
 * while connected ends that socket with `session:expired`.
 */
import assert from "node:assert/strict";
import { createTestKeys } from "@mp/shared/testing";
import { createCluster, envelope, newUser, waitFor } from "./test_support.ts";

Deno.test("handshake refuses missing, forged and expired tokens with their codes", async () => {
  const cluster = await createCluster("handshake");
  try {
    const edge = await cluster.start();
    const user = newUser("ada");
    const code = async (auth: Record<string, unknown>) => {
      const refusal = await cluster.refusal(edge, auth);
      assert.equal(refusal.message, "unauthorized");
      return (refusal.data as { code: string }).code;
    };
    assert.equal(await code({}), "token_missing");
    assert.equal(await code({ token: "" }), "token_missing");
    assert.equal(await code({ token: 42 }), "token_invalid");
    assert.equal(await code({ token: "not.a.jwt" }), "token_invalid");
    assert.equal(await code({ token: "x".repeat(10_000) }), "token_invalid");

    const stranger = await createTestKeys(); // signed by another key: forged
    assert.equal(
      await code({ token: await stranger.sign({ sub: user, username: user }) }),
      "token_invalid",
    );
    const forgedExpired = await stranger.sign({ sub: user, username: user }, {
      expiresIn: Math.floor(Date.now() / 1000) - 60,
    });
    assert.equal(await code({ token: forgedExpired }), "token_invalid");
    const valid = await cluster.token(user);
    const [head, , signature] = valid.split(".");
    const otherClaims = btoa(JSON.stringify({ sub: "someone-else", username: "x" }))
      .replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    assert.equal(await code({ token: `${head}.${otherClaims}.${signature}` }), "token_invalid");
    assert.equal(
      await code({
        token: await cluster.keys.sign({ sub: user, username: user }, { audience: "other" }),
      }),
      "token_invalid",
    );
    const expired = await cluster.token(user, Math.floor(Date.now() / 1000) - 60);
    assert.equal(await code({ token: expired }), "token_expired");

    // A valid token connects, and its socket is in its user's room.
    const client = await cluster.client(edge, user);
    await cluster.publish(envelope("notification.created", {
      userId: user,
      notification: { id: crypto.randomUUID(), title: "hello" },
    }));
    assert.equal((await client.next("notification:new") as { title: string }).title, "hello");
  } finally {
    await cluster.cleanup();
  }
});

Deno.test("a socket whose token expires gets session:expired and is disconnected", async () => {
  const cluster = await createCluster("expiry");
  try {
    const edge = await cluster.start();
    const user = newUser("grace");
    const shortLived = await cluster.token(user, Math.floor(Date.now() / 1000) + 2);
    const client = await cluster.client(edge, user);
    const { io } = await import("socket.io-client");
    const expiring = io(edge.url, {
      transports: ["websocket"],
      auth: { token: shortLived },
      reconnection: false,
      forceNew: true,
    });
    try {
      const events: unknown[] = [];
      let reason: string | undefined;
      expiring.on("session:expired", (payload) => events.push(payload));
      expiring.on("disconnect", (why) => (reason = why));
      await waitFor(() => reason, { what: "disconnect" });
      assert.equal(reason, "io server disconnect");
      assert.deepEqual(events, [{
        code: "token_expired",
        message: "The access token expired: refresh it and reconnect.",
      }]);
      assert.ok(client.socket.connected, "the other socket stays");
    } finally {
      expiring.close();
    }
  } finally {
    await cluster.cleanup();
  }
});
