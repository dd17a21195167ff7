/**
 * Links users give us (avatars, portfolio items, gig images). The server never fetches them;
 * browsers do. So a link must be https (no mixed content, no `javascript:` or
 * `data:`), carry no credentials, and not point at a loopback, private,
 * link-local or otherwise non-public address, where it could probe a viewer's
 * own network (or, if a future component ever fetched it, ours).
 *
 * The check is on the URL as written, after WHATWG parsing (which turns
 * `https://2130706433/` and `https://0x7f.1/` into `127.0.0.1`). Names are not
 * resolved: a public name pointing at a private address is beyond what a
 * stored link can be checked for; anything that fetches must check again at
 * fetch time.
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";

/** Longest link accepted (a common browser and CDN limit). */
export const MAX_URL_LENGTH = 2048;

// Special-use and internal names (RFC 6761, 6762, 8375, and ICANN's `.internal`).
const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet"];

/** Why `host` (a URL's hostname) is not a public host, or undefined if it is. */
export function nonPublicHostReason(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  const literal = name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  if (ipaddr.isValid(literal)) {
    // Only global unicast is public; ipaddr.js names every special range
    // (private, loopback, linkLocal, uniqueLocal, carrierGradeNat, ipv4Mapped, 6to4…).
    const range = ipaddr.parse(literal).range();
    return range === "unicast" ? undefined : `Must not point at a ${range} address.`;
  }
  if (name === "localhost" || INTERNAL_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
    return "Must not point at a local or internal host.";
  }
  // A single label ("intranet", "db") resolves through local search domains.
  if (!name.includes(".")) return "Must be a public host name.";
  return undefined;
}

/** Why `value` is not an acceptable link, or undefined if it is. */
export function linkProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "Must be an absolute URL.";
  }
  if (url.protocol !== "https:") return "Must be an https URL.";
  if (url.username || url.password) return "Must not contain credentials.";
  return nonPublicHostReason(url.hostname);
}

/** A public https link, stored in its normalized form. */
export const publicHttpsUrl = z.string().trim().max(MAX_URL_LENGTH)
  .superRefine((value, ctx) => {
    const problem = linkProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((value) => new URL(value).href)
  // Percent-encoding can lengthen a link; the stored form obeys the limit too.
  .refine((href) => href.length <= MAX_URL_LENGTH, `Must be at most ${MAX_URL_LENGTH} characters.`);
