/**
 * The web front end as a person's browser meets it: Debian's Chromium
 * (playwright-core, headless) against the real fleet with 100,000 gigs
 * (`startCatalogFleet`, shared with gig_search.ts), the gateway serving the
 * built web/dist.
 *
 * - **Initial JavaScript of the home page**: every script response (modules
 *   and modulepreloads) a fresh context fetches for `/` until the network is
 *   idle, gzipped here at level 9 (node:zlib), so the figure does not depend
 *   on whether the gateway compresses; and what the gateway actually sent
 *   (Content-Encoding).
 * - **Largest contentful paint** of home, a keyword search, a filtered search
 *   and a gig page: each load in a fresh browser context (cold cache), then a
 *   second load in the same context (warm cache) as a baseline; the last
 *   `largest-contentful-paint` entry (buffered) read once the page is idle.
 * - **Filter click to next paint** on the search page: the Event Timing
 *   duration of the click's interaction, and click → the new results painted
 *   (results changed, then a requestAnimationFrame and a setTimeout 0).
 *
 * No network throttling and no CPU throttling: the browser, the fleet and
 * the servers share the machine's cores over loopback.
 */
import { constants, gzipSync } from "node:zlib";
import { type Browser, chromium, type Page } from "playwright-core";
import { type CodeState, codeState, describeCodeState } from "./code_state.ts";
import { type CatalogFleet, GIGS, startCatalogFleet } from "./gig_search.ts";
import { type CpuUsage, describeCpu, loadAverage, measureCpu } from "./machine.ts";
import type { BenchContext, Benchmark, Table, Target } from "./report.ts";
import { ms, num, percentile } from "./stats.ts";

const CHROMIUM = "/usr/bin/chromium";
const WEB_DIST = new URL("../web/dist/index.html", import.meta.url);
const VIEWPORT = { width: 1280, height: 900 };
const LOADS = 15; // cold loads per page (each followed by one warm load)
const FILTER_ROUNDS = 8; // fresh search pages, three filter clicks each
const NAV_TIMEOUT_MS = 30_000;
const PAINT_TIMEOUT_MS = 15_000;
const TARGET_JS_GZIP_KIB = 200;
const TARGET_LCP_MS = 1_000;
const TARGET_FILTER_MS = 200;
/** The Event Timing API reports interactions of at least this long (its minimum). */
const EVENT_THRESHOLD_MS = 16;

interface Quantiles {
  count: number;
  p50: number;
  p75: number;
  p95: number;
  max: number;
}

/** Over the samples that exist (NaN: not measured, e.g. a load whose API call was not seen). */
function quantiles(samples: readonly number[]): Quantiles {
  const values = Array.from(Float64Array.from(samples.filter((x) => !Number.isNaN(x))).sort());
  return {
    count: values.length,
    p50: percentile(values, 50),
    p75: percentile(values, 75),
    p95: percentile(values, 95),
    max: values.length ? values[values.length - 1] : NaN,
  };
}

/** The web-pages benchmark. */
export const webPages: Benchmark = {
  name: "web_pages",
  title: "the web front end in Chromium: initial JavaScript, LCP, filter click to paint",
  method: `The whole fleet with ${num(GIGS)} gigs, set up as \`gig_search\` does ` +
    `(\`startCatalogFleet\`: 100 sellers through the API, the rest of the seed's gigs with ` +
    `SQL), the gateway serving the built \`web/dist\`. Debian's Chromium (headless, ` +
    `playwright-core), ${VIEWPORT.width}×${VIEWPORT.height}, **no network or CPU ` +
    `throttling** (loopback; browser, fleet and servers share the machine). **Initial JS:** ` +
    `every script response (modules and modulepreloads) a fresh context fetched for \`/\` ` +
    `until the network was idle, each body gzipped here at level 9 (node:zlib). **LCP:** the ` +
    `last \`largest-contentful-paint\` entry (PerformanceObserver, buffered) read after the ` +
    `network was idle (500 ms without requests), ${LOADS} loads per page, each in a fresh ` +
    `context (cold HTTP cache) followed by a second load in the same context (warm cache), ` +
    `the pages taking turns. **Filter:** ${FILTER_ROUNDS} fresh search pages (a different ` +
    `keyword each), on each three clicks: the first category facet, then the first ` +
    `subcategory facet, then "Apply price" with a maximum price of 20 typed; per click (a) the ` +
    `Event Timing duration of its interaction (PerformanceObserver 'event', ` +
    `durationThreshold ${EVENT_THRESHOLD_MS}: the time to the next paint) and (b) click → ` +
    `the results for the new query were shown (the results section's data-results-for; the list ` +
    `changed, before it had one) and painted (a requestAnimationFrame, then a setTimeout 0).`,
  async run(context) {
    const index = await Deno.stat(WEB_DIST).catch(() => null);
    if (!index?.isFile) {
      throw new Error("web/dist is not built: run `npm ci && npm run build` in web/");
    }
    const code = await codeState(["web/src", "web/dist", "gateway"]);
    const fleet = await startCatalogFleet("webpages", context);
    let browser: Browser | undefined;
    try {
      const base = fleet.bench.fleet.gatewayUrl;
      const urls = await pickPages(fleet, context);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const loadBefore = await loadAverage();
      const meter = await measureCpu(fleet.bench.pids());
      context.log("initial JavaScript of /");
      const js = await initialScripts(browser, base);
      context.log(`LCP: ${LOADS} cold + warm loads of ${urls.pages.length} pages`);
      const lcp = await measureLcp(browser, base, urls.pages, context);
      context.log(`filter clicks: ${FILTER_ROUNDS} search pages × 3`);
      const filter = await measureFilters(browser, base, urls.keywords, context);
      const cpu = await meter.stop();
      const loadAfter = await loadAverage();
      return report({ code, js, lcp, filter, cpu, loadBefore, loadAfter, urls });
    } finally {
      await browser?.close();
      await fleet.close();
    }
  },
};

// ---------------------------------------------------------------- pages

interface PageUnderTest {
  name: string;
  path: string;
}

/** The pages to load: home, a keyword search, the same with filters, a gig page. */
async function pickPages(fleet: CatalogFleet, context: BenchContext) {
  // The most common words of the gigs' titles as written (a sample is enough), leaving
  // out English stop words; kept when searching for them finds many gigs.
  const words = await fleet.gigsDb<{ word: string; ndoc: number }[]>`
    select word, ndoc
    from ts_stat('select to_tsvector(''simple'', title) from gigs limit 5000')
    where word ~ '^[a-z]{5,}$' and numnode(plainto_tsquery('english', word)) > 0
    order by ndoc desc, word limit 40`;
  const base = fleet.bench.fleet.gatewayUrl;
  const keywords: string[] = [];
  let top: { keyword: string; category: string; total: number } | undefined;
  for (const { word } of words) {
    const response = await fetch(`${base}/api/v1/gigs?q=${encodeURIComponent(word)}&limit=1`);
    const body = await response.json();
    if (response.status !== 200 || body.total < 200) continue;
    keywords.push(word);
    top ??= { keyword: word, category: body.facets.categories[0]?.slug, total: body.total };
    if (keywords.length > FILTER_ROUNDS) break;
  }
  if (!top || keywords.length <= FILTER_ROUNDS) {
    throw new Error(`too few common keywords found: ${keywords.join(", ")}`);
  }
  const gigId = fleet.catalog.loadedIds[Math.floor(fleet.catalog.loadedIds.length / 2)];
  const filtered = new URLSearchParams({
    q: top.keyword,
    category: top.category,
    maxDeliveryDays: "7",
    minRating: "4",
  });
  const pages: PageUnderTest[] = [
    { name: "home", path: "/" },
    { name: "search", path: `/search?q=${encodeURIComponent(top.keyword)}` },
    { name: "search + filters", path: `/search?${filtered}` },
    { name: "gig", path: `/gigs/${gigId}` },
  ];
  context.log(`pages: ${pages.map((p) => p.path).join(", ")}`);
  // The first of the keywords is the search page's; the filter rounds take the others.
  return { pages, keywords: keywords.slice(1, FILTER_ROUNDS + 1), keywordTotal: top.total };
}

// ---------------------------------------------------------------- initial JS

interface ScriptFile {
  path: string;
  raw: number;
  gzip: number;
  contentEncoding: string | null;
}

async function initialScripts(browser: Browser, base: string) {
  const browserContext = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await browserContext.newPage();
    const pending: Promise<ScriptFile | null>[] = [];
    const styles: Promise<ScriptFile | null>[] = [];
    page.on("response", (response) => {
      const type = response.request().resourceType();
      const contentType = response.headers()["content-type"] ?? "";
      const isScript = type === "script" || /javascript/.test(contentType);
      const isStyle = type === "stylesheet" || /text\/css/.test(contentType);
      if (!isScript && !isStyle) return;
      const file = (async () => {
        const body = await response.body().catch(() => null);
        if (!body) return null;
        return {
          path: new URL(response.url()).pathname,
          raw: body.byteLength,
          gzip: gzipSync(body, { level: constants.Z_BEST_COMPRESSION }).byteLength,
          contentEncoding: response.headers()["content-encoding"] ?? null,
        };
      })();
      (isScript ? pending : styles).push(file);
    });
    await page.goto(`${base}/`, { waitUntil: "networkidle", timeout: NAV_TIMEOUT_MS });
    const scripts = (await Promise.all(pending)).filter((f): f is ScriptFile => f !== null);
    const css = (await Promise.all(styles)).filter((f): f is ScriptFile => f !== null);
    // What the gateway sends a client that accepts compression (the browser asked the same).
    const probe = async (path: string) => {
      const response = await fetch(`${base}${path}`, {
        headers: { "accept-encoding": "gzip, deflate, br, zstd" },
      });
      await response.body?.cancel();
      return response.headers.get("content-encoding");
    };
    const encodings = {
      js: scripts[0] ? await probe(scripts[0].path) : null,
      css: css[0] ? await probe(css[0].path) : null,
      html: await probe("/"),
    };
    return { scripts, css, encodings };
  } finally {
    await browserContext.close();
  }
}

// ---------------------------------------------------------------- LCP

/** What one load measured (ms from navigation start). */
interface LoadTiming {
  lcp: number;
  /** The LCP element, e.g. `h1` or `img`, and its size in px². */
  element: string;
  size: number;
  /** The document's first byte. */
  ttfb: number;
  /** The last script's responseEnd. */
  scriptsEnd: number;
  /** The first `/api/` response that ended last (the data the page waited for). */
  apiEnd: number;
  /** How long that API call took (request start → response end). */
  apiMs: number;
}

/** Loads `url` in `page` and reads the LCP and the timings once the network is idle. */
async function loadAndRead(page: Page, url: string): Promise<LoadTiming> {
  await page.goto(url, { waitUntil: "networkidle", timeout: NAV_TIMEOUT_MS });
  return await page.evaluate(() =>
    new Promise<LoadTiming>((resolve, reject) => {
      // deno-lint-ignore no-explicit-any
      const { performance, PerformanceObserver } = globalThis as any;
      const timings = () => {
        const nav = performance.getEntriesByType("navigation")[0];
        // deno-lint-ignore no-explicit-any
        const resources: any[] = performance.getEntriesByType("resource");
        const scripts = resources.filter((r) =>
          r.initiatorType === "script" || /\.js$/.test(r.name)
        );
        const api = resources.filter((r) => new URL(r.name).pathname.startsWith("/api/"));
        const lastApi = api.reduce(
          (a, b) => (b.responseEnd > (a?.responseEnd ?? -1) ? b : a),
          null,
        );
        return {
          ttfb: nav?.responseStart ?? NaN,
          scriptsEnd: Math.max(0, ...scripts.map((r) => r.responseEnd)),
          apiEnd: lastApi?.responseEnd ?? NaN,
          apiMs: lastApi ? lastApi.responseEnd - lastApi.startTime : NaN,
        };
      };
      const observer = new PerformanceObserver(
        // deno-lint-ignore no-explicit-any
        (list: any) => {
          const entries = list.getEntries();
          const last = entries[entries.length - 1];
          observer.disconnect();
          const element = last.element
            ? `${last.element.tagName.toLowerCase()}${
              last.element.getAttribute("aria-label")
                ? `[${last.element.getAttribute("aria-label")}]`
                : ""
            }`
            : "(removed)";
          resolve({ lcp: last.startTime, element, size: last.size, ...timings() });
        },
      );
      observer.observe({ type: "largest-contentful-paint", buffered: true });
      setTimeout(() => reject(new Error("no largest-contentful-paint entry")), 5_000);
    })
  );
}

async function measureLcp(
  browser: Browser,
  base: string,
  pages: readonly PageUnderTest[],
  context: BenchContext,
) {
  const cold = new Map<string, LoadTiming[]>(pages.map((p) => [p.name, []]));
  const warm = new Map<string, LoadTiming[]>(pages.map((p) => [p.name, []]));
  const failures: string[] = [];
  for (let round = 0; round < LOADS; round++) {
    for (const page of pages) {
      const browserContext = await browser.newContext({ viewport: VIEWPORT });
      try {
        const tab = await browserContext.newPage();
        cold.get(page.name)!.push(await loadAndRead(tab, `${base}${page.path}`));
        warm.get(page.name)!.push(await loadAndRead(tab, `${base}${page.path}`));
      } catch (error) {
        failures.push(`${page.name}: ${error instanceof Error ? error.message : error}`);
      } finally {
        await browserContext.close();
      }
    }
    if ((round + 1) % 5 === 0) context.log(`  ${round + 1} rounds`);
  }
  return { cold, warm, failures };
}

// ---------------------------------------------------------------- filter clicks

interface ClickTiming {
  filter: string;
  /** (a) the Event Timing duration of the click's interaction; NaN when under the threshold. */
  eventMs: number;
  /** (b) click → new results painted. */
  paintMs: number;
  /** The search request the click caused (start → response end). */
  apiMs: number;
}

/** Installs the probe: the click's time, the results' change and the paint after it. */
async function armProbe(page: Page) {
  await page.evaluate((threshold) => {
    // deno-lint-ignore no-explicit-any
    const g = globalThis as any;
    const section = g.document.querySelector('section[aria-label="Results"]');
    const signature = () =>
      (section.querySelector('[role="status"]')?.textContent ?? "") + "|" +
      // deno-lint-ignore no-explicit-any
      [...section.querySelectorAll("a")].map((a: any) => a.getAttribute("href")).join(",");
    const before = signature();
    // The query the shown results answer (Search.tsx's data-results-for; "" while the previous
    // results stand in): done when it is the new query's, even if a filter changed no result (a
    // category holding all of a keyword's best matches). Without it: when the list changed.
    const resultsFor = () => section.getAttribute("data-results-for");
    const forBefore = resultsFor();
    const changed = () =>
      forBefore === null ? signature() !== before : ![forBefore, ""].includes(resultsFor());
    // deno-lint-ignore no-explicit-any
    const probe: any = { clickAt: NaN, paintedAt: NaN, events: [] };
    g.__probe = probe;
    g.addEventListener("click", (e: { timeStamp: number }) => {
      probe.clickAt = e.timeStamp;
    }, { capture: true, once: true });
    const mutations = new g.MutationObserver(() => {
      if (!changed()) return;
      mutations.disconnect();
      g.requestAnimationFrame(() => setTimeout(() => probe.paintedAt = g.performance.now(), 0));
    });
    mutations.observe(section, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
    // deno-lint-ignore no-explicit-any
    const events = new g.PerformanceObserver((list: any) => {
      for (const e of list.getEntries()) {
        if (e.interactionId) {
          probe.events.push({ name: e.name, id: e.interactionId, duration: e.duration });
        }
      }
    });
    events.observe({ type: "event", durationThreshold: threshold });
    probe.stopEvents = () => events.disconnect();
  }, EVENT_THRESHOLD_MS);
}

/** Waits for the probe's paint, lets Event Timing deliver, and reads the click's figures. */
async function readProbe(page: Page, filter: string): Promise<ClickTiming> {
  await page.waitForFunction(
    // deno-lint-ignore no-explicit-any
    () => !Number.isNaN((globalThis as any).__probe.paintedAt),
    undefined,
    { timeout: PAINT_TIMEOUT_MS },
  );
  // Event Timing entries arrive after the next paint, in a later task.
  await page.waitForTimeout(300);
  return await page.evaluate((name) => {
    // deno-lint-ignore no-explicit-any
    const g = globalThis as any;
    const probe = g.__probe;
    probe.stopEvents();
    // The click's interaction: the entries of the interaction that includes a click.
    const click = probe.events.find((e: { name: string }) => e.name === "click");
    const eventMs = click
      ? Math.max(
        ...probe.events.filter((e: { id: number }) => e.id === click.id).map((
          e: { duration: number },
        ) => e.duration),
      )
      : NaN;
    // deno-lint-ignore no-explicit-any
    const api = g.performance.getEntriesByType("resource").filter((r: any) =>
      new URL(r.name).pathname === "/api/v1/gigs" && r.startTime >= probe.clickAt
    );
    const last = api[api.length - 1];
    return {
      filter: name,
      eventMs,
      paintMs: probe.paintedAt - probe.clickAt,
      apiMs: last ? last.responseEnd - last.startTime : NaN,
    };
  }, filter);
}

async function measureFilters(
  browser: Browser,
  base: string,
  keywords: readonly string[],
  context: BenchContext,
) {
  const clicks: ClickTiming[] = [];
  const failures: string[] = [];
  for (const keyword of keywords) {
    const browserContext = await browser.newContext({ viewport: VIEWPORT });
    try {
      const page = await browserContext.newPage();
      await page.goto(`${base}/search?q=${encodeURIComponent(keyword)}`, {
        waitUntil: "networkidle",
        timeout: NAV_TIMEOUT_MS,
      });
      await page.getByRole("list", { name: "Search results" }).waitFor();
      const facet = page.locator('nav[aria-label="Categories"] li button').first();
      for (
        const [filter, act] of [
          ["category", () => facet.click()],
          ["subcategory", () => facet.click()],
          ["price", () => page.getByRole("button", { name: "Apply price" }).click()],
        ] as const
      ) {
        try {
          if (filter === "price") await page.getByLabel("Max price").fill("20");
          await page.waitForTimeout(200); // let the page settle (no paint pending)
          await armProbe(page);
          await act();
          clicks.push(await readProbe(page, filter));
        } catch (error) {
          failures.push(`${keyword} ${filter}: ${error instanceof Error ? error.message : error}`);
        }
      }
    } catch (error) {
      failures.push(`${keyword}: ${error instanceof Error ? error.message : error}`);
    } finally {
      await browserContext.close();
    }
  }
  context.log(`  ${clicks.length} clicks measured, ${failures.length} failed`);
  return { clicks, failures };
}

// ---------------------------------------------------------------- report

function report(r: {
  code: CodeState;
  js: Awaited<ReturnType<typeof initialScripts>>;
  lcp: Awaited<ReturnType<typeof measureLcp>>;
  filter: Awaited<ReturnType<typeof measureFilters>>;
  cpu: CpuUsage;
  loadBefore: number[];
  loadAfter: number[];
  urls: Awaited<ReturnType<typeof pickPages>>;
}) {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const sum = (files: readonly ScriptFile[], key: "raw" | "gzip") =>
    files.reduce((total, f) => total + f[key], 0);
  const jsRaw = sum(r.js.scripts, "raw");
  const jsGzip = sum(r.js.scripts, "gzip");
  const sentEncodings = [...new Set(r.js.scripts.map((f) => f.contentEncoding ?? "none"))];
  const compressed = r.js.encodings.js !== null;

  const lcpStats = r.urls.pages.map((page) => {
    const cold = r.lcp.cold.get(page.name)!;
    const warm = r.lcp.warm.get(page.name)!;
    const elements = [...new Set(cold.map((t) => t.element))].join(", ");
    return {
      page,
      cold: quantiles(cold.map((t) => t.lcp)),
      warm: quantiles(warm.map((t) => t.lcp)),
      ttfb: quantiles(cold.map((t) => t.ttfb)),
      scriptsEnd: quantiles(cold.map((t) => t.scriptsEnd)),
      apiEnd: quantiles(cold.map((t) => t.apiEnd)),
      apiMs: quantiles(cold.map((t) => t.apiMs)),
      elements,
    };
  });
  const clicks = r.filter.clicks;
  const under = clicks.filter((c) => Number.isNaN(c.eventMs)).length;
  // An interaction under the threshold is reported by no entry: counted as the threshold
  // (an upper bound), so the percentiles stay over every click.
  const eventQ = quantiles(
    clicks.map((c) => Number.isNaN(c.eventMs) ? EVENT_THRESHOLD_MS : c.eventMs),
  );
  const paintQ = quantiles(clicks.map((c) => c.paintMs));
  const apiQ = quantiles(clicks.filter((c) => !Number.isNaN(c.apiMs)).map((c) => c.apiMs));
  const byFilter = ["category", "subcategory", "price"].map((filter) => {
    const of = clicks.filter((c) => c.filter === filter);
    return {
      filter,
      paint: quantiles(of.map((c) => c.paintMs)),
      api: quantiles(of.map((c) => c.apiMs)),
    };
  });
  const judged = paintQ.p75 >= eventQ.p75 ? "b" : "a";
  const judgedQ = judged === "b" ? paintQ : eventQ;

  const q = (x: Quantiles) => [ms(x.p50), ms(x.p75), ms(x.p95), ms(x.max)];
  const tables: Table[] = [
    {
      title: "Initial JavaScript of / (fresh context, until the network was idle)",
      columns: ["files", "count", "raw KiB", "gzip -9 KiB", "Content-Encoding sent"],
      rows: [
        [
          "scripts (modules, modulepreloads)",
          num(r.js.scripts.length),
          kib(jsRaw),
          kib(jsGzip),
          sentEncodings.join(", "),
        ],
        ...r.js.scripts.map((
          f,
        ) => [`  ${f.path}`, "", kib(f.raw), kib(f.gzip), f.contentEncoding ?? "none"]),
        [
          "stylesheets (not in the target)",
          num(r.js.css.length),
          kib(sum(r.js.css, "raw")),
          kib(sum(r.js.css, "gzip")),
          [
            ...new Set(r.js.css.map((f) => f.contentEncoding ?? "none")),
          ].join(", "),
        ],
      ],
    },
    {
      title: `Largest contentful paint, ${LOADS} loads per page (ms from navigation start)`,
      columns: ["page", "cache", "loads", "p50", "p75", "p95", "max", "LCP element"],
      rows: lcpStats.flatMap((s) => [
        [
          `${s.page.name} \`${s.page.path}\``,
          "cold (fresh context)",
          num(s.cold.count),
          ...q(s.cold),
          s.elements,
        ],
        ["", "warm (2nd load, same context)", num(s.warm.count), ...q(s.warm), ""],
      ]),
    },
    {
      title: "Where a cold load's time goes (p50 / p95, ms from navigation start)",
      columns: [
        "page",
        "document first byte",
        "last script loaded",
        "last API response",
        "that API call took",
        "LCP",
      ],
      rows: lcpStats.map((s) => [
        s.page.name,
        `${ms(s.ttfb.p50)} / ${ms(s.ttfb.p95)}`,
        `${ms(s.scriptsEnd.p50)} / ${ms(s.scriptsEnd.p95)}`,
        `${ms(s.apiEnd.p50)} / ${ms(s.apiEnd.p95)}`,
        `${ms(s.apiMs.p50)} / ${ms(s.apiMs.p95)}`,
        `${ms(s.cold.p50)} / ${ms(s.cold.p95)}`,
      ]),
    },
    {
      title: `Search filter clicks: ${
        num(clicks.length)
      } clicks on ${FILTER_ROUNDS} search pages (ms)`,
      columns: ["measure", "clicks", "p50", "p75", "p95", "max"],
      rows: [
        [
          `(a) Event Timing duration of the click (to the next paint; ${under} under ${EVENT_THRESHOLD_MS} ms, counted as ${EVENT_THRESHOLD_MS})`,
          num(eventQ.count),
          ...q(eventQ),
        ],
        ["(b) click → new results painted", num(paintQ.count), ...q(paintQ)],
        ["the search request it sent (start → response end)", num(apiQ.count), ...q(apiQ)],
        ...byFilter.map((
          f,
        ) => [
          `(b) ${f.filter} only; its request p50 ${ms(f.api.p50)}`,
          num(f.paint.count),
          ...q(f.paint),
        ]),
      ],
    },
  ];

  const lcpTargets: Target[] = lcpStats.map((s) => ({
    what: `LCP of ${s.page.name}, cold cache, p75 (Web Vitals' percentile)`,
    goal: `≤ ${num(TARGET_LCP_MS)} ms`,
    measured: `${ms(s.cold.p75)} ms (p50 ${ms(s.cold.p50)}, p95 ${ms(s.cold.p95)}; warm p75 ${
      ms(s.warm.p75)
    })`,
    met: s.cold.p75 <= TARGET_LCP_MS && s.cold.count >= LOADS,
  }));
  const targets: Target[] = [
    {
      what: "initial JavaScript of / (gzip -9, every script fetched)",
      goal: `≤ ${TARGET_JS_GZIP_KIB} KiB`,
      measured: `${kib(jsGzip)} KiB in ${r.js.scripts.length} files (${kib(jsRaw)} KiB raw)`,
      met: jsGzip <= TARGET_JS_GZIP_KIB * 1024,
    },
    ...lcpTargets,
    {
      what: `filter click → next paint, p75, judged on (${judged}): ${
        judged === "b" ? "click → new results painted" : "Event Timing duration"
      }`,
      goal: `≤ ${TARGET_FILTER_MS} ms`,
      measured: `${ms(judgedQ.p75)} ms (p50 ${ms(judgedQ.p50)}, p95 ${
        ms(judgedQ.p95)
      }; ${clicks.length} clicks)`,
      met: judgedQ.p75 <= TARGET_FILTER_MS && clicks.length >= 20 && r.filter.failures.length === 0,
    },
  ];

  const notes = [
    describeCodeState(r.code),
    compressed
      ? `The gateway compresses: JS sent with Content-Encoding \`${r.js.encodings.js}\`, CSS \`${r.js.encodings.css}\`, index.html \`${r.js.encodings.html}\`.`
      : `**The gateway sends JS and CSS uncompressed** (no Content-Encoding for a client that ` +
        `accepts gzip, br and zstd; CSS: ${r.js.encodings.css ?? "none"}, index.html: ` +
        `${r.js.encodings.html ?? "none"}): the browser downloads ${kib(jsRaw)} KiB of ` +
        `JavaScript for / instead of about ${kib(jsGzip)} KiB. On loopback this costs little; ` +
        `over a real network it would dominate the cold LCP. The target's figure is the gzipped ` +
        `size, computed here, as the issue asks; compressing (or serving pre-compressed files) ` +
        `is a gateway change, left to its owner.`,
    `No network or CPU throttling: these are loopback figures on a ${"2-core"} machine shared ` +
    `by Chromium, the whole fleet, PostgreSQL, RabbitMQ and Redis (and, on this development ` +
    `machine, other agents' test runs). A real user's cold LCP adds the network's round trips ` +
    `and transfer time. The warm rows (second load in the same context: scripts from the HTTP ` +
    `cache, index.html revalidated, the API asked again) are the baseline that shows how much ` +
    `of a cold figure is loading code.`,
    `Server-side caches: every load of a page asks the same API URL, so the gigs service's 30 s ` +
    `search cache and its gig-detail cache answer all but the first loads (as for a popular ` +
    `page); the filter rounds use a different keyword each, so each click's search is new to ` +
    `the cache (the price click's search may repeat nothing either).`,
    `LCP read after the network was idle; the filter clicks' (a) counts an interaction that ` +
    `Event Timing did not report (under ${EVENT_THRESHOLD_MS} ms, the API's minimum) as ` +
    `${EVENT_THRESHOLD_MS} ms. (b) starts at the click event's timeStamp and ends in a ` +
    `setTimeout 0 queued by a requestAnimationFrame after the results section showed the new ` +
    `query's results (its data-results-for; a filter may change no result), i.e. after the ` +
    `frame with the new results. The target is judged on ${
      judged === "b" ? "(b), the larger" : "(a), the larger"
    } at p75.`,
    `Search keyword: "${r.urls.pages[1].path.split("=")[1]}" (${
      num(r.urls.keywordTotal)
    } matching gigs); filter rounds' keywords: ${r.urls.keywords.join(", ")}.`,
    `Load average ${r.loadBefore.join(" / ")} before the browser phases, ${
      r.loadAfter.join(" / ")
    } after. ` +
    `CPU over the browser phases: ${describeCpu(r.cpu)}. Chromium's processes are in "other" ` +
    `(they are not the benchmark's pid), together with anything else running.`,
    ...(r.lcp.failures.length ? [`**Failed loads:** ${r.lcp.failures.join("; ")}`] : []),
    ...(r.filter.failures.length ? [`**Failed clicks:** ${r.filter.failures.join("; ")}`] : []),
  ];

  return {
    tables,
    targets,
    notes,
    data: {
      code: r.code,
      gigs: GIGS,
      viewport: VIEWPORT,
      throttling: "none",
      initialJs: {
        files: r.js.scripts,
        rawBytes: jsRaw,
        gzipBytes: jsGzip,
        css: r.js.css,
        gatewayContentEncoding: r.js.encodings,
      },
      lcp: Object.fromEntries(lcpStats.map((s) => [s.page.name, {
        path: s.page.path,
        cold: s.cold,
        warm: s.warm,
        elements: s.elements,
        samples: { cold: r.lcp.cold.get(s.page.name), warm: r.lcp.warm.get(s.page.name) },
      }])),
      filter: {
        eventTiming: eventQ,
        eventUnderThreshold: under,
        clickToPaint: paintQ,
        api: apiQ,
        judged,
        clicks,
        failures: r.filter.failures,
      },
      cpu: r.cpu,
      loadAverage: { before: r.loadBefore, after: r.loadAfter },
    },
  };
}
