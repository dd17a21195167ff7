/**
 * Typo tolerance as Elasticsearch's `fuzziness: AUTO` (one edit for words of
 * 3–5 letters, two for longer, a swap of neighbours counting one), exact and
 * completed words ranking above corrections, and `correctedQuery`: over real
 * PostgreSQL through the real app.
 */
import assert from "node:assert/strict";
import { deletionVariants, editBudget, editDistance, oneEditVariants } from "./search.ts";
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

Deno.test("a word's deletion keys are its deletions of up to two characters, 4+ long", () => {
  assert.deepEqual(deletionVariants("abc"), []);
  assert.deepEqual(deletionVariants("abcd"), ["abcd"]);
  const five = ["abcd", "abcde", "abce", "abde", "acde", "bcde"];
  assert.deepEqual(deletionVariants("abcde").sort(), five);
  const keys = deletionVariants("strategy");
  assert.equal(keys.length, new Set(keys).size);
  // 1 + 8 + 28 positions, fewer where a repeated letter gives the same string.
  assert.ok(keys.length <= 37 && keys.includes("strategy") && keys.includes("stratgy"));
  assert.ok(keys.includes("stategy") && keys.includes("srategy") && keys.includes("strate"));
  // A typo two edits away shares a key with the word ("stkatgey": a substitution, a swap).
  const typo = new Set(deletionVariants("stkatgey"));
  assert.ok(keys.some((k) => typo.has(k)));
  assert.ok(deletionVariants("ünïcödé").includes("nïcöd"), "characters are code points");
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
    const packaging = await f.createGig(ada.token, {
      title: "I will optimize detailed packaging and financial strategy",
      description: "Animated mockups; coaching for your team included.",
      tags: ["animated", "coaching", "ünïcödé"],
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
      "two edits of any kind, however few trigrams the typo keeps (gig_typos misses)",
      async () => {
        // Each shares under 0.3 of its trigrams with the word it misspells (0.12
        // for "stkatgey"), and none is two swaps or deletions of the typo.
        const typos: [string, string][] = [
          ["ptckaeing", "packaging"], // two substitutions
          ["stkatgey", "strategy"], // a swap and a substitution
          ["coahig", "coaching"], // two deletions
          ["dtawled", "detailed"], // a deletion and a substitution
          ["fnnacial", "financial"], // a deletion and a swap
          ["aimjated", "animated"], // a deletion and an insertion
          ["opitmze", "optimize"], // a swap and a deletion
        ];
        for (const [typo, word] of typos) {
          assert.equal(editDistance(typo, word), 2, `${typo} is two edits from ${word}`);
          await finds(typo, packaging.id);
        }
        // The trigger stored each known word under the keys the query side makes.
        for (const term of ["strategy", "packaging", "ünïcödé"]) {
          const rows = await f.db.sql<{ key: string }[]>`
            select key from search_term_deletions where term = ${term}`;
          assert.deepEqual(rows.map((r) => r.key).sort(), deletionVariants(term).sort(), term);
        }
      },
    );
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
