/**
 * The one text rule of every request field: well-formed Unicode (no lone
 * surrogates: PostgreSQL refuses them in jsonb and turns them into U+FFFD in
 * text), no NUL (PostgreSQL refuses it everywhere), and no control characters
 * (C0, DEL, C1) except newline and tab in a multi-line field.
 *
 * `shared/validate.ts` applies the multi-line form to every string of every
 * body, query and path before any schema runs; `line` and `paragraph` are the
 * schemas of free-text fields (a `line` also refuses newline and tab).
 */
import { z } from "zod";

// Every control character: C0 (U+0000–U+001F, NUL included), DEL and C1 (U+0080–U+009F).
const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_NEWLINE_TAB = /(?![\n\t])\p{Cc}/u;

/** Why `value` breaks the text rule, or undefined if it keeps it. */
export function textProblem(value: string, multiline: boolean): string | undefined {
  if (!value.isWellFormed()) return "Must be valid Unicode text (no lone surrogates).";
  // A multi-line field takes CRLF as a newline (browsers send textareas so).
  const bad = multiline
    ? CONTROL_EXCEPT_NEWLINE_TAB.test(value.replaceAll("\r\n", "\n"))
    : CONTROL.test(value);
  if (bad) {
    return multiline
      ? "Must not contain control characters other than newline and tab."
      : "Must not contain control characters (nor line breaks or tabs).";
  }
  return undefined;
}

const keeps = (multiline: boolean) => (value: string, ctx: z.RefinementCtx) => {
  const problem = textProblem(value, multiline);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
};

const bounds = (max: number, min: number) =>
  z.string()
    .min(min, min === 1 ? "Must not be empty." : `Must be at least ${min} characters.`)
    .max(max, `Must be at most ${max} characters.`);

/** One line of free text: trimmed, `min`..`max` characters, no control characters at all. */
export const line = (max: number, min = 1) =>
  z.string().trim().superRefine(keeps(false)).pipe(bounds(max, min));

/**
 * Free text over several lines: CRLF stored as LF, trimmed, `min`..`max`
 * characters; newline and tab are its only control characters.
 */
export const paragraph = (max: number, min = 1) =>
  z.string().transform((value) => value.replaceAll("\r\n", "\n").trim())
    .pipe(z.string().superRefine(keeps(true)))
    .pipe(bounds(max, min));
