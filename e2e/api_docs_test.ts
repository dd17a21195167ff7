/**
 * The published API reference through the real fleet: the merged document is
 * valid OpenAPI 3.1 and lists the routes of every service that declares its
 * routes; /docs renders it offline in headless Chromium under its own CSP.
 */
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { chromium } from "playwright-core";
import { waitFor } from "@mp/shared/testing";
import { ROUTES } from "../gateway/routes.ts";
import { startMarketplace } from "./support.ts";

const CHROMIUM = "/usr/bin/chromium";

Deno.test({
  name: "the gateway publishes a valid merged OpenAPI 3.1 document and /docs renders it offline",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("apidocs");
    try {
      const url = market.fleet.gatewayUrl;
      const res = await fetch(`${url}/api/v1/openapi.json`);
      assert.equal(res.status, 200);
      const document = await res.json();

      await t.step("the document validates as OpenAPI 3.1", async () => {
        const result = await new Validator().validate(structuredClone(document));
        assert.equal(result.valid, true, JSON.stringify(result.errors));
        assert.equal(document.openapi, "3.1.0");
      });

      await t.step(
        "every service publishes its document, and each of its routes is merged",
        async () => {
          // The realtime edge serves Socket.io behind /socket.io/, no REST routes and no document.
          const routed = new Set<string>(ROUTES.map((route) => route.service));
          const services = market.fleet.names.filter((n) => n !== "gateway");
          assert.deepEqual(services.filter((n) => !routed.has(n)), ["realtime"]);
          for (const service of services.filter((n) => routed.has(n))) {
            const own = await fetch(`${market.fleet.urlOf(service)}/openapi.json`);
            assert.equal(own.status, 200, `${service} serves GET /openapi.json`);
            const paths = Object.keys((await own.json()).paths);
            assert.ok(paths.length > 0, service);
            for (const path of paths) assert.ok(document.paths[path], `${service} ${path}`);
          }
        },
      );

      await t.step("the merged document and the gateway's route table cover each other", () => {
        const concrete = (path: string) => path.replaceAll(/\{[^}]+\}/g, "x");
        const covers = (route: (typeof ROUTES)[number], path: string) =>
          "pattern" in route
            ? route.pattern.test(path)
            : path === route.prefix || path.startsWith(`${route.prefix}/`);
        // Every path of the document is one the route table sends to a service…
        for (const path of Object.keys(document.paths)) {
          assert.ok(ROUTES.some((route) => covers(route, concrete(path))), path);
        }
        // …and every entry of the route table has its routes in the document.
        for (const route of ROUTES) {
          assert.ok(
            Object.keys(document.paths).some((path) => covers(route, concrete(path))),
            `route table entry ${"pattern" in route ? route.pattern : route.prefix} is documented`,
          );
        }
        // The gateway's own session routes, and the heart of the market: orders.
        assert.ok(document.paths["/api/v1/auth/login"]?.post);
        assert.ok(document.paths["/api/v1/orders"]?.post);
        assert.ok(document.paths["/api/v1/orders/{id}"]?.get);
        assert.ok(document.paths["/api/v1/gigs"]?.get);
        assert.ok(document.paths["/api/v1/notifications"]?.get);
        assert.ok(document.paths["/api/v1/users/{username}"]?.get);
        assert.ok(document.paths["/api/v1/conversations"]?.post);
        assert.ok(document.paths["/api/v1/offers/{id}/accept"]?.post);
      });

      await t.step("a real answer matches its documented schema", async () => {
        const ada = await market.signup("docs_ada");
        // The market's clients check every answer against the document (contract.ts).
        const list = await ada.client.request("GET", "/api/v1/notifications", {
          token: ada.accessToken,
        });
        assert.equal(list.status, 200);
        const bad = await ada.client.request("GET", "/api/v1/notifications?limit=x", {
          token: ada.accessToken,
        });
        assert.equal(bad.status, 400);
        const me = await waitFor(async () => {
          const res = await ada.client.request("GET", "/api/v1/users/me", {
            token: ada.accessToken,
          });
          return res.status === 200 ? res : undefined; // the profile follows an event
        });
        assert.equal(me.body.username, "docs_ada");
        const profile = await ada.client.request("GET", "/api/v1/users/docs_ada");
        assert.equal(profile.status, 200);
        assert.equal(profile.body.email, undefined);
      });

      await t.step("/docs renders the document in Chromium with nothing from outside", async () => {
        const page = await fetch(`${url}/docs`);
        const csp = page.headers.get("content-security-policy") ?? "";
        await page.body?.cancel();
        assert.match(csp, /default-src 'none'/);
        assert.match(csp, /script-src 'self'(;|$)/);
        const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
        try {
          const context = await browser.newContext({ offline: false });
          const tab = await context.newPage();
          const outside: string[] = [];
          const violations: string[] = [];
          tab.on("request", (r) => {
            if (!r.url().startsWith(url) && !r.url().startsWith("data:")) outside.push(r.url());
          });
          tab.on("console", (m) => {
            if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
          });
          await tab.goto(`${url}/docs`);
          await tab.locator(".opblock-summary-path").first().waitFor({ timeout: 30_000 });
          const shown = await tab.locator(".opblock-summary-path").allTextContents();
          const expected = Object.keys(document.paths);
          for (const path of expected) {
            assert.ok(shown.some((s) => s.replaceAll("\u200b", "") === path), `${path} shown`);
          }
          await tab.screenshot({ path: Deno.env.get("DOCS_SCREENSHOT") ?? "/tmp/docs.png" });
          assert.deepEqual(outside, []);
          assert.deepEqual(violations, []);
        } finally {
          await browser.close();
        }
      });
    } finally {
      await market.close();
    }
  },
});
