import assert from "node:assert/strict";
import { editedRequirementIds, gigCreateSchema, packageSummary } from "./gig.ts";
import { keywordWords, MAX_WORDS } from "./search.ts";
import { belongsTo, categoryOf, isCategory, TAXONOMY } from "./taxonomy.ts";
import { gigBody, pkg } from "./test_support.ts";
import { linkProblem as imageUrlProblem } from "@mp/shared/public_link";
import { AppError } from "@mp/shared/problem";

Deno.test("imageUrlProblem() accepts public https links and names what is wrong with any other", () => {
  for (
    const ok of [
      "https://cdn.example.com/a.png",
      "https://images.example.co.uk:8443/x/y.webp?size=2",
      "https://8.8.8.8/a.png",
      "https://[2001:4860:4860::8888]/a.png",
    ]
  ) assert.equal(imageUrlProblem(ok), undefined, ok);
  const cases: [string, RegExp][] = [
    ["http://cdn.example.com/a.png", /https/],
    ["ftp://cdn.example.com/a.png", /https/],
    ["not a url", /absolute/],
    ["https://user@cdn.example.com/a.png", /credentials/],
    ["https://10.1.2.3/", /private/],
    ["https://100.64.0.1/", /carrierGradeNat/],
    ["https://127.0.0.2/", /loopback/],
    ["https://0.0.0.0/", /unspecified/],
    ["https://169.254.169.254/", /linkLocal/],
    ["https://[::1]/", /loopback/],
    ["https://[fd00::1]/", /uniqueLocal/],
    ["https://[::ffff:192.168.0.1]/", /private/], // judged as the IPv4 address it reaches
    ["https://017700000001/", /loopback/], // octal 127.0.0.1 after WHATWG parsing
    ["https://LOCALHOST./", /local/],
    ["https://printer.local/", /local/],
    ["https://db/", /public host/],
  ];
  for (const [url, problem] of cases) assert.match(imageUrlProblem(url) ?? "", problem, url);
});

Deno.test("gigCreateSchema orders packages by tier, normalizes tags and rejects cross-field mistakes", () => {
  const parsed = gigCreateSchema.parse(gigBody({
    packages: [pkg("premium", 900, 9), pkg("basic", 100, 2)],
    tags: ["  Logo   Design "],
  }));
  assert.deepEqual(parsed.packages.map((p) => p.tier), ["basic", "premium"]);
  assert.deepEqual(parsed.tags, ["logo design"]);
  assert.equal(parsed.requirements[0].required, true);

  const issues = (body: Record<string, unknown>) =>
    gigCreateSchema.safeParse(body).error?.issues.map((i) => `${i.path.join("/")}: ${i.message}`) ??
      [];
  assert.deepEqual(issues(gigBody({ subcategory: "seo" })), [
    "subcategory: Must be a subcategory of graphics-design.",
  ]);
  assert.deepEqual(
    issues(gigBody({ packages: [pkg("basic", 1, 1), pkg("premium", 2, 1, "EUR")] })),
    [
      "packages/1/price/currency: Every package of a gig must use the same currency.",
    ],
  );
  assert.deepEqual(issues(gigBody({ packages: [pkg("standard", 1, 1)] })), [
    "packages: The basic package is required.",
  ]);
  assert.deepEqual(issues(gigBody({ tags: ["logo", "LOGO"] })), ["tags/1: Duplicate tag."]);
  assert.deepEqual(
    issues(gigBody({ requirements: [{ question: "Which?", type: "text", choices: ["a", "b"] }] })),
    [
      "requirements/0/choices: Only a choice question has choices.",
    ],
  );
});

Deno.test("packageSummary() takes the cheapest price and the fastest delivery, whichever packages they are in", () => {
  const summary = packageSummary([
    { ...pkg("basic", 3000, 2), features: [] },
    { ...pkg("standard", 2000, 5), features: [] },
  ] as never);
  assert.deepEqual(summary, { startingPrice: 2000, currency: "USD", minDeliveryDays: 2 });
});

Deno.test("editedRequirementIds() keeps known ids, gives new questions fresh ones and refuses foreign ids", () => {
  const current = [{
    id: crypto.randomUUID(),
    question: "Name?",
    required: true,
    type: "text" as const,
  }];
  const [kept, added] = editedRequirementIds([
    { id: current[0].id, question: "Full name?", required: true, type: "text" },
    { question: "Colour?", required: false, type: "text" },
  ], current);
  assert.equal(kept.id, current[0].id);
  assert.match(added.id, /^[0-9a-f-]{36}$/);
  assert.throws(
    () =>
      editedRequirementIds([{
        id: crypto.randomUUID(),
        question: "?",
        required: true,
        type: "text",
      }], current),
    (error: unknown) => error instanceof AppError && error.status === 400,
  );
});

Deno.test("keywordWords() keeps only letters and digits, lower-cased, and at most MAX_WORDS words", () => {
  assert.deepEqual(keywordWords("Logo & DESIGN | !x:* <-> 'café' 3d"), [
    "logo",
    "design",
    "x",
    "café",
    "3d",
  ]);
  assert.deepEqual(keywordWords("!!! ::: ''"), []);
  assert.equal(keywordWords("a ".repeat(50)).length, MAX_WORDS);
});

Deno.test("the taxonomy has unique kebab-case slugs and every subcategory maps back to its category", () => {
  const slugs = TAXONOMY.flatMap((c) => [c.slug, ...c.subcategories.map((s) => s.slug)]);
  assert.equal(new Set(slugs).size, slugs.length);
  for (const slug of slugs) assert.match(slug, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  for (const category of TAXONOMY) {
    assert.ok(isCategory(category.slug));
    for (const sub of category.subcategories) {
      assert.equal(categoryOf(sub.slug), category.slug);
      assert.ok(belongsTo(category.slug, sub.slug));
    }
  }
  assert.equal(isCategory("logo-design"), false);
  assert.equal(categoryOf("graphics-design"), undefined);
});

Deno.test("gigCreateSchema refuses NUL, lone surrogates and control characters in every text field", () => {
  const withText = (field: string, text: string) => {
    const body = gigBody({
      requirements: [{ question: "Brand name?" }],
      faq: [{ question: "Vectors?", answer: "Always." }],
    }) as Record<string, unknown> & { packages: Record<string, unknown>[] };
    const [group, key] = field.split(".");
    if (group === "packages") body.packages[0] = { ...body.packages[0], [key]: text };
    else if (key) (body[group] as Record<string, unknown>[])[0][key] = text;
    else body[group] = text;
    return body;
  };
  const fields = [
    "title",
    "description",
    "packages.name",
    "packages.description",
    "requirements.question",
    "faq.question",
    "faq.answer",
  ];
  for (const field of fields) {
    // PostgreSQL refuses NUL anywhere and a lone surrogate inside jsonb (packages, FAQ…).
    for (const bad of ["nul \u0000 inside", "lone \ud800 surrogate", "c1 \u0085 control"]) {
      const result = gigCreateSchema.safeParse(withText(field, `${bad} of a long enough text`));
      assert.equal(result.success, false, `${field}: ${JSON.stringify(bad)}`);
    }
  }
  // Newlines: only the multi-line fields keep them.
  const multiLine = ["description", "packages.description", "requirements.question", "faq.answer"];
  for (const field of fields) {
    const result = gigCreateSchema.safeParse(
      withText(field, "Two lines of text,\nboth long enough"),
    );
    assert.equal(result.success, multiLine.includes(field), field);
  }
});
