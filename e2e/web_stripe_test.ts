/**
 * Card payment at checkout in Chromium against the real fleet in `stripe` mode,
 * with STRIPE_PUBLISHABLE_KEY set on the gateway.
 *
 * Two third parties cannot be reached from here, and only they are stood in for:
 * - Stripe's API: the orders process talks, through the real SDK, to the local
 *   double of services/orders/stripe_double.ts; the webhook is built from the
 *   double's state, signed with the SDK's helper and POSTed to the gateway by
 *   this test, as Stripe would.
 * - Stripe.js (https://js.stripe.com): the browser context answers its requests
 *   with e2e/stripe_js_double.js (a STAND-IN; its header says what it does not do).
 *
 * Checked: the home page never requests js.stripe.com; checkout's CSP allows it;
 * Stripe.js unreachable shows an alert with a retry button that works; a declined
 * card shows Stripe's message next to the form and leaves the order unpaid; a good
 * card shows "Payment received, confirming…", the site called confirmPayment with
 * the order's client secret and `/orders/<id>?paid=1`; once the signed webhook
 * arrives the buyer's page shows the order in progress. No CSP violation, no page
 * error, axe-core clean on each state, screenshots at 390 and 1280 px.
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Route } from "playwright-core";
import { waitFor } from "@mp/shared/testing";
import { startStripeDouble } from "../services/orders/stripe_double.ts";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { type Marketplace, type SignedUp, startMarketplace } from "./support.ts";
import {
  axeAudit,
  CHROMIUM,
  openTab,
  orderStatus,
  requireBuiltFrontEnd,
  ROOT,
  shoot,
  signedIn,
} from "./web_support.ts";

const PUBLISHABLE_KEY = "pk_test_webStripeE2E123";

Deno.test({
  name: "web: card payment with Stripe Elements, declined then paid, confirmed by the webhook",
  async fn(t) {
    await requireBuiltFrontEnd();
    const standIn = await Deno.readTextFile(`${ROOT}e2e/stripe_js_double.js`);
    const stripe = startStripeDouble();
    let market: Marketplace | undefined;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    try {
      market = await startMarketplace("web_stripe", {
        env: {
          orders: {
            PAYMENTS_MODE: "stripe",
            STRIPE_SECRET_KEY: stripe.secretKey,
            STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
            STRIPE_API_URL: stripe.url,
          },
          gateway: { STRIPE_PUBLISHABLE_KEY: PUBLISHABLE_KEY },
        },
      });
      const base = market.fleet.publicUrl;
      let ada: SignedUp; // seller
      let bob: SignedUp; // buyer
      let gig: Json;
      await t.step("a seller with a gig and a buyer, made through the API", async () => {
        ada = await market!.signup("ws_ada");
        bob = await market!.signup("ws_bob");
        await becomeSeller(market!, ada);
        gig = await publishGig(ada, gigBody("Watercolour portrait of your dog", 5000));
      });

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const context = await browser.newContext();
      // Every request to js.stripe.com, with the page that made it.
      const stripeRequests: string[] = [];
      context.on("request", (request) => {
        if (new URL(request.url()).hostname === "js.stripe.com") {
          stripeRequests.push(`${request.url()} from ${request.frame().url()}`);
        }
      });
      let reachable = false; // js.stripe.com "down" until the retry step
      await context.route("https://js.stripe.com/**", (route: Route) =>
        reachable
          ? route.fulfill({
            status: 200,
            contentType: "text/javascript; charset=utf-8",
            body: standIn,
          })
          : route.abort("internetdisconnected"));

      await t.step("the home page never loads Stripe.js", async () => {
        const { page, problems } = await openTab(context);
        const chunks: string[] = [];
        page.on("request", (r) => chunks.push(new URL(r.url()).pathname));
        await page.goto(`${base}/`);
        await page.getByRole("heading", { level: 1 }).first().waitFor();
        await page.waitForLoadState("networkidle");
        assert.deepEqual(stripeRequests, []);
        assert.equal(chunks.filter((p) => /StripePay/.test(p)).length, 0, chunks.join("\n"));
        assert.deepEqual(problems, []);
        await page.close();
      });

      const { page, problems } = await signedIn(context, base, bob!);
      const question = gig!.requirements[0].question as string;
      const card = page.getByLabel("Card number");
      let order: Json;

      await t.step(
        "checkout's CSP allows Stripe.js; Stripe unreachable → an alert and a retry",
        async () => {
          const checkout = await page.goto(`${base}/checkout/${gig.id}?package=basic`);
          const csp = checkout!.headers()["content-security-policy"] ?? "";
          assert.match(csp, /script-src 'self' https:\/\/js\.stripe\.com/);
          assert.match(csp, /frame-src [^;]*https:\/\/js\.stripe\.com/);
          assert.match(csp, /connect-src [^;]*https:\/\/api\.stripe\.com/);
          await page.getByRole("heading", { name: "Checkout", level: 1 }).waitFor();
          await page.getByLabel(question, { exact: true }).fill("Rex, a beagle");
          const unreachable = page.getByText(/Stripe could not be reached/);
          // Orders learns the gig from an event: until then the placement is a 404 on the page.
          for (let attempt = 0; attempt < 40 && !(await unreachable.isVisible()); attempt++) {
            await page.getByRole("button", { name: "Continue to payment" }).click();
            await unreachable.or(page.getByRole("alert").filter({ hasText: /./ })).first()
              .waitFor();
            if (!(await unreachable.isVisible())) await page.waitForTimeout(250);
          }
          await unreachable.waitFor();
          assert.ok(stripeRequests.length > 0, "Stripe.js was asked for on the pay view");
          await audit(page, "stripe unreachable");
          await shoot(page, "stripe-unreachable");
          await page.setViewportSize({ width: 1280, height: 900 });
          const list = await bob!.client.request("GET", "/api/v1/orders?role=buyer", {
            token: bob!.accessToken,
          });
          assert.equal(list.body.total, 1);
          order = (await bob!.client.request("GET", `/api/v1/orders/${list.body.items[0].id}`, {
            token: bob!.accessToken,
          })).body;
          assert.equal(order.payment.provider, "stripe");
          assert.match(order.payment.clientSecret, /_secret_/);

          reachable = true;
          await page.getByRole("button", { name: "Try loading the card form again" }).click();
          await card.waitFor();
          assert.equal(await unreachable.count(), 0);
        },
      );

      const payButton = () => {
        const amount = new Intl.NumberFormat("en-US", {
          style: "currency",
          currency: order.total.currency,
        }).format(order.total.amount / 100);
        return page.getByRole("button", { name: `Pay ${amount}` });
      };

      await t.step(
        "a declined card: Stripe's message next to the form, the order unpaid",
        async () => {
          await audit(page, "card form");
          await shoot(page, "stripe-card-form");
          await page.setViewportSize({ width: 1280, height: 900 });
          await card.fill("4000 0000 0000 0002");
          await payButton().click();
          const form = page.getByRole("form", { name: "Card payment" });
          await form.getByRole("alert").filter({ hasText: "Your card was declined." }).waitFor();
          await audit(page, "card declined");
          await shoot(page, "stripe-declined");
          await page.setViewportSize({ width: 1280, height: 900 });
          const now = await bob!.client.request("GET", `/api/v1/orders/${order.id}`, {
            token: bob!.accessToken,
          });
          assert.equal(now.body.status, "pending_payment");
        },
      );

      await t.step(
        "a good card: confirming until the signed webhook marks the order paid",
        async () => {
          await card.fill("4242 4242 4242 4242");
          await payButton().click();
          await page.getByText("Payment received, confirming…").waitFor();
          await audit(page, "payment confirming");
          await shoot(page, "stripe-confirming");
          await page.setViewportSize({ width: 1280, height: 900 });
          // deno-lint-ignore no-explicit-any
          const record = await page.evaluate(() => (globalThis as any).__stripeJsDouble);
          assert.deepEqual(record.keys, [PUBLISHABLE_KEY]);
          const last = record.confirmations.at(-1);
          assert.equal(record.confirmations.length, 2);
          assert.equal(last.clientSecret, order.payment.clientSecret);
          assert.equal(last.returnUrl, `${base}/orders/${order.id}?paid=1`);
          assert.equal(last.redirect, "if_required");
          // Stripe.js's word is not enough: the order waits for the webhook.
          assert.equal(page.url(), `${base}/checkout/${gig.id}?package=basic`);

          const signed = await stripe.sign(stripe.succeed(order.payment.paymentIntentId));
          const hook = await market!.client().request("POST", "/api/v1/payments/stripe/webhook", {
            raw: signed.body,
            headers: { "stripe-signature": signed.signature },
          });
          assert.equal(hook.status, 200, JSON.stringify(hook.body));
          await page.waitForURL(`${base}/orders/${order.id}`, { timeout: 30_000 });
          await orderStatus(page, "In progress").waitFor();
          await page.getByText("Rex, a beagle").waitFor();
          assert.equal(await payButton().count(), 0);
          await audit(page, "order paid by card");
          await shoot(page, "stripe-paid");
          const paid = await waitFor(async () => {
            const res = await bob!.client.request("GET", `/api/v1/orders/${order.id}`, {
              token: bob!.accessToken,
            });
            return res.body.status === "in_progress" ? res.body : undefined;
          }, { what: "the order to be paid" });
          assert.equal(paid.payment.status, "succeeded");
        },
      );

      assert.deepEqual(problems, [], "no CSP violation or page error");
      assert.deepEqual(found, [], "axe-core: no serious or critical violation");
    } finally {
      await browser?.close();
      await market?.close();
      await stripe.close();
    }
  },
});
