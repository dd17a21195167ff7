/**
 * The selling pages in Chromium against the real fleet: a person signs up (the mail's
 * verification link), is told by the API that becoming a seller needs a verified email,
 * verifies, becomes a seller, publishes a gig with three packages in the editor (a field
 * error next to its field first), pauses and activates it, opens balance and payouts
 * (their empty states) and edits the profile. axe-core on each page (no serious or
 * critical violation), no CSP violation, screenshots at 390 and 1280 px.
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium } from "playwright-core";
import {
  axeAudit,
  CHROMIUM,
  expectFieldError,
  requireBuiltFrontEnd,
  shoot,
  submitUntilAccepted,
} from "./web_support.ts";
import { type Marketplace, startMarketplace } from "./support.ts";

Deno.test({
  name: "web: become a seller, publish a gig, pause and activate it, balance, payouts, profile",
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_selling");
    const base = market.fleet.publicUrl;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    const problems: string[] = [];
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const page = await (await browser.newContext()).newPage();
      page.on("console", (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      const sam = {
        email: "web_sam@example.com",
        username: "web_sam",
        password: "sam horse battery",
      };
      const field = (label: string) => page.getByLabel(label, { exact: true });
      const menu = () => page.getByRole("button", { name: `Account menu of ${sam.username}` });
      const gigTitle = "I will design a minimalist logo for your brand";

      await t.step("sign up; becoming a seller first shows the API's answer", async () => {
        await page.goto(`${base}/signup`);
        await field("Email").fill(sam.email);
        await field("Username").fill(sam.username);
        await field("Password").fill(sam.password);
        await page.getByRole("button", { name: "Sign up" }).click();
        await menu().click();
        await page.getByRole("link", { name: "Become a seller" }).click();
        await page.getByRole("heading", { name: "Become a seller" }).waitFor();
        await field("About you as a seller").fill(
          "I design logos and brand identities for small businesses.",
        );
        await field("Skills").fill("logo design, branding");
        await page.getByRole("button", { name: "Create seller profile" }).click();
        const refusal = page.getByRole("alert").filter({ hasText: /verif/i });
        await refusal.waitFor();
        await audit(page, "become a seller (refused)");
      });

      await t.step("the mail's link verifies; the seller profile is created", async () => {
        const mail = await market.mailTo(sam.email, /confirm your email/i);
        await page.goto(`${base}/verify-email?token=${market.linkToken(mail, "verify-email")}`);
        await page.getByText(`Your email address ${sam.email} is confirmed`).waitFor();
        await page.goto(`${base}/sell/start`);
        await field("About you as a seller").fill(
          "I design logos and brand identities for small businesses.",
        );
        await field("Skills").fill("logo design, branding");
        await field("Language 1").fill("en");
        await page.getByRole("button", { name: "Add a language" }).click();
        await field("Language 2").fill("de");
        await field("Level of language 2").selectOption("conversational");
        await page.getByRole("button", { name: "Add a portfolio item" }).click();
        await field("Portfolio title 1").fill("Bakery rebrand");
        await field("Portfolio link 1").fill("https://example.com/bakery");
        await audit(page, "become a seller (form)");
        await shoot(page, "sell-start");
        await page.getByRole("button", { name: "Create seller profile" }).click();
        await page.getByRole("heading", { name: "Publish a gig" }).waitFor();
        await menu().click();
        await page.getByRole("link", { name: "My gigs" }).waitFor();
        assert.equal(await page.getByRole("link", { name: "Become a seller" }).count(), 0);
        await menu().click();
      });

      await t.step("the editor shows a field error, then publishes three packages", async () => {
        await field("Title").fill("Logo");
        await field("Category").selectOption({ index: 1 });
        await field("Subcategory").selectOption({ index: 1 });
        await field("Description").fill(
          "A clean, memorable logo in vector formats, with a short brand guide.",
        );
        await field("Tags").fill("logo, minimalist");
        await field("Images").fill("https://example.com/logo-sample.png");
        const tiers = [
          ["Basic", "One concept", "25", "3", "1"],
          ["Standard", "Three concepts", "60", "5", "3"],
          ["Premium", "Full brand kit", "150", "7", "5"],
        ];
        for (const [tier, name, price, days, revisions] of tiers) {
          await field(`${tier} name`).fill(name);
          await field(`${tier} description`).fill(`${name}, delivered as SVG and PNG.`);
          await field(`${tier} price`).fill(price);
          await field(`${tier} delivery days`).fill(days);
          await field(`${tier} revisions`).fill(revisions);
          await field(`${tier} features`).fill("Vector files\nCommercial use");
        }
        await page.getByRole("button", { name: "Add a question" }).click();
        await field("Question 1").fill("What is your brand's name?");
        await page.getByRole("button", { name: "Add a FAQ entry" }).click();
        await field("FAQ question 1").fill("Do I own the logo?");
        await field("FAQ answer 1").fill(
          "Yes, every right is yours once the order completes.",
        );
        await page.getByRole("button", { name: "Publish gig" }).click();
        await expectFieldError(page, "Title", /at least 10/i);
        await audit(page, "gig editor (field error)");
        await shoot(page, "sell-gig-editor");
        await field("Title").fill(gigTitle);
        // The gigs service learns of the new seller by an event: until it has, it refuses (403).
        await submitUntilAccepted(page, page.getByRole("button", { name: "Publish gig" }), {
          method: "POST",
          path: "/api/v1/gigs",
          retryOn: [403],
        });
        await page.getByText("Your gig is saved.").waitFor();
      });

      await t.step("my gigs: pause, then activate", async () => {
        await page.getByRole("link", { name: gigTitle, exact: true }).waitFor();
        await page.getByText("Active", { exact: true }).waitFor();
        await page.getByRole("button", { name: `Pause ${gigTitle}` }).click();
        await page.getByText("Paused", { exact: true }).waitFor();
        await audit(page, "my gigs (paused)");
        await page.getByRole("button", { name: `Activate ${gigTitle}` }).click();
        await page.getByText("Active", { exact: true }).waitFor();
        await shoot(page, "sell-gigs");
      });

      await t.step("the editor opens the published gig with its three packages", async () => {
        await page.getByRole("link", { name: `Edit ${gigTitle}` }).click();
        await page.getByRole("heading", { name: "Edit gig" }).waitFor();
        assert.equal(await field("Title").inputValue(), gigTitle);
        assert.equal(await field("Standard price").inputValue(), "60.00");
        assert.equal(await field("Premium delivery days").inputValue(), "7");
        assert.equal(await field("FAQ question 1").inputValue(), "Do I own the logo?");
      });

      await t.step("balance and payouts: their empty states", async () => {
        await menu().click();
        await page.getByRole("link", { name: "Balance" }).click();
        await page.getByText("No earnings yet").waitFor();
        await page.getByText("No movements yet").waitFor();
        await audit(page, "balance");
        await shoot(page, "sell-balance");
        await page.getByRole("navigation", { name: "Selling" }).getByRole("link", {
          name: "Payouts",
        })
          .click();
        await page.getByText("No payouts yet").waitFor();
        await page.getByText("Nothing is available to pay out yet.").waitFor();
        await page.getByText(/No payout account yet/).waitFor();
        await audit(page, "payouts");
        await shoot(page, "sell-payouts");
      });

      await t.step("the payout account in the fleet's local test mode", async () => {
        await page.getByRole("button", { name: "Set up payout account" }).click();
        // The orders API's onboarding link (local test mode) comes straight back.
        await page.waitForURL(/\/seller\/payouts\?onboarding=done/);
        await page.getByText(/You are back from setting up your payout account/).waitFor();
        await page.getByText(/Connected in local test mode/).waitFor();
        await page.getByRole("button", { name: "Update payout account" }).waitFor();
        await audit(page, "payouts (account connected)");
      });

      await t.step("profile settings: a bad time zone next to its field, then saved", async () => {
        await page.setViewportSize({ width: 1280, height: 900 });
        await menu().click();
        await page.getByRole("link", { name: "Profile settings" }).click();
        await field("Display name").fill("Sam the Designer");
        await field("Country").fill("DE");
        await field("Time zone").fill("Mars/Olympus");
        await field("Bio").fill("Logos that last.");
        await page.getByRole("button", { name: "Save profile" }).click();
        await expectFieldError(page, "Time zone", /IANA/);
        await field("Time zone").fill("Europe/Berlin");
        await page.getByRole("button", { name: "Save profile" }).click();
        await page.getByText("Your profile is saved.").waitFor();
        await page.reload();
        await field("Display name").and(page.locator('[value="Sam the Designer"]'))
          .waitFor();
        assert.equal(await field("Time zone").inputValue(), "Europe/Berlin");
        await audit(page, "profile settings");
        await shoot(page, "settings-profile");
      });

      await t.step("my gigs: delete asks first; kept, then deleted", async () => {
        await page.goto(`${base}/sell/gigs`);
        await page.getByRole("button", { name: `Delete ${gigTitle}` }).click();
        const confirm = page.getByRole("group", { name: `Delete ${gigTitle}?` });
        await confirm.getByRole("button", { name: "Keep it" }).click();
        await page.getByRole("link", { name: gigTitle, exact: true }).waitFor();
        await page.getByRole("button", { name: `Delete ${gigTitle}` }).click();
        await confirm.getByRole("button", { name: "Yes, delete" }).click();
        await page.getByText("You have no gigs yet").waitFor();
        await audit(page, "my gigs (empty)");
      });

      assert.deepEqual(found, [], "no serious or critical axe-core violation");
      assert.deepEqual(problems, [], "no CSP violation or page error");
    } finally {
      await browser?.close();
      await market.close();
    }
  },
});
