/**
 * The whole marketplace loop in Chromium against the real fleet, by two people in two
 * browser contexts and nothing else: the seller signs up (the verification link read
 * from the test's SMTP server), becomes a seller and publishes a gig in the editor; the
 * buyer signs up, finds the gig by a keyword plus a category and a price filter in the
 * URL, orders it, answers the requirements, pays (local test payment); the seller
 * delivers; the buyer asks for a revision; the seller delivers again; the buyer accepts;
 * both review; the buyer sees the review on the gig page; the seller sees the earnings
 * pending in the balance. What each person sees is checked at each step, then the CSP,
 * page errors and axe-core.
 *
 * Only the scenery (other sellers' gigs, so that the search has something to leave
 * out and the pages look lived in) is made through the API. The README's pictures are
 * this test's JPEG shots (`${SHOTS}/loop-*.jpg`).
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { waitFor } from "@mp/shared/testing";
import { gigBody, publishGig, verifyEmail } from "./fixtures.ts";
import {
  accountButton,
  axeAudit,
  CHROMIUM,
  openTab,
  orderStatus,
  requireBuiltFrontEnd,
  SHOTS,
  submitUntilAccepted,
} from "./web_support.ts";
import { type Marketplace, startMarketplace } from "./support.ts";
import { planSeller, planSellerGigs } from "../scripts/seed_data.ts";
import { TAXONOMY } from "../services/gigs/taxonomy.ts";

/** JPEG shots (quality 80) at 390 and 1280 px, small enough for the README; left at 1280. */
async function picture(page: Page, name: string, fullPage = true): Promise<void> {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({
      path: `${SHOTS}/${name}-${width}.jpg`,
      type: "jpeg",
      quality: 80,
      fullPage,
    });
  }
}

/** Reloads `page` until `visible` shows: for what reaches a page through an event. */
async function reloadUntil(page: Page, visible: ReturnType<Page["locator"]>, what: string) {
  await waitFor(async () => {
    if (await visible.isVisible()) return true;
    await page.reload();
    return await visible.waitFor({ timeout: 2_000 }).then(() => true, () => false);
  }, { what, timeoutMs: 45_000, intervalMs: 250 });
}

const money = (minor: number) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(minor / 100);

Deno.test({
  name: "web: the whole loop by a seller and a buyer in two browsers, from sign-up to balance",
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_loop");
    const base = market.fleet.publicUrl;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    // The keyword only this seller's gig (and two decoys the filters must leave out) carries.
    const keyword = "Lumenfox";
    const gigTitle = `I will design a ${keyword} minimalist logo for your small business`;
    const price = 4000; // the first package, in cents
    const question = "What is your business called?";
    const answer = "Hazel & Rye Bakery";
    const review = { buyer: "Lovely logo, and the revision was quick.", seller: "Clear brief." };
    try {
      await t.step(
        "scenery: other sellers' gigs, made through the API (not the loop)",
        async () => {
          const taxonomy = {
            categories: TAXONOMY.map((c) => ({ ...c, subcategories: [...c.subcategories] })),
          };
          const sellers = 3;
          for (let i = 0; i < sellers; i++) {
            const plan = planSeller("wl", i, taxonomy);
            const person = await market.signup(plan.username);
            await verifyEmail(market, person);
            const call = (method: string, path: string, body: unknown) =>
              person.client.request(method, path, { token: person.accessToken, body });
            // Both wait for an event: the profile for user.registered, the seller for the verification.
            await waitFor(
              async () => (await call("PATCH", "/api/v1/users/me", plan.profile)).status === 200,
              {
                what: `profile of ${plan.username}`,
                timeoutMs: 30_000,
              },
            );
            await waitFor(
              async () => (await call("POST", "/api/v1/sellers", plan.seller)).status === 201,
              {
                what: `seller ${plan.username}`,
                timeoutMs: 30_000,
              },
            );
            for (const gig of planSellerGigs(plan, sellers, sellers * 3, taxonomy)) {
              await publishGig(person, gig.body);
            }
            if (i === 0) {
              // Decoys: the keyword in another category, and above the price filter.
              await publishGig(
                person,
                gigBody(`I will animate your ${keyword} logo intro`, 3000, {
                  category: "video-animation",
                  subcategory: "logo-animation",
                }),
              );
              await publishGig(
                person,
                gigBody(`I will craft a premium ${keyword} brand identity`, 40000),
              );
            }
          }
        },
      );

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const viewport = { width: 1280, height: 900 };
      const seller = await openTab(await browser.newContext({ viewport }));
      const buyer = await openTab(await browser.newContext({ viewport }));
      const vera = {
        email: "wl_vera@example.com",
        username: "wl_vera",
        password: "vera horse battery",
      };
      const bo = { email: "wl_bo@example.com", username: "wl_bo", password: "bo horse battery" };
      const signUp = async (page: Page, who: typeof vera) => {
        await page.goto(`${base}/signup`);
        await page.getByLabel("Email", { exact: true }).fill(who.email);
        await page.getByLabel("Username", { exact: true }).fill(who.username);
        await page.getByLabel("Password", { exact: true }).fill(who.password);
        await page.getByRole("button", { name: "Sign up" }).click();
        await page.getByText("Welcome! We sent you a mail to confirm your address.").waitFor();
        await accountButton(page, who.username).waitFor();
      };
      let gigUrl = "";
      let orderUrl = "";

      await t.step("the seller signs up and opens the link of the verification mail", async () => {
        const page = seller.page;
        await signUp(page, vera);
        const mail = await market.mailTo(vera.email, /confirm your email/i);
        await page.goto(`${base}/verify-email?token=${market.linkToken(mail, "verify-email")}`);
        await page.getByText(`Your email address ${vera.email} is confirmed`).waitFor();
      });

      await t.step("the seller becomes a seller from the account menu", async () => {
        const page = seller.page;
        const field = (label: string) => page.getByLabel(label, { exact: true });
        await accountButton(page, vera.username).click();
        await page.getByRole("link", { name: "Become a seller" }).click();
        await page.getByRole("heading", { name: "Become a seller" }).waitFor();
        await field("About you as a seller").fill(
          "I design logos and small brand identities for bakeries, cafés and shops.",
        );
        await field("Skills").fill("logo design, branding");
        await field("Language 1").fill("en");
        // Users learns of the verification by an event: until then it refuses (403).
        await submitUntilAccepted(
          page,
          page.getByRole("button", { name: "Create seller profile" }),
          {
            method: "POST",
            path: "/api/v1/sellers",
            retryOn: [403],
          },
        );
        await page.getByRole("heading", { name: "Publish a gig" }).waitFor();
      });

      await t.step("the seller publishes a gig with three packages in the editor", async () => {
        const page = seller.page;
        const field = (label: string) => page.getByLabel(label, { exact: true });
        await field("Title").fill(gigTitle);
        await field("Category").selectOption({ label: "Graphics & Design" });
        await field("Subcategory").selectOption({ label: "Logo Design" });
        await field("Description").fill(
          "A clean, memorable logo drawn for your shop, in vector formats, with a one-page brand guide.",
        );
        await field("Tags").fill("logo, minimalist, bakery");
        await field("Images").fill("https://images.example.com/lumenfox-logo.png");
        const tiers = [
          ["Basic", "Starter", price / 100, "3", "1"],
          ["Standard", "Business", 90, "5", "3"],
          ["Premium", "Full brand", 180, "7", "5"],
        ] as const;
        for (const [tier, name, amount, days, revisions] of tiers) {
          await field(`${tier} name`).fill(name);
          await field(`${tier} description`).fill(`${name}: logo files as SVG and PNG.`);
          await field(`${tier} price`).fill(String(amount));
          await field(`${tier} delivery days`).fill(days);
          await field(`${tier} revisions`).fill(revisions);
          await field(`${tier} features`).fill("Vector files\nCommercial use");
        }
        await page.getByRole("button", { name: "Add a question" }).click();
        await field("Question 1").fill(question);
        await page.getByRole("button", { name: "Add a FAQ entry" }).click();
        await field("FAQ question 1").fill("Do I own the logo?");
        await field("FAQ answer 1").fill("Yes, every right is yours once the order completes.");
        // Gigs learns of the new seller by an event: until then it refuses (403).
        await submitUntilAccepted(page, page.getByRole("button", { name: "Publish gig" }), {
          method: "POST",
          path: "/api/v1/gigs",
          retryOn: [403],
        });
        await page.getByText("Your gig is saved.").waitFor();
        await page.getByRole("link", { name: gigTitle, exact: true }).waitFor();
        await page.getByText("Active", { exact: true }).waitFor();
        await audit(page, "my gigs");
      });

      await t.step(
        "the buyer signs up and finds the gig by keyword, category and price",
        async () => {
          const page = buyer.page;
          await signUp(page, bo);
          const search = page.getByRole("searchbox", { name: "Search" });
          await search.fill(keyword.toLowerCase());
          await search.press("Enter");
          await page.waitForURL(/\/search\?q=lumenfox$/);
          const count = (n: string) =>
            page.getByRole("status").filter({ hasText: new RegExp(`^${n}$`) });
          await reloadUntil(page, count("3 services"), "the three Lumenfox gigs in search");
          await audit(page, "search (keyword)");
          await picture(page, "loop-search");

          const facets = page.getByRole("navigation", { name: "Categories" });
          await facets.getByRole("button", { name: "Graphics & Design 2" }).click();
          await page.waitForURL(/category=graphics-design/);
          await count("2 services").waitFor();
          await page.getByLabel("Max price").fill("50");
          await page.getByRole("button", { name: "Apply price" }).click();
          await page.waitForURL(/maxPrice=5000/);
          await count("1 service").waitFor();
          await page.locator('section[aria-label="Results"][aria-busy="false"]').waitFor();
          const results = page.getByRole("list", { name: "Search results" }).getByRole("heading");
          assert.deepEqual(await results.allTextContents(), [gigTitle]);
          const url = new URL(page.url());
          assert.equal(url.searchParams.get("q"), "lumenfox");
          assert.equal(url.searchParams.get("category"), "graphics-design");
          assert.equal(url.searchParams.get("maxPrice"), "5000");
          await audit(page, "search (filtered)");
        },
      );

      await t.step("the buyer opens the gig and orders its first package", async () => {
        const page = buyer.page;
        await page.getByRole("link", { name: gigTitle, exact: true }).click();
        await page.getByRole("heading", { name: gigTitle, level: 1 }).waitFor();
        gigUrl = page.url();
        const packages = page.getByRole("region", { name: "Packages" });
        await packages.getByText(money(price), { exact: true }).first().waitFor();
        await packages.getByText(money(18000), { exact: true }).first().waitFor();
        await page.getByRole("region", { name: "Reviews" }).getByText(/No reviews yet/).first()
          .waitFor();
        await audit(page, "gig (no reviews yet)");
        await page.getByRole("link", { name: "Order Starter", exact: true }).click();
        await page.waitForURL(/\/checkout\/.*package=basic/);
        await page.getByRole("heading", { name: "Checkout", level: 1 }).waitFor();
      });

      await t.step("the buyer answers the requirements, sees the fee and total, pays", async () => {
        const page = buyer.page;
        await page.getByLabel(question, { exact: true }).fill(answer);
        const pay = page.getByRole("button", { name: "Pay with test payment" });
        // Orders learns of the gig by an event: until then the placement is a 404.
        await submitUntilAccepted(page, page.getByRole("button", { name: "Continue to payment" }), {
          method: "POST",
          path: "/api/v1/orders",
          retryOn: [404],
        });
        await pay.waitFor();
        // The fleet's default fees: 5.5 % + $1.00 to the buyer.
        const fee = Math.round(price * 0.055) + 100;
        const summary = page.getByRole("complementary", { name: "Order summary" });
        await summary.getByText(money(price), { exact: true }).first().waitFor();
        await summary.getByText(money(fee), { exact: true }).waitFor();
        await summary.getByText(money(price + fee), { exact: true }).waitFor();
        await audit(page, "checkout (payment)");
        await pay.click();
        await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
        orderUrl = page.url();
        await orderStatus(page, "In progress").waitFor();
        await page.getByText(answer, { exact: true }).waitFor();
        await page.getByRole("button", { name: "Ask to cancel" }).waitFor();
        assert.equal(await page.getByRole("button", { name: "Deliver", exact: true }).count(), 0);
      });

      await t.step("the seller finds the order, sees the earnings, delivers", async () => {
        const page = seller.page;
        await accountButton(page, vera.username).click();
        await page.getByRole("link", { name: "Orders to deliver" }).click();
        await page.getByRole("heading", { name: "Orders to deliver" }).waitFor();
        await page.getByRole("link", { name: gigTitle }).click();
        await page.waitForURL(orderUrl);
        await orderStatus(page, "In progress").waitFor();
        await page.getByText(answer, { exact: true }).waitFor();
        // 20 % commission by default: $40.00 − $8.00.
        const facts = page.getByRole("complementary", { name: "Order facts" });
        assert.match(await facts.textContent() ?? "", new RegExp(`Your earnings\\${money(3200)}`));
        await page.getByLabel("Delivery message").fill(
          "Three sketches of the first concept attached.",
        );
        await page.getByLabel("Links to the files (optional)").fill(
          "https://files.example.com/lumenfox-v1.png",
        );
        await page.getByRole("button", { name: "Deliver", exact: true }).click();
        await orderStatus(page, "Delivered").waitFor();
        await audit(page, "order delivered (seller)");
      });

      await t.step("the buyer asks for a revision", async () => {
        const page = buyer.page;
        await page.reload();
        await page.getByText("Three sketches of the first concept attached.").waitFor();
        await page.getByRole("button", { name: "Accept delivery" }).waitFor();
        await page.getByLabel("What should change?").fill("Warmer colours, please.");
        await page.getByRole("button", { name: "Ask for a revision" }).click();
        await orderStatus(page, "In revision").waitFor();
        await page.getByText("Warmer colours, please.").first().waitFor();
      });

      await t.step("the seller delivers the revision", async () => {
        const page = seller.page;
        await page.reload();
        await page.getByRole("heading", { name: "Deliver the revision" }).waitFor();
        await page.getByText("Warmer colours, please.").first().waitFor();
        await page.getByLabel("Delivery message").fill("The warmer version, in all formats.");
        await page.getByRole("button", { name: "Deliver", exact: true }).click();
        await orderStatus(page, "Delivered").waitFor();
      });

      await t.step("the buyer accepts and reviews", async () => {
        const page = buyer.page;
        await page.reload();
        await page.getByText("The warmer version, in all formats.").waitFor();
        await page.getByText("No revisions are left in this package.").waitFor();
        await page.getByRole("button", { name: "Accept delivery" }).click();
        await orderStatus(page, "Completed").waitFor();
        await page.getByRole("button", { name: "Publish review" }).waitFor({ timeout: 30_000 });
        await page.getByRole("radio", { name: "5 stars" }).check();
        await page.getByLabel("Your review").fill(review.buyer);
        await page.getByRole("button", { name: "Publish review" }).click();
        await page.getByText("You have reviewed this order.").waitFor();
        await audit(page, "order completed (buyer)");
        await picture(page, "loop-order");
      });

      await t.step("the seller reviews the buyer", async () => {
        const page = seller.page;
        await page.reload();
        await orderStatus(page, "Completed").waitFor();
        await page.getByRole("button", { name: "Publish review" }).waitFor({ timeout: 30_000 });
        await page.getByRole("radio", { name: "5 stars" }).check();
        await page.getByLabel("Your review").fill(review.seller);
        await page.getByRole("button", { name: "Publish review" }).click();
        await page.getByText("You have reviewed this order.").waitFor();
        const timeline = (await page.getByRole("list", { name: "Timeline" }).getByRole("listitem")
          .allTextContents()).join("\n");
        for (
          const line of [
            /The buyer placed the order/,
            /Payment received/,
            /You delivered the work/,
            /The buyer asked for a revision/,
            /The buyer accepted the delivery/,
          ]
        ) assert.match(timeline, line);
      });

      await t.step("the gig page shows the buyer's review", async () => {
        const page = buyer.page;
        await page.goto(gigUrl);
        const reviews = page.getByRole("region", { name: "Reviews" });
        // The rating reaches gigs through an event.
        await reloadUntil(page, reviews.getByText(review.buyer), "the review on the gig page");
        await reviews.getByText(bo.username, { exact: true }).waitFor();
        await reviews.getByRole("img", { name: "5 out of 5 stars" }).waitFor();
        assert.equal(
          await reviews.getByRole("meter", { name: "5 stars" }).getAttribute("value"),
          "1",
        );
        await audit(page, "gig (reviewed)");
        await picture(page, "loop-gig");
      });

      await t.step("the seller's balance holds the earnings, pending clearance", async () => {
        const page = seller.page;
        await accountButton(page, vera.username).click();
        await page.getByRole("link", { name: "Balance" }).click();
        const usd = page.getByRole("region", { name: "Balance in USD" });
        await usd.waitFor();
        const cards = await usd.locator("p").allTextContents();
        assert.deepEqual(cards, [
          "Pending",
          money(3200),
          "Available",
          money(0),
          "Paid out",
          money(0),
        ]);
        const row = page.getByRole("row").filter({ hasText: "Order completed: earnings pending" });
        assert.match(await row.textContent() ?? "", new RegExp(`Pending\\${money(3200)}$`));
        await audit(page, "balance");
        await picture(page, "loop-balance");
      });

      await t.step("the home page features the gig", async () => {
        const page = buyer.page;
        await page.getByRole("link", { name: "Marketplace", exact: true }).click();
        await page.waitForURL(`${base}/`);
        const featured = page.getByRole("list", { name: "Featured services" });
        // Sorted by rating, which reaches search through an event.
        await reloadUntil(
          page,
          featured.getByRole("heading", { name: gigTitle }),
          "the featured gig",
        );
        await audit(page, "home");
        await picture(page, "loop-home");
      });

      await t.step("no CSP violation, page error or axe-core violation on the way", () => {
        assert.deepEqual([...seller.problems, ...buyer.problems], []);
        assert.deepEqual(found, []);
      });
    } finally {
      await browser?.close();
      await market.close();
    }
  },
});
