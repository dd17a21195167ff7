/**
 * The ordering pages in Chromium against the real fleet (local test payments, the
 * fleet's default): a buyer and a seller in two browser contexts. The buyer checks
 * out (a missing requirement answer shown next to its question), sees the service
 * fee and total the API answered, pays with the test payment; the seller delivers;
 * the buyer asks for a revision; the seller delivers again; the buyer accepts; both
 * review; the seller's page shows the order completed. A second order gets an
 * extension (asked, approved) and a cancellation by agreement. Each party sees only the
 * actions it may take. axe-core on every state visited, screenshots at 390 and
 * 1280 px.
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium } from "playwright-core";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import {
  axeAudit,
  CHROMIUM,
  descriptionOf,
  orderStatus as status,
  requireBuiltFrontEnd,
  shoot,
  signedIn,
  submitUntilAccepted,
} from "./web_support.ts";
import { type Marketplace, type SignedUp, startMarketplace } from "./support.ts";

Deno.test({
  name: "web: checkout, pay, deliver, revise, accept and review in two browsers",
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_orders");
    const base = market.fleet.publicUrl;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    try {
      let ada: SignedUp; // seller
      let bob: SignedUp; // buyer
      let gig: Json;
      await t.step("a seller with a gig and a buyer, made through the API", async () => {
        ada = await market.signup("wo_ada");
        bob = await market.signup("wo_bob");
        await becomeSeller(market, ada);
        gig = await publishGig(ada, gigBody("Hand-drawn logo for bakeries", 4000));
      });

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const buyer = await signedIn(await browser.newContext(), base, bob!);
      const seller = await signedIn(await browser.newContext(), base, ada!);
      const question = gig.requirements[0].question as string;
      let orderId = "";

      await t.step(
        "checkout: the package from the URL, a missing answer next to its question",
        async () => {
          const page = buyer.page;
          await page.goto(`${base}/checkout/${gig.id}?package=premium`);
          await page.getByRole("heading", { name: "Checkout", level: 1 }).waitFor();
          assert.ok(await page.getByRole("radio", { name: /Premium/ }).isChecked());
          await page.getByRole("radio", { name: /Basic/ }).check();
          await page.waitForURL(/package=basic/);
          await shoot(page, "checkout");
          await page.setViewportSize({ width: 1280, height: 900 });
          await page.getByRole("button", { name: "Continue to payment" }).click();
          const field = page.getByLabel(question, { exact: true });
          await field.and(page.locator('[aria-invalid="true"]')).waitFor();
          assert.match(await descriptionOf(page, question), /Please answer this question/);
          await audit(page, "checkout with errors");
          await field.fill("Bob's Bakery");
        },
      );

      await t.step(
        "the order is placed once; the fee and total are the API's; a test payment pays it",
        async () => {
          const page = buyer.page;
          const placements: number[] = [];
          page.on("response", (r) => {
            if (new URL(r.url()).pathname === "/api/v1/orders" && r.request().method() === "POST") {
              placements.push(r.status());
            }
          });
          const pay = page.getByRole("button", { name: "Pay with test payment" });
          // Orders learns the gig from an event: until then the placement is a 404 on the page.
          await submitUntilAccepted(
            page,
            page.getByRole("button", { name: "Continue to payment" }),
            {
              method: "POST",
              path: "/api/v1/orders",
              retryOn: [404],
            },
          );
          await pay.waitFor();
          await page.getByText(/local test payment mode: no card/).waitFor();
          assert.equal(placements.filter((s) => s === 201).length, 1, String(placements));
          const list = await bob!.client.request("GET", "/api/v1/orders?role=buyer", {
            token: bob!.accessToken,
          });
          assert.equal(list.body.total, 1);
          const order =
            (await bob!.client.request("GET", `/api/v1/orders/${list.body.items[0].id}`, {
              token: bob!.accessToken,
            })).body;
          orderId = order.id;
          assert.equal(order.price.amount, 4000);
          const summary = page.getByRole("complementary", { name: "Order summary" });
          const fmt = (m: Json) =>
            new Intl.NumberFormat("en-US", { style: "currency", currency: m.currency })
              .format(m.amount / 100);
          assert.ok(order.serviceFee.amount > 0);
          await summary.getByText(fmt(order.serviceFee), { exact: true }).waitFor();
          await summary.getByText(fmt(order.total), { exact: true }).waitFor();
          await audit(page, "checkout payment");
          await shoot(page, "checkout-pay");
          await page.setViewportSize({ width: 1280, height: 900 });
          await pay.click();
          await page.waitForURL(`${base}/orders/${orderId}`);
          await status(page, "In progress").waitFor();
          await page.getByText("Bob's Bakery").waitFor();
          // The buyer has no seller action.
          assert.equal(await page.getByRole("button", { name: "Deliver" }).count(), 0);
          assert.equal(await page.getByRole("button", { name: "Ask for an extension" }).count(), 0);
          await page.getByRole("button", { name: "Ask to cancel" }).waitFor();
          await audit(page, "order in progress (buyer)");
        },
      );

      await t.step("the seller finds it in the list and delivers in the browser", async () => {
        const page = seller.page;
        await page.goto(`${base}/orders?role=seller&status=active`);
        await page.getByRole("heading", { name: "Orders to deliver" }).waitFor();
        await audit(page, "orders list (seller)");
        await shoot(page, "orders");
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.getByRole("link", { name: gig.title }).click();
        await page.waitForURL(`${base}/orders/${orderId}`);
        assert.equal(await page.getByRole("button", { name: "Accept delivery" }).count(), 0);
        assert.equal(await page.getByRole("button", { name: "Pay with test payment" }).count(), 0);
        // An empty message is refused next to its field.
        await page.getByRole("button", { name: "Deliver", exact: true }).click();
        assert.match(await descriptionOf(page, "Delivery message"), /Write a message/);
        await audit(page, "order to deliver (seller)");
        await page.getByLabel("Delivery message").fill("First draft attached.");
        await page.getByLabel("Links to the files (optional)").fill(
          "https://files.example.com/logo-v1.png",
        );
        await page.getByRole("button", { name: "Deliver", exact: true }).click();
        await status(page, "Delivered").waitFor();
        await page.getByText("First draft attached.").waitFor();
        await shoot(page, "order-seller");
        await page.setViewportSize({ width: 1280, height: 900 });
      });

      await t.step("the buyer asks for a revision", async () => {
        const page = buyer.page;
        await page.reload();
        await page.getByRole("button", { name: "Accept delivery" }).waitFor();
        await page.getByText("First draft attached.").waitFor();
        await audit(page, "delivered (buyer)");
        await shoot(page, "order-buyer");
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.getByLabel("What should change?").fill("Warmer colours, please.");
        await page.getByRole("button", { name: "Ask for a revision" }).click();
        await status(page, "In revision").waitFor();
        await page.getByText("Warmer colours, please.").first().waitFor();
      });

      await t.step("the seller delivers again", async () => {
        const page = seller.page;
        await page.reload();
        await page.getByRole("heading", { name: "Deliver the revision" }).waitFor();
        await page.getByLabel("Delivery message").fill("Warmer version.");
        await page.getByRole("button", { name: "Deliver", exact: true }).click();
        await status(page, "Delivered").waitFor();
      });

      await t.step("the buyer accepts (no revision left) and reviews", async () => {
        const page = buyer.page;
        await page.reload();
        await page.getByText("Warmer version.").waitFor();
        await page.getByText("No revisions are left in this package.").waitFor();
        await page.getByRole("button", { name: "Accept delivery" }).click();
        await status(page, "Completed").waitFor();
        await page.getByRole("button", { name: "Publish review" }).waitFor({ timeout: 20_000 });
        await page.getByRole("button", { name: "Publish review" }).click();
        await page.getByText("Choose 1 to 5 stars.").waitFor();
        assert.match(await descriptionOf(page, "Your review"), /Write a few words/);
        await audit(page, "review form with errors");
        await page.getByRole("radio", { name: "5 stars" }).check();
        await page.getByLabel("Your review").fill("Lovely work, fast.");
        await page.getByRole("button", { name: "Publish review" }).click();
        await page.getByText("You have reviewed this order.").waitFor();
        await page.getByText("Lovely work, fast.").waitFor();
      });

      await t.step("the seller reviews; the seller's page shows the order completed", async () => {
        const page = seller.page;
        await page.reload();
        await status(page, "Completed").waitFor();
        await page.getByRole("button", { name: "Publish review" }).waitFor({ timeout: 20_000 });
        await page.getByRole("radio", { name: "4 stars" }).check();
        await page.getByLabel("Your review").fill("Clear brief.");
        await page.getByRole("button", { name: "Publish review" }).click();
        await page.getByText("You have reviewed this order.").waitFor();
        const timeline = page.getByRole("list", { name: "Timeline" }).getByRole("listitem");
        const kinds = (await timeline.allTextContents()).join("\n");
        for (
          const text of [
            /The buyer placed the order/,
            /Payment received/,
            /You delivered the work/,
            /The buyer asked for a revision/,
            /The buyer accepted the delivery/,
          ]
        ) assert.match(kinds, text);
        assert.equal(await page.getByRole("button", { name: "Accept delivery" }).count(), 0);
        await audit(page, "completed (seller)");
        await shoot(page, "order-completed");
        const api = await ada!.client.request("GET", `/api/v1/orders/${orderId}`, {
          token: ada!.accessToken,
        });
        assert.equal(api.body.status, "completed");
      });

      await t.step("the lists filter by status in the URL", async () => {
        const page = buyer.page;
        await page.goto(`${base}/orders?role=buyer&status=active`);
        await page.getByText("No orders with this status").waitFor();
        await page.getByRole("link", { name: "Completed" }).click();
        await page.waitForURL(`${base}/orders?role=buyer&status=completed`);
        await page.getByRole("link", { name: gig.title }).waitFor();
        await page.goBack();
        await page.getByText("No orders with this status").waitFor();
      });

      await t.step(
        "an extension asked by the seller and approved; a cancellation asked by the buyer and accepted",
        async () => {
          const placed = await bob!.client.request("POST", "/api/v1/orders", {
            token: bob!.accessToken,
            body: {
              gigId: gig.id,
              package: "premium",
              requirements: [{ questionId: gig.requirements[0].id, answer: "Second Bakery" }],
            },
            headers: { "idempotency-key": crypto.randomUUID() },
          });
          assert.equal(placed.status, 201, JSON.stringify(placed.body));
          const id = placed.body.id;
          const paid = await bob!.client.request(
            "POST",
            `/api/v1/payments/local-test/${id}/succeed`,
            { token: bob!.accessToken },
          );
          assert.equal(paid.status, 200);

          await seller.page.goto(`${base}/orders/${id}`);
          await seller.page.getByLabel("Extra days").fill("2");
          await seller.page.getByLabel("Reason for the extension").fill("A public holiday");
          await seller.page.getByRole("button", { name: "Ask for an extension" }).click();
          await seller.page.getByText("Waiting for the buyer’s answer.").waitFor();
          assert.equal(
            await seller.page.getByRole("button", { name: "Approve extension" }).count(),
            0,
          );
          await audit(seller.page, "extension asked (seller)");

          await buyer.page.goto(`${base}/orders/${id}`);
          await audit(buyer.page, "extension to answer (buyer)");
          await buyer.page.getByRole("button", { name: "Approve extension" }).click();
          await buyer.page.getByText(/Extension of 2 days .*: approved/).waitFor();
          await buyer.page.getByText("9 days (2 added)").waitFor();

          await buyer.page.getByLabel("Reason for cancelling").fill("Plans changed");
          await buyer.page.getByRole("button", { name: "Ask to cancel" }).click();
          await buyer.page.getByText("Waiting for the seller’s answer.").waitFor();
          assert.equal(
            await buyer.page.getByRole("button", { name: "Agree to cancel" }).count(),
            0,
          );

          await seller.page.reload();
          await audit(seller.page, "cancellation to answer (seller)");
          await seller.page.getByRole("button", { name: "Agree to cancel" }).click();
          await status(seller.page, "Cancelled").waitFor();
          const lines = (await seller.page.getByRole("list", { name: "Timeline" }).getByRole(
            "listitem",
          ).allTextContents()).join("\n");
          assert.match(lines, /You asked for 2 more days: “A public holiday”/);
          assert.match(lines, /The buyer approved the extension of 2 days/);
          assert.match(lines, /The buyer asked to cancel: “Plans changed”/);
          assert.match(lines, /You accepted the cancellation/);

          await buyer.page.reload();
          await status(buyer.page, "Cancelled").waitFor();
          await buyer.page.getByText("Refund", { exact: true }).waitFor();
          assert.equal(await buyer.page.getByRole("button", { name: "Ask to cancel" }).count(), 0);
          await audit(buyer.page, "cancelled (buyer)");
        },
      );

      await t.step("no CSP violation, page error or axe-core violation on the way", () => {
        assert.deepEqual([...buyer.problems, ...seller.problems], []);
        assert.deepEqual(found, []);
      });
    } finally {
      await browser?.close();
      await market.close();
    }
  },
});
