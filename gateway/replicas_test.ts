/**
 * Several replicas behind one `<SERVICE>_URL`: balancing, ejection, probing back,
 * and which failed requests go to another replica (upstream_pool.ts, proxy.ts).
 * Real HTTP servers on real ports; the pool's probe is the real `/readyz` one.
 */
import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { problem } from "@mp/shared/problem";
import { loadGatewayConfig } from "./config.ts";
import { parseOrigins, UpstreamPool } from "./upstream_pool.ts";
import {
  closedPort,
  json,
  startEchoUpstream,
  startGateway,
  type TestServer,
} from "./test_support.ts";

const USERS = "/api/v1/users/someone";

// Answers like a service that is draining (shared/http.ts): 503 shutting_down, /readyz 503.
function startDrainingUpstream(): TestServer & { hits: () => number } {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (new URL(request.url).pathname !== "/readyz") hits++;
    return problem(503, "shutting_down", "The service is shutting down.", {}, {
      connection: "close",
    });
  });
  const port = server.addr.port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => server.shutdown(),
    hits: () => hits,
  };
}

// Accepts a connection, reads the request, and closes it without an answer: the
// request reached the replica, which may have acted on it.
function startDroppingUpstream(): TestServer & { hits: () => number } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let hits = 0;
  (async () => {
    for await (const conn of listener) {
      hits++;
      await readWholeRequest(conn).catch(() => {});
      conn.close();
    }
  })().catch(() => {});
  const { port } = listener.addr as Deno.NetAddr;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => Promise.resolve(listener.close()),
    hits: () => hits,
  };
}

// Reads one HTTP/1.1 request, head and Content-Length body, so it has surely arrived.
async function readWholeRequest(conn: Deno.Conn) {
  let text = "";
  const buffer = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    text += new TextDecoder().decode(buffer.subarray(0, n));
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) continue;
    const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
    if (text.length - headEnd - 4 >= length) return;
  }
}

Deno.test("the pool goes round robin over the healthy replicas and skips those tried", () => {
  const pool = new UpstreamPool(["http://a:1", "http://b:2", "http://a:1"], {
    probe: () => Promise.resolve(false),
  });
  try {
    assert.deepEqual(pool.origins, ["http://a:1", "http://b:2"]); // duplicates once
    const picks = Array.from({ length: 4 }, () => pool.pick());
    assert.deepEqual(picks.sort(), ["http://a:1", "http://a:1", "http://b:2", "http://b:2"]);
    assert.equal(pool.pick(new Set(["http://a:1"])), "http://b:2");
    assert.equal(pool.pick(new Set(["http://a:1", "http://b:2"])), undefined);
    pool.eject("http://a:1", "test");
    assert.deepEqual(pool.healthy, ["http://b:2"]);
    for (let i = 0; i < 3; i++) assert.equal(pool.pick(), "http://b:2");
    // Every replica out: the one ejected first is still tried rather than none.
    pool.eject("http://b:2", "test");
    assert.equal(pool.pick(), "http://a:1");
    assert.equal(pool.pick(new Set(["http://a:1"])), "http://b:2");
  } finally {
    pool.close();
  }
});

Deno.test("an ejected replica is probed and rejoins after its first ready answer", async () => {
  let ready = false;
  const changes: string[] = [];
  const pool = new UpstreamPool(["http://a:1", "http://b:2"], {
    probe: () => Promise.resolve(ready),
    probeEveryMs: 20,
    onChange: (origin, healthy, reason) => changes.push(`${origin} ${healthy} ${reason}`),
  });
  try {
    pool.eject("http://a:1", "connection refused");
    pool.eject("http://a:1", "again"); // already out: told once
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(pool.healthy, ["http://b:2"]); // probed several times, still not ready
    ready = true;
    await waitFor(() => pool.healthy.length === 2, { what: "a back in rotation" });
    assert.deepEqual(changes, [
      "http://a:1 false connection refused",
      "http://a:1 true ready again",
    ]);
  } finally {
    pool.close();
  }
});

Deno.test("<SERVICE>_URL takes one URL or several separated by commas, and nothing else", () => {
  assert.deepEqual(parseOrigins("http://a:1/ignored, https://b"), ["http://a:1", "https://b"]);
  const base = { JWT_PRIVATE_JWK: "{}" };
  const config = loadGatewayConfig({
    ...base,
    USERS_URL: "http://users-1:4002,http://users-2:4002",
  });
  assert.equal(config.USERS_URL, "http://users-1:4002,http://users-2:4002");
  for (const bad of ["http://a:1,ftp://b", "http://a:1,", "http://u:p@a:1", "users"]) {
    assert.throws(
      () => loadGatewayConfig({ ...base, USERS_URL: bad }),
      /USERS_URL/,
      `"${bad}" refused`,
    );
  }
});

Deno.test("requests are balanced over every replica of a service", async () => {
  const [a, b] = [startEchoUpstream(), startEchoUpstream()];
  const gateway = await startGateway({ env: { USERS_URL: `${a.url},${b.url}` } });
  try {
    for (let i = 0; i < 10; i++) assert.equal((await fetch(`${gateway.url}${USERS}`)).status, 200);
    assert.equal(a.received.length, 5);
    assert.equal(b.received.length, 5);
  } finally {
    await gateway.close();
    await a.close();
    await b.close();
  }
});

Deno.test("a replica nobody listens on is ejected, and every request, writes too, is served by another", async () => {
  const live = startEchoUpstream();
  const gateway = await startGateway({
    env: { USERS_URL: `http://127.0.0.1:${closedPort()},${live.url}` },
  });
  try {
    for (let i = 0; i < 6; i++) {
      // A write without an Idempotency-Key too: a refused connection never delivered it.
      const method = i % 2 ? "PATCH" : "GET";
      const response = await fetch(`${gateway.url}${USERS}`, {
        method,
        body: method === "PATCH" ? "{}" : undefined,
      });
      assert.equal(response.status, 200, `${method} #${i}`);
      assert.equal((await json(response)).method, method);
    }
    assert.equal(live.received.length, 6); // each once: no duplicate
  } finally {
    await gateway.close();
    await live.close();
  }
});

Deno.test("a replica that is shutting down hands its requests to another one", async () => {
  const draining = startDrainingUpstream();
  const live = startEchoUpstream();
  const gateway = await startGateway({ env: { USERS_URL: `${draining.url},${live.url}` } });
  try {
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${gateway.url}${USERS}`, { method: "POST", body: "{}" });
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    // It refused at most the first request before it was ejected.
    assert.ok(draining.hits() <= 1, `draining replica got ${draining.hits()}`);
    assert.equal(live.received.length, 4);
  } finally {
    await gateway.close();
    await draining.close();
    await live.close();
  }
});

Deno.test("a request lost mid-way is retried elsewhere only when it is repeatable", async () => {
  const dropping = startDroppingUpstream();
  const live = startEchoUpstream();
  const gateway = await startGateway({ env: { USERS_URL: `${dropping.url},${live.url}` } });
  try {
    // Round robin: within two writes one goes to the dropping replica.
    let refused: Response | undefined;
    for (let i = 0; i < 4 && !refused; i++) {
      const before = live.received.length;
      const response = await fetch(`${gateway.url}${USERS}`, { method: "POST", body: "{}" });
      if (response.status === 503) refused = response;
      else await response.body?.cancel();
      if (!refused) assert.equal(live.received.length, before + 1);
    }
    // A write without an Idempotency-Key that reached a replica is not sent to another.
    // (Deno's fetch itself sends it once more on a new connection to the same replica
    // when the first closes before any answer: a runtime behaviour, seen here as 2 hits.)
    assert.ok(refused, "the dropping replica took a write");
    assert.equal((await json(refused)).code, "service_unavailable");
    const droppedHits = dropping.hits();
    assert.ok(droppedHits >= 1 && droppedHits <= 2, `${droppedHits} hits`);
    // The dropping replica is ejected now; bring the pool back to both by a new gateway.
    const second = await startGateway({ env: { USERS_URL: `${dropping.url},${live.url}` } });
    const liveBefore = live.received.length;
    try {
      for (let i = 0; i < 2; i++) {
        for (
          const init of [{ method: "GET" }, {
            method: "POST",
            body: "{}",
            headers: { "idempotency-key": crypto.randomUUID() },
          }]
        ) {
          const response = await fetch(`${second.url}${USERS}`, init);
          assert.equal(response.status, 200, `${init.method} is repeatable`);
          await response.body?.cancel();
        }
      }
      // It took one of them (and Deno's resend) before its ejection; the rest went to live.
      assert.ok(dropping.hits() > droppedHits && dropping.hits() <= droppedHits + 2);
      assert.equal(live.received.length, liveBefore + 4);
    } finally {
      await second.close();
    }
  } finally {
    await gateway.close();
    await dropping.close();
    await live.close();
  }
});

Deno.test("an ejected replica gets requests again once its /readyz answers", async () => {
  const port = closedPort();
  const live = startEchoUpstream();
  const gateway = await startGateway({
    env: { USERS_URL: `http://127.0.0.1:${port},${live.url}` },
  });
  let revived: Deno.HttpServer | undefined;
  try {
    assert.equal((await fetch(`${gateway.url}${USERS}`)).status, 200); // ejects the dead one
    let revivedHits = 0;
    revived = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (request) => {
      if (new URL(request.url).pathname === "/readyz") return Response.json({ status: "ready" });
      revivedHits++;
      return Response.json({ revived: true });
    });
    await waitFor(async () => {
      const response = await fetch(`${gateway.url}${USERS}`);
      await response.body?.cancel();
      return revivedHits > 0;
    }, { what: "the revived replica back in rotation", timeoutMs: 10_000 });
  } finally {
    await gateway.close();
    await revived?.shutdown();
    await live.close();
  }
});
