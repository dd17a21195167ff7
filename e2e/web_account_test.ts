/**
 * The web front end in Chromium against the real fleet: every account flow a
 * person has (sign up, the mail's verification link, log out, log in, forgot and
 * reset by mail link, change password), field errors next to their fields, the
 * session renewed through the HttpOnly cookie after a reload (the access token
 * lives in memory only), no CSP violation, screenshots at 390 and 1280 px, and
 * an axe-core check of each page.
 *
 * Needs the built front end (`npm ci && npm run build` in web/, which .ci/run does
 * before the tests) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium } from "playwright-core";
import {
  accountButton,
  axeViolations,
  CHROMIUM,
  expectFieldError,
  logInWith,
  openTab,
  requireBuiltFrontEnd,
  SHOTS,
} from "./web_support.ts";
import { type Marketplace, startMarketplace } from "./support.ts";

Deno.test({
  name: "web: the account flows in Chromium against the fleet",
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_account");
    // The address the mails link to, as a person's browser opens it.
    const base = market.fleet.publicUrl;
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const context = await browser.newContext();
      const { page, problems } = await openTab(context);
      const ada = {
        email: "web_ada@example.com",
        username: "web_ada",
        password: "first horse battery",
      };

      await t.step("sign up: a too-short password is shown next to its field", async () => {
        await page.goto(`${base}/signup`);
        await page.getByLabel("Email").fill(ada.email);
        await page.getByLabel("Username").fill(ada.username);
        await page.getByLabel("Password").fill("short");
        await page.getByRole("button", { name: "Sign up" }).click();
        await expectFieldError(page, "Password", /^Must be at least 8 characters/);
        await page.getByLabel("Password").fill(ada.password);
        await page.getByRole("button", { name: "Sign up" }).click();
        await accountButton(page, ada.username).waitFor();
        await page.getByText(/We sent you a mail to confirm/).waitFor();
        await page.getByText("Please confirm your email address").waitFor();
      });

      await t.step(
        "the verification link from the mail confirms the address in the browser",
        async () => {
          const mail = await market.mailTo(ada.email, /confirm your email/i);
          const token = market.linkToken(mail, "verify-email");
          await page.goto(`${base}/verify-email?token=${token}`);
          await page.getByText(`Your email address ${ada.email} is confirmed`).waitFor();
          assert.equal(await page.getByText("Please confirm your email address").count(), 0);
          // The same link again: used, and the page says so.
          await page.reload();
          await page.getByText(/no longer valid/).waitFor();
        },
      );

      await t.step(
        "a reload renews the session through the cookie; no token is stored",
        async () => {
          const refreshed = page.waitForResponse((r) =>
            r.url() === `${base}/api/v1/auth/refresh` && r.request().method() === "POST"
          );
          await page.goto(`${base}/`);
          const answer = await refreshed;
          assert.equal(answer.status(), 200);
          await accountButton(page, ada.username).waitFor();
          const stored = await page.evaluate(() => {
            // deno-lint-ignore no-explicit-any
            const { localStorage, sessionStorage, document } = globalThis as any;
            return JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) +
              document.cookie;
          });
          assert.doesNotMatch(stored, /eyJ|refresh/i, "no token in storage or readable cookies");
        },
      );

      await t.step("a username that is taken is shown next to the Username field", async () => {
        const other = await browser!.newContext();
        const tab = await other.newPage();
        await tab.goto(`${base}/signup`);
        await tab.getByLabel("Email").fill("web_other@example.com");
        await tab.getByLabel("Username").fill(ada.username);
        await tab.getByLabel("Password").fill("another horse battery");
        await tab.getByRole("button", { name: "Sign up" }).click();
        await expectFieldError(tab, "Username", /username is taken/i);
        assert.equal(await tab.getByLabel("Email").getAttribute("aria-invalid"), null);
        await other.close();
      });

      await t.step("log out, and a reload stays logged out", async () => {
        await accountButton(page, ada.username).click();
        await page.getByRole("button", { name: "Log out" }).click();
        await page.getByRole("link", { name: "Log in" }).waitFor();
        await page.reload();
        await page.getByRole("link", { name: "Log in" }).waitFor();
        assert.equal(await accountButton(page, ada.username).count(), 0);
      });

      await t.step(
        "log in with the username; a wrong password is refused on the page",
        async () => {
          await logInWith(page, base, ada.username, "not the password");
          await page.getByRole("alert").filter({ hasText: /./ }).waitFor();
          await logInWith(page, base, ada.username, ada.password);
          await accountButton(page, ada.username).waitFor();
          assert.equal(new URL(page.url()).pathname, "/");
        },
      );

      await t.step(
        "an access token past its expiry is renewed through the cookie before the next request",
        async () => {
          // The page's clock jumps past the token's 15 minutes; the client must refresh first.
          await page.clock.install();
          await page.clock.fastForward("16:00");
          const calls: string[] = [];
          const record = (request: { url(): string }) => {
            const path = new URL(request.url()).pathname;
            if (path.startsWith("/api/")) calls.push(path);
          };
          page.on("request", record);
          await accountButton(page, ada.username).click();
          await page.getByRole("link", { name: "Change password" }).click();
          await page.getByLabel("Current password").fill("not the password");
          await page.getByLabel("New password").fill("second horse battery");
          await page.getByRole("button", { name: "Change password" }).click();
          await expectFieldError(page, "Current password", /./);
          page.off("request", record);
          // Other parts of the page (the bell, the inbox count) may ask too; whatever asks
          // first, the expired token is renewed once, before any other API call.
          assert.equal(calls[0], "/api/v1/auth/refresh", `${calls}`);
          assert.equal(
            calls.filter((path) => path === "/api/v1/auth/refresh").length,
            1,
            `${calls}`,
          );
          assert.ok(calls.includes("/api/v1/auth/change-password"), `${calls}`);
        },
      );

      await t.step(
        "change password: a wrong current one next to its field, then the new one works",
        async () => {
          await accountButton(page, ada.username).click();
          await page.getByRole("link", { name: "Change password" }).click();
          await page.getByLabel("Current password").fill("not the password");
          await page.getByLabel("New password").fill("second horse battery");
          await page.getByRole("button", { name: "Change password" }).click();
          await expectFieldError(page, "Current password", /./);
          await page.getByLabel("Current password").fill(ada.password);
          await page.getByRole("button", { name: "Change password" }).click();
          await page.getByText("Your password was changed").waitFor();
          assert.equal(new URL(page.url()).pathname, "/login");
          ada.password = "second horse battery";
          await logInWith(page, base, ada.email, ada.password);
          await accountButton(page, ada.username).waitFor();
        },
      );

      await t.step(
        "forgot password → the mail's link → reset page → log in with the new password",
        async () => {
          const other = await browser!.newContext();
          const tab = await other.newPage();
          await tab.goto(`${base}/login`);
          await tab.getByRole("link", { name: "Forgot password?" }).click();
          await tab.getByRole("heading", { name: "Forgot your password?" }).waitFor();
          await tab.getByLabel("Email").fill(ada.email);
          await tab.getByRole("button", { name: "Send the link" }).click();
          const answer = tab.locator("[role=status], [role=alert]").filter({ hasText: /./ });
          await answer.waitFor();
          assert.equal(
            await answer.getAttribute("role"),
            "status",
            await answer.textContent() ?? "",
          );
          const mail = await market.mailTo(ada.email, /reset your password/i);
          const token = market.linkToken(mail, "reset-password");
          await tab.goto(`${base}/reset-password?token=${token}`);
          await tab.getByLabel("New password").fill("third horse battery");
          await tab.getByRole("button", { name: "Set the new password" }).click();
          await tab.getByText("Your password was changed").waitFor();
          await logInWith(tab, base, ada.username, ada.password);
          await tab.getByRole("alert").filter({ hasText: /./ }).waitFor(); // the old one is dead
          await logInWith(tab, base, ada.username, "third horse battery");
          await accountButton(tab, ada.username).waitFor();
          ada.password = "third horse battery";
          await other.close();
        },
      );

      await t.step("no CSP violation or page error on the way", () => {
        assert.deepEqual(problems, []);
      });

      await t.step("the home page lists the catalogue's categories from the API", async () => {
        const answer = await market.client().request("GET", "/api/v1/gigs/categories");
        assert.equal(answer.status, 200);
        await page.goto(`${base}/`);
        const list = page.getByRole("region", { name: "Browse by category" }).getByRole("listitem");
        await list.first().waitFor();
        assert.equal(await list.count(), answer.body.categories.length);
        await page.getByRole("heading", { name: answer.body.categories[0].name }).waitFor();
      });

      await t.step("the search field is labelled Search and opens /search?q=", async () => {
        await page.getByRole("searchbox", { name: "Search" }).fill("logo design");
        await page.getByRole("searchbox", { name: "Search" }).press("Enter");
        await page.waitForURL(`${base}/search?q=logo+design`);
      });

      await t.step("screenshots at 390 and 1280 px", async () => {
        for (const width of [390, 1280]) {
          const shots = await browser!.newContext({ viewport: { width, height: 900 } });
          const tab = await shots.newPage();
          for (const [name, path] of [["home", "/"], ["signup", "/signup"], ["login", "/login"]]) {
            await tab.goto(`${base}${path}`);
            await tab.getByRole("heading", { level: 1 }).waitFor();
            if (name === "home") {
              await tab.getByRole("region", { name: "Browse by category" }).getByRole("listitem")
                .first().waitFor();
            }
            await tab.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
          }
          await shots.close();
        }
      });

      await t.step(
        "axe-core finds no serious or critical violation on any account page",
        async () => {
          // axe runs through the DevTools protocol (web_support.ts): the site's CSP stays on.
          const audit = await browser!.newContext();
          const tab = await audit.newPage();
          const pages: [string, string][] = [
            ["/", "Browse by category"],
            ["/signup", "Create your account"],
            ["/login", "Log in"],
            ["/forgot-password", "Forgot your password?"],
            ["/reset-password?token=abc", "Choose a new password"],
            ["/verify-email?token=abc", "Confirm your email"],
            ["/no-such-page", "Page not found"],
          ];
          const found: string[] = [];
          for (const [path, heading] of pages) {
            await tab.goto(`${base}${path}`);
            await tab.getByRole("heading", { name: heading }).first().waitFor();
            for (const violation of await axeViolations(tab)) found.push(`${path}: ${violation}`);
          }
          // The signed-in pages: the account menu open, and change password.
          await logInWith(tab, base, ada.username, ada.password);
          await accountButton(tab, ada.username).click();
          await tab.getByRole("link", { name: "Change password" }).waitFor();
          for (const violation of await axeViolations(tab)) found.push(`menu: ${violation}`);
          await tab.getByRole("link", { name: "Change password" }).click();
          await tab.getByRole("heading", { name: "Change password" }).waitFor();
          for (const violation of await axeViolations(tab)) found.push(`change: ${violation}`);
          // And a form showing its errors.
          await tab.goto(`${base}/signup`);
          await tab.getByRole("button", { name: "Sign up" }).click();
          await tab.getByLabel("Email").and(tab.locator("[aria-invalid=true]")).waitFor();
          for (const violation of await axeViolations(tab)) found.push(`errors: ${violation}`);
          await audit.close();
          assert.deepEqual(found, []);
        },
      );
      await context.close();
    } finally {
      await browser?.close();
      await market.close();
    }
  },
});
