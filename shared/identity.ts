/**
 * The one canonical form of an identity (an email or a username). Auth stores
 * it beside each account and looks accounts up by it; the gateway counts its
 * per-account limits on it. It is computed here only, never in SQL:
 * PostgreSQL's lower() folds "İ" to "i" where JavaScript's toLowerCase() gives
 * "i̇", and that difference let one account be guessed under many counters.
 */
import { caseFold } from "unicode-case-folding";

// Combining marks and default-ignorable code points (zero-width joiners, soft
// hyphens, variation selectors): invisible or decorating, never identifying.
const DROPPED = /[\p{M}\p{Default_Ignorable_Code_Point}]/gu;

function foldOnce(value: string): string {
  const folded = caseFold(value.normalize("NFKC")).normalize("NFD").replace(DROPPED, "");
  return folded.normalize("NFKC").trim();
}

/**
 * The canonical form of an email or username: NFKC (full-width letters and
 * ligatures become plain letters), Unicode full case folding (`ß` → `ss`),
 * combining marks and default-ignorable code points removed (so `İ`, `i` +
 * U+0301 and `i` all end as `i`), surrounding white space trimmed. Two spellings
 * name the same account exactly when their canonical forms are equal.
 * Idempotent: `canonicalIdentity(canonicalIdentity(x)) === canonicalIdentity(x)`.
 *
 * `ı` (dotless i) has no case folding in Unicode, so it stays `ı` and never
 * matches an `i`.
 */
export function canonicalIdentity(value: string): string {
  // Folding can expose something normalisation changes again (and the other
  // way round); repeat until nothing moves. Two rounds suffice in practice.
  let current = foldOnce(value);
  for (let round = 0; round < 4; round++) {
    const next = foldOnce(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}
