/**
 * Issue 8 §3 through the gateway: every spelling that can sign in to an account
 * counts against that account's one failure counter (and one forgot-password
 * counter), because the gateway counts and auth matches on the same canonical
 * identity (shared/identity.ts).
 */
import assert from "node:assert/strict";
import { Client, type Reply, startMarketplace } from "./support.ts";

const WRONG = "not the password at all";

Deno.test({
  name: "a locked account stays locked under every spelling of its name or email",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("identity", {
      only: ["gateway", "auth"],
      env: {
        gateway: {
          LOGIN_FAILURES_PER_MINUTE: "5",
          LOGIN_IP_LIMIT_PER_MINUTE: "1000",
          FORGOT_EMAIL_LIMIT_PER_HOUR: "3",
          FORGOT_IP_LIMIT_PER_HOUR: "1000",
        },
      },
    });
    const client = new Client(market.fleet.gatewayUrl);
    const login = (name: string, password: string) =>
      client.request("POST", "/api/v1/auth/login", { body: { login: name, password } });
    const assertLimited = (res: Reply, what: string) => {
      assert.equal(res.status, 429, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.type, "application/problem+json");
      assert.ok(Number(res.headers.get("retry-after")) > 0, what);
    };
    const failFiveTimes = async (name: string) => {
      for (let i = 0; i < 5; i++) {
        assert.equal((await login(name, `${WRONG} ${i}`)).status, 401, `${name} attempt ${i + 1}`);
      }
    };
    try {
      const victim = await market.signup("victim");
      const minion = await market.signup("minion");
      const emily = await market.signup("emily");

      await t.step("with 'victim' locked, no spelling gets another guess or signs in", async () => {
        await failFiveTimes("victim");
        for (
          const spelling of [
            "vİctim",
            "victİm",
            "vİctİm",
            "VİCTİM",
            "VICTIM",
            "ｖｉｃｔｉｍ",
            " victim\t",
            "vi\u0301ctim",
            "vic\u200btim",
          ]
        ) {
          assertLimited(await login(spelling, `${WRONG} again`), `${spelling} wrong password`);
          assertLimited(await login(spelling, victim.password), `${spelling} right password`);
        }
        assertLimited(await login("victim", victim.password), "victim right password");
        // Dotless ı is another letter: it names no account and cannot sign in as victim.
        assert.equal((await login("vıctim", victim.password)).status, 401);
      });

      await t.step("failures under variant spellings lock the plain name", async () => {
        for (const spelling of ["mİnİon", "ＭＩＮＩＯＮ", "mi\u0308nion", "MİNION", " minion "]) {
          assert.equal((await login(spelling, WRONG)).status, 401, spelling);
        }
        assertLimited(await login("minion", minion.password), "minion right password");
      });

      await t.step("an email locked under one spelling is locked under all", async () => {
        await failFiveTimes("emily@example.com");
        for (
          const spelling of [
            "EMİLY@example.com",
            "ｅｍｉｌｙ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "emi\u0301ly@EXAMPLE.com",
          ]
        ) {
          assertLimited(await login(spelling, emily.password), spelling);
        }
      });

      await t.step("forgot-password counts every spelling of an email on one counter", async () => {
        const forgot = (email: string) =>
          client.request("POST", "/api/v1/auth/forgot-password", { body: { email } });
        for (let i = 0; i < 3; i++) assert.equal((await forgot("fred@example.com")).status, 202);
        for (
          const spelling of ["ｆｒｅｄ@example.com", "FRED@EXAMPLE.COM", "fre\u0301d@example.com"]
        ) {
          assertLimited(await forgot(spelling), spelling);
        }
      });
    } finally {
      await market.close();
    }
  },
});
