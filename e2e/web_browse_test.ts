/**
 * The browse pages in Chromium against the real fleet: a seller's gigs made through
 * the API (as e2e/catalog_test.ts makes them); a signed-in buyer searches by keyword,
 * sorts and filters by price, and the URL holds it all (a reload keeps it, Back undoes
 * the filter); opens a gig (packages with their order links, FAQ, reviews), saves it,
 * opens the seller's profile and finds the gig in /favorites. The home page shows
 * featured gigs. axe-core on every page visited, screenshots at 390 and 1280 px.
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { waitFor } from "@mp/shared/testing";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { axeAudit, CHROMIUM, requireBuiltFrontEnd, shoot } from "./web_support.ts";
import { type Marketplace, type SignedUp, startMarketplace } from "./support.ts";

/** The titles of the cards of the list named `name`, in order, once search is not loading. */
async function titles(page: Page, name: string): Promise<string[]> {
  // Search keeps the previous page on screen while the next loads (aria-busy="true").
  if (name === "Search results") {
    await page.locator('section[aria-label="Results"][aria-busy="false"]').waitFor();
  }
  return await page.getByRole("list", { name, exact: true }).getByRole("heading").allTextContents();
}

Deno.test({
  name: "web: search with a filter and a sort in the URL, a gig, its seller, a favourite",
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_browse");
    const base = market.fleet.publicUrl;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    try {
      let ada: SignedUp;
      let bob: SignedUp;
      const gigs: Json[] = [];
      await t.step("a seller with three gigs and a buyer, made through the API", async () => {
        ada = await market.signup("wb_ada");
        bob = await market.signup("wb_bob");
        await becomeSeller(market, ada);
        for (
          const [title, price] of [["Zephyrcraft logo basic", 2000], [
            "Zephyrcraft logo plus",
            5000,
          ], [
            "Zephyrcraft logo deluxe",
            9000,
          ]] as const
        ) {
          gigs.push(await publishGig(ada, gigBody(title, price)));
        }
      });

      await t.step(
        "another buyer orders the middle gig, it completes, they review it",
        async () => {
          const cy = await market.signup("wb_cy");
          const plus = gigs[1];
          const call = (who: SignedUp, method: string, path: string, body?: unknown) =>
            who.client.request(method, path, {
              token: who.accessToken,
              body,
              headers: { "idempotency-key": crypto.randomUUID() },
            });
          const placed = await waitFor(async () => {
            const res = await call(cy, "POST", "/api/v1/orders", {
              gigId: plus.id,
              package: "basic",
              requirements: [{ questionId: plus.requirements[0].id, answer: "Cy's Cafe" }],
            });
            return res.status === 404 ? undefined : res; // until gig.created reached orders
          }, { what: "orders to know the gig" });
          assert.equal(placed.status, 201, JSON.stringify(placed.body));
          const id = placed.body.id;
          const paid = await call(cy, "POST", `/api/v1/payments/local-test/${id}/succeed`);
          assert.equal(paid.status, 200, JSON.stringify(paid.body));
          const delivered = await call(ada!, "POST", `/api/v1/orders/${id}/deliveries`, {
            message: "Here it is",
          });
          assert.equal(delivered.status, 201, JSON.stringify(delivered.body));
          assert.equal((await call(cy, "POST", `/api/v1/orders/${id}/accept`)).status, 200);
          const review = await waitFor(async () => {
            const res = await call(cy, "POST", `/api/v1/orders/${id}/reviews`, {
              rating: 5,
              comment: "Crisp work, delivered early.",
            });
            return res.status === 409 && res.body.code === "order_not_completed" ? undefined : res;
          }, { what: "reviews to learn the completion" });
          assert.equal(review.status, 201, JSON.stringify(review.body));
        },
      );

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      await page.goto(`${base}/login`);
      await page.getByLabel("Email or username").fill(bob!.user.username);
      await page.getByLabel("Password", { exact: true }).fill(bob!.password);
      await page.getByRole("button", { name: "Log in", exact: true }).click();
      await page.getByRole("button", { name: `Account menu of ${bob!.user.username}` }).waitFor();

      await t.step(
        "search by keyword, then a sort and a price filter, all in the URL",
        async () => {
          await page.getByRole("searchbox", { name: "Search" }).fill("zephyrcraft");
          await page.getByRole("searchbox", { name: "Search" }).press("Enter");
          await page.waitForURL(/\/search\?q=zephyrcraft$/);
          const results = page.getByRole("list", { name: "Search results" }).getByRole("listitem");
          for (let i = 0; i < 40 && (await results.count()) < 3; i++) {
            await page.waitForTimeout(250);
            if (i % 4 === 3) await page.reload();
          }
          assert.equal(await results.count(), 3);

          await page.getByLabel("Sort by").selectOption("price_desc");
          await page.waitForURL(/sort=price_desc/);
          await page.getByRole("list", { name: "Search results" }).getByRole("heading").first()
            .filter({ hasText: "Zephyrcraft logo deluxe" }).waitFor();
          assert.deepEqual(await titles(page, "Search results"), [
            "Zephyrcraft logo deluxe",
            "Zephyrcraft logo plus",
            "Zephyrcraft logo basic",
          ]);

          await page.getByLabel("Max price").fill("60");
          await page.getByRole("button", { name: "Apply price" }).click();
          await page.waitForURL(/maxPrice=6000/);
          await page.getByRole("status").filter({ hasText: "2 services" }).waitFor();
          assert.deepEqual(await titles(page, "Search results"), [
            "Zephyrcraft logo plus",
            "Zephyrcraft logo basic",
          ]);
          const url = new URL(page.url());
          assert.equal(url.pathname, "/search");
          assert.equal(url.searchParams.get("q"), "zephyrcraft");
          assert.equal(url.searchParams.get("sort"), "price_desc");
          assert.equal(url.searchParams.get("maxPrice"), "6000");
          await audit(page, "search");
          await shoot(page, "search");
        },
      );

      await t.step(
        "the URL round-trips: a reload keeps the search, Back undoes the filter",
        async () => {
          const before = page.url();
          await page.reload();
          await page.getByRole("status").filter({ hasText: "2 services" }).waitFor();
          assert.equal(page.url(), before);
          assert.equal(await page.getByLabel("Sort by").inputValue(), "price_desc");
          assert.equal(await page.getByLabel("Max price").inputValue(), "60");
          assert.deepEqual(await titles(page, "Search results"), [
            "Zephyrcraft logo plus",
            "Zephyrcraft logo basic",
          ]);

          await page.goBack();
          await page.getByRole("status").filter({ hasText: "3 services" }).waitFor();
          assert.equal(new URL(page.url()).searchParams.get("maxPrice"), null);
          assert.equal(new URL(page.url()).searchParams.get("sort"), "price_desc");
          assert.equal(await page.getByLabel("Max price").inputValue(), "");
          await page.goForward();
          await page.getByRole("status").filter({ hasText: "2 services" }).waitFor();
          assert.equal(page.url(), before);

          // The review's rating reaches search through an event: reload until it has.
          await page.getByLabel("Rating").selectOption("4");
          await page.waitForURL(/minRating=4/);
          const one = page.getByRole("status").filter({ hasText: /^1 service$/ });
          for (let i = 0; i < 20 && !(await one.isVisible()); i++) {
            await page.waitForTimeout(250);
            await page.reload();
            await page.getByRole("status").waitFor();
          }
          assert.deepEqual(await titles(page, "Search results"), ["Zephyrcraft logo plus"]);
          assert.equal(await page.getByLabel("Rating").inputValue(), "4");
          await page.goBack();
          await page.getByRole("status").filter({ hasText: "2 services" }).waitFor();
          assert.equal(page.url(), before);

          // Another keyword, then Back: the search field follows the URL's keywords.
          const field = page.getByRole("searchbox", { name: "Search" });
          await field.fill("deluxe zephyrcraft");
          await field.press("Enter");
          await page.waitForURL(/\/search\?q=deluxe\+zephyrcraft$/);
          await page.getByRole("status").filter({ hasText: /^1 service$/ }).waitFor();
          await page.goBack();
          await page.getByRole("status").filter({ hasText: "2 services" }).waitFor();
          assert.equal(await field.inputValue(), "zephyrcraft");

          // Facets: a category narrows to its subcategories, each with its count.
          const facets = page.getByRole("navigation", { name: "Categories" });
          await facets.getByRole("button", { name: "Graphics & Design 2" }).click();
          await page.waitForURL(/category=graphics-design/);
          await facets.getByRole("button", { name: "Logo Design 2" }).click();
          await page.waitForURL(/subcategory=logo-design/);
          assert.equal(
            await facets.getByRole("button", { name: "Logo Design 2" }).getAttribute(
              "aria-pressed",
            ),
            "true",
          );
          await page.getByRole("status").filter({ hasText: "2 services" }).waitFor();
          await page.goBack();
          await page.goBack();
          await page.waitForURL((url) => url.href === before);
        },
      );

      await t.step("pages: another seller's 21 gigs, two pages in the URL", async () => {
        const dee = await market.signup("wb_dee");
        await becomeSeller(market, dee);
        for (let i = 1; i <= 21; i++) {
          await publishGig(dee, gigBody(`Quillnorth banner ${i}`, 1000 + i * 100));
        }
        await page.goto(`${base}/search?q=quillnorth&sort=price_asc`);
        const status = page.getByRole("status").filter({ hasText: /^21 services$/ });
        for (let i = 0; i < 20 && !(await status.isVisible()); i++) {
          await page.waitForTimeout(250);
          await page.reload();
          await page.getByRole("status").waitFor();
        }
        assert.equal((await titles(page, "Search results")).length, 20);
        await page.getByRole("button", { name: "Next page" }).click();
        await page.waitForURL(/page=2/);
        await page.getByText("Page 2 of 2").waitFor();
        assert.deepEqual(await titles(page, "Search results"), ["Quillnorth banner 21"]);
        await page.goBack();
        await page.getByText("Page 1 of 2").waitFor();
        assert.equal((await titles(page, "Search results"))[0], "Quillnorth banner 1");
        // Back to the filtered search the next steps start from.
        await page.goBack();
        await page.getByRole("status").filter({ hasText: "2 services" }).waitFor();
      });

      const plus = gigs[1];
      await t.step("a gig: packages side by side with order links, FAQ, reviews", async () => {
        await page.getByRole("link", { name: "Zephyrcraft logo plus", exact: true }).click();
        await page.waitForURL(new RegExp(`/gigs/${plus.id}$`));
        await page.getByRole("heading", { name: "Zephyrcraft logo plus", level: 1 }).waitFor();
        const basic = page.getByRole("link", { name: "Order Basic", exact: true });
        assert.equal(await basic.getAttribute("href"), `/checkout/${plus.id}?package=basic`);
        assert.equal(
          await page.getByRole("link", { name: "Order Premium", exact: true }).getAttribute("href"),
          `/checkout/${plus.id}?package=premium`,
        );
        const packages = page.getByRole("region", { name: "Packages" }).getByRole("listitem")
          .filter({ has: page.getByRole("heading", { level: 3 }) });
        assert.deepEqual(await packages.getByRole("heading", { level: 3 }).allTextContents(), [
          "Basic",
          "Premium",
        ]);
        assert.match(await packages.first().textContent() ?? "", /\$50\.00/);
        assert.match(await packages.last().textContent() ?? "", /\$150\.00/);
        await page.getByText("Do you do vectors?").click();
        await page.getByText("Always.").waitFor();
        const reviews = page.getByRole("region", { name: "Reviews" });
        await reviews.getByText("Crisp work, delivered early.").waitFor();
        assert.equal(
          await reviews.getByRole("meter", { name: "5 stars" }).getAttribute("value"),
          "1",
        );
        assert.equal(
          await reviews.getByRole("meter", { name: "1 star" }).getAttribute("value"),
          "0",
        );
        await reviews.getByText("wb_cy", { exact: true }).waitFor();
        await reviews.getByRole("img", { name: "5 out of 5 stars" }).waitFor();
        await audit(page, "gig");
        await shoot(page, "gig");
      });

      await t.step("the buyer saves the gig", async () => {
        const save = page.getByRole("button", { name: "Save", exact: true });
        await save.click();
        const saved = page.getByRole("button", { name: "Saved", exact: true });
        await saved.waitFor();
        assert.equal(await saved.getAttribute("aria-pressed"), "true");
        const list = await bob!.client.request("GET", "/api/v1/gigs/favorites", {
          token: bob!.accessToken,
        });
        assert.equal(list.status, 200);
        assert.deepEqual((list.body as Json).items.map((card: Json) => card.id), [plus.id]);
      });

      await t.step("'Contact seller' starts a conversation in the inbox", async () => {
        const contact = page.getByRole("link", { name: "Contact seller" });
        assert.equal(await contact.getAttribute("href"), `/inbox/new?to=${ada!.user.username}`);
        await contact.click();
        await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
        await page.goBack();
        await page.waitForURL(new RegExp(`/gigs/${plus.id}$`));
      });

      await t.step("the seller's profile lists their gigs", async () => {
        await page.getByRole("link", { name: "View profile" }).click();
        await page.waitForURL(new RegExp(`/sellers/${ada!.user.username}$`));
        await page.getByText(`@${ada!.user.username}`).waitFor();
        const list = page.getByRole("list", { name: /^Services by / });
        await list.getByRole("listitem").nth(2).waitFor();
        assert.equal(await list.getByRole("listitem").count(), 3);
        await page.getByRole("heading", { name: "Skills" }).waitFor();
        await page.getByRole("heading", { name: "Languages" }).waitFor();
        const reviews = page.getByRole("region", { name: "Reviews from buyers" });
        await reviews.getByText("Crisp work, delivered early.").waitFor();
        await reviews.getByRole("link", { name: "Zephyrcraft logo plus" }).waitFor();
        await audit(page, "seller");
        await shoot(page, "seller");
      });

      await t.step(
        "the saved gig is in /favorites; the home page shows featured gigs",
        async () => {
          await page.getByRole("button", { name: `Account menu of ${bob!.user.username}` }).click();
          await page.getByRole("link", { name: "Saved services" }).click();
          await page.waitForURL(/\/favorites$/);
          await page.getByRole("list", { name: "Saved services" }).waitFor();
          assert.deepEqual(await titles(page, "Saved services"), ["Zephyrcraft logo plus"]);
          await audit(page, "favorites");
          await shoot(page, "favorites");

          await page.goto(`${base}/`);
          const featured = page.getByRole("list", { name: "Featured services" });
          await featured.getByRole("listitem").first().waitFor();
          assert.ok((await titles(page, "Featured services")).includes("Zephyrcraft logo plus"));
          await audit(page, "home");
          await shoot(page, "home");
        },
      );

      await t.step("the seller sees their own gig without order buttons", async () => {
        const own = await (await browser!.newContext()).newPage();
        await own.goto(`${base}/login`);
        await own.getByLabel("Email or username").fill(ada!.user.username);
        await own.getByLabel("Password", { exact: true }).fill(ada!.password);
        await own.getByRole("button", { name: "Log in", exact: true }).click();
        await own.getByRole("button", { name: `Account menu of ${ada!.user.username}` }).waitFor();
        await own.goto(`${base}/gigs/${plus.id}`);
        await own.getByText("This is your gig").waitFor();
        assert.equal(await own.getByRole("link", { name: /^Order / }).count(), 0);
        assert.equal(await own.getByRole("link", { name: "Contact seller" }).count(), 0);
        await audit(own, "own gig");
      });

      await t.step("no CSP violation, page error or axe-core violation on the way", () => {
        assert.deepEqual(problems, []);
        assert.deepEqual(found, []);
      });
    } finally {
      await browser?.close();
      await market.close();
    }
  },
});
