/**
 * Two realtime instances on the real fleet: the fleet's edge and a second edge
 * process under the very same flags (scripts/processes.ts) on another port,
 * against the same Redis prefix (rooms shared through @socket.io/redis-adapter)
 * and the same queue (`<exchange>.realtime`, consumed by both). One client is
 * connected straight to each edge (the gateway reaches one instance per
 * deployment name; the point here is the instances, not the bridge). Every
 * message sent over REST reaches both clients, whichever instance consumed its
 * event; typing crosses instances too.
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { passThrough, startProcess, type TestProcess, waitFor } from "@mp/shared/testing";
import { freePort, processSpec, ROOT, serveArgs } from "../scripts/fleet.ts";
import { connectSocket, type LiveClient } from "./sockets.ts";
import { type SignedUp, startMarketplace } from "./support.ts";

Deno.test({
  name:
    "two realtime instances share rooms and one queue: a message sent over REST reaches a client on each",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("chat_cluster");
    const { fleet } = market;
    const sockets: LiveClient[] = [];
    let second: TestProcess | undefined;
    const call = (who: SignedUp, method: string, path: string, body?: unknown) =>
      who.client.request(method, path, { token: who.accessToken, body });
    try {
      let secondUrl = "";
      await t.step("a second edge under the fleet's flags, on another port", async () => {
        const first = fleet.commandOf("realtime");
        const port = freePort();
        const args = serveArgs(processSpec("realtime"), {
          root: ROOT,
          host: "127.0.0.1",
          port,
          amqpUrl: first.env.AMQP_URL,
          redisUrl: first.env.REDIS_URL,
        });
        // The same command as the fleet's instance but for its own listen address.
        const firstPort = first.env.REALTIME_PORT;
        assert.deepEqual(
          args.map((arg) => arg.replace(`127.0.0.1:${port}`, `127.0.0.1:${firstPort}`)),
          first.args,
        );
        second = startProcess(Deno.execPath(), args, {
          cwd: ROOT,
          env: {
            ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]),
            ...first.env,
            REALTIME_PORT: String(port),
          },
        });
        secondUrl = `http://127.0.0.1:${port}`;
        await waitFor(async () => {
          const response = await fetch(`${secondUrl}/readyz`).catch(() => undefined);
          await response?.body?.cancel();
          return response?.status === 200;
        }, { what: "the second edge ready", timeoutMs: 60_000 });
        // Both instances consume the one shared queue.
        await waitFor(async () => (await consumers(`${fleet.exchange}.realtime`)) === 2, {
          what: "two consumers on the realtime queue",
        });
      });

      const [ada, bob] = await Promise.all([market.signup("ada"), market.signup("bob")]);
      let adaOnFirst: LiveClient;
      let bobOnSecond: LiveClient;
      let conversationId: string;
      await t.step("a client on each instance; a conversation between them", async () => {
        adaOnFirst = await connectSocket(fleet.urlOf("realtime"), ada.accessToken, "ada@first");
        bobOnSecond = await connectSocket(secondUrl, bob.accessToken, "bob@second");
        sockets.push(adaOnFirst, bobOnSecond);
        const started = await waitFor(async () => {
          const res = await call(bob, "POST", "/api/v1/conversations", { recipient: "ada" });
          return res.status === 404 ? undefined : res; // until user.registered reached chat
        }, { what: "chat to know ada" });
        assert.equal(started.status, 201, JSON.stringify(started.body));
        conversationId = started.body.conversation.id;
      });

      await t.step("every message sent over REST reaches the client on each instance", async () => {
        // Both instances consume the one queue (round robin): some events are
        // consumed by the instance that does not hold the recipient's socket.
        const sent: string[] = [];
        for (let i = 0; i < 12; i++) {
          const from = i % 2 === 0 ? bob : ada;
          const res = await call(from, "POST", `/api/v1/conversations/${conversationId}/messages`, {
            clientId: `cluster-${i}`,
            body: `message ${i}`,
          });
          assert.equal(res.status, 201, JSON.stringify(res.body));
          sent.push(res.body.message.id);
        }
        for (const client of [adaOnFirst, bobOnSecond]) {
          for (const id of sent) await client.next("message:new", (m) => m.id === id);
        }
      });

      await t.step(
        "typing on one instance reaches the other participant on the other",
        async () => {
          // The edge learns the pair from conversation.started, possibly on the other instance.
          const answer = await waitFor(async () => {
            const ack = await bobOnSecond.ask("typing", { conversationId });
            return ack.ok ? ack : undefined;
          }, { what: "typing accepted" });
          assert.deepEqual(answer, { ok: true });
          const typing = await adaOnFirst.next(
            "typing",
            (p) => p.conversationId === conversationId,
          );
          assert.equal(typing.userId, bob.user.id);
        },
      );

      await t.step("the second instance stops cleanly under SIGTERM", async () => {
        const { stderr } = await second!.stop();
        second = undefined;
        assert.doesNotMatch(stderr, /NotCapable|PermissionDenied/);
      });
    } catch (error) {
      for (const name of fleet.names) {
        console.error(`--- ${name} ---\n${fleet.logs(name).slice(-3000)}`);
      }
      throw error;
    } finally {
      for (const socket of sockets) socket.close();
      await second?.kill();
      await market.close();
    }
  },
});

async function consumers(queue: string): Promise<number> {
  const conn = await amqp.connect(Deno.env.get("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672");
  try {
    return (await (await conn.createChannel()).checkQueue(queue)).consumerCount;
  } finally {
    await conn.close();
  }
}
