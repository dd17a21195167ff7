import assert from "node:assert/strict";
import { backoffDelay } from "./backoff.ts";
import { EventBus, RECONNECT_BACKOFF } from "./bus.ts";
import { quietLogger, testBus, waitFor } from "./testing/mod.ts";

/**
 * A TCP relay to the real broker whose connections the test can cut, as a
 * broker restart or a network blip would (without restarting the shared broker).
 */
function cuttableRelay(target: { hostname: string; port: number }) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let accepted = 0;
  (async () => {
    for await (const client of listener) {
      accepted++;
      const upstream = await Deno.connect(target);
      open.add(client).add(upstream);
      const pipe = (from: Deno.Conn, to: Deno.Conn) =>
        from.readable.pipeTo(to.writable).catch(() => {}).finally(() => {
          for (const conn of [from, to]) {
            open.delete(conn);
            try {
              conn.close();
            } catch { /* already closed */ }
          }
        });
      pipe(client, upstream);
      pipe(upstream, client);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => accepted,
    cut() {
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      open.clear();
    },
    close() {
      listener.close();
      this.cut();
    },
  };
}

Deno.test("RECONNECT_BACKOFF: 0.16–0.2 s before the first reconnect, at most 3 s", () => {
  assert.equal(backoffDelay(RECONNECT_BACKOFF, 0, 0), 160);
  assert.equal(backoffDelay(RECONNECT_BACKOFF, 0, 1), 200);
  assert.equal(backoffDelay(RECONNECT_BACKOFF, 20, 1), 3000);
});

Deno.test({
  name: "EventBus reconnects after its broker connection is cut, and publishes again",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const broker = testBus("reconnect");
    const url = new URL(broker.url);
    const relay = cuttableRelay({ hostname: url.hostname, port: Number(url.port || 5672) });
    const relayedUrl = new URL(broker.url);
    relayedUrl.port = String(relay.port);
    const bus = new EventBus({
      url: relayedUrl.href,
      service: "reconnect",
      log: quietLogger(),
      exchange: broker.exchange,
    });
    try {
      await bus.start();
      assert.equal(bus.isConnected(), true);
      relay.cut();
      await waitFor(() => !bus.isConnected(), { what: "the loss to be noticed" });
      await waitFor(() => bus.isConnected(), { what: "the reconnect", timeoutMs: 5_000 });
      assert.ok(relay.accepted() >= 2, "a second connection was made");
      await bus.publish([{
        envelope: {
          id: crypto.randomUUID(),
          type: "test.reconnected",
          occurredAt: new Date().toISOString(),
          data: {},
        },
        headers: {},
      }]);
    } finally {
      await bus.close();
      relay.close();
      await broker.cleanup();
    }
  },
});
