import assert from "node:assert/strict";
import { SERVICE_CONTENT } from "../scripts/seed_catalog.ts";
import { normalizeSearch, searchQuerySchema } from "../services/gigs/search.ts";
import { TAXONOMY } from "../services/gigs/taxonomy.ts";
import { taxonomyOf } from "./gig_catalog.ts";
import { QUERY_KINDS, searchMix } from "./gig_queries.ts";

const taxonomy = taxonomyOf(TAXONOMY.map((c) => ({ ...c, subcategories: [...c.subcategories] })));
const options = {
  seed: 7,
  count: 3_000,
  taxonomy,
  sellers: ["bench_seller_0001", "bench_seller_0002"],
  hotShare: 0.2,
  hotQueries: 40,
};

Deno.test("searchMix() gives the same list for the same seed and another for another seed", () => {
  assert.deepEqual(searchMix(options), searchMix(options));
  assert.notDeepEqual(searchMix(options), searchMix({ ...options, seed: 8 }));
});

Deno.test("searchMix() asks every kind, each a search the service accepts, keyed as it caches it", () => {
  const mix = searchMix(options);
  assert.deepEqual(new Set(mix.map((r) => r.kind)), new Set(QUERY_KINDS));
  for (const request of mix) {
    const url = new URL(request.path, "http://gateway");
    assert.equal(url.pathname, "/api/v1/gigs");
    const params = Object.fromEntries(url.searchParams);
    const parsed = searchQuerySchema.safeParse(params);
    assert.ok(parsed.success, `${request.path}: ${JSON.stringify(parsed.error?.issues)}`);
    assert.equal(request.key, JSON.stringify(normalizeSearch(parsed.data)));
  }
});

Deno.test("searchMix() repeats its popular queries; most requests are distinct searches", () => {
  const mix = searchMix(options);
  const hot = mix.filter((r) => r.hot).length / mix.length;
  assert.ok(hot > 0.15 && hot < 0.25, `hot share ${hot}`);
  assert.ok(new Set(mix.filter((r) => r.hot).map((r) => r.key)).size <= options.hotQueries);
  assert.ok(new Set(mix.map((r) => r.key)).size / mix.length > 0.5);
});

Deno.test("searchMix() misspells a catalog word in every typo query", () => {
  const words = new Set(
    Object.values(SERVICE_CONTENT).flatMap((s) => s.tags.flatMap((tag) => tag.split(" "))),
  );
  const typos = searchMix(options).filter((r) => r.kind === "typo");
  assert.ok(typos.length > 100);
  for (const request of typos) {
    const q = new URL(request.path, "http://gateway").searchParams.get("q")!;
    const typed = q.split(" ").at(-1)!;
    assert.ok(!words.has(typed), `${typed} is a word of the catalog`);
  }
});
