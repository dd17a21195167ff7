/**
 * The talking pages in Chromium against the real fleet: a buyer and a seller (with
 * a gig made through the API) in two browser contexts. The buyer contacts the
 * seller from /inbox/new?to=; both exchange messages that arrive live; typing and
 * read receipts show on the other side; the seller's custom offer (made through
 * the API) appears live as a card; the buyer accepts it in the browser, the card
 * links to the order, and the buyer's notification bell count rises live. axe-core
 * on each page, screenshots at 390 and 1280 px.
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { waitFor } from "@mp/shared/testing";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { axeAudit, CHROMIUM, requireBuiltFrontEnd, shoot, signedIn } from "./web_support.ts";
import { type Marketplace, type SignedUp, startMarketplace } from "./support.ts";

/** The unread count the bell's accessible name says (0 without one). */
async function bellCount(page: Page): Promise<number> {
  const name = await page.getByRole("button", { name: /^Notifications/ }).getAttribute(
    "aria-label",
  );
  return Number(/(\d+) unread/.exec(name ?? "")?.[1] ?? 0);
}

Deno.test({
  name: "web: inbox, live conversation, typing, receipts, a custom offer accepted, the bell",
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_inbox");
    const base = market.fleet.publicUrl;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    try {
      let ada: SignedUp; // seller
      let bob: SignedUp; // buyer
      let gig: Json;
      await t.step("a seller with a gig and a buyer, made through the API", async () => {
        ada = await market.signup("wi_ada");
        bob = await market.signup("wi_bob");
        await becomeSeller(market, ada);
        gig = await publishGig(ada, gigBody("Hand-drawn logo for bakeries", 4000));
      });

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const buyer = await signedIn(await browser.newContext(), base, bob!);
      const seller = await signedIn(await browser.newContext(), base, ada!);
      let conversationId = "";

      await t.step("an empty inbox says what to do", async () => {
        await buyer.page.goto(`${base}/inbox`);
        await buyer.page.getByRole("heading", { name: "Inbox", level: 1 }).waitFor();
        await buyer.page.getByText("No conversations yet").waitFor();
        await audit(buyer.page, "empty inbox");
      });

      await t.step("the buyer contacts the seller; an unknown name is said so", async () => {
        const page = buyer.page;
        await page.goto(`${base}/inbox/new?to=nobody_${crypto.randomUUID().slice(0, 6)}`);
        await page.getByRole("alert").filter({ hasText: /There is nobody called/ }).waitFor();
        await page.goto(`${base}/inbox/new?to=${ada!.user.username.toUpperCase()}`);
        await page.waitForURL((url) =>
          url.pathname.startsWith("/inbox/") && url.pathname !== "/inbox/new"
        );
        conversationId = new URL(page.url()).pathname.split("/").pop()!;
        assert.notEqual(conversationId, "new");
        await page.getByRole("heading", { name: ada!.user.username, level: 1 }).waitFor();
        await page.getByText("No messages yet. Say hello.").waitFor();
        // Opening it again is the same conversation.
        await page.goto(`${base}/inbox/new?to=${ada!.user.username}`);
        await page.waitForURL(`${base}/inbox/${conversationId}`);
      });

      await t.step("messages arrive live on both sides; typing shows", async () => {
        await seller.page.goto(`${base}/inbox/${conversationId}`);
        await seller.page.getByRole("heading", { name: bob!.user.username, level: 1 }).waitFor();
        const box = buyer.page.getByLabel("Message", { exact: true });
        await box.fill("Hello! Can you draw a croissant in the logo?");
        await buyer.page.getByRole("button", { name: "Send", exact: true }).click();
        const first = seller.page.getByRole("region", { name: "Messages" }).getByText(
          "Hello! Can you draw a croissant in the logo?",
        );
        await first.waitFor();
        // The buyer's own message is stored once (no duplicate from the push).
        await buyer.page.getByText("Sending…").waitFor({ state: "detached" });
        assert.equal(
          await buyer.page.getByText("Hello! Can you draw a croissant in the logo?").count(),
          1,
        );
        // The seller types: the buyer sees it. Typing events are volatile (a
        // socket busy reconnecting drops them, by design), so the seller goes on
        // typing, as a person would, until the buyer sees it.
        const sellerBox = seller.page.getByLabel("Message", { exact: true });
        await sellerBox.pressSequentially("Sure", { delay: 30 });
        const typing = buyer.page.getByRole("status").filter({
          hasText: `${ada!.user.username} is typing…`,
        });
        for (let attempt = 1;; attempt++) {
          try {
            await typing.waitFor({ timeout: 3_000 });
            break;
          } catch (error) {
            if (attempt >= 8) throw error;
            await sellerBox.press("Space");
            await sellerBox.press("Backspace");
          }
        }
        await seller.page.getByLabel("Message", { exact: true }).press("Enter");
        await buyer.page.getByRole("region", { name: "Messages" }).getByText(
          `${ada!.user.username}: Sure`,
        ).waitFor();
        await audit(seller.page, "conversation (seller)");
      });

      await t.step("read receipts: the seller's view marks read; the buyer sees Seen", async () => {
        // The seller has the conversation open, so the buyer's message is read: its unread count is 0.
        await waitFor(async () => {
          const r = await ada!.client.request("GET", `/api/v1/conversations/${conversationId}`, {
            token: ada!.accessToken,
          });
          return r.body.conversation.unreadCount === 0;
        }, { what: "the seller's read mark" });
        // A new message while the seller looks at it: the buyer sees "Seen" live.
        await buyer.page.getByLabel("Message", { exact: true }).fill("Great, thanks.");
        await buyer.page.getByRole("button", { name: "Send", exact: true }).click();
        await seller.page.getByText("Great, thanks.").waitFor();
        await buyer.page.getByText("· Seen").waitFor();
        await shoot(buyer.page, "conversation");
      });

      await t.step("the inbox lists the conversation with its last message", async () => {
        const page = seller.page;
        await page.goto(`${base}/inbox`);
        const list = page.getByRole("list", { name: "Conversations" });
        await list.getByRole("link", { name: new RegExp(bob!.user.username) }).waitFor();
        await list.getByText("Great, thanks.").waitFor();
        await audit(page, "inbox");
        await shoot(page, "inbox");
        await page.getByRole("link", { name: new RegExp(bob!.user.username) }).click();
        await page.waitForURL(`${base}/inbox/${conversationId}`);
      });

      let offerId = "";
      await t.step(
        "the seller sends a custom offer in the page; it appears live as a card",
        async () => {
          const body: Json = {
            gigId: gig.id,
            description: "A hand-drawn bakery logo with a croissant, three concepts.",
            price: { amount: 12_000, currency: "USD" },
            deliveryDays: 5,
            revisions: 2,
            expiresInDays: 3,
          };
          // The buyer has no gig, so no offer form.
          assert.equal(
            await buyer.page.getByRole("button", { name: "Send a custom offer" }).count(),
            0,
          );
          // The seller offers in the page: a price that is not one is refused next to its field,
          // an empty description by the API next to its own.
          const page = seller.page;
          await page.getByRole("button", { name: "Send a custom offer" }).click();
          const form = page.getByRole("form", { name: "Custom offer" });
          await form.getByLabel("Gig").selectOption({ label: gig.title });
          await form.getByLabel("Price (USD)").fill("12,3456");
          await form.getByRole("button", { name: "Send offer" }).click();
          await form.getByLabel("Price (USD)").and(page.locator('[aria-invalid="true"]')).waitFor();
          await form.getByLabel("Price (USD)").fill("120");
          await form.getByLabel("Delivery days").fill(String(body.deliveryDays));
          await form.getByLabel("Revisions").fill(String(body.revisions));
          await form.getByLabel("Open for (days)").fill(String(body.expiresInDays));
          await form.getByRole("button", { name: "Send offer" }).click();
          await form.getByLabel("What you will deliver").and(page.locator('[aria-invalid="true"]'))
            .waitFor();
          await audit(page, "offer form with errors");
          await shoot(page, "offer-form");
          await form.getByLabel("What you will deliver").fill(body.description);
          await form.getByRole("button", { name: "Send offer" }).click();
          await form.waitFor({ state: "detached" });
          const made = await ada!.client.request(
            "GET",
            `/api/v1/conversations/${conversationId}/messages`,
            { token: ada!.accessToken },
          );
          const offerMessage = made.body.items.find((m: Json) => m.kind === "offer");
          assert.ok(offerMessage, JSON.stringify(made.body));
          const offer = await ada!.client.request("GET", `/api/v1/offers/${offerMessage.offerId}`, {
            token: ada!.accessToken,
          });
          for (const [field, value] of Object.entries(body)) {
            if (field !== "expiresInDays") assert.deepEqual(offer.body.offer[field], value, field);
          }
          offerId = offer.body.offer.id;
          const card = buyer.page.getByRole("article", { name: "Custom offer" });
          await card.getByText(body.description).waitFor();
          await card.getByText("$120.00").waitFor();
          // The seller may only withdraw; the buyer may accept or decline.
          const sellerCard = seller.page.getByRole("article", { name: "Custom offer" });
          await sellerCard.getByRole("button", { name: "Withdraw offer" }).waitFor();
          assert.equal(await sellerCard.getByRole("button", { name: "Accept offer" }).count(), 0);
          await card.getByRole("button", { name: "Decline" }).waitFor();
          await audit(buyer.page, "conversation with an offer (buyer)");
          await shoot(buyer.page, "conversation-offer");
        },
      );

      await t.step(
        "the buyer accepts; the card links to the order; the bell rises live",
        async () => {
          const page = buyer.page;
          const before = await bellCount(page);
          await page.getByRole("article", { name: "Custom offer" }).getByRole("button", {
            name: "Accept offer",
          }).click();
          const link = page.getByRole("link", { name: "Go to the order and pay" });
          await link.waitFor({ timeout: 30_000 });
          const offer = await bob!.client.request("GET", `/api/v1/offers/${offerId}`, {
            token: bob!.accessToken,
          });
          assert.equal(offer.body.offer.status, "accepted");
          assert.ok(offer.body.offer.orderId);
          assert.equal(await link.getAttribute("href"), `/orders/${offer.body.offer.orderId}`);
          // The seller's card follows live.
          await seller.page.getByRole("link", { name: "View the order" }).waitFor();
          // order.created leaves the buyer an in-app notification, pushed to the bell.
          await waitFor(async () => (await bellCount(page)) > before, {
            what: "the bell count rising",
            timeoutMs: 20_000,
          });
          await page.getByRole("button", { name: /^Notifications/ }).click();
          const list = page.getByRole("region", { name: "Notifications" });
          await list.getByRole("link").first().waitFor();
          await audit(page, "notifications open");
          await shoot(page, "notifications");
          await page.getByRole("button", { name: "Mark all read" }).click();
          await waitFor(async () => (await bellCount(page)) === 0, { what: "the bell cleared" });
        },
      );

      assert.deepEqual(found, [], `axe-core:\n${found.join("\n")}`);
      assert.deepEqual([...buyer.problems, ...seller.problems], []);
    } finally {
      await browser?.close();
      await market.close();
    }
  },
});
