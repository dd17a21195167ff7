/**
 * The gateway decides limits, routing and the forwarded path on one canonical
 * path: every other spelling of a limited route is refused before any route
 * runs, so none of them reaches auth or changes a counter.
 */
import assert from "node:assert/strict";
import {
  caseVariants,
  json,
  nonCanonicalSpellings,
  rawRequest,
  startAuthContractUpstream,
  startEchoUpstream,
  startGateway,
} from "./test_support.ts";

/** Every route of the gateway with a limit of its own. */
const LIMITED = [
  "/api/v1/auth/signup",
  "/api/v1/auth/login",
  "/api/v1/auth/forgot-password",
  "/api/v1/auth/resend-verification",
  "/api/v1/auth/change-password",
  "/api/v1/auth/verify-email",
  "/api/v1/auth/reset-password",
  "/api/v1/orders",
];

async function gatewayWithLimitsOfOne() {
  const auth = startAuthContractUpstream();
  const notifications = startEchoUpstream();
  const gateway = await startGateway({
    env: {
      AUTH_URL: auth.url,
      NOTIFICATIONS_URL: notifications.url,
      ORDERS_URL: notifications.url,
      RATE_LIMIT_PER_MINUTE: "100000",
      LOGIN_FAILURES_PER_MINUTE: "2",
    },
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

const JSON_HEADERS = { "content-type": "application/json" };

Deno.test("every non-canonical spelling of every limited route is a 400 problem that reaches no upstream", async () => {
  await using t = await gatewayWithLimitsOfOne();
  const token = (await t.gateway.signer.sign({ id: crypto.randomUUID(), username: "ada" })).token;
  for (const route of LIMITED) {
    for (const path of nonCanonicalSpellings(route)) {
      const reply = await rawRequest(t.gateway.url, "POST", path, {
        headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` },
        body: JSON.stringify({ login: "ada", password: "wrong", email: "ada@example.com" }),
      });
      assert.equal(reply.status, 400, path);
      assert.equal(reply.headers.get("content-type"), "application/problem+json", path);
      assert.equal(JSON.parse(reply.body).code, "path_not_canonical", path);
    }
  }
  assert.equal(t.auth.calls.length, 0, "no spelling reached auth");
  // Any other route too: one rule for every path.
  const other = await rawRequest(t.gateway.url, "GET", "/api/v1/notifications/./x");
  assert.equal(other.status, 400);
  assert.equal(t.notifications.received.length, 0);
});

Deno.test("upper-case spellings of limited routes are 404 and never reach the route's handler", async () => {
  await using t = await gatewayWithLimitsOfOne();
  for (const route of LIMITED) {
    for (const path of caseVariants(route)) {
      const reply = await rawRequest(t.gateway.url, "POST", path, {
        headers: JSON_HEADERS,
        body: JSON.stringify({ login: "ada", password: "wrong" }),
      });
      assert.equal(reply.status, 404, path);
      assert.equal(reply.headers.get("content-type"), "application/problem+json", path);
    }
  }
  // Paths are case-sensitive at auth too: what reached it was never one of its routes.
  assert.ok(t.auth.calls.every((call) => !LIMITED.includes(call.path)));
});

Deno.test("after every other spelling was tried, the login limit trips after exactly as many attempts as on the plain path", async () => {
  await using t = await gatewayWithLimitsOfOne();
  const attempt = (path: string) =>
    rawRequest(t.gateway.url, "POST", path, {
      headers: JSON_HEADERS,
      body: JSON.stringify({ login: "ada", password: "wrong" }),
    });
  for (
    const path of [
      ...nonCanonicalSpellings("/api/v1/auth/login"),
      ...caseVariants("/api/v1/auth/login"),
    ]
  ) {
    assert.notEqual((await attempt(path)).status, 401, path);
  }
  // LOGIN_FAILURES_PER_MINUTE is 2: the plain path has all of them, and no more.
  assert.equal((await attempt("/api/v1/auth/login")).status, 401);
  assert.equal((await attempt("/api/v1/auth/login")).status, 401);
  const refused = await attempt("/api/v1/auth/login");
  assert.equal(refused.status, 429);
  assert.equal(JSON.parse(refused.body).limit, "login-failures");
  assert.equal(t.auth.calls.filter((call) => call.path === "/api/v1/auth/login").length, 2);
});

Deno.test("a canonical path is forwarded exactly as it was sent", async () => {
  await using t = await gatewayWithLimitsOfOne();
  const path = "/api/v1/notifications/%C3%A9t%C3%A9/a-b.c~d!$&'()*+,=:@";
  const reply = await rawRequest(t.gateway.url, "GET", `${path}?q=%2e%2E/x`);
  assert.equal(reply.status, 200);
  assert.equal(t.notifications.received[0].path, path);
  assert.equal(t.notifications.received[0].search, "?q=%2e%2E/x");
  const response = await fetch(`${t.gateway.url}/api/v1/notifications`);
  assert.equal((await json(response)).path, "/api/v1/notifications");
});
