/** Rate limits at the gateway, in Redis: 429 with Retry-After, per IP and per account. */
import assert from "node:assert/strict";
import {
  caseVariants,
  nonCanonicalSpellings,
  type RawReply,
  rawRequest,
} from "../gateway/test_support.ts";
import { waitFor } from "@mp/shared/testing";
import { becomeSeller, gigBody, publishGig } from "./fixtures.ts";
import { Client, type SignedUp, startMarketplace } from "./support.ts";

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

/**
 * Issue 8 §1 and §2 through the real fleet: every limited route, spelled in
 * every other way (dot segments, encoded dots and slashes, //, ;params,
 * backslashes, ASCII escapes, over-long, upper case), reaches no handler, and
 * its limit trips after exactly as many attempts on the plain path as without
 * them. Sent with a raw HTTP client: fetch would resolve "." and ".." itself.
 */
Deno.test({
  name:
    "no other spelling of a limited route gets past its limit; mail-sending routes trip after exactly their limit",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("spellings", {
      only: ["gateway", "auth", "notifications"],
      env: {
        gateway: {
          SIGNUP_LIMIT_PER_HOUR: "3",
          LOGIN_IP_LIMIT_PER_MINUTE: "1000",
          LOGIN_FAILURES_PER_MINUTE: "3",
          FORGOT_IP_LIMIT_PER_HOUR: "1000",
          FORGOT_EMAIL_LIMIT_PER_HOUR: "2",
          RESEND_VERIFICATION_IP_LIMIT_PER_HOUR: "1000",
          RESEND_VERIFICATION_ACCOUNT_LIMIT_PER_HOUR: "2",
          CHANGE_PASSWORD_IP_LIMIT_PER_HOUR: "1000",
          CHANGE_PASSWORD_ACCOUNT_LIMIT_PER_HOUR: "2",
        },
      },
    });
    const gateway = market.fleet.gatewayUrl;
    const send = (path: string, body: unknown, token?: string) =>
      rawRequest(gateway, "POST", path, {
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    /** Every other spelling is refused before any route: 400 path_not_canonical, or 404 for case. */
    const assertNoSpellingPasses = async (route: string, body: unknown, token?: string) => {
      for (const path of nonCanonicalSpellings(route)) {
        const reply = await send(path, body, token);
        assert.equal(reply.status, 400, `${path}: ${reply.status} ${reply.body}`);
        assert.equal(reply.headers.get("content-type"), "application/problem+json");
        assert.equal(JSON.parse(reply.body).code, "path_not_canonical", path);
      }
      for (const path of caseVariants(route)) {
        const reply = await send(path, body, token);
        assert.equal(reply.status, 404, `${path}: ${reply.status} ${reply.body}`);
        assert.equal(reply.headers.get("content-type"), "application/problem+json");
      }
    };
    const mailsTo = (address: string, subject: RegExp) =>
      market.smtp.mails.filter((mail) => mail.to.includes(address) && subject.test(mail.subject));
    const assertLimited = (reply: RawReply, limit: string) => {
      assert.equal(reply.status, 429, `${limit}: ${reply.status} ${reply.body}`);
      assert.ok(Number(reply.headers.get("retry-after")) > 0);
      assert.equal(JSON.parse(reply.body).limit, limit);
    };
    try {
      const ada = await market.signup("ada");
      await market.mailTo("ada@example.com", /confirm your email/i);

      await t.step(
        "login: no spelling guesses or signs in; the plain path allows exactly 3 failures",
        async () => {
          await assertNoSpellingPasses("/api/v1/auth/login", {
            login: "ada",
            password: "wrong guess",
          });
          await assertNoSpellingPasses("/api/v1/auth/login", {
            login: "ada",
            password: ada.password,
          });
          for (let i = 0; i < 3; i++) {
            const reply = await send("/api/v1/auth/login", {
              login: "ada",
              password: `wrong ${i}`,
            });
            assert.equal(reply.status, 401, `attempt ${i + 1}`);
          }
          assertLimited(
            await send("/api/v1/auth/login", { login: "ada", password: ada.password }),
            "login-failures",
          );
        },
      );

      await t.step(
        "signup: no spelling creates an account; the plain path allows exactly the per-IP limit",
        async () => {
          const body = {
            email: "sly@example.com",
            username: "sly",
            password: "correct horse battery",
          };
          await assertNoSpellingPasses("/api/v1/auth/signup", body);
          // ada used one signup of three.
          assert.equal((await send("/api/v1/auth/signup", body)).status, 201);
          const other = {
            email: "tom@example.com",
            username: "tom",
            password: "correct horse battery",
          };
          assert.equal((await send("/api/v1/auth/signup", other)).status, 201);
          const third = {
            email: "uma@example.com",
            username: "uma",
            password: "correct horse battery",
          };
          assertLimited(await send("/api/v1/auth/signup", third), "signup-ip");
        },
      );

      await t.step(
        "forgot-password: no spelling mails; the plain path mails exactly twice",
        async () => {
          await assertNoSpellingPasses("/api/v1/auth/forgot-password", {
            email: "ada@example.com",
          });
          for (let i = 0; i < 2; i++) {
            assert.equal(
              (await send("/api/v1/auth/forgot-password", { email: "ada@example.com" })).status,
              202,
            );
          }
          assertLimited(
            await send("/api/v1/auth/forgot-password", { email: "ada@example.com" }),
            "forgot-email",
          );
        },
      );

      await t.step(
        "resend-verification: no spelling mails; the plain path mails exactly twice per account",
        async () => {
          await assertNoSpellingPasses("/api/v1/auth/resend-verification", {}, ada.accessToken);
          for (let i = 0; i < 2; i++) {
            const reply = await send("/api/v1/auth/resend-verification", {}, ada.accessToken);
            assert.equal(reply.status, 202, reply.body);
          }
          // A new session of the same account shares the counter.
          const again = await send("/api/v1/auth/login", {
            login: "tom",
            password: "correct horse battery",
          });
          assert.equal(again.status, 200);
          const tom = JSON.parse(again.body).accessToken;
          assertLimited(
            await send("/api/v1/auth/resend-verification", {}, ada.accessToken),
            "resend-verification-account",
          );
          assert.equal((await send("/api/v1/auth/resend-verification", {}, tom)).status, 202);
        },
      );

      await t.step(
        "change-password: no spelling changes it; the plain path allows exactly two per account",
        async () => {
          const change = (currentPassword: string, newPassword: string) =>
            send("/api/v1/auth/change-password", { currentPassword, newPassword }, ada.accessToken);
          await assertNoSpellingPasses(
            "/api/v1/auth/change-password",
            { currentPassword: ada.password, newPassword: "staple battery horse" },
            ada.accessToken,
          );
          assert.equal((await change(ada.password, "staple battery horse")).status, 204);
          assert.equal((await change("staple battery horse", ada.password)).status, 204);
          assertLimited(
            await change(ada.password, "staple battery horse"),
            "change-password-account",
          );
        },
      );

      await t.step("verify-email and reset-password: no spelling uses a mailed token", async () => {
        // Each resend or reset mail replaced the previous token, and mails may arrive out of
        // order: try every mailed token, of which exactly one is still good.
        const tokens = async (
          subject: RegExp,
          count: number,
          page: "verify-email" | "reset-password",
        ) => {
          await waitFor(() => mailsTo("ada@example.com", subject).length >= count, {
            what: `${count} mails "${subject.source}" to ada`,
            timeoutMs: 20_000,
          });
          return mailsTo("ada@example.com", subject).map((mail) => market.linkToken(mail, page));
        };
        const verify = await tokens(/confirm your email/i, 3, "verify-email");
        const reset = await tokens(/reset your password/i, 2, "reset-password");
        for (const token of verify) {
          await assertNoSpellingPasses("/api/v1/auth/verify-email", { token });
        }
        for (const token of reset) {
          await assertNoSpellingPasses("/api/v1/auth/reset-password", {
            token,
            password: "another long password",
          });
        }
        // The good tokens are still unused: the plain paths take them.
        const verified = [];
        for (const token of verify) {
          verified.push((await send("/api/v1/auth/verify-email", { token })).status);
        }
        assert.deepEqual(verified.filter((status) => status === 200).length, 1, `${verified}`);
        const resets = [];
        for (const token of reset) {
          resets.push(
            (await send("/api/v1/auth/reset-password", {
              token,
              password: "another long password",
            }))
              .status,
          );
        }
        assert.deepEqual(resets.filter((status) => status === 200).length, 1, `${resets}`);
      });

      await t.step("the mailboxes got exactly the mails the limits allow", async () => {
        // Mail is asynchronous (outbox, broker, SMTP): wait for the last expected ones, then count.
        await waitFor(
          () => mailsTo("tom@example.com", /^confirm your email address$/i).length > 0,
          {
            what: "tom's resent verification mail",
            timeoutMs: 20_000,
          },
        );
        await waitFor(() => mailsTo("ada@example.com", /password was changed/i).length >= 3, {
          what: "ada's three password-changed notices (two changes, one reset)",
          timeoutMs: 20_000,
        });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal(mailsTo("ada@example.com", /reset your password/i).length, 2);
        // The welcome mail plus exactly two resent ones.
        assert.equal(mailsTo("ada@example.com", /^confirm your email address$/i).length, 2);
        assert.equal(mailsTo("ada@example.com", /password was changed/i).length, 3);
        assert.equal(mailsTo("sly@example.com", /./).length, 1, "only the plain signup mailed sly");
        assert.equal(mailsTo("uma@example.com", /./).length, 0);
      });
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

Deno.test({
  name:
    "placing orders, which mails buyer and seller, is limited per account; no other spelling places one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("order_limits", {
      only: ["gateway", "auth", "users", "gigs", "orders", "notifications"],
      env: {
        gateway: {
          ORDER_PLACEMENT_IP_LIMIT_PER_HOUR: "1000",
          ORDER_PLACEMENT_ACCOUNT_LIMIT_PER_HOUR: "2",
        },
      },
    });
    const gateway = market.fleet.gatewayUrl;
    try {
      const seller = await market.signup("sally");
      await becomeSeller(market, seller);
      const gig = await publishGig(seller, gigBody("Logo limits", 2500));
      const body = {
        gigId: gig.id,
        package: "basic",
        requirements: [{ questionId: gig.requirements[0].id, answer: "Limits Ltd" }],
      };
      const place = (who: SignedUp, path = "/api/v1/orders") =>
        rawRequest(gateway, "POST", path, {
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${who.accessToken}`,
            "idempotency-key": crypto.randomUUID(),
          },
          body: JSON.stringify(body),
        });
      // Another account waits until orders knows the gig, so the buyer's budget stays whole.
      const probe = await market.signup("probe");
      await waitFor(async () => (await place(probe)).status === 201, {
        what: "orders to know the gig",
        timeoutMs: 20_000,
      });
      const buyer = await market.signup("bert");

      await t.step("no other spelling of POST /api/v1/orders places an order", async () => {
        for (const path of nonCanonicalSpellings("/api/v1/orders")) {
          const reply = await place(buyer, path);
          assert.equal(reply.status, 400, `${path}: ${reply.status} ${reply.body}`);
          assert.equal(JSON.parse(reply.body).code, "path_not_canonical");
        }
        for (const path of caseVariants("/api/v1/orders")) {
          assert.equal((await place(buyer, path)).status, 404, path);
        }
        const mine = await buyer.client.request("GET", "/api/v1/orders?role=buyer", {
          token: buyer.accessToken,
        });
        assert.equal(mine.status, 200);
        assert.equal(mine.body.items.length, 0);
      });

      await t.step("the plain path places exactly two, then 429 with Retry-After", async () => {
        assert.equal((await place(buyer)).status, 201);
        assert.equal((await place(buyer)).status, 201);
        const refused = await place(buyer);
        assert.equal(refused.status, 429);
        assert.ok(Number(refused.headers.get("retry-after")) > 0);
        assert.equal(JSON.parse(refused.body).limit, "order-placement-account");
        const mine = await buyer.client.request("GET", "/api/v1/orders?role=buyer", {
          token: buyer.accessToken,
        });
        assert.equal(mine.body.items.length, 2);
        // The seller was mailed once per order placed: the probe's and the buyer's two.
        await waitFor(
          () =>
            market.smtp.mails.filter((mail) =>
              mail.to.includes("sally@example.com") && /you have a new order/i.test(mail.subject)
            ).length >= 3,
          { what: "the seller's three new-order mails", timeoutMs: 20_000 },
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.equal(
          market.smtp.mails.filter((mail) =>
            mail.to.includes("sally@example.com") && /you have a new order/i.test(mail.subject)
          ).length,
          3,
        );
      });
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
