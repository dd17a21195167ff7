/**
 * The gateway's configuration: every variable it reads, with defaults for a
 * developer machine. `loadGatewayConfig()` is called once by main.ts; tests call
 * it with an explicit environment so they exercise the same parsing.
 */
import { z } from "zod";
import { env, loadConfig } from "@mp/shared/config";
import { parseOrigins } from "./upstream_pool.ts";

const httpUrl = () => env.url(["http", "https"]);

// An upstream service: one http(s) URL, or its replicas' URLs separated by commas
// (upstream_pool.ts balances them). Kept as text; routes.ts parses it.
const upstreamUrls = () =>
  z.string().refine((value) => {
    try {
      return parseOrigins(value).length > 0;
    } catch {
      return false;
    }
  }, { message: "must be an http(s) URL, or several separated by commas" });

// A comma-separated list of origins (scheme://host[:port], nothing after).
const originList = z.string().transform((value, ctx) => {
  const origins: string[] = [];
  for (const item of value.split(",").map((part) => part.trim()).filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch { /* reported below */ }
    const isOrigin = url && ["http:", "https:"].includes(url.protocol) && url.pathname === "/" &&
      !url.search && !url.hash && !url.username && !url.password;
    if (!url || !isOrigin) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not an http(s) origin` });
      return z.NEVER;
    }
    origins.push(url.origin);
  }
  return origins;
});

/** Every environment variable the gateway reads (`--allow-env` could name exactly these). */
export const gatewayConfigShape = {
  JWT_PRIVATE_JWK: z.string({
    error: "is required: the ES256 private key as a JWK in JSON, with a kid",
  }),
  JWT_ISSUER: z.string().min(1).default("marketplace-gateway"),
  JWT_AUDIENCE: z.string().min(1).default("marketplace"),
  REDIS_URL: env.url(["redis", "rediss"]).default("redis://127.0.0.1:6379"),
  // Upstream services: only the origins are used; requests keep their own path.
  AUTH_URL: upstreamUrls().default("http://127.0.0.1:4001"),
  NOTIFICATIONS_URL: upstreamUrls().optional(),
  // The other services are optional: a route whose service has no URL answers 404.
  USERS_URL: upstreamUrls().optional(),
  GIGS_URL: upstreamUrls().optional(),
  ORDERS_URL: upstreamUrls().optional(),
  REVIEWS_URL: upstreamUrls().optional(),
  CHAT_URL: upstreamUrls().optional(),
  MEDIA_URL: upstreamUrls().optional(),
  // The Socket.io edge behind /socket.io/ (http: is bridged as ws:, https: as wss:).
  REALTIME_URL: upstreamUrls().optional(),
  PUBLIC_URL: httpUrl().default("http://localhost:8000"),
  CORS_ORIGINS: originList.optional(),
  BODY_LIMIT_BYTES: env.positiveInt(1024 * 1024),
  UPSTREAM_TIMEOUT_MS: env.positiveInt(10_000),
  TRUST_PROXY: env.flag(false),
  COOKIE_SECURE: env.flag(true),
  RATE_LIMIT_PREFIX: z.string().regex(/^[\w:.-]{1,100}$/, "letters, digits and _ : . - only")
    .default("gw:rl:"),
  RATE_LIMIT_PER_MINUTE: env.positiveInt(600),
  // How often each replica adds its counts of the general limit to Redis.
  RATE_LIMIT_SYNC_MS: env.positiveInt(200),
  SIGNUP_LIMIT_PER_HOUR: env.positiveInt(20),
  LOGIN_IP_LIMIT_PER_MINUTE: env.positiveInt(30),
  LOGIN_FAILURES_PER_MINUTE: env.positiveInt(5),
  FORGOT_IP_LIMIT_PER_HOUR: env.positiveInt(10),
  FORGOT_EMAIL_LIMIT_PER_HOUR: env.positiveInt(3),
  // Every route that makes the platform mail an address: per client address and per account.
  SIGNUP_EMAIL_LIMIT_PER_HOUR: env.positiveInt(3),
  RESEND_VERIFICATION_IP_LIMIT_PER_HOUR: env.positiveInt(10),
  RESEND_VERIFICATION_ACCOUNT_LIMIT_PER_HOUR: env.positiveInt(3),
  CHANGE_PASSWORD_IP_LIMIT_PER_HOUR: env.positiveInt(10),
  CHANGE_PASSWORD_ACCOUNT_LIMIT_PER_HOUR: env.positiveInt(3),
  VERIFY_EMAIL_IP_LIMIT_PER_HOUR: env.positiveInt(10),
  RESET_PASSWORD_IP_LIMIT_PER_HOUR: env.positiveInt(10),
  // Placing an order mails the buyer and the seller, before any payment.
  ORDER_PLACEMENT_IP_LIMIT_PER_HOUR: env.positiveInt(60),
  ORDER_PLACEMENT_ACCOUNT_LIMIT_PER_HOUR: env.positiveInt(20),
  // Socket.io connections per client address; each also counts in RATE_LIMIT_PER_MINUTE.
  WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE: env.positiveInt(60),
  // Largest WebSocket frame a client may send; a larger one closes that socket (1009).
  WEBSOCKET_MAX_FRAME_BYTES: env.positiveInt(64 * 1024),
  // The built web front end (`npm run build` in web/), served at `/` (web.ts).
  WEB_DIST_DIR: z.string().min(1).default("web/dist"),
  // Stripe's publishable key (public by design). With it the site's pages carry it in a
  // <meta> tag and their CSP allows Stripe.js, so checkout shows Stripe's Payment Element.
  STRIPE_PUBLISHABLE_KEY: z.string()
    .regex(
      /^pk_(test|live)_[A-Za-z0-9]+$/,
      "must be a Stripe publishable key: pk_test_… or pk_live_…",
    )
    .optional(),
  // Where browsers reach the object store (the media service's S3_PUBLIC_URL): pages
  // upload to it and show its pictures, so the site's CSP names it (web.ts).
  S3_PUBLIC_URL: httpUrl().optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // GET /metrics, on a listener of its own: the gateway's port is public, this one is not.
  GATEWAY_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  GATEWAY_METRICS_PORT: env.port(9100),
};

type RawConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

/** The parsed configuration, with CORS origins defaulted to PUBLIC_URL's origin. */
export type GatewayConfig = Omit<RawConfig, "CORS_ORIGINS"> & { CORS_ORIGINS: string[] };

/**
 * Reads and validates the gateway's variables (from the process environment
 * unless `source` is given).
 *
 * @throws {ConfigError} naming each missing or invalid variable. Messages never
 * echo the private key.
 */
export function loadGatewayConfig(source?: Record<string, string | undefined>): GatewayConfig {
  const raw = loadConfig(gatewayConfigShape, source);
  return {
    ...raw,
    CORS_ORIGINS: raw.CORS_ORIGINS?.length ? raw.CORS_ORIGINS : [new URL(raw.PUBLIC_URL).origin],
  };
}
