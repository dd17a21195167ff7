/**
 * The route table: which upstream service serves which public path prefix.
 * A service added later takes one line in `upstreamsFrom` (with its optional
 * `<NAME>_URL` in config.ts) and one line per prefix in `ROUTES`.
 */
import type { GatewayConfig } from "./config.ts";
import { parseOrigins, UpstreamPool, type UpstreamPoolOptions } from "./upstream_pool.ts";

/** An upstream service the gateway forwards to. */
export interface Upstream {
  /** Short name, used in logs and in /readyz (never its address). */
  name: string;
  /**
   * Its replicas (scheme://host:port each; requests keep their own path and query),
   * balanced and health-checked by the pool.
   */
  replicas: UpstreamPool;
  /** Whether the client's Cookie header goes to it and its Set-Cookie comes back. */
  cookies: boolean;
}

/**
 * A public path and the service behind it: a prefix (itself and anything below
 * it), or, for paths nested inside another service's area, a pattern.
 */
export type Route =
  | { prefix: string; service: string }
  | { pattern: RegExp; service: string };

// One path segment: an id or a username, never a slash.
const SEGMENT = "[^/]+";

/** Public paths, each served by one service. The first match wins: patterns come first. */
export const ROUTES: readonly Route[] = [
  // Reviews live under other services' areas.
  { pattern: new RegExp(`^/api/v1/orders/${SEGMENT}/reviews$`), service: "reviews" },
  { pattern: new RegExp(`^/api/v1/users/${SEGMENT}/reviews$`), service: "reviews" },
  { pattern: new RegExp(`^/api/v1/gigs/${SEGMENT}/reviews$`), service: "reviews" },
  // Money belongs to orders, even under the seller's area.
  {
    pattern: /^\/api\/v1\/sellers\/me\/(balance|payouts|payment-account)(\/.*)?$/,
    service: "orders",
  },
  { prefix: "/api/v1/auth", service: "auth" },
  { prefix: "/api/v1/notifications", service: "notifications" },
  { prefix: "/api/v1/users", service: "users" },
  { prefix: "/api/v1/sellers", service: "users" },
  { prefix: "/api/v1/gigs", service: "gigs" },
  { prefix: "/api/v1/orders", service: "orders" },
  { prefix: "/api/v1/payments", service: "orders" },
  { prefix: "/api/v1/reviews", service: "reviews" },
  { prefix: "/api/v1/conversations", service: "chat" },
  { prefix: "/api/v1/offers", service: "chat" },
  { prefix: "/api/v1/uploads", service: "media" },
  { prefix: "/api/v1/media", service: "media" },
];

const upstream = (
  name: string,
  url: string | undefined,
  pool: UpstreamPoolOptions,
  cookies = false,
): [string, Upstream] | [] =>
  url ? [name, { name, replicas: new UpstreamPool(parseOrigins(url), pool), cookies }] : [];

/**
 * The configured upstreams by service name; a service without a URL is absent.
 * `pool` configures every service's replica pool (probes, logs of ejections).
 */
export function upstreamsFrom(
  config: GatewayConfig,
  pool: UpstreamPoolOptions = {},
): ReadonlyMap<string, Upstream> {
  return new Map(
    [
      // Only auth sees cookies: the refresh-token cookie is scoped to /api/v1/auth.
      upstream("auth", config.AUTH_URL, pool, true),
      upstream("notifications", config.NOTIFICATIONS_URL, pool),
      upstream("users", config.USERS_URL, pool),
      upstream("gigs", config.GIGS_URL, pool),
      upstream("orders", config.ORDERS_URL, pool),
      upstream("reviews", config.REVIEWS_URL, pool),
      upstream("chat", config.CHAT_URL, pool),
      upstream("media", config.MEDIA_URL, pool),
    ].filter((entry): entry is [string, Upstream] => entry.length === 2),
  );
}

/**
 * The realtime edge, behind `/socket.io/` (ws_bridge.ts). Not among `upstreamsFrom`:
 * it serves WebSocket frames, not HTTP routes or an OpenAPI document.
 */
export function realtimeUpstream(
  config: GatewayConfig,
  pool: UpstreamPoolOptions = {},
): Upstream | undefined {
  if (!config.REALTIME_URL) return undefined; // like any unconfigured service: 404
  const [, edge] = upstream("realtime", config.REALTIME_URL, pool);
  return edge;
}

/**
 * The route for a raw (still percent-encoded) path: the prefix itself or
 * anything below it, so `/api/v1/authx` is not auth's.
 */
export function findRoute(path: string, routes: readonly Route[] = ROUTES): Route | undefined {
  return routes.find((route) =>
    "pattern" in route
      ? route.pattern.test(path)
      : path === route.prefix || path.startsWith(`${route.prefix}/`)
  );
}
