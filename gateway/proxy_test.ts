import assert from "node:assert/strict";
import {
  closedPort,
  type Echo,
  json,
  startEchoUpstream,
  startGateway,
  startStalledUpstream,
} from "./test_support.ts";
import { findRoute } from "./routes.ts";

/** A gateway whose auth and notifications upstreams are echo servers. */
async function echoGateway(env: Record<string, string> = {}) {
  const auth = startEchoUpstream();
  const notifications = startEchoUpstream();
  const gateway = await startGateway({
    env: { AUTH_URL: auth.url, NOTIFICATIONS_URL: notifications.url, ...env },
  });
  return {
    auth,
    notifications,
    gateway,
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await auth.close();
      await notifications.close();
    },
  };
}

Deno.test("a request is forwarded with its method, path, query, body and the caller's Authorization", async () => {
  await using t = await echoGateway();
  const response = await fetch(
    `${t.gateway.url}/api/v1/notifications/items/42?page=2&sort=-createdAt`,
    {
      method: "PATCH",
      headers: {
        authorization: "Bearer abc.def.ghi",
        "content-type": "application/json",
        "accept-language": "de",
      },
      body: JSON.stringify({ read: true }),
    },
  );
  assert.equal(response.status, 200);
  const echo = await json<Echo>(response);
  assert.equal(echo.method, "PATCH");
  assert.equal(echo.path, "/api/v1/notifications/items/42");
  assert.equal(echo.search, "?page=2&sort=-createdAt");
  assert.equal(echo.body, '{"read":true}');
  assert.equal(echo.headers["authorization"], "Bearer abc.def.ghi");
  assert.equal(echo.headers["content-type"], "application/json");
  assert.equal(echo.headers["accept-language"], "de");
  assert.equal(t.auth.received.length, 0, "auth was not called");
});

Deno.test("the upstream gets the socket address as X-Forwarded-For, not the client's own header", async () => {
  await using t = await echoGateway();
  const response = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    headers: { "x-forwarded-for": "6.6.6.6", "x-real-ip": "6.6.6.6", forwarded: "for=6.6.6.6" },
  });
  const echo = await json<Echo>(response);
  assert.equal(echo.headers["x-forwarded-for"], "127.0.0.1");
  assert.equal(echo.headers["x-real-ip"], undefined);
  assert.equal(echo.headers["forwarded"], undefined);
});

Deno.test("behind a trusted proxy the X-Forwarded-For chain is kept and the socket address appended", async () => {
  await using t = await echoGateway({ TRUST_PROXY: "true" });
  const response = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    headers: { "x-forwarded-for": "203.0.113.7" },
  });
  const echo = await json<Echo>(response);
  assert.equal(echo.headers["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
});

Deno.test("hop-by-hop headers and the fields named in Connection are not forwarded", async () => {
  await using t = await echoGateway();
  const response = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    headers: {
      connection: "keep-alive, x-secret-hop",
      "x-secret-hop": "1",
      "keep-alive": "timeout=5",
      "proxy-authorization": "Basic Zm9vOmJhcg==",
      te: "trailers",
      "x-kept": "yes",
    },
  });
  const echo = await json<Echo>(response);
  for (const name of ["x-secret-hop", "keep-alive", "proxy-authorization", "te"]) {
    assert.equal(echo.headers[name], undefined, name);
  }
  assert.notEqual(echo.headers["connection"], "keep-alive, x-secret-hop");
  assert.equal(echo.headers["x-kept"], "yes");
});

Deno.test("the Cookie header goes to auth only", async () => {
  await using t = await echoGateway();
  const headers = { cookie: "refresh_token=rt-1; theme=dark" };
  await (await fetch(`${t.gateway.url}/api/v1/notifications`, { headers })).body?.cancel();
  await (await fetch(`${t.gateway.url}/api/v1/auth/me`, { headers })).body?.cancel();
  assert.equal(t.notifications.received[0].headers["cookie"], undefined);
  assert.equal(t.auth.received[0].headers["cookie"], "refresh_token=rt-1; theme=dark");
});

Deno.test("metrics are never proxied: /metrics reaches no service, /api/v1/<area>/metrics keeps its own path", async () => {
  await using t = await echoGateway();
  // The public port itself serves no metrics either (main.ts has a listener of their own).
  for (const accept of ["text/plain", "text/html", "*/*"]) {
    const own = await fetch(`${t.gateway.url}/metrics`, { headers: { accept } });
    const text = await own.text();
    assert.ok(!text.includes("http_requests_total"), `/metrics (${accept}) shows no metrics`);
  }
  assert.equal(t.auth.received.length + t.notifications.received.length, 0);
  for (const area of ["auth", "notifications"]) {
    const response = await fetch(`${t.gateway.url}/api/v1/${area}/metrics`);
    assert.equal((await json<Echo>(response)).path, `/api/v1/${area}/metrics`);
  }
  const paths = [...t.auth.received, ...t.notifications.received].map((echo) => echo.path);
  assert.ok(!paths.includes("/metrics"), `paths the services saw: ${paths.join(", ")}`);
  assert.equal(findRoute("/metrics"), undefined, "the route table has no /metrics");
});

Deno.test("a valid incoming X-Request-Id is forwarded and returned; an invalid one is replaced", async () => {
  await using t = await echoGateway();
  const kept = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    headers: { "x-request-id": "client-req-1" },
  });
  assert.equal(kept.headers.get("x-request-id"), "client-req-1");
  assert.equal((await json<Echo>(kept)).headers["x-request-id"], "client-req-1");

  const replaced = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    headers: { "x-request-id": "bad id\twith spaces" },
  });
  const id = replaced.headers.get("x-request-id")!;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal((await json<Echo>(replaced)).headers["x-request-id"], id);

  const generated = await fetch(`${t.gateway.url}/api/v1/notifications`);
  assert.match(generated.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  assert.equal(
    (await json<Echo>(generated)).headers["x-request-id"],
    generated.headers.get("x-request-id"),
  );
});

Deno.test("an upstream's Set-Cookie, Server and redirects reach the client only as they should", async () => {
  await using t = await echoGateway();
  const respond = (status: number, headers: Record<string, string>) => ({
    "x-test-respond": JSON.stringify({ status, headers }),
  });
  const notif = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    headers: respond(200, {
      "set-cookie": "evil=1; Path=/",
      server: "internal/1.2",
      "x-powered-by": "x",
    }),
  });
  await notif.body?.cancel();
  assert.equal(notif.headers.get("set-cookie"), null, "only auth may set cookies");
  assert.equal(notif.headers.get("server"), null);
  assert.equal(notif.headers.get("x-powered-by"), null);

  const redirect = await fetch(`${t.gateway.url}/api/v1/notifications/old`, {
    headers: respond(302, { location: "/api/v1/notifications/new" }),
    redirect: "manual",
  });
  await redirect.body?.cancel();
  assert.equal(redirect.status, 302, "the gateway does not follow redirects itself");
  assert.equal(redirect.headers.get("location"), "/api/v1/notifications/new");
  assert.equal(t.notifications.received.length, 2);
});

Deno.test("an upstream that does not answer in time gives 504 problem+json", async () => {
  const stalled = startStalledUpstream();
  const gateway = await startGateway({
    env: { NOTIFICATIONS_URL: stalled.url, UPSTREAM_TIMEOUT_MS: "200" },
  });
  try {
    const response = await fetch(`${gateway.url}/api/v1/notifications`);
    assert.equal(response.status, 504);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    const body = await json(response);
    assert.equal(body.code, "upstream_timeout");
    assert.ok(!JSON.stringify(body).includes(String(stalled.port)));
  } finally {
    await gateway.close();
    await stalled.close();
  }
});

Deno.test("the deadline bounds the wait for the headers only: a body streaming past it arrives whole", async () => {
  const chunks = ["first ", "second ", "third"];
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const chunk of chunks) {
          controller.enqueue(new TextEncoder().encode(chunk));
          await new Promise((resolve) => setTimeout(resolve, 200)); // 600 ms in all
        }
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  });
  const gateway = await startGateway({
    env: {
      NOTIFICATIONS_URL: `http://127.0.0.1:${upstream.addr.port}`,
      UPSTREAM_TIMEOUT_MS: "250",
    },
  });
  try {
    const response = await fetch(`${gateway.url}/api/v1/notifications/stream`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), chunks.join(""));
  } finally {
    await gateway.close();
    await upstream.shutdown();
  }
});

Deno.test("a compressed answer reaches the client decoded, without the encoding and length it no longer has", async () => {
  const text = "hello ".repeat(200);
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const gzipped = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
    return new Response(gzipped, {
      headers: {
        "content-type": "text/plain",
        "content-encoding": "gzip",
        "x-asked-encoding": request.headers.get("accept-encoding") ?? "",
      },
    });
  });
  const gateway = await startGateway({
    env: { NOTIFICATIONS_URL: `http://127.0.0.1:${upstream.addr.port}` },
  });
  try {
    const response = await fetch(`${gateway.url}/api/v1/notifications/big`, {
      headers: { "accept-encoding": "identity" },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-encoding"), null);
    assert.equal(await response.text(), text);
    // What the upstream was asked for is the gateway's own fetch's choice, not the client's.
    assert.notEqual(response.headers.get("x-asked-encoding"), "identity");
  } finally {
    await gateway.close();
    await upstream.shutdown();
  }
});

Deno.test("an unreachable upstream gives 503 service_unavailable naming no address", async () => {
  const port = closedPort();
  const gateway = await startGateway({ env: { NOTIFICATIONS_URL: `http://127.0.0.1:${port}` } });
  try {
    const response = await fetch(`${gateway.url}/api/v1/notifications/anything?x=1`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    assert.ok(response.headers.get("retry-after"));
    const text = await response.text();
    assert.equal(JSON.parse(text).code, "service_unavailable");
    assert.ok(!text.includes(`127.0.0.1:${port}`), text);
    assert.ok(!text.includes(String(port)), text);
    assert.ok(!/stack|error:|os error|tcp/i.test(text), text);
  } finally {
    await gateway.close();
  }
});

Deno.test("a body over BODY_LIMIT_BYTES is refused with 413 before reaching the upstream", async () => {
  await using t = await echoGateway({ BODY_LIMIT_BYTES: "1024" });
  const big = "x".repeat(2048);
  const declared = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    method: "POST",
    body: big,
  });
  assert.equal(declared.status, 413);
  assert.equal(declared.headers.get("content-type"), "application/problem+json");
  assert.equal((await json(declared)).code, "body_too_large");

  // Without Content-Length (chunked), the limit is enforced while reading.
  const chunked = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    method: "POST",
    body: ReadableStream.from([new TextEncoder().encode(big)]),
  });
  assert.equal(chunked.status, 413);
  assert.equal((await json(chunked)).code, "body_too_large");

  const small = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    method: "POST",
    body: "x".repeat(1024),
  });
  assert.equal(small.status, 200);
  await small.body?.cancel();
  assert.equal(t.notifications.received.length, 1, "only the body within the limit was forwarded");
});

Deno.test("unknown routes are 404 problem+json and never reach an upstream", async () => {
  await using t = await echoGateway();
  for (
    const path of [
      "/nope",
      "/api/v1/authx",
      "/api/v1/gigs",
      "/api/v2/auth/login",
      "/API/v1/auth/me",
    ]
  ) {
    const response = await fetch(`${t.gateway.url}${path}`);
    assert.equal(response.status, 404, path);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    assert.equal((await json(response)).code, "route_not_found");
  }
  assert.equal(t.auth.received.length + t.notifications.received.length, 0);
});

Deno.test("a CORS preflight from an allowed origin is answered with credentials; other origins get no grant", async () => {
  await using t = await echoGateway({ CORS_ORIGINS: "http://web.test, https://app.example" });
  const preflight = (origin: string) =>
    fetch(`${t.gateway.url}/api/v1/auth/login`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
      },
    });
  const allowed = await preflight("https://app.example");
  await allowed.body?.cancel();
  assert.equal(allowed.status, 204);
  assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
  assert.match(allowed.headers.get("access-control-allow-methods")!, /POST/);
  assert.match(allowed.headers.get("access-control-allow-headers")!, /Authorization/i);
  // State-changing POSTs take an Idempotency-Key (docs/CONTRACTS.md, "Idempotency").
  assert.match(allowed.headers.get("access-control-allow-headers")!, /Idempotency-Key/i);

  const denied = await preflight("https://evil.example");
  await denied.body?.cancel();
  assert.equal(denied.headers.get("access-control-allow-origin"), null);
  assert.equal(t.auth.received.length, 0, "preflights are answered by the gateway");

  const simple = await fetch(`${t.gateway.url}/api/v1/notifications`, {
    headers: { origin: "http://web.test" },
  });
  await simple.body?.cancel();
  assert.equal(simple.headers.get("access-control-allow-origin"), "http://web.test");
  assert.match(simple.headers.get("access-control-expose-headers")!, /X-Request-Id/i);
  assert.match(simple.headers.get("access-control-expose-headers")!, /Idempotent-Replayed/i);
});

Deno.test("responses carry the secure headers, problems included", async () => {
  await using t = await echoGateway();
  for (const path of ["/api/v1/notifications", "/nope"]) {
    const response = await fetch(`${t.gateway.url}${path}`);
    await response.body?.cancel();
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(response.headers.get("x-frame-options"), "SAMEORIGIN", path);
    assert.match(response.headers.get("strict-transport-security")!, /max-age=\d+/, path);
    assert.equal(response.headers.get("referrer-policy"), "no-referrer", path);
    assert.equal(
      response.headers.get("content-security-policy"),
      "default-src 'none'; frame-ancestors 'none'",
      path,
    );
  }
});

Deno.test("chat's areas (/api/v1/conversations, /api/v1/offers) are forwarded to CHAT_URL", async () => {
  const chat = startEchoUpstream();
  await using t = await echoGateway({ CHAT_URL: chat.url });
  try {
    const cases: [string, string][] = [
      ["GET", "/api/v1/conversations?cursor=m1&limit=20"],
      ["POST", "/api/v1/conversations/c1/messages"],
      ["GET", "/api/v1/conversations/unread-count"],
      ["POST", "/api/v1/offers/o1/accept"],
    ];
    for (const [method, target] of cases) {
      const response = await fetch(`${t.gateway.url}${target}`, {
        method,
        headers: { authorization: "Bearer abc.def.ghi", "content-type": "application/json" },
        body: method === "POST" ? "{}" : undefined,
      });
      assert.equal(response.status, 200, target);
      const echo = await json<Echo>(response);
      assert.equal(`${echo.path}${echo.search}`, target);
      assert.equal(echo.method, method);
      assert.equal(echo.headers["authorization"], "Bearer abc.def.ghi");
    }
    assert.equal(chat.received.length, cases.length);
    assert.equal(t.notifications.received.length + t.auth.received.length, 0);
  } finally {
    await chat.close();
  }
});

Deno.test("without CHAT_URL and REALTIME_URL, chat's areas and /socket.io/ are 404 problems, like any unconfigured service", async () => {
  await using t = await echoGateway();
  for (
    const target of [
      "/api/v1/conversations",
      "/api/v1/offers/o1/accept",
      "/socket.io/?EIO=4&transport=websocket",
    ]
  ) {
    const response = await fetch(`${t.gateway.url}${target}`, {
      headers: { authorization: "Bearer abc.def.ghi" },
    });
    assert.equal(response.status, 404, target);
    assert.equal(response.headers.get("content-type"), "application/problem+json", target);
    await response.body?.cancel();
  }
});
