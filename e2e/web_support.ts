/**
 * What the browser tests of the web front end share: Debian's Chromium, where
 * screenshots go, axe-core's check, a tab that records CSP violations and page
 * errors, logging in, and reading a field's error the way a screen reader does
 * (`aria-describedby`). Needs the built front end and web/node_modules
 * (`npm ci && npm run build` in web/; .ci/run does both).
 */
import assert from "node:assert/strict";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { waitFor } from "@mp/shared/testing";
import type { SignedUp } from "./support.ts";

/** Debian's Chromium, driven by playwright-core (browser downloads fail here). */
export const CHROMIUM = "/usr/bin/chromium";

/** The repository root, as a path ending in `/`. */
export const ROOT = new URL("..", import.meta.url).pathname;

/** Where the tests write their screenshots (390 and 1280 px). */
export const SHOTS = Deno.env.get("WEB_SHOTS_DIR") ?? "/tmp/web-shots";

let axeSource: string | undefined;

/**
 * The serious and critical axe-core violations of the page as it is now.
 * axe is evaluated through the DevTools protocol, so the site's CSP stays on.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= await Deno.readTextFile(`${ROOT}web/node_modules/axe-core/axe.min.js`);
  await page.evaluate(`${axeSource};0`);
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const { axe, document } = globalThis as any;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v: { impact: string }) => v.impact === "serious" || v.impact === "critical")
      .map((v: { id: string; impact: string; nodes: { target: string[] }[] }) =>
        `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`
      );
  });
}

/** A new tab that records CSP violations and page errors in `problems`. */
export async function openTab(context: BrowserContext) {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  return { page, problems };
}

/** Fills and sends the log-in form (does not wait for the result). */
export async function logInWith(page: Page, base: string, login: string, password: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Email or username").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
}

/** The account menu's button of `username` (there once logged in). */
export const accountButton = (page: Page, username: string) =>
  page.getByRole("button", { name: `Account menu of ${username}` });

/** A tab (as `openTab`) logged in as `who`. */
export async function signedIn(context: BrowserContext, base: string, who: SignedUp) {
  const tab = await openTab(context);
  await logInWith(tab.page, base, who.user.username, who.password);
  await accountButton(tab.page, who.user.username).waitFor();
  return tab;
}

/** The text of the elements that describe a field (its error or hint). */
export function descriptionOf(page: Page, label: string): Promise<string> {
  return page.getByLabel(label, { exact: true }).evaluate((input) => {
    // deno-lint-ignore no-explicit-any
    const { document } = globalThis as any;
    const ids = (input.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    return ids.map((id: string) => document.getElementById(id)?.textContent ?? "").join(" ");
  });
}

/**
 * Waits for the field to be marked invalid and described by an error matching
 * `text`. Polled, not read once: a field still invalid from an earlier attempt
 * has its error cleared while the form is sent again.
 */
export async function expectFieldError(page: Page, label: string, text: RegExp) {
  await page.getByLabel(label, { exact: true }).and(page.locator('[aria-invalid="true"]'))
    .waitFor();
  let seen = "";
  await waitFor(async () => text.test(seen = await descriptionOf(page, label)), {
    what: `${label} described by an error matching ${text}`,
    timeoutMs: 10_000,
  }).catch(() => assert.match(seen, text, `${label} is described by its error`));
}

/** Fails the test at once when the front end is not built; makes the screenshots' folder. */
export async function requireBuiltFrontEnd(): Promise<void> {
  const index = await Deno.stat(`${ROOT}web/dist/index.html`).catch(() => null);
  assert.ok(index?.isFile, "web/dist is not built: run `npm ci && npm run build` in web/");
  await Deno.mkdir(SHOTS, { recursive: true });
}

/** Full-page screenshots of `page` at 390 and 1280 px wide, left at 1280. */
export async function shoot(page: Page, name: string): Promise<void> {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
  }
}

/** Collects axe-core's serious and critical violations of each audited page in `found`. */
export function axeAudit() {
  const found: string[] = [];
  const audit = async (page: Page, name: string) => {
    for (const v of await axeViolations(page)) found.push(`${name}: ${v}`);
  };
  return { found, audit };
}

/** An order's status badge reading exactly `text` ("In progress", "Delivered", …). */
export const orderStatus = (page: Page, text: string) =>
  page.locator("span.rounded-full", { hasText: new RegExp(`^${text}$`) }).first();

/**
 * Clicks `button` and waits for the API's answer to `method path`; while it is one of
 * `retryOn` (a service that has not yet learnt, by an event, of a new seller or gig)
 * clicks again, for up to `timeoutMs`. Returns the accepted answer's status.
 */
export async function submitUntilAccepted(
  page: Page,
  button: Locator,
  request: { method: string; path: string; retryOn: number[] },
  timeoutMs = 45_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const statuses: number[] = [];
  while (true) {
    const [answer] = await Promise.all([
      page.waitForResponse(
        (r) =>
          r.request().method() === request.method && new URL(r.url()).pathname === request.path,
        { timeout: 30_000 },
      ),
      button.click(),
    ]);
    statuses.push(answer.status());
    if (!request.retryOn.includes(answer.status()) || Date.now() > deadline) break;
    await page.waitForTimeout(250); // the pause between two attempts, not a wait for state
  }
  const last = statuses.at(-1)!;
  assert.ok(last < 400, `${request.method} ${request.path} answered ${statuses.join(", ")}`);
  return last;
}
