/**
 * Uploads in Chromium against the real fleet and its s3rver (issues 12, 14): a profile picture
 * uploaded in profile settings shows there, in the header and on the public seller page; a
 * picture uploaded in the gig editor shows on the gig page; a seller delivers a file and the
 * buyer downloads the same bytes; a chat attachment reaches the other participant, who downloads
 * it. A wrong type or a too-large file is refused with a message before anything is sent; a file
 * whose bytes are not its type is refused by the server, and its message is shown. axe-core on
 * each page, no CSP violation, screenshots at 390 and 1280 px.
 *
 * The browser reaches the object store on its own origin, as in production: the site's CSP names
 * it (the gateway's S3_PUBLIC_URL) and the bucket's CORS rule names the site (set by the media
 * service at start-up).
 *
 * Needs the built front end (`npm ci && npm run build` in web/) and Debian's chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { waitFor } from "@mp/shared/testing";
import { avatarCanvas, encodePng, gigCanvas } from "../scripts/seed_images.ts";
import { becomeSeller, gigBody, type Json, publishGig } from "./fixtures.ts";
import { axeAudit, CHROMIUM, requireBuiltFrontEnd, shoot, signedIn } from "./web_support.ts";
import { type Marketplace, type SignedUp, startMarketplace } from "./support.ts";

/** Clicks the download button until the file may be read (the media service learns of the grant by an event). */
async function downloadBytes(page: Page, name: string): Promise<Uint8Array> {
  const button = page.getByRole("button", { name: new RegExp(`^Download ${name}`) });
  const download = await waitFor(async () => {
    const [got] = await Promise.all([
      page.waitForEvent("download", { timeout: 3_000 }).catch(() => undefined),
      button.click(),
    ]);
    return got;
  }, { what: `a download of ${name}`, timeoutMs: 30_000 });
  assert.equal(download.suggestedFilename(), name);
  const path = await download.path();
  return await Deno.readFile(path);
}

/** Whether an image has been loaded and decoded (a broken or blocked one has no width). */
const loaded = (page: Page, selector: string) =>
  page.locator(selector).first().evaluate((img) =>
    (img as unknown as { naturalWidth: number }).naturalWidth > 0
  );

Deno.test({
  name:
    "web: avatar, gig picture, delivery file and chat attachment uploaded in the browser are shown and downloaded; wrong files refused before upload, the server's refusal shown",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await requireBuiltFrontEnd();
    const market: Marketplace = await startMarketplace("web_uploads", {
      env: { orders: { PAYMENTS_MODE: "local_test" } },
    });
    const base = market.fleet.publicUrl;
    const store = new URL(market.fleet.objectStore!.url).origin;
    let browser: Browser | undefined;
    const { found, audit } = axeAudit();
    const call = (who: SignedUp, method: string, path: string, body?: unknown) =>
      who.client.request(method, path, {
        token: who.accessToken,
        body,
        headers: method === "POST" && path.startsWith("/api/v1/orders")
          ? { "idempotency-key": crypto.randomUUID() }
          : undefined,
      });
    const dir = await Deno.makeTempDir({ prefix: "web-uploads-" });
    const file = async (name: string, bytes: Uint8Array) => {
      await Deno.writeFile(`${dir}/${name}`, bytes);
      return `${dir}/${name}`;
    };
    try {
      let ada: SignedUp; // seller
      let bob: SignedUp; // buyer
      let gig: Json;
      await t.step("a seller with a gig and a buyer, made through the API", async () => {
        ada = await market.signup("wu_ada");
        bob = await market.signup("wu_bob");
        await becomeSeller(market, ada);
        gig = await publishGig(ada, gigBody("Bakery logo with a hand-drawn feel", 4000));
      });

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const sellerContext = await browser.newContext({ acceptDownloads: true });
      const buyerContext = await browser.newContext({ acceptDownloads: true });
      const seller = await signedIn(sellerContext, base, ada!);
      const buyer = await signedIn(buyerContext, base, bob!);
      const announced: string[] = [];
      seller.page.on("request", (r) => {
        if (r.method() === "POST" && new URL(r.url()).pathname === "/api/v1/uploads") {
          announced.push(r.url());
        }
      });

      await t.step(
        "a wrong type and a too-large picture are refused before anything is sent",
        async () => {
          const page = seller.page;
          await page.goto(`${base}/settings/profile`);
          const picker = page.getByLabel("Upload a profile picture");
          await picker.setInputFiles(
            await file("notes.txt", new TextEncoder().encode("not a picture")),
          );
          await page.getByRole("alert").filter({
            hasText: "“notes.txt” is not a JPEG, PNG or WebP image.",
          }).waitFor();
          const big = new Uint8Array(6 * 1024 * 1024);
          big.set(await encodePng(avatarCanvas("big", "Big")));
          await picker.setInputFiles(await file("huge.png", big));
          await page.getByRole("alert").filter({
            hasText: "“huge.png” is 6.0 MB; the limit is 5.0 MB.",
          }).waitFor();
          assert.deepEqual(announced, [], "nothing was announced to the media service");
          await shoot(page, "uploads-refused");
        },
      );

      await t.step("the server's refusal of bytes that are not a PNG is shown", async () => {
        const page = seller.page;
        await page.getByLabel("Upload a profile picture").setInputFiles(
          await file("fake.png", new TextEncoder().encode("plain text named like a picture")),
        );
        const alert = page.getByRole("alert").filter({
          hasText: /content does not match its type/,
        });
        await alert.waitFor({ timeout: 20_000 });
        assert.equal(announced.length, 1, "this one was sent");
      });

      await t.step(
        "a profile picture shows in settings, the header and the public profile",
        async () => {
          const page = seller.page;
          await page.getByLabel("Upload a profile picture").setInputFiles(
            await file("ada.png", await encodePng(avatarCanvas("wu_ada", "Ada"))),
          );
          await page.getByText("Your profile picture is saved.").waitFor({ timeout: 20_000 });
          const picture = page.getByRole("img", { name: /^Profile picture of / });
          await picture.waitFor();
          assert.ok((await picture.getAttribute("src"))!.startsWith(store), "shown from the store");
          await waitFor(() => loaded(page, "img[alt^='Profile picture of']"), {
            what: "the avatar loaded",
          });
          await waitFor(() => loaded(page, "header button img"), {
            what: "the header's avatar loaded",
          });
          await audit(page, "profile settings");
          await shoot(page, "uploads-avatar");
          await page.goto(`${base}/sellers/${ada!.user.username}`);
          await page.locator("main img").first().waitFor();
          assert.ok(
            (await page.locator("main img").first().getAttribute("src"))!.startsWith(store),
          );
          assert.ok(await loaded(page, "main img"), "the public profile shows it");
        },
      );

      await t.step("a picture uploaded in the gig editor shows on the gig page", async () => {
        const page = seller.page;
        await page.goto(`${base}/sell/gigs/${gig.id}/edit`);
        await page.getByLabel("Upload a picture").setInputFiles(
          await file("logo.png", await encodePng(gigCanvas("wu_gig", "Logo design"))),
        );
        await page.getByRole("img", { name: "Picture 1: logo.png" }).waitFor({ timeout: 20_000 });
        assert.ok(await loaded(page, "img[alt='Picture 1: logo.png']"), "the preview loaded");
        await audit(page, "gig editor");
        await shoot(page, "uploads-gig-editor");
        await page.getByRole("button", { name: "Save changes" }).click();
        await page.waitForURL(/\/sell\/gigs\?saved=1/);
        await page.goto(`${base}/gigs/${gig.id}`);
        // The upload comes first, before the fixture's link.
        const image = page.getByRole("img", { name: /image 1 of 2$/ });
        await image.waitFor();
        assert.ok((await image.getAttribute("src"))!.startsWith(store));
        await waitFor(() => loaded(page, "section[aria-label='Images'] img"), {
          what: "the gig's picture loaded",
        });
        await shoot(page, "uploads-gig");
      });

      await t.step("the seller delivers a file; the buyer downloads the same bytes", async () => {
        const placed = await waitFor(async () => {
          const res = await call(bob!, "POST", "/api/v1/orders", {
            gigId: gig.id,
            package: "basic",
            requirements: [{ questionId: gig.requirements[0].id, answer: "Bob's Bakery" }],
          });
          return res.status === 404 ? undefined : res; // until gig.created reached orders
        }, { what: "orders to know the gig" });
        assert.equal(placed.status, 201, JSON.stringify(placed.body));
        const paid = await call(bob!, "POST", placed.body.payment.localTest.succeedPath);
        assert.equal(paid.status, 200, JSON.stringify(paid.body));
        const orderId = placed.body.id as string;

        const work = new Uint8Array(300_000).map((_, i) => (i * 31) % 251);
        const page = seller.page;
        await page.goto(`${base}/orders/${orderId}`);
        await page.getByLabel("Delivery message").fill("The final logo files are attached.");
        await page.getByLabel("Attach a file (optional)").setInputFiles(
          await file("logo-final.bin", work),
        );
        await page.getByRole("button", { name: "Remove logo-final.bin" }).waitFor({
          timeout: 20_000,
        });
        await page.getByRole("button", { name: "Deliver", exact: true }).click();
        await page.getByRole("list", { name: "Delivered files" }).waitFor({ timeout: 20_000 });
        await shoot(page, "uploads-delivered");

        await buyer.page.goto(`${base}/orders/${orderId}`);
        const bytes = await downloadBytes(buyer.page, "logo-final.bin");
        assert.deepEqual(bytes, work, "the buyer has the seller's bytes");
        await audit(buyer.page, "order with files");
        await shoot(buyer.page, "uploads-order-buyer");
      });

      await t.step("a chat attachment reaches the other participant and downloads", async () => {
        const opened = await waitFor(async () => {
          const res = await call(bob!, "POST", "/api/v1/conversations", {
            recipient: ada!.user.username,
          });
          // Until user.registered reached chat.
          return res.status === 404 || res.status === 422 ? undefined : res;
        }, { what: "chat to know the seller" });
        assert.ok(opened.status === 201 || opened.status === 200, JSON.stringify(opened.body));
        const conversationId = opened.body.conversation.id as string;
        const brief = new TextEncoder().encode("Colours: warm brown and cream.\n".repeat(200));

        const page = buyer.page;
        await page.goto(`${base}/inbox/${conversationId}`);
        await page.getByLabel("Attach a file").setInputFiles(await file("brief.txt", brief));
        await page.getByRole("list", { name: "Files to send" }).getByText("brief.txt").waitFor({
          timeout: 20_000,
        });
        await page.getByLabel("Message", { exact: true }).fill("Here is my brief.");
        await page.getByRole("button", { name: "Send", exact: true }).click();
        await page.getByRole("button", { name: /^Download brief\.txt/ }).waitFor({
          timeout: 20_000,
        });
        await audit(page, "conversation with a file");
        await shoot(page, "uploads-chat");

        await seller.page.goto(`${base}/inbox/${conversationId}`);
        await seller.page.getByText("Here is my brief.").waitFor({ timeout: 20_000 });
        assert.deepEqual(await downloadBytes(seller.page, "brief.txt"), brief);
      });

      assert.deepEqual(found, [], "no serious or critical axe violations");
      assert.deepEqual(
        [...seller.problems, ...buyer.problems],
        [],
        "no CSP violation or page error",
      );
    } finally {
      await browser?.close();
      await market.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
