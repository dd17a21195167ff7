import assert from "node:assert/strict";
import { gigsFixture, pkg } from "./test_support.ts";

type Fixture = Awaited<ReturnType<typeof gigsFixture>>;
type Card = { id: string; title: string; startingPrice: { amount: number } };

/** A small marketplace: three sellers, six gigs across four categories, some reviews. */
async function marketplace(f: Fixture) {
  const ada = await f.seller("ada");
  const bob = await f.seller("bob", { level: "top_rated" });
  const cat = await f.seller("cat");
  const gig = (token: string, fields: Record<string, unknown>) => f.createGig(token, fields);
  const logo = await gig(ada.token, {
    title: "I will design a modern minimalist logo",
    tags: ["logo", "branding"],
    packages: [pkg("basic", 2500, 3), pkg("premium", 9000, 7)],
  });
  const illustration = await gig(ada.token, {
    title: "I will draw a children's book illustration",
    description: "Hand-drawn illustrations for picture books, colored and print ready.",
    subcategory: "illustration",
    tags: ["illustration", "children book"],
    images: [],
    packages: [pkg("basic", 12000, 10)],
  });
  const website = await gig(bob.token, {
    title: "I will build a responsive website with React",
    description: "A fast, accessible single page application with tests and deployment.",
    category: "programming-tech",
    subcategory: "web-development",
    tags: ["react", "website"],
    packages: [pkg("basic", 30000, 14)],
  });
  const animation = await gig(bob.token, {
    title: "I will create a logo animation intro",
    description: "Your logo comes alive in a short animated intro for videos and streams.",
    category: "video-animation",
    subcategory: "logo-animation",
    tags: ["intro", "animation"],
    packages: [pkg("basic", 6000, 5)],
  });
  const blog = await gig(cat.token, {
    title: "I will write engaging blog posts for your business",
    description: "Researched articles that rank, with a headline that fits your logo and brand.",
    category: "writing-translation",
    subcategory: "articles-blog-posts",
    tags: ["blog", "seo"],
    packages: [pkg("basic", 4000, 2)],
  });
  const translation = await gig(cat.token, {
    title: "I will translate English documents to Spanish",
    description: "Accurate, natural translation of documents by a native speaker.",
    category: "writing-translation",
    subcategory: "translation",
    tags: ["spanish", "translation"],
    packages: [pkg("basic", 1500, 1, "EUR")],
  });
  const review = (gigId: string, rating: number) =>
    f.deliver("review.created", {
      reviewId: crypto.randomUUID(),
      orderId: crypto.randomUUID(),
      gigId,
      reviewerId: crypto.randomUUID(),
      revieweeId: crypto.randomUUID(),
      direction: "buyer_to_seller",
      rating,
      comment: "",
      createdAt: new Date().toISOString(),
    });
  for (const stars of [5, 5, 4]) await review(logo.id, stars);
  await review(website.id, 3);
  await review(animation.id, 5);
  return { ada, bob, cat, logo, illustration, website, animation, blog, translation };
}

const ids = (res: { body: { items: Card[] } }) => res.body.items.map((c) => c.id);

Deno.test("search finds by keyword with title matches first, tolerates typos, matches prefixes, and shows result cards", async () => {
  const f = await gigsFixture();
  try {
    const m = await marketplace(f);
    const logo = await f.call("GET", "?q=logo");
    assert.equal(logo.status, 200);
    // Title matches rank above the blog gig, which only mentions "logo" in its description.
    assert.deepEqual(new Set(ids(logo).slice(0, 2)), new Set([m.logo.id, m.animation.id]));
    assert.equal(ids(logo)[2], m.blog.id);
    assert.equal(logo.body.total, 3);

    const card = logo.body.items.find((c: Card) => c.id === m.logo.id);
    assert.deepEqual(card, {
      id: m.logo.id,
      title: "I will design a modern minimalist logo",
      startingPrice: { amount: 2500, currency: "USD" },
      seller: {
        username: "ada",
        displayName: "Ada Studio",
        level: "level_1",
        avatarUrl: "https://cdn.example.com/avatars/ada.png",
      },
      rating: { average: 4.67, count: 3 },
      image: "https://cdn.example.com/gigs/logo-1.png",
    });
    const noImage = await f.call("GET", "?q=illustration");
    assert.equal(noImage.body.items[0].image, null);

    // Typos: "dezign" is no word of any title or tag, so it is widened to "design".
    const typo = await f.call("GET", "?q=logo%20dezign");
    assert.deepEqual(ids(typo), [m.logo.id]);
    const typo2 = await f.call("GET", `?q=${encodeURIComponent("ilustration")}`);
    assert.deepEqual(ids(typo2), [m.illustration.id]);
    // Prefixes, as typed in a search box.
    assert.deepEqual(ids(await f.call("GET", "?q=illustr")), [m.illustration.id]);
    assert.deepEqual(ids(await f.call("GET", "?q=Transl")), [m.translation.id]);
    // Stemming: "designs" matches "design"; "branding" matches the tag first, then "brand"
    // in the blog gig's description.
    assert.deepEqual(ids(await f.call("GET", "?q=designs")), [m.logo.id]);
    assert.deepEqual(ids(await f.call("GET", "?q=branding")), [m.logo.id, m.blog.id]);
    // Nothing matches: an empty page, not an error.
    const none = await f.call("GET", "?q=zzzzqqq");
    assert.equal(none.status, 200);
    assert.deepEqual(none.body.items, []);
    assert.equal(none.body.total, 0);
    // tsquery operators and punctuation are just separators.
    const operators = await f.call("GET", `?q=${encodeURIComponent("logo & | ! ( ) :* <-> '")}`);
    assert.equal(operators.status, 200);
    assert.equal(operators.body.total, 3);
  } finally {
    await f.close();
  }
});

Deno.test("every filter works alone and combined: category, subcategory, price range, delivery, rating, seller", async () => {
  const f = await gigsFixture();
  try {
    const m = await marketplace(f);
    const get = (query: string) => f.call("GET", `?${query}&sort=price_asc`);
    assert.deepEqual(ids(await get("category=writing-translation")), [m.translation.id, m.blog.id]);
    assert.deepEqual(ids(await get("subcategory=illustration")), [m.illustration.id]);
    assert.deepEqual(
      ids(await get("category=graphics-design&subcategory=logo-design")),
      [m.logo.id],
    );
    // Prices are minor units in each gig's own currency (the EUR gig compares at 1500).
    assert.deepEqual(ids(await get("minPrice=2500&maxPrice=6000")), [
      m.logo.id,
      m.blog.id,
      m.animation.id,
    ]);
    assert.deepEqual(ids(await get("maxPrice=1500")), [m.translation.id]);
    assert.deepEqual(ids(await get("minPrice=10000")), [m.illustration.id, m.website.id]);
    // Delivery: the fastest package counts.
    assert.deepEqual(ids(await get("maxDeliveryDays=3")), [m.translation.id, m.logo.id, m.blog.id]);
    assert.deepEqual(ids(await get("minRating=4.5")), [m.logo.id, m.animation.id]);
    assert.deepEqual(ids(await get("minRating=3")), [m.logo.id, m.animation.id, m.website.id]);
    // Seller by username (any case) or by id.
    assert.deepEqual(ids(await get("seller=BOB")), [m.animation.id, m.website.id]);
    assert.deepEqual(ids(await get(`seller=${m.cat.userId}`)), [m.translation.id, m.blog.id]);
    assert.deepEqual(ids(await get("seller=nobody")), []);

    // Everything at once.
    const combined = await get(
      "q=logo&category=video-animation&minPrice=5000&maxPrice=7000&maxDeliveryDays=5&minRating=4&seller=bob",
    );
    assert.deepEqual(ids(combined), [m.animation.id]);
    const excluded = await get("q=logo&minRating=4&maxDeliveryDays=4");
    assert.deepEqual(ids(excluded), [m.logo.id]);
  } finally {
    await f.close();
  }
});

Deno.test("sorts: relevance, price up and down, rating and newest; the order is total and stable", async () => {
  const f = await gigsFixture();
  try {
    const m = await marketplace(f);
    const sorted = async (sort: string) => ids(await f.call("GET", `?sort=${sort}`));
    assert.deepEqual(await sorted("price_asc"), [
      m.translation.id,
      m.logo.id,
      m.blog.id,
      m.animation.id,
      m.illustration.id,
      m.website.id,
    ]);
    assert.deepEqual(await sorted("price_desc"), (await sorted("price_asc")).reverse());
    // Rating: average first, unrated last (then by id, so pages are stable).
    const rating = await sorted("rating");
    assert.deepEqual(rating.slice(0, 3), [m.animation.id, m.logo.id, m.website.id]);
    assert.deepEqual(
      new Set(rating.slice(3)),
      new Set([m.illustration.id, m.blog.id, m.translation.id]),
    );
    assert.deepEqual(await sorted("newest"), [
      m.translation.id,
      m.blog.id,
      m.animation.id,
      m.website.id,
      m.illustration.id,
      m.logo.id,
    ]);
    // Relevance without keywords is the rating order; with keywords, best match first.
    assert.deepEqual(await sorted("relevance"), rating);
    assert.deepEqual(ids(await f.call("GET", "?q=logo&sort=price_desc")), [
      m.animation.id,
      m.blog.id,
      m.logo.id,
    ]);
  } finally {
    await f.close();
  }
});

Deno.test("totals and category facets: facets ignore the category filter, totals respect every filter, pages partition the results", async () => {
  const f = await gigsFixture();
  try {
    await marketplace(f);
    const all = await f.call("GET", "");
    assert.equal(all.body.total, 6);
    assert.deepEqual(all.body.facets.categories, [
      { slug: "graphics-design", count: 2 },
      { slug: "writing-translation", count: 2 },
      { slug: "programming-tech", count: 1 },
      { slug: "video-animation", count: 1 },
    ]);
    assert.equal(all.body.page, 1);
    assert.equal(all.body.limit, 20);

    const inCategory = await f.call("GET", "?category=writing-translation");
    assert.equal(inCategory.body.total, 2);
    assert.deepEqual(inCategory.body.facets.categories, all.body.facets.categories);
    assert.deepEqual(inCategory.body.facets.subcategories, [
      { slug: "articles-blog-posts", count: 1 },
      { slug: "translation", count: 1 },
    ]);

    const keyword = await f.call("GET", "?q=logo&category=video-animation");
    assert.equal(keyword.body.total, 1);
    assert.deepEqual(keyword.body.facets.categories, [
      { slug: "graphics-design", count: 1 },
      { slug: "video-animation", count: 1 },
      { slug: "writing-translation", count: 1 },
    ]);
    const priced = await f.call("GET", "?maxPrice=5000&subcategory=translation");
    assert.equal(priced.body.total, 1);
    assert.deepEqual(priced.body.facets.categories, [
      { slug: "writing-translation", count: 2 },
      { slug: "graphics-design", count: 1 },
    ]);

    const seen: string[] = [];
    for (const page of [1, 2, 3, 4]) {
      const res = await f.call("GET", `?sort=newest&limit=2&page=${page}`);
      assert.equal(res.body.total, 6);
      assert.equal(res.body.limit, 2);
      assert.equal(res.body.items.length, page <= 3 ? 2 : 0);
      seen.push(...ids(res));
    }
    assert.equal(new Set(seen).size, 6);
    assert.deepEqual(seen, ids(await f.call("GET", "?sort=newest")));
    assert.equal((await f.call("GET", "?limit=50")).body.items.length, 6);
  } finally {
    await f.close();
  }
});

Deno.test("paused and deleted gigs leave search, totals, facets and category counts; activating brings a gig back", async () => {
  const f = await gigsFixture();
  try {
    const m = await marketplace(f);
    assert.equal((await f.call("GET", "?q=logo")).body.total, 3); // cached now
    await f.call("POST", `/${m.logo.id}/pause`, undefined, m.ada.token);
    await f.call("DELETE", `/${m.animation.id}`, undefined, m.bob.token);

    const logo = await f.call("GET", "?q=logo");
    assert.deepEqual(ids(logo), [m.blog.id]);
    assert.equal(logo.body.total, 1);
    const all = await f.call("GET", "");
    assert.equal(all.body.total, 4);
    assert.ok(!ids(all).includes(m.logo.id) && !ids(all).includes(m.animation.id));
    assert.deepEqual(all.body.facets.categories.map((c: { slug: string }) => c.slug), [
      "writing-translation",
      "graphics-design",
      "programming-tech",
    ]);
    assert.deepEqual(ids(await f.call("GET", "?seller=ada")), [m.illustration.id]);
    const categories = await f.call("GET", "/categories");
    const video = categories.body.categories.find((c: { slug: string }) =>
      c.slug === "video-animation"
    );
    assert.equal(video.count, 0);

    await f.call("POST", `/${m.logo.id}/activate`, undefined, m.ada.token);
    assert.deepEqual(ids(await f.call("GET", "?q=logo")), [m.logo.id, m.blog.id]);
  } finally {
    await f.close();
  }
});

Deno.test("bad search parameters are 400 problems: page size 10,000, a 10 KB query, negative price, malformed category, unknown sort or parameter", async () => {
  const f = await gigsFixture();
  try {
    await marketplace(f);
    const cases: [string, string][] = [
      ["page size 10,000", "limit=10000"],
      ["page size 51", "limit=51"],
      ["page size 0", "limit=0"],
      ["10 KB query", `q=${"a".repeat(10_240)}`],
      ["201 characters", `q=${"a".repeat(201)}`],
      ["negative minPrice", "minPrice=-100"],
      ["negative maxPrice", "maxPrice=-1"],
      ["fractional price", "minPrice=10.5"],
      ["exponent price", "maxPrice=1e3"],
      ["min above max", "minPrice=500&maxPrice=100"],
      ["malformed category", "category=Graphics%20Design"],
      ["injected category", "category=graphics-design'--"],
      ["mismatched subcategory", "category=business&subcategory=seo"],
      ["unknown subcategory", "subcategory=logos"],
      ["unknown sort", "sort=cheapest"],
      ["sql sort", "sort=price_asc;drop%20table%20gigs"],
      ["unknown parameter", "color=red"],
      ["mass-assigned filter", "status=deleted"],
      ["repeated parameter", "category=business&category=music-audio"],
      ["rating above 5", "minRating=6"],
      ["rating not a number", "minRating=high"],
      ["zero delivery", "maxDeliveryDays=0"],
      ["bad seller", "seller=a;b"],
      ["page 0", "page=0"],
      ["page too deep", "page=501&limit=20"],
      ["page not a number", "page=two"],
    ];
    for (const [what, query] of cases) {
      const res = await f.call("GET", `?${query}`);
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.type, "application/problem+json", what);
      assert.ok(res.body.errors.length > 0, what);
    }
    const deep = await f.call("GET", "?limit=10000");
    assert.equal(deep.body.errors[0].pointer, "#/limit");
    // The deepest allowed page is fine (and empty).
    const last = await f.call("GET", "?page=500&limit=20");
    assert.equal(last.status, 200);
    assert.deepEqual(last.body.items, []);
    assert.equal(last.body.total, 6);
  } finally {
    await f.close();
  }
});
