/**
 * Suggestions for a search box (`GET /api/v1/gigs/suggestions?q=`): tags,
 * categories and gig titles that complete what was typed, then those that
 * correct it (the corrections of search.ts `planWords`). At most
 * `MAX_SUGGESTIONS`; each read is an index range or a capped index scan.
 */
import { z } from "zod";
import type { Sql, Tx } from "@mp/shared/db";
import { line } from "@mp/shared/text";
import { keywordWords, planWords, tsqueryOf, type WordPlan } from "./search.ts";
import { TAXONOMY } from "./taxonomy.ts";

type Db = Sql | Tx;

/** Longest text suggestions are asked for. */
export const MAX_SUGGEST_LENGTH = 100;
/** Most suggestions answered. */
export const MAX_SUGGESTIONS = 8;

/** Query parameters of the suggestions route. */
export const suggestQuerySchema = z.strictObject({
  q: line(MAX_SUGGEST_LENGTH).meta({
    description: `What was typed so far (1-${MAX_SUGGEST_LENGTH} characters).`,
  }),
});

/** One suggestion. */
export interface Suggestion {
  kind: "tag" | "category" | "title";
  text: string;
  /** True when it corrects what was typed rather than completing it. */
  correction: boolean;
  category?: string;
  subcategory?: string;
  gigId?: string;
}

const words = (text: string) => keywordWords(text);

/** Categories and subcategories each of whose query words begins a word of the name. */
function categories(typed: string[], correction: boolean): Suggestion[] {
  const out: Suggestion[] = [];
  const fits = (name: string) => {
    const own = words(name);
    return typed.every((w) => own.some((o) => o.startsWith(w)));
  };
  for (const c of TAXONOMY) {
    if (fits(c.name)) out.push({ kind: "category", text: c.name, correction, category: c.slug });
    for (const s of c.subcategories) {
      if (fits(s.name)) {
        out.push({
          kind: "category",
          text: s.name,
          correction,
          category: c.slug,
          subcategory: s.slug,
        });
      }
    }
  }
  return out.slice(0, 2);
}

/** Tags that begin with `text`, shortest first. */
async function tags(db: Db, text: string, correction: boolean): Promise<Suggestion[]> {
  const rows = await db<{ tag: string }[]>`select tag from search_tags
    where tag ~>=~ ${text} and tag ~<~ (${text} || chr(1114111))
    order by length(tag), tag limit 4`;
  return rows.map(({ tag }) => ({ kind: "tag", text: tag, correction }));
}

/** Titles of active gigs having every word (as typed or completed) in the title, best rated first. */
async function titles(db: Db, plans: WordPlan[], correction: boolean): Promise<Suggestion[]> {
  const any = tsqueryOf(plans, false);
  if (!any) return [];
  const inTitle = plans.map((p) =>
    `(${[p.word, ...p.completions].map((w) => `${w}:A`).join(" | ")})`
  ).join(" & ");
  const rows = await db<{ id: string; title: string }[]>`
    with m as materialized (
      select id, title, rank_vector, rating_average, rating_count from gigs
      where status = 'active' and search_vector @@ to_tsquery('english', ${any})
      limit 200
    )
    select id, title from m where rank_vector @@ to_tsquery('english', ${inTitle})
    order by rating_average desc nulls last, rating_count desc, id
    limit 3`;
  return rows.map(({ id, title }) => ({ kind: "title", text: title, correction, gigId: id }));
}

/** The suggestions for `q`: completions first, then corrections; at most `MAX_SUGGESTIONS`. */
export async function suggest(
  db: Db,
  q: string,
): Promise<{ query: string; suggestions: Suggestion[] }> {
  const typed = words(q);
  if (typed.length === 0) return { query: q, suggestions: [] };
  const plans = await planWords(db, typed);
  const found: Suggestion[] = [
    ...await tags(db, typed.join(" "), false),
    ...categories(typed, false),
    ...await titles(db, plans, false),
  ];
  if (found.length < MAX_SUGGESTIONS && plans.some((p) => p.corrections.length > 0)) {
    const fixed = plans.map((p) => p.corrections[0] ?? p.word);
    found.push(
      ...await tags(db, fixed.join(" "), true),
      ...categories(fixed, true),
      ...await titles(db, await planWords(db, fixed), true),
    );
  }
  const seen = new Set<string>();
  const suggestions = found.filter((s) => {
    const key = `${s.kind}:${s.text}:${s.subcategory ?? ""}`;
    return seen.has(key) ? false : (seen.add(key), true);
  }).slice(0, MAX_SUGGESTIONS);
  return { query: q, suggestions };
}
