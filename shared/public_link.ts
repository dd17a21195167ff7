/**
 * Links users give us (avatars, portfolio items, gig images). The server never fetches them;
 * browsers do. So a link must be https (no mixed content, no `javascript:` or
 * `data:`), carry no credentials, and not point at a loopback, private,
 * link-local or otherwise non-public address, where it could probe a viewer's
 * own network (or, if a future component ever fetched it, ours).
 *
 * The check is on the URL as written, after WHATWG parsing (which turns
 * `https://2130706433/`, `https://0x7f.1/` and `https://0177.0.0.1./` into
 * `127.0.0.1`); ipaddr.js then names the address's range. Names are not
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

// ::/96 holds the deprecated IPv4-compatible addresses (`::127.0.0.1` is `::7f00:1`),
// plus :: and ::1; ipaddr.js names only the last two, so this prefix is checked here.
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/** Why the IP address `literal` is not a public one, or undefined if it is. */
function nonPublicAddressReason(literal: string): string | undefined {
  // An IPv4-mapped address (::ffff:a.b.c.d) is judged as the IPv4 address it reaches.
  // Every other special range, including the ones that wrap an IPv4 address
  // (NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32), is refused whole:
  // only global unicast is public.
  const address = ipaddr.process(literal);
  const range = address.range();
  if (range !== "unicast") return `Must not point at a ${range} address.`;
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).match(IPV4_COMPATIBLE)) {
    return "Must not point at an IPv4-compatible IPv6 address.";
  }
  return undefined;
}

/** Why `host` (a URL's hostname) is not a public host, or undefined if it is. */
export function nonPublicHostReason(host: string): string | undefined {
  // Any number of trailing dots names the same host ("localhost..", "127.0.0.1..").
  const name = host.toLowerCase().replace(/\.+$/, "");
  const literal = name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  if (ipaddr.isValid(literal)) return nonPublicAddressReason(literal);
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
