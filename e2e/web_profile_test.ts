/**
 * Editing a seller profile in Chromium against the real fleet: a seller (made through the
 * API) opens profile settings from the selling tabs, is refused by the API next to the
 * fields (a description too short, a skill repeated, a portfolio link to a local host, a
 * language tag that is not one), corrects them and saves; the API has the new profile and
 * the public seller page shows it. Saving again without a change sends nothing. axe-core
 * on each page, no CSP violation, screenshots at 390 and 1280 px.
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium } from "playwright-core";
import { becomeSeller } from "./fixtures.ts";
import {
  axeAudit,
  CHROMIUM,
  expectFieldError,
  requireBuiltFrontEnd,
  shoot,
  signedIn,
} from "./web_support.ts";
import { type Marketplace, type SignedUp, startMarketplace } from "./support.ts";

const DESCRIPTION =
  "Packaging and label designer: ten years of jars, boxes and bottles for food brands.";

Deno.test({
  name:
    "web: a seller edits the seller profile; API errors next to fields; the public page shows it",
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_profile");
    const base = market.fleet.publicUrl;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    try {
      let sue: SignedUp;
      await t.step("a seller, made through the API", async () => {
        sue = await market.signup("wp_sue");
        await becomeSeller(market, sue);
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const { page, problems } = await signedIn(await browser.newContext(), base, sue!);
      const field = (label: string) => page.getByLabel(label, { exact: true });
      const save = page.getByRole("button", { name: "Save seller profile" });
      const patches: string[] = [];
      page.on("request", (r) => {
        if (r.method() === "PATCH" && new URL(r.url()).pathname === "/api/v1/sellers/me") {
          patches.push(r.postData() ?? "");
        }
      });

      await t.step(
        "the selling tabs lead to the seller profile, filled with what is stored",
        async () => {
          await page.goto(`${base}/sell/gigs`);
          await page.getByRole("navigation", { name: "Selling" }).getByRole("link", {
            name: "Profile",
          })
            .click();
          await page.getByRole("heading", { name: "Seller profile", level: 2 }).waitFor();
          assert.match(await field("About you as a seller").inputValue(), /Brand designer/);
          assert.equal(await field("Skills").inputValue(), "logo design, branding");
          assert.equal(await field("Language 1").inputValue(), "en");
          assert.equal(await field("Level of language 1").inputValue(), "native");
        },
      );

      await t.step("the API's refusals appear next to their fields; nothing changes", async () => {
        await field("About you as a seller").fill("Too short");
        await field("Skills").fill("packaging, labels, packaging");
        await page.getByRole("button", { name: "Add a language" }).click();
        await field("Language 2").fill("German");
        await page.getByRole("button", { name: "Add a portfolio item" }).click();
        await field("Portfolio title 1").fill("Jam jar labels");
        await field("Portfolio link 1").fill("https://localhost/jam");
        await save.click();
        await expectFieldError(page, "About you as a seller", /at least 20 characters/);
        await expectFieldError(page, "Skills", /“packaging”: Must not repeat/);
        await expectFieldError(page, "Language 2", /language tag/);
        await expectFieldError(page, "Portfolio link 1", /local or internal host/);
        await page.getByRole("alert").filter({ hasText: "Please correct the fields marked below." })
          .waitFor();
        const stored = await sue!.client.request("GET", `/api/v1/sellers/${sue!.user.username}`);
        assert.match(stored.body.seller.description, /Brand designer/);
        await audit(page, "seller profile with errors");
        await shoot(page, "seller-profile-errors");
      });

      await t.step("corrected and saved: only the changed fields are sent", async () => {
        await field("About you as a seller").fill(DESCRIPTION);
        await field("Skills").fill("packaging, labels, illustration");
        await field("Language 2").fill("de");
        await field("Level of language 2").selectOption("fluent");
        await field("Portfolio link 1").fill("https://example.com/jam");
        await field("Portfolio description 1").fill("Labels for a farm's jams.");
        await save.click();
        await page.getByText("Your seller profile is saved.").waitFor();
        const sent = JSON.parse(patches.at(-1)!);
        assert.deepEqual(Object.keys(sent).sort(), [
          "description",
          "languages",
          "portfolio",
          "skills",
        ]);
        const stored = await sue!.client.request("GET", `/api/v1/sellers/${sue!.user.username}`);
        assert.equal(stored.body.seller.description, DESCRIPTION);
        assert.deepEqual(stored.body.seller.skills, ["packaging", "labels", "illustration"]);
        assert.deepEqual(stored.body.seller.languages, [
          { language: "en", level: "native" },
          { language: "de", level: "fluent" },
        ]);
        assert.equal(stored.body.seller.portfolio[0].url, "https://example.com/jam");
        await audit(page, "seller profile saved");
        await shoot(page, "seller-profile");
      });

      await t.step("saving again without a change sends nothing and says so", async () => {
        const before = patches.length;
        await save.click();
        await page.getByText("Nothing has changed, so there is nothing to save.").waitFor();
        assert.equal(patches.length, before);
      });

      await t.step("the public seller page shows the new profile", async () => {
        await page.getByRole("link", { name: "View your public profile" }).click();
        await page.waitForURL(`${base}/sellers/${sue!.user.username}`);
        await page.getByText(DESCRIPTION).waitFor();
        const skills = page.getByRole("region", { name: "Skills" }).getByRole("listitem");
        await skills.first().waitFor({ timeout: 5_000 });
        assert.deepEqual(await skills.allTextContents(), ["packaging", "labels", "illustration"]);
        await page.getByRole("region", { name: "Languages" }).getByText("German").waitFor();
        const work = page.getByRole("link", { name: /Jam jar labels/ });
        assert.equal(await work.getAttribute("href"), "https://example.com/jam");
        await page.getByText("Labels for a farm's jams.").waitFor();
        await audit(page, "public seller page");
        await shoot(page, "seller-public");
      });

      assert.deepEqual(found, [], `axe-core:\n${found.join("\n")}`);
      assert.deepEqual(problems, []);
    } finally {
      await browser?.close();
      await market.close();
    }
  },
});
