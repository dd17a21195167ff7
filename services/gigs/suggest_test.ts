/**
 * `GET /api/v1/gigs/suggestions`: prefix completions (tags, categories,
 * titles) before corrections, cacheable, bad input a 400; real PostgreSQL.
 */
import assert from "node:assert/strict";
import { gigsFixture } from "./test_support.ts";

type Answer = {
  query: string;
  suggestions: { kind: string; text: string; correction: boolean; subcategory?: string }[];
};

Deno.test("suggestions complete, then correct, what was typed; bad input is a 400", async (t) => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const gig = await f.createGig(ada.token, {
      title: "I will design a website layout",
      subcategory: "web-design",
      tags: ["website design", "layout"],
    });
    const ask = async (q: string) => {
      const res = await f.call("GET", `/suggestions?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, q);
      assert.equal(res.headers.get("cache-control"), "public, max-age=60");
      return res.body as Answer;
    };
    await t.step("a prefix: the tag, the category and the title it begins", async () => {
      const { suggestions } = await ask("websi");
      assert.deepEqual(suggestions[0], { kind: "tag", text: "website design", correction: false });
      assert.ok(suggestions.some((s) => s.kind === "category" && s.subcategory === "web-design"));
      assert.ok(
        suggestions.some((s) => s.kind === "title" && s.text === gig.title && !s.correction),
      );
      assert.ok(suggestions.length <= 8);
    });
    await t.step("a typo: corrections, after any completion", async () => {
      const { suggestions } = await ask("layuot");
      assert.ok(suggestions.length > 0);
      assert.ok(suggestions.every((s) => s.correction), JSON.stringify(suggestions));
      assert.ok(suggestions.some((s) => s.kind === "tag" && s.text === "layout"));
      assert.ok(suggestions.some((s) => s.kind === "title" && s.text === gig.title));
    });
    await t.step("nothing close: no suggestions", async () => {
      assert.deepEqual((await ask("zzqqxx")).suggestions, []);
    });
    await t.step("empty, too long, NUL or a lone surrogate: 400", async () => {
      const long = "a".repeat(101);
      for (const q of ["", "%20%20", long, "ab%00c", "ab%ED%A0%80", "ab%EF%BF%BDc%ED%B0%80"]) {
        const res = await f.call("GET", `/suggestions?q=${q}`);
        assert.equal(res.status, 400, q);
        assert.match(res.headers.get("content-type") ?? "", /problem\+json/);
      }
      assert.equal((await f.call("GET", "/suggestions")).status, 400);
    });
  } finally {
    await f.close();
  }
});
