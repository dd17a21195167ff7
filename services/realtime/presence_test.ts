/**
 * Presence through real sockets and Redis: told to contacts only, online at
 * the first socket anywhere, offline after the grace period without one (a
 * second socket or a quick reconnect tells nobody), the online key chat reads,
 * and the users of a killed instance expiring.
 */
import assert from "node:assert/strict";
import { createCluster, envelope, newUser, type TestClient, waitFor } from "./test_support.ts";
import { startEdgeProcess } from "./test_process.ts";

type Cluster = Awaited<ReturnType<typeof createCluster>>;

async function settled(cluster: Cluster, client: TestClient) {
  const id = crypto.randomUUID();
  await cluster.publish(envelope("notification.created", {
    userId: client.userId,
    notification: { id },
  }));
  await client.next("notification:new", (p) => p.id === id);
}

const presenceOf = (client: TestClient, userId: string) =>
  client.all("presence").filter((p) => (p as { userId: string }).userId === userId) as {
    online: boolean;
  }[];

Deno.test("presence goes to contacts only: online, then offline after the grace", async () => {
  const cluster = await createCluster("presence");
  try {
    const edge = await cluster.start();
    const bob = await cluster.client(edge, newUser("bob"));
    const eve = await cluster.client(edge, newUser("eve"));
    const adaId = newUser("ada");
    await cluster.converse(adaId, bob.userId);

    const ada = await cluster.client(edge, adaId);
    await bob.next("presence", (p) => p.userId === adaId && p.online === true);
    assert.equal(await cluster.redis.exists(`realtime:online:${adaId}`), 1);
    // Ada's new socket was told that bob is online; eve is nobody's contact.
    await ada.next("presence", (p) => p.userId === bob.userId && p.online === true);

    ada.close();
    const offline = await bob.next("presence", (p) => p.userId === adaId && p.online === false);
    assert.ok(!Number.isNaN(Date.parse((offline as { lastSeenAt: string }).lastSeenAt)));
    assert.equal(await cluster.redis.exists(`realtime:online:${adaId}`), 0);
    await settled(cluster, eve);
    assert.equal(eve.all("presence").length, 0);
    assert.deepEqual(presenceOf(bob, adaId).map((p) => p.online), [true, false]);
  } finally {
    await cluster.cleanup();
  }
});

Deno.test("a second socket and a reconnect within the grace tell nobody", async () => {
  const cluster = await createCluster("presence_grace");
  try {
    // A grace of a minute: the reconnect below comes well within it.
    const edge = await cluster.start({ PRESENCE_GRACE_MS: "60000" });
    const bob = await cluster.client(edge, newUser("bob"));
    const adaId = newUser("ada");
    await cluster.converse(adaId, bob.userId);
    const ada = await cluster.client(edge, adaId);
    await bob.next("presence", (p) => p.userId === adaId);
    const adaPhone = await cluster.client(edge, adaId);
    ada.close();
    adaPhone.close();
    await waitFor(async () => (await cluster.redis.exists(`realtime:online:${adaId}`)) === 0, {
      what: "online key removed",
    });
    await cluster.client(edge, adaId);
    assert.equal(await cluster.redis.exists(`realtime:online:${adaId}`), 1);
    await settled(cluster, bob);
    assert.deepEqual(presenceOf(bob, adaId).map((p) => p.online), [true]);
  } finally {
    await cluster.cleanup();
  }
});

Deno.test("the users of a killed instance go offline when its heartbeat stops", async () => {
  const cluster = await createCluster("presence_kill");
  const { proc, url } = await startEdgeProcess(cluster);
  try {
    const edge = await cluster.start();
    const bob = await cluster.client(edge, newUser("bob"));
    const adaId = newUser("ada");
    await cluster.converse(adaId, bob.userId);
    const ada = await cluster.client(url, adaId);
    await bob.next("presence", (p) => p.userId === adaId && p.online === true);

    await proc.kill(); // SIGKILL: no shutdown, no cleanup
    await bob.next("presence", (p) => p.userId === adaId && p.online === false);
    assert.equal(await cluster.redis.exists(`realtime:online:${adaId}`), 0);
    ada.close();
  } finally {
    await proc.kill();
    await cluster.cleanup();
  }
});
