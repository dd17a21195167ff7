/**
 * Profiles, sellers, gigs and search through the gateway: a person becomes a
 * seller, publishes, edits and pauses gigs; a buyer finds them with every
 * filter and sort and saves favourites; a seller's new name reaches search.
 */
import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { type SignedUp, startMarketplace } from "./support.ts";
import { gigBody, type Json, publishGig, sellerBody, verifyEmail } from "./fixtures.ts";

Deno.test({
  name: "a seller publishes, edits and pauses gigs; buyers search, filter, sort and save them",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("catalog");
    const api = market.client();
    let ada: SignedUp;
    let bob: SignedUp;
    const gigs: Record<string, Json> = {};
    const search = async (query: string) => {
      const res = await api.request("GET", `/api/v1/gigs?${query}`);
      assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    try {
      await t.step("a verified user becomes a seller; an unverified one may not", async () => {
        ada = await market.signup("ada");
        bob = await market.signup("bob");
        await verifyEmail(market, ada);
        const refused = await waitFor(async () => {
          const res = await bob.client.request("POST", "/api/v1/sellers", {
            token: bob.accessToken,
            body: sellerBody,
          });
          return res.status === 404 ? undefined : res; // profile not yet created from user.registered
        });
        assert.equal(refused.status, 403);
        assert.equal(refused.body.code, "email_not_verified");
        const created = await waitFor(async () => {
          const res = await ada.client.request("POST", "/api/v1/sellers", {
            token: ada.accessToken,
            body: sellerBody,
          });
          return res.status === 201 ? res : undefined; // waits for user.email_verified to reach users
        }, { what: "seller profile" });
        assert.equal(created.body.seller.level, "new");
        const pub = await api.request("GET", "/api/v1/users/ada");
        assert.equal(pub.status, 200);
        assert.equal(pub.body.isSeller, true);
        assert.ok(
          !JSON.stringify(pub.body).includes("ada@example.com"),
          "public profile shows the email",
        );
      });

      await t.step("the seller publishes gigs; a buyer may not", async () => {
        const buyer = await bob.client.request("POST", "/api/v1/gigs", {
          token: bob.accessToken,
          body: gigBody("A logo for you", 2000),
        });
        assert.equal(buyer.status, 403);
        const publish = (title: string, price: number, options: Partial<Json> = {}) =>
          publishGig(ada, gigBody(title, price, options));
        gigs.logo = await publish("Minimalist logo design for startups", 2500);
        gigs.cheap = await publish("Quick logo sketch in one day", 900, {
          packages: [{
            tier: "basic",
            name: "Sketch",
            description: "A sketch",
            price: { amount: 900, currency: "USD" },
            deliveryDays: 1,
            revisions: 0,
            features: [],
          }],
        });
        gigs.web = await publish("Landing page development in React", 15000, {
          category: "programming-tech",
          subcategory: "web-development",
          tags: ["react", "website"],
        });
        assert.equal(gigs.logo.seller.username, "ada");
        assert.deepEqual(gigs.logo.startingPrice, { amount: 2500, currency: "USD" });
      });

      await t.step(
        "search finds by keyword with typos, filters, sorts, counts and facets",
        async () => {
          const typo = await search("q=logo%20dezign");
          assert.ok(
            typo.items.some((g: Json) => g.id === gigs.logo.id),
            "typo search missed the gig",
          );
          const card = typo.items.find((g: Json) => g.id === gigs.logo.id);
          assert.deepEqual(card.startingPrice, { amount: 2500, currency: "USD" });
          assert.equal(card.seller.username, "ada");
          assert.equal(card.seller.level, "new");
          assert.equal(card.image, "https://images.example.com/gig.png");

          const logos = await search("category=graphics-design");
          assert.equal(logos.total, 2);
          const web = await search("subcategory=web-development");
          assert.deepEqual(web.items.map((g: Json) => g.id), [gigs.web.id]);
          assert.deepEqual((await search("maxPrice=1000")).items.map((g: Json) => g.id), [
            gigs.cheap.id,
          ]);
          assert.equal((await search("minPrice=2000&maxPrice=3000")).items[0].id, gigs.logo.id);
          assert.deepEqual((await search("maxDeliveryDays=1")).items.map((g: Json) => g.id), [
            gigs.cheap.id,
          ]);
          assert.equal((await search("seller=ada")).total, 3);
          assert.equal((await search("seller=bob")).total, 0);
          assert.equal((await search("minRating=4")).total, 0, "no gig has a rating yet");
          const asc = await search("sort=price_asc");
          assert.deepEqual(asc.items.map((g: Json) => g.id), [
            gigs.cheap.id,
            gigs.logo.id,
            gigs.web.id,
          ]);
          const desc = await search("sort=price_desc");
          assert.deepEqual(desc.items.map((g: Json) => g.id), [
            gigs.web.id,
            gigs.logo.id,
            gigs.cheap.id,
          ]);
          assert.equal((await search("sort=newest")).items[0].id, gigs.web.id);
          const combined = await search(
            "q=logo&category=graphics-design&maxPrice=3000&sort=price_asc&limit=1&page=2",
          );
          assert.equal(combined.total, 2);
          assert.deepEqual(combined.items.map((g: Json) => g.id), [gigs.logo.id]);
          const facets = (await search("q=logo")).facets.categories;
          assert.ok(
            facets.some((f: Json) => f.slug === "graphics-design" && f.count === 2),
            JSON.stringify(facets),
          );
          const categories = await api.request("GET", "/api/v1/gigs/categories");
          assert.equal(
            categories.body.categories.find((c: Json) => c.slug === "programming-tech").count,
            1,
          );
        },
      );

      await t.step(
        "edits and pauses show in search at once; another seller's gig is out of reach",
        async () => {
          const edit = await ada.client.request("PATCH", `/api/v1/gigs/${gigs.cheap.id}`, {
            token: ada.accessToken,
            body: { title: "Express mascot illustration in one day" },
          });
          assert.equal(edit.status, 200);
          assert.equal((await search("q=mascot")).items[0]?.id, gigs.cheap.id);
          const pause = await ada.client.request("POST", `/api/v1/gigs/${gigs.logo.id}/pause`, {
            token: ada.accessToken,
          });
          assert.equal(pause.status, 200);
          assert.equal((await search("category=graphics-design")).total, 1);
          assert.equal((await api.request("GET", `/api/v1/gigs/${gigs.logo.id}`)).status, 404);
          const foreign = await bob.client.request("PATCH", `/api/v1/gigs/${gigs.web.id}`, {
            token: bob.accessToken,
            body: { title: "Stolen gig title for sure" },
          });
          assert.equal(foreign.status, 403);
          const foreignDelete = await bob.client.request("DELETE", `/api/v1/gigs/${gigs.web.id}`, {
            token: bob.accessToken,
          });
          assert.equal(foreignDelete.status, 403);
          assert.equal(
            (await api.request("GET", `/api/v1/gigs/${gigs.web.id}`)).body.gig.title,
            gigs.web.title,
          );
          const activate = await ada.client.request(
            "POST",
            `/api/v1/gigs/${gigs.logo.id}/activate`,
            { token: ada.accessToken },
          );
          assert.equal(activate.status, 200);
          assert.equal((await search("category=graphics-design")).total, 2);
        },
      );

      await t.step("a buyer saves and unsaves favourites", async () => {
        const save = await bob.client.request("PUT", `/api/v1/gigs/${gigs.web.id}/favorite`, {
          token: bob.accessToken,
        });
        assert.equal(save.status, 204);
        const list = await bob.client.request("GET", "/api/v1/gigs/favorites", {
          token: bob.accessToken,
        });
        assert.deepEqual(list.body.items.map((g: Json) => g.id), [gigs.web.id]);
        const adaList = await ada.client.request("GET", "/api/v1/gigs/favorites", {
          token: ada.accessToken,
        });
        assert.equal(adaList.body.total, 0);
        await bob.client.request("DELETE", `/api/v1/gigs/${gigs.web.id}/favorite`, {
          token: bob.accessToken,
        });
        assert.equal(
          (await bob.client.request("GET", "/api/v1/gigs/favorites", { token: bob.accessToken }))
            .body.total,
          0,
        );
      });

      await t.step("the seller's new display name reaches the search result cards", async () => {
        const rename = await ada.client.request("PATCH", "/api/v1/users/me", {
          token: ada.accessToken,
          body: { displayName: "Ada Designs" },
        });
        assert.equal(rename.status, 200);
        await waitFor(async () => {
          const result = await search("seller=ada");
          return result.items.every((g: Json) => g.seller.displayName === "Ada Designs");
        }, { what: "renamed seller in search" });
      });

      await t.step("bad input is a 4xx problem and changes nothing", async () => {
        const cases: [string, string, Json, number][] = [
          ["GET", "/api/v1/gigs?limit=10000", undefined, 400],
          ["GET", `/api/v1/gigs?q=${"a".repeat(10 * 1024)}`, undefined, 400],
          ["GET", "/api/v1/gigs?minPrice=-5", undefined, 400],
          ["GET", "/api/v1/gigs?category=../../etc", undefined, 400],
          [
            "POST",
            "/api/v1/gigs",
            gigBody("Insecure images everywhere", 1000, { images: ["http://example.com/a.png"] }),
            400,
          ],
          [
            "POST",
            "/api/v1/gigs",
            gigBody("Private network images", 1000, { images: ["https://10.0.0.1/a.png"] }),
            400,
          ],
          ["POST", "/api/v1/gigs", {
            ...gigBody("Rating set by the seller", 1000),
            rating: { average: 5, count: 900 },
          }, 400],
          ["POST", "/api/v1/gigs", {
            ...gigBody("Owner set by the seller", 1000),
            sellerId: bob.user.id,
          }, 400],
          ["PATCH", "/api/v1/users/me", { username: "root", level: "top_rated" }, 400],
        ];
        const before = await search("seller=ada");
        for (const [method, path, body, status] of cases) {
          const res = await ada.client.request(method, path, { token: ada.accessToken, body });
          assert.equal(
            res.status,
            status,
            `${method} ${path.slice(0, 60)}: ${JSON.stringify(res.body).slice(0, 200)}`,
          );
          assert.equal(res.type, "application/problem+json");
        }
        assert.equal((await search("seller=ada")).total, before.total);
        assert.equal((await api.request("GET", "/api/v1/users/ada")).body.username, "ada");
      });
    } catch (error) {
      for (const name of market.fleet.names) {
        console.error(`--- ${name} ---\n${market.fleet.logs(name).slice(-3000)}`);
      }
      throw error;
    } finally {
      await market.close();
    }
  },
});
