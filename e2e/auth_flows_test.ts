/**
 * Every account flow of the foundation, walked through the gateway only, with
 * the mails read from a real SMTP server.
 */
import assert from "node:assert/strict";
import { createLocalJWKSet, jwtVerify } from "jose";
import { Client, startMarketplace } from "./support.ts";

Deno.test({
  name:
    "a person signs up, verifies, signs in, stays signed in, changes and resets the password, signs out",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("flows");
    const gateway = market.fleet.gatewayUrl;
    try {
      const browser = new Client(gateway);
      let accessToken = "";
      let userId = "";

      await t.step(
        "signup answers the user, an access token the JWKS verifies, and the refresh token in body and cookie",
        async () => {
          const res = await browser.request("POST", "/api/v1/auth/signup", {
            body: {
              email: "Ada@Example.com",
              username: "ada",
              password: "correct horse battery",
              country: "GB",
            },
          });
          assert.equal(res.status, 201);
          assert.equal(res.body.user.email, "ada@example.com");
          assert.equal(res.body.user.emailVerified, false);
          assert.equal(res.body.tokenType, "Bearer");
          assert.match(res.body.refreshToken, /^[A-Za-z0-9_-]{43}$/);
          const cookie = res.headers.getSetCookie().find((c) => c.startsWith("refresh_token="))!;
          assert.match(cookie, /HttpOnly/i);
          assert.match(cookie, /Secure/i);
          assert.match(cookie, /SameSite=Strict/i);
          assert.match(cookie, /Path=\/api\/v1\/auth/i);

          const jwks = await (await fetch(`${gateway}/.well-known/jwks.json`)).json();
          assert.ok(
            jwks.keys.every((k: Record<string, unknown>) => !("d" in k)),
            "private key material in JWKS",
          );
          const { payload, protectedHeader } = await jwtVerify(
            res.body.accessToken,
            createLocalJWKSet(jwks),
            {
              audience: "marketplace",
              issuer: "marketplace-gateway",
            },
          );
          assert.equal(protectedHeader.typ, "at+jwt");
          assert.equal(protectedHeader.alg, "ES256");
          assert.ok(protectedHeader.kid);
          assert.equal(payload.sub, res.body.user.id);
          assert.equal((payload.exp as number) - (payload.iat as number), 15 * 60);
          accessToken = res.body.accessToken;
          userId = res.body.user.id;
        },
      );

      await t.step(
        "the verification mail arrives over SMTP and its link verifies the email",
        async () => {
          const mail = await market.mailTo("ada@example.com", /confirm your email/i);
          assert.ok(mail.html.length > 0 && mail.text.length > 0, "mail needs HTML and text parts");
          const token = market.linkToken(mail, "verify-email");
          const res = await browser.request("POST", "/api/v1/auth/verify-email", {
            body: { token },
          });
          assert.equal(res.status, 200);
          assert.equal(res.body.user.emailVerified, true);
          const me = await browser.request("GET", "/api/v1/auth/me", { token: accessToken });
          assert.equal(me.status, 200);
          assert.equal(me.body.user.id, userId);
          assert.equal(me.body.user.emailVerified, true);
          const again = await browser.request("POST", "/api/v1/auth/verify-email", {
            body: { token },
          });
          assert.equal(again.status, 400);
          const resend = await browser.request("POST", "/api/v1/auth/resend-verification", {
            token: accessToken,
          });
          assert.equal(resend.status, 409);
        },
      );

      await t.step("login by username or email; a wrong password is a 401 problem", async () => {
        const phone = new Client(gateway);
        const ok = await phone.request("POST", "/api/v1/auth/login", {
          body: { login: "ADA", password: "correct horse battery" },
        });
        assert.equal(ok.status, 200);
        assert.equal(ok.body.user.id, userId);
        const byEmail = await phone.request("POST", "/api/v1/auth/login", {
          body: { login: "ada@example.com", password: "correct horse battery" },
        });
        assert.equal(byEmail.status, 200);
        const wrong = await phone.request("POST", "/api/v1/auth/login", {
          body: { login: "ada", password: "nope nope nope" },
        });
        assert.equal(wrong.status, 401);
        assert.equal(wrong.type, "application/problem+json");
      });

      await t.step(
        "refresh works from the cookie alone and from the body; a rotated token revokes its family",
        async () => {
          const fromCookie = await browser.request("POST", "/api/v1/auth/refresh");
          assert.equal(fromCookie.status, 200);
          assert.ok(fromCookie.body.accessToken);
          const rotated = fromCookie.body.refreshToken;

          const app = new Client(gateway);
          const login = await app.request("POST", "/api/v1/auth/login", {
            body: { login: "ada", password: "correct horse battery" },
          });
          const first = login.body.refreshToken;
          const second = await app.request("POST", "/api/v1/auth/refresh", {
            body: { refreshToken: first },
          });
          assert.equal(second.status, 200);
          const reuse = await new Client(gateway).request("POST", "/api/v1/auth/refresh", {
            body: { refreshToken: first },
          });
          assert.equal(reuse.status, 401);
          const killed = await new Client(gateway).request("POST", "/api/v1/auth/refresh", {
            body: { refreshToken: second.body.refreshToken },
          });
          assert.equal(killed.status, 401, "the family survived the reuse of a rotated token");
          // The browser's own session is another family and lives on.
          const browserAgain = await new Client(gateway).request("POST", "/api/v1/auth/refresh", {
            body: { refreshToken: rotated },
          });
          assert.equal(browserAgain.status, 200);
          browser.cookies.set("refresh_token", browserAgain.body.refreshToken);
          accessToken = browserAgain.body.accessToken;
        },
      );

      await t.step("logout revokes the session and clears the cookie", async () => {
        const tablet = new Client(gateway);
        await tablet.request("POST", "/api/v1/auth/login", {
          body: { login: "ada", password: "correct horse battery" },
        });
        const token = tablet.cookies.get("refresh_token")!;
        const out = await tablet.request("POST", "/api/v1/auth/logout");
        assert.equal(out.status, 204);
        assert.equal(tablet.cookies.has("refresh_token"), false);
        const after = await new Client(gateway).request("POST", "/api/v1/auth/refresh", {
          body: { refreshToken: token },
        });
        assert.equal(after.status, 401);
      });

      await t.step("change-password signs every session out and mails a notice", async () => {
        const res = await browser.request("POST", "/api/v1/auth/change-password", {
          token: accessToken,
          body: { currentPassword: "correct horse battery", newPassword: "staple battery horse" },
        });
        assert.equal(res.status, 204);
        await market.mailTo("ada@example.com", /password was changed/i);
        assert.equal((await browser.request("POST", "/api/v1/auth/refresh")).status, 401);
        const old = await new Client(gateway).request("POST", "/api/v1/auth/login", {
          body: { login: "ada", password: "correct horse battery" },
        });
        assert.equal(old.status, 401);
        const fresh = await browser.request("POST", "/api/v1/auth/login", {
          body: { login: "ada", password: "staple battery horse" },
        });
        assert.equal(fresh.status, 200);
        accessToken = fresh.body.accessToken;
      });

      await t.step(
        "forgot-password answers alike for unknown emails; the mailed reset link works once",
        async () => {
          const stranger = new Client(gateway);
          const unknown = await stranger.request("POST", "/api/v1/auth/forgot-password", {
            body: { email: "ghost@example.com" },
          });
          const known = await stranger.request("POST", "/api/v1/auth/forgot-password", {
            body: { email: "ada@example.com" },
          });
          assert.equal(unknown.status, 202);
          assert.equal(known.status, 202);
          assert.deepEqual(unknown.body, known.body);
          const mail = await market.mailTo("ada@example.com", /reset your password/i);
          const token = market.linkToken(mail, "reset-password");
          const reset = await stranger.request("POST", "/api/v1/auth/reset-password", {
            body: { token, password: "a whole new secret" },
          });
          assert.equal(reset.status, 200);
          const reuse = await stranger.request("POST", "/api/v1/auth/reset-password", {
            body: { token, password: "yet another secret" },
          });
          assert.equal(reuse.status, 400);
          assert.equal(reuse.type, "application/problem+json");
          // The reset signed every session out.
          assert.equal((await browser.request("POST", "/api/v1/auth/refresh")).status, 401);
          const login = await stranger.request("POST", "/api/v1/auth/login", {
            body: { login: "ada", password: "a whole new secret" },
          });
          assert.equal(login.status, 200);
          accessToken = login.body.accessToken;
          assert.equal(
            market.smtp.mails.filter((m) => m.to.includes("ghost@example.com")).length,
            0,
          );
        },
      );

      await t.step(
        "in-app notifications: own list with unread count, mark read, others' ids out of reach",
        async () => {
          const list = await browser.request("GET", "/api/v1/notifications", {
            token: accessToken,
          });
          assert.equal(list.status, 200);
          assert.ok(list.body.items.length > 0);
          assert.equal(
            list.body.unreadCount,
            list.body.items.filter((n: { readAt: string | null }) => !n.readAt).length,
          );
          const id = list.body.items[0].id;

          const bob = await market.signup("bob");
          const foreign = await bob.client.request("POST", `/api/v1/notifications/${id}/read`, {
            token: bob.accessToken,
          });
          assert.equal(foreign.status, 404);
          const bobList = await bob.client.request("GET", "/api/v1/notifications", {
            token: bob.accessToken,
          });
          assert.ok(bobList.body.items.every((n: { id: string }) => n.id !== id));

          const read = await browser.request("POST", `/api/v1/notifications/${id}/read`, {
            token: accessToken,
          });
          assert.equal(read.status, 204);
          const after = await browser.request("GET", "/api/v1/notifications", {
            token: accessToken,
          });
          assert.equal(after.body.unreadCount, list.body.unreadCount - 1);
          const all = await browser.request("POST", "/api/v1/notifications/read-all", {
            token: accessToken,
          });
          assert.equal(all.status, 204);
          const none = await browser.request("GET", "/api/v1/notifications?unread=true", {
            token: accessToken,
          });
          assert.equal(none.body.unreadCount, 0);
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
