/** Rate limits at the gateway, in Redis: 429 with Retry-After, per IP and per account. */
import assert from "node:assert/strict";
import { Client, startMarketplace } from "./support.ts";

Deno.test({
  name: "login floods, signup and forgot-password bursts are refused with 429 and Retry-After",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("limits", {
      env: {
        gateway: {
          SIGNUP_LIMIT_PER_HOUR: "4",
          LOGIN_FAILURES_PER_MINUTE: "5",
          FORGOT_EMAIL_LIMIT_PER_HOUR: "3",
        },
      },
    });
    const client = new Client(market.fleet.gatewayUrl);
    try {
      const ada = await market.signup("ada");
      await market.signup("bob");

      await t.step(
        "the sixth failed login for one account in a minute is refused, even with the right password",
        async () => {
          for (let i = 0; i < 5; i++) {
            const res = await client.request("POST", "/api/v1/auth/login", {
              body: { login: "ada", password: `wrong ${i} password` },
            });
            assert.equal(res.status, 401, `attempt ${i + 1}`);
          }
          const flood = await client.request("POST", "/api/v1/auth/login", {
            body: { login: "ADA", password: ada.password },
          });
          assert.equal(flood.status, 429);
          assert.equal(flood.type, "application/problem+json");
          assert.ok(Number(flood.headers.get("retry-after")) > 0);
          // Another account from the same IP is not locked out.
          const bob = await client.request("POST", "/api/v1/auth/login", {
            body: { login: "bob", password: "correct horse battery" },
          });
          assert.equal(bob.status, 200);
        },
      );

      await t.step("signups per IP are capped", async () => {
        const statuses = [];
        for (const name of ["carol", "dave", "erin"]) {
          const res = await client.request("POST", "/api/v1/auth/signup", {
            body: {
              email: `${name}@example.com`,
              username: name,
              password: "correct horse battery",
            },
          });
          statuses.push(res.status);
          if (res.status === 429) assert.ok(Number(res.headers.get("retry-after")) > 0);
        }
        // ada and bob used two of the four; carol and dave fit, erin does not.
        assert.deepEqual(statuses, [201, 201, 429]);
        const erin = await client.request("POST", "/api/v1/auth/login", {
          body: { login: "erin", password: "correct horse battery" },
        });
        assert.equal(erin.status, 401, "the refused signup must not have created an account");
      });

      await t.step(
        "forgot-password per email is capped and mails at most the allowed number",
        async () => {
          const statuses = [];
          for (let i = 0; i < 4; i++) {
            statuses.push(
              (await client.request("POST", "/api/v1/auth/forgot-password", {
                body: { email: "bob@example.com" },
              })).status,
            );
          }
          assert.deepEqual(statuses, [202, 202, 202, 429]);
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
