/**
 * Who is calling, as far as the network can tell: the client address used for
 * per-IP rate limits and the `X-Forwarded-For` value sent upstream.
 *
 * By default the address is the socket peer (`hono/deno` conninfo) and any
 * `X-Forwarded-For` sent by the client is ignored, because anyone can write
 * that header. With TRUST_PROXY the gateway sits behind exactly one reverse
 * proxy that appends the address it saw, so the last entry is the one to trust.
 */
import type { Context } from "hono";
import { getConnInfo } from "hono/deno";
import { isIP, isIPv4, isIPv6 } from "node:net";

/** The socket peer's address, or undefined when the runtime gave none. */
export function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address || undefined;
  } catch {
    // `c.env` is not a Deno ServeHandlerInfo (e.g. `app.request()` in a test).
    return undefined;
  }
}

function lastForwardedAddress(header: string | undefined): string | undefined {
  const last = header?.split(",").map((part) => part.trim()).filter(Boolean).at(-1);
  return last && isIP(last) ? last : undefined;
}

/** The client's address (see the module comment for when X-Forwarded-For counts). */
export function clientAddress(c: Context, trustProxy: boolean): string {
  const socket = socketAddress(c) ?? "unknown";
  if (!trustProxy) return socket;
  return lastForwardedAddress(c.req.header("x-forwarded-for")) ?? socket;
}

/**
 * The `X-Forwarded-For` to send upstream: the trusted chain plus the socket
 * peer behind a proxy, otherwise just the socket peer (a client's own header
 * is dropped, not passed on).
 */
export function forwardedFor(c: Context, trustProxy: boolean): string {
  const socket = socketAddress(c) ?? "unknown";
  const incoming = c.req.header("x-forwarded-for")?.trim();
  return trustProxy && incoming ? `${incoming}, ${socket}` : socket;
}

function ipv6Groups(ip: string): number[] {
  let address = ip.split("%")[0]; // drop a zone id (fe80::1%eth0)
  const v4 = address.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    address = `${address.slice(0, -v4[0].length)}${((a << 8) | b).toString(16)}:${
      ((c << 8) | d).toString(16)
    }`;
  }
  const [head, tail] = address.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups]
    : headGroups;
  return groups.map((group) => parseInt(group, 16));
}

/**
 * The rate-limit subject for an address. An IPv6 client usually controls a
 * whole /64, so limits apply per /64 prefix; IPv4-mapped IPv6 counts as IPv4.
 */
export function rateLimitSubject(address: string): string {
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address === "unknown" ? address : "invalid";
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join(".");
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(":")}::/64`;
}
