/**
 * Blocking in a conversation, in Chromium against the real fleet: two people (made through
 * the API) with a conversation, each in a browser context. The buyer blocks with the keyboard
 * (cancelling once first); the composer stays in place, disabled, and says why. The other
 * side's open page turns its composer off within seconds, without a reload (chat publishes
 * `conversation.block_changed`, realtime pushes `conversation:updated`). A page of the other
 * side that missed the push (its socket cut) sends: the API's 403 `blocked` is shown plainly
 * and the page then says it was blocked; the message is not stored. Only the blocker can
 * unblock; after unblocking, the other side's page lets it write again within seconds, without
 * a reload, and messages flow again.
 * axe-core on each page, no CSP violation or page error, screenshots at 390 and 1280 px.
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { waitFor } from "@mp/shared/testing";
import {
  axeAudit,
  CHROMIUM,
  openTab,
  requireBuiltFrontEnd,
  shoot,
  signedIn,
} from "./web_support.ts";
import { type Marketplace, type SignedUp, startMarketplace } from "./support.ts";

/** The accessible name of the focused element. */
const focusedName = (page: Page) =>
  page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const active = (globalThis as any).document.activeElement;
    return active?.getAttribute("aria-label") ?? active?.textContent ?? "";
  });

Deno.test({
  name: "web: blocking in a conversation; both sides see it; a send is refused plainly; unblocking",
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_blocking");
    const base = market.fleet.publicUrl;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    try {
      let ann: SignedUp; // the one who is blocked
      let ben: SignedUp; // the one who blocks
      let id = "";
      await t.step("two people with a conversation, made through the API", async () => {
        ann = await market.signup("wb_ann");
        ben = await market.signup("wb_ben");
        const started = await waitFor(async () => {
          const res = await ben!.client.request("POST", "/api/v1/conversations", {
            token: ben!.accessToken,
            body: { recipient: ann!.user.username, message: "Hi Ann, a question about logos." },
          });
          return res.status === 201 ? res : undefined; // until chat has learnt of Ann
        }, { what: "the conversation", timeoutMs: 20_000 });
        id = started.body.conversation.id;
      });

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const blocker = await signedIn(await browser.newContext(), base, ben!);
      const blocked = await signedIn(await browser.newContext(), base, ann!);
      // Ann again, in a second tab whose socket never reaches the edge: a page that misses
      // pushes (a dropped connection), to show the fallback when a send is refused.
      const stale = await openTab(blocked.page.context());
      await stale.page.routeWebSocket(/\/socket\.io\//, () => {});
      const annName = ann!.user.username;
      const benName = ben!.user.username;
      const box = (page: Page) => page.getByLabel("Message", { exact: true });
      const send = (page: Page) => page.getByRole("button", { name: "Send", exact: true });

      await t.step("both open the conversation; both may write", async () => {
        for (const { page } of [blocker, blocked, stale]) {
          await page.goto(`${base}/inbox/${id}`);
          await page.getByText("Hi Ann, a question about logos.").waitFor();
          await box(page).and(page.locator(":enabled")).waitFor(); // once the conversation is loaded
        }
      });

      await t.step("blocking asks first; cancelling changes nothing", async () => {
        const page = blocker.page;
        await page.getByRole("button", { name: `Block ${annName}`, exact: true }).focus();
        await page.keyboard.press("Enter");
        const confirm = page.getByRole("group", { name: `Block ${annName}?` });
        await confirm.getByText(/Neither of you will be able to send messages/).waitFor();
        assert.equal(await focusedName(page), "Yes, block");
        await audit(page, "block confirmation");
        await shoot(page, "conversation-block-confirm");
        await confirm.getByRole("button", { name: "Cancel" }).click();
        await confirm.waitFor({ state: "detached" });
        assert.equal(await focusedName(page), `Block ${annName}`);
        const res = await ben!.client.request("GET", `/api/v1/conversations/${id}`, {
          token: ben!.accessToken,
        });
        assert.equal(res.body.conversation.blockedByMe, false);
      });

      await t.step("blocked with the keyboard: the composer is off and says why", async () => {
        const page = blocker.page;
        await page.getByRole("button", { name: `Block ${annName}`, exact: true }).focus();
        await page.keyboard.press("Enter");
        await page.keyboard.press("Enter"); // "Yes, block" has the focus
        const unblock = page.getByRole("button", { name: `Unblock ${annName}` });
        await unblock.waitFor();
        await waitFor(async () => (await focusedName(page)) === `Unblock ${annName}`, {
          what: "focus on the unblock button",
        });
        const notice = `You blocked ${annName}. Neither of you can send messages or offers here`;
        await page.getByRole("status").filter({ hasText: notice }).waitFor();
        assert.equal(await box(page).isDisabled(), true);
        assert.equal(await send(page).isDisabled(), true);
        // The disabled field is described by the reason, for a screen reader too.
        const describedBy = await box(page).getAttribute("aria-describedby");
        assert.match(await page.locator(`#${describedBy}`).innerText(), new RegExp(notice));
        const res = await ben!.client.request("GET", `/api/v1/conversations/${id}`, {
          token: ben!.accessToken,
        });
        assert.equal(res.body.conversation.blockedByMe, true);
        await audit(page, "conversation (blocker)");
        await shoot(page, "conversation-blocked-by-me");
      });

      await t.step(
        "the other side's open page turns its composer off without a reload",
        async () => {
          const page = blocked.page;
          // Pushed, not polled (the page used to ask every 15 s): a few seconds are plenty.
          await page.getByRole("status").filter({
            hasText: `${benName} has blocked you. You can read this conversation`,
          }).waitFor({ timeout: 5_000 });
          assert.equal(await box(page).isDisabled(), true);
          assert.equal(await send(page).isDisabled(), true);
        },
      );

      await t.step(
        "a page that missed the push: its send is refused plainly; then it says so",
        async () => {
          const page = stale.page;
          // Its socket is cut, so it never heard of the block: its composer is still on.
          assert.equal(await box(page).isEnabled(), true);
          await box(page).fill("Are you there?");
          await send(page).click();
          await page.getByRole("alert").filter({ hasText: `Not sent: ${benName} has blocked you.` })
            .waitFor();
          await page.getByText("Not sent. Retry").waitFor();
          await page.getByRole("status").filter({
            hasText: `${benName} has blocked you. You can read this conversation`,
          }).waitFor();
          assert.equal(await box(page).isDisabled(), true);
          // Only the blocker can unblock: Ann is offered no "Unblock" (she may still block Ben).
          assert.equal(await page.getByRole("button", { name: `Unblock ${benName}` }).count(), 0);
          await page.getByRole("button", { name: `Block ${benName}`, exact: true }).waitFor();
          const messages = await ann!.client.request(
            "GET",
            `/api/v1/conversations/${id}/messages`,
            {
              token: ann!.accessToken,
            },
          );
          assert.deepEqual(
            messages.body.items.map((m: { body: string }) => m.body),
            ["Hi Ann, a question about logos."],
          );
          await audit(page, "conversation (blocked)");
          await shoot(page, "conversation-blocked");
          // A reload shows the same: the block is the API's, not the page's.
          await page.reload();
          await page.getByRole("status").filter({ hasText: `${benName} has blocked you.` })
            .waitFor();
          assert.equal(await box(page).isDisabled(), true);
        },
      );

      await t.step("each inbox marks the conversation", async () => {
        for (
          const [{ page }, other, badge] of [
            [blocker, annName, "Blocked by you"],
            [blocked, benName, "Blocked"],
          ] as const
        ) {
          await page.goto(`${base}/inbox`);
          const row = page.getByRole("list", { name: "Conversations" })
            .getByRole("link", { name: new RegExp(other) });
          await row.getByText(badge, { exact: true }).waitFor();
          await audit(page, `inbox (${badge})`);
          if (page === blocker.page) await shoot(page, "inbox-blocked");
          await row.click();
          await page.waitForURL(`${base}/inbox/${id}`);
          await page.getByText("Hi Ann, a question about logos.").waitFor();
        }
        await box(blocked.page).and(blocked.page.locator(":disabled")).waitFor();
      });

      await t.step("unblocked: the other side may write again without a reload", async () => {
        await blocker.page.getByRole("button", { name: `Unblock ${annName}` }).click();
        await blocker.page.getByRole("button", { name: `Block ${annName}`, exact: true }).waitFor();
        assert.equal(await box(blocker.page).isEnabled(), true);
        // Pushed: Ann's open page may write again within seconds, without a reload.
        await box(blocked.page).and(blocked.page.locator(":enabled")).waitFor({ timeout: 5_000 });
        await box(blocked.page).fill("Thanks for unblocking me.");
        await send(blocked.page).click();
        await blocker.page.getByRole("region", { name: "Messages" })
          .getByText("Thanks for unblocking me.").waitFor();
      });

      assert.deepEqual(found, [], `axe-core:\n${found.join("\n")}`);
      assert.deepEqual([...blocker.problems, ...blocked.problems, ...stale.problems], []);
    } finally {
      await browser?.close();
      await market.close();
    }
  },
});
