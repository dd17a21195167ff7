/**
 * Field rules shared by profile and seller bodies: bounded, trimmed text without
 * control characters, ISO country codes, language tags and IANA time zones.
 */
import { z } from "zod";

// Control characters (C0, DEL, C1); multi-line text keeps \n and \t (CRLF becomes LF first).
const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_NEWLINES = /(?![\n\t])\p{Cc}/u;

// A lone surrogate (e.g. "\uD800" in JSON) is not text: PostgreSQL refuses it inside jsonb,
// and it would turn into U+FFFD in a text column.
const isWellFormed = (value: string) => value.isWellFormed();
const NOT_UNICODE = "Must be valid Unicode text.";

/** One line of text: trimmed, 1..`max` characters, no control characters. */
export const line = (max: number) =>
  z.string().trim().min(1, "Must not be empty.").max(max, `Must be at most ${max} characters.`)
    .refine(isWellFormed, NOT_UNICODE)
    .refine((value) => !CONTROL.test(value), "Must not contain control characters.");

/** Free text over several lines: trimmed, at most `max` characters, CRLF stored as LF. */
export const paragraph = (max: number, min = 0) =>
  z.string().transform((value) => value.replaceAll("\r\n", "\n").trim())
    .pipe(
      z.string().min(min, `Must be at least ${min} characters.`)
        .max(max, `Must be at most ${max} characters.`)
        .refine(isWellFormed, NOT_UNICODE)
        .refine(
          (value) => !CONTROL_EXCEPT_NEWLINES.test(value),
          "Must not contain control characters.",
        ),
    );

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
