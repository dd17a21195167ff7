import assert from "node:assert/strict";
import { createTestKeys } from "@mp/shared/testing";
import { createAccessTokenSigner } from "./keys.ts";
import {
  closedPort,
  json,
  startAuthContractUpstream,
  startEchoUpstream,
  startGateway,
  type TestGateway,
} from "./test_support.ts";

/**
 * A gateway in front of the auth-contract upstream and an echo upstream, with
 * generous limits unless the test lowers one, and TRUST_PROXY so a test can
 * speak for several client addresses through X-Forwarded-For.
 */
async function limitedGateway(env: Record<string, string> = {}) {
  const auth = startAuthContractUpstream();
  const notifications = startEchoUpstream();
  const gateway = await startGateway({
    env: {
      AUTH_URL: auth.url,
      NOTIFICATIONS_URL: notifications.url,
      TRUST_PROXY: "true",
      RATE_LIMIT_PER_MINUTE: "1000",
      LOGIN_IP_LIMIT_PER_MINUTE: "1000",
      SIGNUP_LIMIT_PER_HOUR: "1000",
      FORGOT_IP_LIMIT_PER_HOUR: "1000",
      ...env,
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

function post(gateway: TestGateway, path: string, body: unknown, ip = "198.51.100.1") {
  return fetch(`${gateway.url}/api/v1/auth/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify(body),
  });
}

const wrong = (login: string) => ({ login, password: "wrong" });
const right = (login: string) => ({ login, password: "right" });

/** Asserts a 429 problem for `limit` with a Retry-After within the window. */
async function assertRefused(response: Response, limit: string, windowSeconds: number) {
  assert.equal(response.status, 429);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const retryAfter = Number(response.headers.get("retry-after"));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds,
    `${retryAfter}`,
  );
  const body = await json(response);
  assert.equal(body.code, "rate_limited");
  assert.equal(body.limit, limit);
  assert.equal(body.retryAfter, retryAfter);
}

async function statusOf(response: Promise<Response>) {
  const answered = await response;
  await answered.body?.cancel();
  return answered.status;
}

const loginCalls = (auth: { calls: { path: string }[] }) =>
  auth.calls.filter((call) => call.path === "/api/v1/auth/login").length;

Deno.test("the 6th failed login for one account within a minute is 429 with Retry-After, without reaching auth", async () => {
  await using t = await limitedGateway();
  for (let i = 0; i < 5; i++) {
    assert.equal(await statusOf(post(t.gateway, "login", wrong("alice"))), 401);
  }
  assert.equal(loginCalls(t.auth), 5);

  // The account is the lower-cased, trimmed login, and the right password does not unlock it.
  await assertRefused(await post(t.gateway, "login", wrong(" ALICE ")), "login-failures", 60);
  await assertRefused(await post(t.gateway, "login", right("alice")), "login-failures", 60);
  assert.equal(loginCalls(t.auth), 5, "refused attempts never reached auth");

  // Another account from the same address is not affected.
  assert.equal(await statusOf(post(t.gateway, "login", wrong("bob"))), 401);
});

Deno.test("successful logins do not count toward an account's failures", async () => {
  await using t = await limitedGateway();
  const attempts = ["F", "F", "F", "F", "S", "S", "S", "F"];
  for (const attempt of attempts) {
    const status = await statusOf(
      post(t.gateway, "login", attempt === "F" ? wrong("carol") : right("carol")),
    );
    assert.equal(status, attempt === "F" ? 401 : 200);
  }
  // 5 failures now: the next attempt is refused.
  await assertRefused(await post(t.gateway, "login", right("carol")), "login-failures", 60);
  assert.equal(loginCalls(t.auth), attempts.length);
});

Deno.test("parallel wrong guesses for one account cannot pass the limit together", async () => {
  await using t = await limitedGateway();
  const statuses = await Promise.all(
    Array.from({ length: 15 }, () => statusOf(post(t.gateway, "login", wrong("dave")))),
  );
  assert.equal(statuses.filter((status) => status === 401).length, 5);
  assert.equal(statuses.filter((status) => status === 429).length, 10);
  assert.equal(loginCalls(t.auth), 5);
});

Deno.test("a login body without a usable login field is left to auth and not counted", async () => {
  await using t = await limitedGateway({ LOGIN_FAILURES_PER_MINUTE: "1" });
  for (const body of [{}, { login: 42 }, { login: "   " }, [1, 2]]) {
    assert.equal(await statusOf(post(t.gateway, "login", body)), 200, JSON.stringify(body));
  }
  assert.equal(loginCalls(t.auth), 4);
});

Deno.test("login attempts are limited per IP across accounts", async () => {
  await using t = await limitedGateway({ LOGIN_IP_LIMIT_PER_MINUTE: "3" });
  for (const login of ["a1", "a2", "a3"]) {
    assert.equal(await statusOf(post(t.gateway, "login", right(login), "198.51.100.7")), 200);
  }
  await assertRefused(await post(t.gateway, "login", right("a4"), "198.51.100.7"), "login-ip", 60);
  assert.equal(
    await statusOf(post(t.gateway, "login", right("a4"), "198.51.100.8")),
    200,
    "another address",
  );
  assert.equal(loginCalls(t.auth), 4);
});

Deno.test("signups are limited per IP per hour", async () => {
  await using t = await limitedGateway({ SIGNUP_LIMIT_PER_HOUR: "2" });
  const signup = (n: number, ip = "203.0.113.5") =>
    post(
      t.gateway,
      "signup",
      { email: `u${n}@example.test`, username: `u${n}`, password: "pw" },
      ip,
    );
  assert.equal(await statusOf(signup(1)), 201);
  assert.equal(await statusOf(signup(2)), 201);
  const refused = await signup(3);
  assert.ok(Number(refused.headers.get("retry-after")) > 60, "the window is an hour");
  await assertRefused(refused, "signup-ip", 3600);
  assert.equal(await statusOf(signup(4, "203.0.113.6")), 201);
  assert.equal(t.auth.calls.length, 3);
});

Deno.test("forgot-password is limited per email (however written) and per IP", async () => {
  await using t = await limitedGateway({
    FORGOT_EMAIL_LIMIT_PER_HOUR: "3",
    FORGOT_IP_LIMIT_PER_HOUR: "5",
  });
  const forgot = (email: string, ip: string) => post(t.gateway, "forgot-password", { email }, ip);
  for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) {
    assert.equal(await statusOf(forgot("Erin@Example.test", ip)), 202);
  }
  await assertRefused(await forgot(" erin@example.TEST ", "192.0.2.4"), "forgot-email", 3600);
  assert.equal(await statusOf(forgot("frank@example.test", "192.0.2.4")), 202, "another mailbox");

  // Per IP: 192.0.2.9 may ask five times, whatever the addresses.
  for (let i = 0; i < 5; i++) {
    assert.equal(await statusOf(forgot(`g${i}@example.test`, "192.0.2.9")), 202);
  }
  await assertRefused(await forgot("h@example.test", "192.0.2.9"), "forgot-ip", 3600);
  assert.equal(t.auth.calls.length, 9);
});

Deno.test("signup is limited per email however written, besides per IP", async () => {
  await using t = await limitedGateway({ SIGNUP_EMAIL_LIMIT_PER_HOUR: "2" });
  const signup = (email: string, n: number) =>
    post(t.gateway, "signup", { email, username: `s${n}`, password: "pw" }, `203.0.113.${n}`);
  assert.equal(await statusOf(signup("Ivy@Example.test", 1)), 201);
  assert.equal(await statusOf(signup("ivy@example.test", 2)), 201);
  await assertRefused(await signup(" IVY@example.TEST ", 3), "signup-email", 3600);
  assert.equal(await statusOf(signup("jay@example.test", 4)), 201, "another mailbox");
  assert.equal(t.auth.calls.length, 3);
});

/** An access token the gateway under test signed, for a new account id. */
async function tokenFor(gateway: TestGateway, username: string) {
  return (await gateway.signer.sign({ id: crypto.randomUUID(), username })).token;
}

/** A well-formed token signed by a key that is not the gateway's. */
async function foreignToken() {
  const keys = await createTestKeys();
  const signer = await createAccessTokenSigner({
    privateJwk: JSON.stringify(keys.privateJwk),
    issuer: "marketplace-gateway",
    audience: "marketplace",
  });
  return (await signer.sign({ id: crypto.randomUUID(), username: "ada" })).token;
}

function postAs(gateway: TestGateway, path: string, token: string, ip: string, body = {}) {
  return fetch(`${gateway.url}/api/v1/auth/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-forwarded-for": ip,
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify(body),
  });
}

for (
  const [path, prefix] of [
    ["resend-verification", "RESEND_VERIFICATION"],
    ["change-password", "CHANGE_PASSWORD"],
  ] as const
) {
  Deno.test(`${path} sends at most the allowed mails per account (verified token) and per IP; a bad token reaches no one`, async () => {
    await using t = await limitedGateway({
      [`${prefix}_ACCOUNT_LIMIT_PER_HOUR`]: "3",
      [`${prefix}_IP_LIMIT_PER_HOUR`]: "5",
    });
    const route = `/api/v1/auth/${path}`;
    t.auth.override.set(route, () => new Response(null, { status: 202 }));
    const calls = () => t.auth.calls.filter((call) => call.path === route).length;

    const ada = await tokenFor(t.gateway, "ada");
    for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) {
      assert.equal(await statusOf(postAs(t.gateway, path, ada, ip)), 202);
    }
    // A fresh token for the same account (another login) shares the counter.
    const again = await t.gateway.signer.sign({
      id: JSON.parse(atob(ada.split(".")[1])).sub,
      username: "ada",
    });
    await assertRefused(
      await postAs(t.gateway, path, again.token, "192.0.2.4"),
      `${path}-account`,
      3600,
    );
    assert.equal(calls(), 3);

    // Per IP: 192.0.2.9 may ask five times, whatever the accounts.
    for (let i = 0; i < 5; i++) {
      const token = await tokenFor(t.gateway, `u${i}`);
      assert.equal(await statusOf(postAs(t.gateway, path, token, "192.0.2.9")), 202);
    }
    const other = await tokenFor(t.gateway, "other");
    await assertRefused(await postAs(t.gateway, path, other, "192.0.2.9"), `${path}-ip`, 3600);
    assert.equal(calls(), 8);

    // Tokens the gateway did not sign are 401 here, uncounted per account and never forwarded.
    const forged = await foreignToken();
    for (const token of ["not-a-token", forged, `${ada.slice(0, -4)}AAAA`]) {
      const refused = await postAs(t.gateway, path, token, "192.0.2.20");
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get("content-type"), "application/problem+json");
      await refused.body?.cancel();
    }
    const missing = await post(t.gateway, path, {}, "192.0.2.21");
    assert.equal(missing.status, 401);
    await missing.body?.cancel();
    assert.equal(calls(), 8);
  });
}

Deno.test("placing orders, which mails buyer and seller, is limited per account (verified token) and per IP", async () => {
  const orders = startEchoUpstream();
  await using t = await limitedGateway({
    ORDERS_URL: orders.url,
    ORDER_PLACEMENT_ACCOUNT_LIMIT_PER_HOUR: "2",
    ORDER_PLACEMENT_IP_LIMIT_PER_HOUR: "4",
  });
  try {
    const place = (token: string, ip: string, headers: Record<string, string> = {}) =>
      fetch(`${t.gateway.url}/api/v1/orders`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-forwarded-for": ip,
          authorization: `Bearer ${token}`,
          ...headers,
        },
        body: JSON.stringify({ gigId: "g", package: "basic" }),
      });
    const ada = await tokenFor(t.gateway, "ada");
    // An order that is not placed (unknown gig, bad body) mails nobody and does not count per account.
    const notFound = { "x-test-respond": JSON.stringify({ status: 404, headers: {} }) };
    assert.equal(await statusOf(place(ada, "192.0.2.39", notFound)), 404);
    assert.equal(await statusOf(place(ada, "192.0.2.40")), 200);
    assert.equal(await statusOf(place(ada, "192.0.2.41")), 200);
    await assertRefused(await place(ada, "192.0.2.42"), "order-placement-account", 3600);
    for (let i = 0; i < 4; i++) {
      assert.equal(await statusOf(place(await tokenFor(t.gateway, `b${i}`), "192.0.2.50")), 200);
    }
    await assertRefused(
      await place(await tokenFor(t.gateway, "c"), "192.0.2.50"),
      "order-placement-ip",
      3600,
    );
    const forged = await place(await foreignToken(), "192.0.2.60");
    assert.equal(forged.status, 401);
    await forged.body?.cancel();
    assert.equal(orders.received.length, 7, "only the allowed placements reached orders");
    // Other order routes keep only the general limit.
    for (let i = 0; i < 3; i++) {
      const read = await fetch(`${t.gateway.url}/api/v1/orders?role=buyer`, {
        headers: { authorization: `Bearer ${ada}`, "x-forwarded-for": "192.0.2.40" },
      });
      assert.equal(read.status, 200);
      await read.body?.cancel();
    }
  } finally {
    await orders.close();
  }
});

Deno.test("signup-email and change-password-account count only what mails: a refused attempt gives its slot back", async () => {
  await using t = await limitedGateway({
    SIGNUP_EMAIL_LIMIT_PER_HOUR: "2",
    CHANGE_PASSWORD_ACCOUNT_LIMIT_PER_HOUR: "2",
    CHANGE_PASSWORD_IP_LIMIT_PER_HOUR: "1000",
  });
  const refuse = (status: number) => () =>
    new Response(JSON.stringify({ status, code: "refused" }), {
      status,
      headers: { "content-type": "application/problem+json" },
    });
  const signup = () =>
    post(t.gateway, "signup", { email: "kim@example.test", username: "kim", password: "pw" });
  t.auth.override.set("/api/v1/auth/signup", refuse(400)); // e.g. a weak password
  for (let i = 0; i < 4; i++) assert.equal(await statusOf(signup()), 400);
  t.auth.override.delete("/api/v1/auth/signup");
  assert.equal(await statusOf(signup()), 201);
  assert.equal(await statusOf(signup()), 201);
  await assertRefused(await signup(), "signup-email", 3600);

  const token = await tokenFor(t.gateway, "kim");
  const change = () => postAs(t.gateway, "change-password", token, "192.0.2.80");
  t.auth.override.set("/api/v1/auth/change-password", refuse(403)); // wrong current password
  for (let i = 0; i < 4; i++) assert.equal(await statusOf(change()), 403);
  t.auth.override.set("/api/v1/auth/change-password", () => new Response(null, { status: 204 }));
  assert.equal(await statusOf(change()), 204);
  assert.equal(await statusOf(change()), 204);
  await assertRefused(await change(), "change-password-account", 3600);
});

Deno.test("verify-email and reset-password are limited per IP", async () => {
  await using t = await limitedGateway({
    VERIFY_EMAIL_IP_LIMIT_PER_HOUR: "2",
    RESET_PASSWORD_IP_LIMIT_PER_HOUR: "2",
  });
  for (
    const [path, limit] of [["verify-email", "verify-email-ip"], [
      "reset-password",
      "reset-password-ip",
    ]]
  ) {
    t.auth.override.set(`/api/v1/auth/${path}`, () => Response.json({}, { status: 200 }));
    for (let i = 0; i < 2; i++) {
      assert.equal(await statusOf(post(t.gateway, path, { token: `t${i}` }, "192.0.2.30")), 200);
    }
    await assertRefused(await post(t.gateway, path, { token: "t9" }, "192.0.2.30"), limit, 3600);
    assert.equal(await statusOf(post(t.gateway, path, { token: "t9" }, "192.0.2.31")), 200);
  }
});

Deno.test("the general per-IP limit refuses with a 429 problem that still carries CORS and the request id", async () => {
  await using t = await limitedGateway({
    RATE_LIMIT_PER_MINUTE: "5",
    CORS_ORIGINS: "http://web.test",
  });
  const get = (ip: string) =>
    fetch(`${t.gateway.url}/api/v1/notifications`, {
      headers: { "x-forwarded-for": ip, origin: "http://web.test", "x-request-id": "req-429" },
    });
  for (let i = 0; i < 5; i++) assert.equal(await statusOf(get("198.51.100.20")), 200);
  // Health checks are not counted.
  assert.equal(
    await statusOf(
      fetch(`${t.gateway.url}/livez`, { headers: { "x-forwarded-for": "198.51.100.20" } }),
    ),
    200,
  );

  const refused = await get("198.51.100.20");
  assert.equal(refused.headers.get("access-control-allow-origin"), "http://web.test");
  assert.equal(refused.headers.get("x-request-id"), "req-429");
  assert.equal(refused.headers.get("x-content-type-options"), "nosniff");
  await assertRefused(refused, "ip", 60);
  assert.equal(t.notifications.received.length, 5);
  assert.equal(await statusOf(get("198.51.100.21")), 200, "another address has its own budget");
});

Deno.test("without TRUST_PROXY a client cannot escape its limit by sending X-Forwarded-For", async () => {
  await using t = await limitedGateway({ RATE_LIMIT_PER_MINUTE: "2", TRUST_PROXY: "false" });
  const get = (ip: string) =>
    fetch(`${t.gateway.url}/api/v1/notifications`, { headers: { "x-forwarded-for": ip } });
  assert.equal(await statusOf(get("10.0.0.1")), 200);
  assert.equal(await statusOf(get("10.0.0.2")), 200);
  assert.equal(await statusOf(get("10.0.0.3")), 429);
});

Deno.test("limits live in Redis: shared by replicas and kept across a gateway restart", async () => {
  const notifications = startEchoUpstream();
  const env = {
    NOTIFICATIONS_URL: notifications.url,
    RATE_LIMIT_PER_MINUTE: "4",
    RATE_LIMIT_PREFIX: `test:gw:${crypto.randomUUID()}:`,
    RATE_LIMIT_SYNC_MS: "10",
  };
  // The general limit syncs replicas every RATE_LIMIT_SYNC_MS: let a few syncs pass per request.
  const get = async (gateway: TestGateway) => {
    const status = await statusOf(fetch(`${gateway.url}/api/v1/notifications`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    return status;
  };
  const first = await startGateway({ env, keepRateLimitKeys: true });
  const replica = await startGateway({ env, keepRateLimitKeys: true });
  assert.equal(await get(first), 200);
  assert.equal(await get(replica), 200);
  await first.close();
  const restarted = await startGateway({ env });
  try {
    assert.equal(await get(restarted), 200);
    assert.equal(await get(replica), 200);
    assert.equal(await get(restarted), 429);
    assert.equal(await get(replica), 429);
  } finally {
    await replica.close();
    await restarted.close();
    await notifications.close();
  }
});

Deno.test("with Redis unreachable nothing hangs: browsing and signup fail open, login and every mail limit fail closed", async () => {
  const auth = startAuthContractUpstream();
  const notifications = startEchoUpstream();
  const gateway = await startGateway({
    env: {
      AUTH_URL: auth.url,
      NOTIFICATIONS_URL: notifications.url,
      REDIS_URL: `redis://127.0.0.1:${closedPort()}`,
    },
    redisDown: true,
  });
  try {
    assert.equal(await statusOf(fetch(`${gateway.url}/api/v1/notifications`)), 200);
    assert.equal(
      await statusOf(
        post(gateway, "signup", { email: "z@example.test", username: "z", password: "pw" }),
      ),
      201,
    );
    for (
      const [path, body] of [["login", right("zoe")], ["forgot-password", {
        email: "z@example.test",
      }]] as const
    ) {
      const response = await post(gateway, path, body);
      assert.equal(response.status, 503, path);
      assert.ok(Number(response.headers.get("retry-after")) >= 1);
      const problem = await json(response);
      assert.equal(problem.code, "service_unavailable");
      assert.ok(
        !JSON.stringify(problem).includes("6379") && !/redis/i.test(JSON.stringify(problem)),
      );
    }
    // The other mail limits are closed too; a valid token does not change that.
    const token = (await gateway.signer.sign({ id: crypto.randomUUID(), username: "zoe" })).token;
    for (const path of ["resend-verification", "change-password"]) {
      const response = await postAs(gateway, path, token, "192.0.2.70");
      assert.equal(response.status, 503, path);
      await response.body?.cancel();
    }
    for (const path of ["verify-email", "reset-password"]) {
      assert.equal(await statusOf(post(gateway, path, { token: "t" })), 503, path);
    }
    assert.deepEqual(auth.calls.map((call) => call.path), ["/api/v1/auth/signup"]);

    // Readiness does not depend on Redis (the limits above decide per limit); it shows it.
    const ready = await fetch(`${gateway.url}/readyz`);
    assert.equal(ready.status, 200);
    const readiness = await json(ready);
    assert.deepEqual(readiness.reported, { redis: false });
  } finally {
    await gateway.close();
    await auth.close();
    await notifications.close();
  }
});
