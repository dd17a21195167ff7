/**
 * The demo data is deterministic and valid: the same index always gives the
 * same account or gig, whatever else was generated before, and every body
 * passes the very schemas the services validate with (so the seed never meets
 * a 400 of its own making).
 */
import assert from "node:assert/strict";
import { gigCreateSchema } from "../services/gigs/gig.ts";
import { TAXONOMY } from "../services/gigs/taxonomy.ts";
import { profilePatchSchema } from "../services/users/profile.ts";
import { sellerCreateSchema } from "../services/users/seller.ts";
import { MAX_BODY_CHARS, MAX_OFFER_DESCRIPTION, OFFER_LIMITS } from "../services/chat/app.ts";
import { defaultSellers, parseCommandLine } from "./seed.ts";
import { planConversation } from "./seed_chat.ts";
import {
  gigCountOf,
  IMAGE_HOST,
  planBuyer,
  planSeller,
  planSellerGigs,
  type Taxonomy,
  usernameOf,
} from "./seed_data.ts";

const taxonomy: Taxonomy = {
  categories: TAXONOMY.map((c) => ({
    slug: c.slug,
    name: c.name,
    subcategories: c.subcategories.map((s) => ({ ...s })),
  })),
};

// auth's rule (services/auth/README.md): 3–30 letters, digits, underscores, starting with a letter.
const USERNAME = /^[A-Za-z][A-Za-z0-9_]{2,29}$/;

Deno.test("an account or gig depends only on its index, not on what was generated before", () => {
  const first = planSeller("seed", 7, taxonomy);
  const gigsFirst = planSellerGigs(first, 20, 300, taxonomy);
  for (let i = 0; i < 30; i++) planBuyer("seed", i); // move the generator along
  planSellerGigs(planSeller("seed", 3, taxonomy), 20, 300, taxonomy);
  assert.deepEqual(planSeller("seed", 7, taxonomy), first);
  assert.deepEqual(planSellerGigs(first, 20, 300, taxonomy), gigsFirst);
  assert.deepEqual(planBuyer("seed", 4), planBuyer("seed", 4));
});

Deno.test("more gigs over the same sellers keep the earlier gigs as they were", () => {
  const seller = planSeller("seed", 2, taxonomy);
  const fewer = planSellerGigs(seller, 20, 100, taxonomy);
  const more = planSellerGigs(seller, 20, 1000, taxonomy);
  assert.deepEqual(more.slice(0, fewer.length), fewer);
});

Deno.test("usernames come from the prefix and a 1-based index, and suit auth's rule", () => {
  assert.equal(usernameOf("seed", "seller", 0), "seed_seller_0001");
  assert.equal(usernameOf("seed", "buyer", 41), "seed_buyer_0042");
  assert.equal(usernameOf("seed", "seller", 99_999), "seed_seller_100000");
  assert.match(usernameOf("abcdefghijklmn", "seller", 999_999), USERNAME);
  const buyer = planBuyer("demo", 0);
  assert.equal(buyer.username, "demo_buyer_0001");
  assert.equal(buyer.email, "demo_buyer_0001@example.com");
});

Deno.test("profiles, seller profiles and gigs pass the services' own validation", () => {
  for (let i = 0; i < 60; i++) {
    const buyer = planBuyer("seed", i);
    assert.match(buyer.username, USERNAME);
    const profile = profilePatchSchema.safeParse(buyer.profile);
    assert.ok(profile.success, `buyer ${i}: ${JSON.stringify(profile.error?.issues)}`);
  }
  for (let s = 0; s < 40; s++) {
    const seller = planSeller("seed", s, taxonomy);
    const profile = profilePatchSchema.safeParse(seller.profile);
    assert.ok(profile.success, `seller ${s} profile: ${JSON.stringify(profile.error?.issues)}`);
    const sellerBody = sellerCreateSchema.safeParse(seller.seller);
    assert.ok(sellerBody.success, `seller ${s}: ${JSON.stringify(sellerBody.error?.issues)}`);
    for (const gig of planSellerGigs(seller, 40, 1200, taxonomy)) {
      const parsed = gigCreateSchema.safeParse(gig.body);
      assert.ok(parsed.success, `gig ${gig.index}: ${JSON.stringify(parsed.error?.issues)}`);
      // The service stores what was sent: titles are compared verbatim on reruns.
      assert.equal(parsed.data.title, gig.body.title);
      assert.ok(gig.body.images.every((url) => url.startsWith(`${IMAGE_HOST}/`)));
    }
  }
});

Deno.test("gigs look like a marketplace's: priced tiers, mostly USD, in the seller's category", () => {
  const gigs = Array.from({ length: 20 }, (_, s) => planSeller("seed", s, taxonomy)).flatMap((
    seller,
  ) => planSellerGigs(seller, 20, 400, taxonomy).map((gig) => ({ seller, gig: gig.body })));
  assert.equal(gigs.length, 400);
  const usd = gigs.filter(({ gig }) => gig.packages[0].price.currency === "USD").length;
  assert.ok(usd > 400 * 0.6, `only ${usd} of 400 gigs in USD`);
  const own = gigs.filter(({ seller, gig }) => gig.category === seller.category).length;
  assert.ok(own > 400 * 0.75, `only ${own} of 400 gigs in the seller's category`);
  for (const { gig } of gigs) {
    assert.ok(gig.title.startsWith("I will "), gig.title);
    const prices = gig.packages.map((p) => p.price.amount);
    assert.deepEqual(prices, [...prices].sort((a, b) => a - b), `${gig.title}: tiers by price`);
    assert.ok(prices.every((p) => p >= 500 && p % 100 === 0), `${gig.title}: whole prices`);
    const days = gig.packages.map((p) => p.deliveryDays);
    assert.deepEqual(days, [...days].sort((a, b) => a - b), `${gig.title}: tiers by days`);
  }
  assert.ok(new Set(gigs.map(({ gig }) => gig.subcategory)).size > 25, "subcategories covered");
});

Deno.test("a seller's gig titles are unique, even with many gigs per seller", () => {
  const seller = planSeller("seed", 0, taxonomy);
  const gigs = planSellerGigs(seller, 1, 400, taxonomy);
  assert.equal(gigs.length, 400);
  assert.equal(new Set(gigs.map((g) => g.body.title.toLowerCase())).size, 400);
});

Deno.test("gigs are dealt round-robin: the counts per seller add up to the total", () => {
  for (const [sellers, gigs] of [[20, 100], [3, 12], [7, 5], [5000, 100_000], [20, 0]]) {
    let sum = 0;
    for (let s = 0; s < sellers; s++) {
      const count = gigCountOf(s, sellers, gigs);
      sum += count;
      if (sellers * gigs <= 2000) {
        const plans = planSellerGigs(planSeller("seed", s, taxonomy), sellers, gigs, taxonomy);
        assert.equal(plans.length, count);
        assert.ok(plans.every((g) => g.index % sellers === s));
      }
    }
    assert.equal(sum, gigs, `${sellers} sellers, ${gigs} gigs`);
  }
  assert.equal(defaultSellers(100), 20);
  assert.equal(defaultSellers(100_000), 5000);
});

Deno.test("the command line: defaults, the GATEWAY_PORT default, a leading --, bad numbers", () => {
  const defaults = parseCommandLine([], {});
  assert.ok(defaults !== "help");
  assert.equal(defaults.gateway, "http://127.0.0.1:8000");
  assert.equal(defaults.mailApi, "http://127.0.0.1:8025/api/mails");
  assert.equal(defaults.buyers, 50);
  assert.equal(defaults.gigs, 100);
  assert.equal(defaults.sellers, undefined);
  assert.equal(defaults.conversations, 10);
  const custom = parseCommandLine(
    ["--", "--gigs", "300", "--users", "5", "--sellers", "3", "--conversations", "4"],
    { GATEWAY_PORT: "9000" },
  );
  assert.ok(custom !== "help");
  assert.equal(custom.gateway, "http://127.0.0.1:9000");
  assert.deepEqual([custom.gigs, custom.buyers, custom.sellers, custom.conversations], [
    300,
    5,
    3,
    4,
  ]);
  assert.equal(parseCommandLine(["-h"]), "help");
  for (
    const bad of [
      ["--gigs", "-1"],
      ["--gigs", "1.5"],
      ["--gigs", "lots"],
      ["--conversations", "-2"],
      ["--frobnicate"],
    ]
  ) {
    assert.throws(() => parseCommandLine(bad), Error, bad.join(" "));
  }
  assert.throws(() => parseCommandLine(["--concurrency", "0"]), /at least 1/);
});

Deno.test("conversations pair buyer i with seller i mod sellers (those with gigs), deterministically, within chat's limits", () => {
  // 3 sellers and 2 gigs: the third seller has none and talks to nobody.
  const sellers = [0, 1, 2].map((s) => {
    const plan = planSeller("seed", s, taxonomy);
    return { plan, gigs: planSellerGigs(plan, 3, 2, taxonomy) };
  });
  const plans = [0, 1, 2, 3].map((i) => planConversation(i, planBuyer("seed", i), sellers));
  assert.deepEqual(plans.map((p) => p.seller.username), [
    usernameOf("seed", "seller", 0),
    usernameOf("seed", "seller", 1),
    usernameOf("seed", "seller", 0),
    usernameOf("seed", "seller", 1),
  ]);
  assert.deepEqual(planConversation(2, planBuyer("seed", 2), sellers), plans[2]);
  const clientIds = plans.flatMap((p) => p.messages.map((m) => m.clientId));
  assert.equal(new Set(clientIds).size, clientIds.length, "every message has its own clientId");
  for (const plan of plans) {
    assert.equal(plan.gig, sellers[plan.index % 2].gigs[0]);
    assert.deepEqual(plan.messages.map((m) => m.from), ["buyer", "seller", "buyer", "seller"]);
    for (const message of plan.messages) {
      assert.match(message.clientId, /^[\x21-\x7E]{1,100}$/);
      assert.ok(!message.clientId.startsWith("offer:"));
      assert.ok(message.body.length >= 1 && message.body.length <= MAX_BODY_CHARS);
    }
    const { offer } = plan;
    const basic = plan.gig.body.packages[0];
    assert.equal(offer.price.currency, basic.price.currency, "the gig's currency");
    assert.ok(offer.price.amount > basic.price.amount);
    assert.ok(offer.price.amount <= OFFER_LIMITS.maxAmount);
    assert.ok(offer.deliveryDays >= 1 && offer.deliveryDays <= OFFER_LIMITS.maxDeliveryDays);
    assert.ok(offer.revisions >= 0 && offer.revisions <= OFFER_LIMITS.maxRevisions);
    assert.ok(offer.expiresInDays >= 1 && offer.expiresInDays <= OFFER_LIMITS.maxExpiresInDays);
    assert.ok(offer.description.length <= MAX_OFFER_DESCRIPTION);
  }
  assert.throws(
    () => planConversation(0, planBuyer("seed", 0), [{ ...sellers[2] }]),
    /a seller with a gig/,
  );
});
