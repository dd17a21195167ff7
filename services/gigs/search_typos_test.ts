/**
 * Typo tolerance as Elasticsearch's `fuzziness: AUTO` (one edit for words of
 * 3–5 letters, two for longer, a swap of neighbours counting one), exact and
 * completed words ranking above corrections, and `correctedQuery`: over real
 * PostgreSQL through the real app.
 */
import assert from "node:assert/strict";
import { editBudget, editDistance, oneEditVariants } from "./search.ts";
import { gigsFixture } from "./test_support.ts";

Deno.test("edit distance counts a swap of neighbours as one edit, within a budget", () => {
  assert.equal(editDistance("desgin", "design"), 1);
  assert.equal(editDistance("dsegin", "design"), 2);
  assert.equal(editDistance("logo", "lgoo"), 1);
  assert.equal(editDistance("logo", "log"), 1);
  assert.equal(editDistance("logo", "lgo"), 1);
  assert.equal(editDistance("illustration", "ilustratoin"), 2);
  assert.equal(editDistance("abcdef", "zyxwvu", 2), 3);
  assert.deepEqual(["ab", "abc", "abcde", "abcdef"].map(editBudget), [0, 1, 1, 2]);
  assert.ok(oneEditVariants("lgoo").includes("logo"));
  assert.ok(oneEditVariants("desgin").includes("design"));
});

Deno.test("search corrects swaps, deletions, insertions and substitutions within the AUTO budget", async (t) => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    const design = await f.createGig(ada.token, {
      title: "I will design a website layout",
      description: "Pages for shops and portfolios, responsive and accessible.",
      category: "graphics-design",
      subcategory: "web-design",
      tags: ["website", "layout"],
    });
    const logo = await f.createGig(ada.token, {
      title: "I will draw your logo",
      description: "Vector marks for small companies.",
      tags: ["logo", "vector"],
    });
    const illustration = await f.createGig(ada.token, {
      title: "I will paint an illustration",
      description: "Digital paintings for books and games.",
      subcategory: "illustration",
      tags: ["painting"],
    });
    const ids = async (q: string) => {
      const res = await f.call("GET", `?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, q);
      return (res.body.items as { id: string }[]).map((i) => i.id);
    };
    const finds = async (q: string, id: string) =>
      assert.ok((await ids(q)).includes(id), `${q} should find ${id}`);
    const missing = async (q: string, id: string) =>
      assert.ok(!(await ids(q)).includes(id), `${q} should not find ${id}`);

    await t.step(
      "one edit of a 3–5 letter word: swap, deletion, insertion, substitution",
      async () => {
        for (const q of ["lgoo", "olgo", "lgo", "loggo", "lodo", "vectr", "evctor"]) {
          await finds(q, logo.id);
        }
      },
    );
    await t.step("two edits of a longer word, swaps among them", async () => {
      for (const q of ["desgin", "dseign", "web desgin", "website laoyut"]) {
        await finds(q, design.id);
      }
      for (const q of ["illustartion", "ilustratoin", "illsutratio", "paitnign"]) {
        await finds(q, illustration.id);
      }
    });
    await t.step(
      "beyond the budget nothing is corrected: a 4-letter word with 2 edits",
      async () => {
        await missing("olog", logo.id); // two swaps of "logo"
        await missing("lxgx", logo.id);
        await missing("dxsxgx", design.id); // three edits of a 6-letter word
      },
    );
  } finally {
    await f.close();
  }
});

Deno.test("exact and completed words rank above corrections, and a search that finds nothing as typed says what it searched instead", async () => {
  const f = await gigsFixture();
  try {
    const ada = await f.seller("ada");
    // "logs" is one edit from "logos" (as is "logo"); the stem of "logos" is "logo".
    const logs = await f.createGig(ada.token, {
      title: "I will analyse your server logs, logs and more logs",
      description: "Error reports from application output.",
      category: "programming-tech",
      subcategory: "web-development",
      tags: ["logs", "monitoring"],
    });
    // Only its tags have "logo" (weight B below the other's title): ts_rank alone puts it second.
    const logo = await f.createGig(ada.token, {
      title: "I will draw your brand mark",
      description: "Vector marks and vectr sketches for small companies.",
      tags: ["logo", "vector"],
    });
    const search = async (q: string) => {
      const res = await f.call("GET", `?q=${encodeURIComponent(q)}&sort=relevance`);
      assert.equal(res.status, 200, q);
      return res.body as { items: { id: string }[]; correctedQuery: string | null };
    };
    const logos = await search("logos");
    assert.deepEqual(logos.items.map((i) => i.id), [logo.id, logs.id]);
    assert.equal(logos.correctedQuery, null);

    const typo = await search("vectr marks");
    assert.equal(typo.correctedQuery, null, "nothing to announce: vectr is in the description");

    const swapped = await search("brand vetcor");
    assert.equal(swapped.correctedQuery, "brand vector");
    assert.deepEqual(swapped.items.map((i) => i.id), [logo.id]);

    const exact = await search("logo");
    assert.equal(exact.correctedQuery, null);
    const nothing = await search("zzqqxx");
    assert.equal(nothing.correctedQuery, null);
    assert.deepEqual(nothing.items, []);
  } finally {
    await f.close();
  }
});
