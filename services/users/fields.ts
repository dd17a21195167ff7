/**
 * Field rules shared by profile and seller bodies: free text (the kit's `line` and
 * `paragraph`), ISO country codes, language tags and IANA time zones.
 */
import { z } from "zod";

/** Free text follows the kit's one text rule. */
export { line, paragraph } from "@mp/shared/text";

/** ISO 3166-1 alpha-2 country code, as auth accepts it. */
export const countrySchema = z.string().regex(/^[A-Z]{2}$/, "Must be an ISO 3166-1 alpha-2 code.");

/** A BCP 47 language tag of the simple kind: `en`, `pt-BR`. */
export const languageTag = z.string().regex(
  /^[a-z]{2,3}(-[A-Z]{2})?$/,
  "Must be a language tag such as `en` or `pt-BR`.",
);

/** An IANA time zone name the runtime knows, stored in its canonical spelling. */
export const timeZoneSchema = z.string().max(64).transform((value, ctx) => {
  try {
    return new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    ctx.addIssue({ code: "custom", message: "Must be an IANA time zone such as Europe/Berlin." });
    return z.NEVER;
  }
});

/** A year between 1950 and ten years from now (expected graduations). */
export const yearSchema = z.number().int().min(1950).refine(
  (year) => year <= new Date().getUTCFullYear() + 10,
  "Must not be more than ten years ahead.",
);

/** An array whose items are unique by `key` (case-insensitive), reporting the repeated item. */
export function uniqueBy<T>(key: (item: T) => string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const k = key(item).toLowerCase();
      if (seen.has(k)) {
        ctx.addIssue({ code: "custom", path: [index], message: "Must not repeat an item." });
      }
      seen.add(k);
    });
  };
}

/** Rejects an empty PATCH body: it would change nothing. */
export const notEmpty = (value: object) => Object.keys(value).length > 0;
