import assert from "node:assert/strict";
import { createTokenVerifier } from "@mp/shared/jwt";
import { capturingLogger, json, startAuthContractUpstream, startGateway } from "./test_support.ts";

async function authGateway(env: Record<string, string> = {}) {
  const auth = startAuthContractUpstream();
  const log = capturingLogger();
  const gateway = await startGateway({ env: { AUTH_URL: auth.url, ...env }, log });
  return {
    auth,
    gateway,
    log,
    post: (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${gateway.url}/api/v1/auth/${path}`, {
        method: "POST",
        headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
        body: body === undefined
          ? undefined
          : typeof body === "string"
          ? body
          : JSON.stringify(body),
      }),
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await auth.close();
    },
  };
}

/** The attributes of the refresh_token Set-Cookie, lower-cased names. */
function refreshCookie(response: Response) {
  const line = response.headers.getSetCookie().find((cookie) =>
    cookie.startsWith("refresh_token=")
  );
  assert.ok(line, "a refresh_token cookie is set");
  const [pair, ...attributes] = line.split(";").map((part) => part.trim());
  const attrs = new Map(attributes.map((attribute) => {
    const [name, value = ""] = attribute.split("=");
    return [name.toLowerCase(), value];
  }));
  return { value: pair.slice("refresh_token=".length), attrs };
}

Deno.test("signup answers 201 with an access token that verifies with shared/jwt.ts via the gateway's JWKS", async () => {
  await using t = await authGateway();
  const response = await t.post("signup", {
    email: "bob@example.test",
    username: "bob",
    password: "pw",
  });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get("cache-control"), "no-store");
  const body = await json(response);
  assert.deepEqual(Object.keys(body).sort(), [
    "accessToken",
    "accessTokenExpiresAt",
    "refreshToken",
    "refreshTokenExpiresAt",
    "tokenType",
    "user",
  ]);
  assert.equal(body.tokenType, "Bearer");
  assert.deepEqual(body.user, {
    id: "4b9a1a8e-2f0c-4d0e-9a55-6f1c2b3d4e5f",
    email: "bob@example.test",
    username: "bob",
    emailVerified: false,
    createdAt: "2025-01-01T00:00:00.000Z",
  });
  const expiresIn = Date.parse(String(body.accessTokenExpiresAt)) - Date.now();
  assert.ok(expiresIn > 14 * 60_000 && expiresIn <= 15 * 60_000, `${expiresIn}`);

  // A service verifies with nothing but the JWKS the gateway publishes.
  const jwks = await (await fetch(`${t.gateway.url}/.well-known/jwks.json`)).text();
  const verifier = createTokenVerifier({
    jwks,
    issuer: "marketplace-gateway",
    audience: "marketplace",
  });
  assert.deepEqual(await verifier.verify(String(body.accessToken)), {
    userId: "4b9a1a8e-2f0c-4d0e-9a55-6f1c2b3d4e5f",
    username: "bob",
  });
  // auth got the client's body unchanged.
  assert.deepEqual(JSON.parse(t.auth.calls[0].body), {
    email: "bob@example.test",
    username: "bob",
    password: "pw",
  });
});

Deno.test("login sets the refresh_token cookie HttpOnly, Secure, SameSite=Strict, Path=/api/v1/auth until expiry", async () => {
  await using t = await authGateway();
  const response = await t.post("login", { login: "alice", password: "right" });
  assert.equal(response.status, 200);
  const body = await json(response);
  const cookie = refreshCookie(response);
  assert.equal(cookie.value, body.refreshToken);
  assert.ok(cookie.attrs.has("httponly"));
  assert.ok(cookie.attrs.has("secure"));
  assert.equal(cookie.attrs.get("samesite"), "Strict");
  assert.equal(cookie.attrs.get("path"), "/api/v1/auth");
  const maxAge = Number(cookie.attrs.get("max-age"));
  const untilExpiry = (Date.parse(String(body.refreshTokenExpiresAt)) - Date.now()) / 1000;
  assert.ok(Math.abs(maxAge - untilExpiry) <= 5, `Max-Age ${maxAge} vs ${untilExpiry}`);
});

Deno.test("with COOKIE_SECURE=false the cookie drops only the Secure attribute", async () => {
  await using t = await authGateway({ COOKIE_SECURE: "false" });
  const response = await t.post("login", { login: "alice", password: "right" });
  await response.body?.cancel();
  const cookie = refreshCookie(response);
  assert.ok(!cookie.attrs.has("secure"));
  assert.ok(cookie.attrs.has("httponly"));
  assert.equal(cookie.attrs.get("samesite"), "Strict");
});

Deno.test("refresh takes the token from the cookie and sends it to auth in the body", async () => {
  await using t = await authGateway();
  const response = await t.post("refresh", undefined, {
    cookie: "refresh_token=rt-from-cookie; theme=dark",
  });
  assert.equal(response.status, 200);
  const body = await json(response);
  assert.ok(body.accessToken);
  assert.equal(
    refreshCookie(response).value,
    body.refreshToken,
    "the rotated token replaces the cookie",
  );
  const call = t.auth.calls.at(-1)!;
  assert.equal(call.path, "/api/v1/auth/refresh");
  assert.deepEqual(JSON.parse(call.body), { refreshToken: "rt-from-cookie" });
  assert.equal(call.headers.get("content-type"), "application/json");
});

Deno.test("refresh prefers the token in the JSON body over the cookie", async () => {
  await using t = await authGateway();
  const response = await t.post("refresh", { refreshToken: "rt-from-body" }, {
    cookie: "refresh_token=rt-cookie",
  });
  await response.body?.cancel();
  assert.deepEqual(JSON.parse(t.auth.calls.at(-1)!.body), { refreshToken: "rt-from-body" });
});

Deno.test("a refused refresh passes auth's 401 through unchanged and clears the cookie", async () => {
  await using t = await authGateway();
  const response = await t.post("refresh", undefined, { cookie: "refresh_token=revoked" });
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  assert.equal((await json(response)).code, "invalid_refresh_token");
  assert.equal(refreshCookie(response).attrs.get("max-age"), "0");
});

Deno.test("logout sends the cookie's token in the body, answers 204 and clears the cookie", async () => {
  await using t = await authGateway();
  const response = await t.post("logout", undefined, { cookie: "refresh_token=rt-1" });
  assert.equal(response.status, 204);
  await response.body?.cancel();
  assert.deepEqual(JSON.parse(t.auth.calls.at(-1)!.body), { refreshToken: "rt-1" });
  const cookie = refreshCookie(response);
  assert.equal(cookie.value, "");
  assert.equal(cookie.attrs.get("max-age"), "0");
  assert.equal(cookie.attrs.get("path"), "/api/v1/auth");
});

Deno.test("refresh and logout without any token still ask auth, which decides (no token invented)", async () => {
  await using t = await authGateway();
  const response = await t.post("logout", {});
  await response.body?.cancel();
  assert.deepEqual(JSON.parse(t.auth.calls.at(-1)!.body), {});
});

Deno.test("refresh with a malformed, non-object or non-JSON body is a 4xx problem that never reaches auth", async () => {
  await using t = await authGateway();
  const cases: [string, RequestInit, number, string][] = [
    [
      "malformed JSON",
      { body: "{not json", headers: { "content-type": "application/json" } },
      400,
      "malformed_json",
    ],
    [
      "an array",
      { body: "[1]", headers: { "content-type": "application/json" } },
      400,
      "validation_failed",
    ],
    [
      "form data",
      { body: "refreshToken=x", headers: { "content-type": "application/x-www-form-urlencoded" } },
      415,
      "unsupported_media_type",
    ],
  ];
  for (const [what, init, status, code] of cases) {
    for (const path of ["refresh", "logout"]) {
      const response = await fetch(`${t.gateway.url}/api/v1/auth/${path}`, {
        method: "POST",
        ...init,
      });
      assert.equal(response.status, status, `${path}: ${what}`);
      assert.equal(response.headers.get("content-type"), "application/problem+json");
      assert.equal((await json(response)).code, code, `${path}: ${what}`);
    }
  }
  assert.equal(t.auth.calls.length, 0);
});

Deno.test("non-2xx answers from auth pass through unchanged and set no cookie", async () => {
  await using t = await authGateway();
  const conflict = JSON.stringify({
    type: "about:blank",
    status: 409,
    code: "email_taken",
    detail: "taken",
  });
  t.auth.override.set(
    "/api/v1/auth/signup",
    () =>
      new Response(conflict, {
        status: 409,
        headers: { "content-type": "application/problem+json" },
      }),
  );
  const signup = await t.post("signup", { email: "a@b.test", username: "a", password: "pw" });
  assert.equal(signup.status, 409);
  assert.equal(signup.headers.get("content-type"), "application/problem+json");
  assert.equal(await signup.text(), conflict);
  assert.deepEqual(signup.headers.getSetCookie(), []);

  const login = await t.post("login", { login: "alice", password: "wrong" });
  assert.equal(login.status, 401);
  assert.equal((await json(login)).code, "invalid_credentials");
  assert.deepEqual(login.headers.getSetCookie(), []);
});

Deno.test("a 2xx from auth that breaks the contract is a 502 problem with no token and no cookie", async () => {
  await using t = await authGateway();
  t.auth.override.set(
    "/api/v1/auth/login",
    () => Response.json({ user: { id: "x" }, refreshToken: "rt-secret" }),
  );
  const response = await t.post("login", { login: "alice", password: "right" });
  assert.equal(response.status, 502);
  const body = await json(response);
  assert.equal(body.code, "bad_gateway");
  assert.equal(body.accessToken, undefined);
  assert.deepEqual(response.headers.getSetCookie(), []);
  // The breach is logged by field, without the token it carried.
  const logged = t.log.lines.find((line) => line.msg === "auth answered outside the contract");
  assert.ok(logged);
  assert.match(JSON.stringify(logged.fields), /refreshTokenExpiresAt/);
  assert.doesNotMatch(JSON.stringify(logged.fields), /rt-secret/);
});

Deno.test("other auth routes are plain forwards with the caller's Authorization", async () => {
  await using t = await authGateway();
  const response = await fetch(`${t.gateway.url}/api/v1/auth/me`, {
    headers: { authorization: "Bearer t0k3n" },
  });
  assert.equal(response.status, 404, "the contract upstream has no /me; its answer passes through");
  await response.body?.cancel();
  const call = t.auth.calls.at(-1)!;
  assert.equal(call.path, "/api/v1/auth/me");
  assert.equal(call.headers.get("authorization"), "Bearer t0k3n");
});
