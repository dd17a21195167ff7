/**
 * main.ts as a real process under exactly the flags of README.md: it gets
 * ready, refuses a bad token, pushes a consumed event to its user, and on
 * SIGTERM tells the client why, closes its transport (so the client would
 * reconnect elsewhere) and exits 0 without a permission error. A dependency
 * that starts needing a wider permission fails here, not in production.
 */
import assert from "node:assert/strict";
import { createCluster, envelope, newUser } from "./test_support.ts";
import { startEdgeProcess } from "./test_process.ts";

Deno.test("main.ts runs under its flags: ready, pushes, shuts down on SIGTERM with exit 0", async () => {
  const cluster = await createCluster("main");
  const { proc, url } = await startEdgeProcess(cluster, { LOG_LEVEL: "info" });
  try {
    const live = await fetch(`${url}/livez`);
    assert.deepEqual(await live.json(), { status: "ok" });
    const missing = await fetch(`${url}/nothing-here`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("content-type"), "application/problem+json");
    await missing.body?.cancel();

    const refusal = await cluster.refusal({ url } as never, { token: "forged" });
    assert.deepEqual(refusal, { message: "unauthorized", data: { code: "token_invalid" } });

    const ada = await cluster.client(url, newUser("ada"));
    await cluster.publish(envelope("notification.created", {
      userId: ada.userId,
      notification: { id: "n1" },
    }));
    assert.deepEqual(await ada.next("notification:new"), { id: "n1" });

    const closed = new Promise((resolve) => ada.socket.on("disconnect", resolve));
    const { stdout, stderr } = await proc.stop(); // SIGTERM; asserts exit 0, no permission error
    assert.equal(await closed, "transport close");
    assert.deepEqual(ada.all("server:shutdown"), [{
      code: "shutting_down",
      message: "This server is restarting: reconnect.",
    }]);
    assert.doesNotMatch(stderr, /shutdown step failed|unhandled rejection|"log\.level":"error"/);
    assert.match(stdout, /"message":"stopped"/);
  } finally {
    await proc.kill();
    await cluster.cleanup();
  }
});
