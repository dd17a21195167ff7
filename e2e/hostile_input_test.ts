/**
 * Bad input through the gateway: every case is a 4xx problem+json and changes
 * nothing; no stack trace or internal address ever reaches the client.
 */
import assert from "node:assert/strict";
import { importJWK, SignJWT } from "jose";
import { Client, type Reply, startMarketplace } from "./support.ts";

function assertProblem(res: Reply, status: number, what: string) {
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
  assert.equal(res.type, "application/problem+json", what);
  assert.equal(res.body.status, status, what);
  const text = JSON.stringify(res.body);
  assert.ok(
    !/at \w+ \(|\.ts:\d+|127\.0\.0\.1:\d+|localhost:\d+/.test(text),
    `${what} leaks internals: ${text}`,
  );
}

Deno.test({
  name: "hostile and malformed requests through the gateway get 4xx problems and change nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("hostile");
    const gateway = market.fleet.gatewayUrl;
    const client = new Client(gateway);
    try {
      const ada = await market.signup("ada");

      await t.step(
        "malformed JSON, wrong types, unknown fields, a missing content type",
        async () => {
          assertProblem(
            await client.request("POST", "/api/v1/auth/signup", { raw: '{"email":' }),
            400,
            "malformed JSON",
          );
          const types = await client.request("POST", "/api/v1/auth/signup", {
            body: { email: 1, username: true, password: [] },
          });
          assertProblem(types, 400, "wrong types");
          assert.deepEqual(
            types.body.errors.map((e: { pointer: string }) => e.pointer).sort(),
            ["/email", "/password", "/username"],
          );
          const unknown = await client.request("POST", "/api/v1/auth/signup", {
            body: {
              email: "eve@example.com",
              username: "eve",
              password: "correct horse battery",
              emailVerified: true,
            },
          });
          assertProblem(unknown, 400, "unknown field");
          assert.equal(unknown.body.errors[0].pointer, "/emailVerified");
          const text = await client.request("POST", "/api/v1/auth/login", {
            raw: "login=ada",
            headers: { "content-type": "text/plain" },
          });
          assertProblem(text, 415, "text body");
          // None of it created an account.
          const eve = await client.request("POST", "/api/v1/auth/login", {
            body: { login: "eve", password: "correct horse battery" },
          });
          assertProblem(eve, 401, "eve should not exist");
        },
      );

      await t.step("an oversized body is a 413 before any service sees it", async () => {
        const huge = JSON.stringify({
          email: "big@example.com",
          username: "big",
          password: "x".repeat(2 * 1024 * 1024),
        });
        assertProblem(
          await client.request("POST", "/api/v1/auth/signup", { raw: huge }),
          413,
          "2 MiB body",
        );
        assertProblem(
          await client.request("POST", "/api/v1/auth/login", {
            body: { login: "big", password: "x".repeat(20) },
          }),
          401,
          "big should not exist",
        );
      });

      await t.step(
        "a duplicate signup is a 409 and leaves the first account as it was",
        async () => {
          const dup = await client.request("POST", "/api/v1/auth/signup", {
            body: {
              email: "ADA@example.com",
              username: "someone_else",
              password: "another password 1",
            },
          });
          assertProblem(dup, 409, "duplicate email");
          const login = await client.request("POST", "/api/v1/auth/login", {
            body: { login: "ada", password: ada.password },
          });
          assert.equal(login.status, 200);
        },
      );

      await t.step(
        "forged, foreign, expired, wrong-audience and alg:none tokens are 401 at every service",
        async () => {
          const privateJwk = JSON.parse(market.fleet.keys.privateJwk);
          const key = await importJWK(privateJwk, "ES256");
          const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
            new SignJWT({ username: "ada", ...claims })
              .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: privateJwk.kid, ...header })
              .setSubject(ada.user.id)
              .setIssuer("marketplace-gateway")
              .setAudience("marketplace")
              .setIssuedAt()
              .setExpirationTime("15m")
              .sign(key);
          const other = await crypto.subtle.generateKey(
            { name: "ECDSA", namedCurve: "P-256" },
            true,
            ["sign", "verify"],
          );
          const [h, p, s] = ada.accessToken.split(".");
          const payload = JSON.parse(
            new TextDecoder().decode(
              Uint8Array.from(
                atob(p.replace(/-/g, "+").replace(/_/g, "/")),
                (c) => c.charCodeAt(0),
              ),
            ),
          );
          const b64 = (v: unknown) =>
            btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
          const tokens: Record<string, string> = {
            "tampered payload": `${h}.${b64({ ...payload, sub: crypto.randomUUID() })}.${s}`,
            "alg none": `${b64({ alg: "none", typ: "at+jwt" })}.${p}.`,
            "another key": await new SignJWT(payload).setProtectedHeader({
              alg: "ES256",
              typ: "at+jwt",
              kid: privateJwk.kid,
            })
              .sign(other.privateKey),
            "wrong audience": await new SignJWT({ username: "ada" }).setProtectedHeader({
              alg: "ES256",
              typ: "at+jwt",
              kid: privateJwk.kid,
            })
              .setSubject(ada.user.id).setIssuer("marketplace-gateway").setAudience("elsewhere")
              .setIssuedAt().setExpirationTime("15m")
              .sign(key),
            "expired": await new SignJWT({ username: "ada" })
              .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: privateJwk.kid })
              .setSubject(ada.user.id).setIssuer("marketplace-gateway").setAudience("marketplace")
              .setIssuedAt(Math.floor(Date.now() / 1000) - 1200).setExpirationTime(
                Math.floor(Date.now() / 1000) - 120,
              )
              .sign(key),
            "not an access token": await sign({}, { typ: "JWT" }),
            "garbage": "not.a.token",
          };
          for (const [what, token] of Object.entries(tokens)) {
            assertProblem(
              await client.request("GET", "/api/v1/auth/me", { token }),
              401,
              `auth: ${what}`,
            );
            assertProblem(
              await client.request("GET", "/api/v1/notifications", { token }),
              401,
              `notifications: ${what}`,
            );
          }
          // The genuine token still works, so the 401s above were about the tokens.
          assert.equal(
            (await client.request("GET", "/api/v1/auth/me", { token: await sign({}) })).status,
            200,
          );
        },
      );

      await t.step(
        "unknown routes are 404 problems; a service that is down is a 503, never a hang, and the gateway stays ready",
        async () => {
          assertProblem(await client.request("GET", "/api/v1/nothing-here"), 404, "unknown area");
          assertProblem(await client.request("GET", "/wp-admin"), 404, "unknown path");
          await market.fleet.kill("notifications");
          assertProblem(
            await client.request("GET", "/api/v1/notifications", { token: ada.accessToken }),
            503,
            "service down",
          );
          // The gateway itself stays ready: one service down must not take every
          // replica of it out of rotation (gateway/app.ts, /readyz).
          const ready = await fetch(`${gateway}/readyz`);
          assert.equal(ready.status, 200);
          await ready.body?.cancel();
          await market.fleet.start("notifications");
          assert.equal(
            (await client.request("GET", "/api/v1/notifications", { token: ada.accessToken }))
              .status,
            200,
          );
        },
      );
    } catch (error) {
      for (const name of market.fleet.names) {
        console.error(`--- ${name} ---\n${market.fleet.logs(name).slice(-3000)}`);
      }
      throw error;
    } finally {
      await market.close();
    }
  },
});
