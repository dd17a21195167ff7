/**
 * The gateway's HTTP surface: the only public entry of the marketplace.
 *
 * Order matters. The shared skeleton (request id, access log, drain, /livez,
 * /readyz) comes first; then secure headers and CORS, so every later answer,
 * a 429 included, carries them; then the general per-IP limit, the canonical
 * path check (a path with another spelling is refused before any route runs)
 * and the body, read once within its limit; then the auth routes with their
 * own limits and token issuing; then `/socket.io/`, bridged to the realtime
 * edge; then the route table for everything else under /api; last, the web
 * front end (web.ts) for every other GET, with the site's own CSP.
 */
import type { Context } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { Redis } from "ioredis";
import { bodyOf, limitBodies } from "@mp/shared/body_limit";
import { createServiceApp, type Drain } from "@mp/shared/http";
import { type Caller, createTokenVerifier, requireAuth } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { problem } from "@mp/shared/problem";
import { pathProblem, rawPath } from "./canonical_path.ts";
import { clientAddress, rateLimitSubject } from "./client_ip.ts";
import type { GatewayConfig } from "./config.ts";
import type { AccessTokenSigner } from "./keys.ts";
import { forward } from "./proxy.ts";
import { BatchedLimiter } from "./general_limit.ts";
import {
  gatewayLimits,
  identitySubject,
  limitBy,
  limitSuccessesBy,
  RateLimiter,
  refusal,
} from "./rate_limit.ts";
import { apiDocs, DOCUMENT_PATH } from "./api_docs.ts";
import { findRoute, realtimeUpstream, type Upstream, upstreamsFrom } from "./routes.ts";
import { SOCKET_PATH, socketBridge } from "./ws_bridge.ts";
import { clearRefreshCookie, issueTokens, jsonStringField, withRefreshToken } from "./sessions.ts";
import { webFrontEnd } from "./web.ts";

/** Everything the gateway app needs; main.ts builds these from the environment. */
export interface GatewayDeps {
  config: GatewayConfig;
  log: Logger;
  redis: Redis;
  signer: AccessTokenSigner;
  drain?: Drain;
}

/** Builds the gateway app. */
export function createApp(deps: GatewayDeps) {
  const { config, log, redis, signer } = deps;
  // Each service's replicas (upstream_pool.ts); the logs say when one leaves or rejoins.
  const replicaPool = {
    onChange: (origin: string, healthy: boolean, reason: string) =>
      healthy
        ? log.info("replica back in rotation", { replica: origin })
        : log.warn("replica ejected", { replica: origin, reason }),
  };
  const upstreams = upstreamsFrom(config, replicaPool);
  // /readyz: can this gateway serve? Its config and key are loaded (main.ts exits
  // otherwise) and it is not draining. It waits on nothing: a slow service must not
  // take the gateway out of rotation; upstream health decides routing (proxy.ts: an
  // unreachable one is a quick 503). Redis is shown, not required: each rate limit
  // fails open or closed on its own (rate_limit.ts), and every replica shares one Redis.
  const { app, drain } = createServiceApp({
    log,
    drain: deps.drain,
    readiness: { signingKey: () => signer.jwks.keys.length > 0 },
    reported: { redis: () => redis.status === "ready" },
    maxBodyBytes: false, // installed below, after CORS, the rate limit and the path check
    // This port is public: main.ts serves the metrics on a listener of their own.
    serveMetrics: false,
  });

  const limiter = new RateLimiter({ redis, prefix: config.RATE_LIMIT_PREFIX, log });
  const limits = gatewayLimits(config);
  const ipOf = (c: Context) => rateLimitSubject(clientAddress(c, config.TRUST_PROXY));
  const sessionDeps = { signer, cookieSecure: config.COOKIE_SECURE, log };
  const auth = upstreams.get("auth")!; // AUTH_URL has a default: auth is always configured.
  const toUpstream = (upstream: Upstream, jsonBody?: Uint8Array<ArrayBuffer>) => (c: Context) =>
    forward(c, {
      upstream,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      trustProxy: config.TRUST_PROXY,
      log,
      jsonBody,
    });
  // Mail-sending routes that need a session: the gateway checks the token it
  // signed, so their per-account limit keys on a verified account id.
  const authenticated = requireAuth(createTokenVerifier({
    jwks: signer.jwks,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  }));
  const accountOf = (c: Context) => (c.get("caller") as Caller).userId;
  const bodyField = (field: string) => async (c: Context) => {
    const value = jsonStringField(bodyOf(c), field);
    return value === undefined ? undefined : await identitySubject(value);
  };

  // The API reference page sets its own CSP (api_docs.ts), so it comes before secureHeaders.
  const docs = apiDocs({ upstreams, timeoutMs: config.UPSTREAM_TIMEOUT_MS, log });
  app.get("/docs", docs.page);
  app.get("/docs/swagger-ui-bundle.js", docs.bundle);
  app.get("/docs/swagger-ui.css", docs.css);
  app.get("/docs/init.js", docs.init);

  const apiHeaders = secureHeaders({
    // JSON only: nothing here may load resources or be framed.
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  });
  // What the front end serves gets the site's CSP (its own scripts and styles); the rest the API's.
  const web = webFrontEnd({
    dir: config.WEB_DIST_DIR,
    publicUrl: config.PUBLIC_URL,
    stripePublishableKey: config.STRIPE_PUBLISHABLE_KEY,
    objectStoreUrl: config.S3_PUBLIC_URL,
  }, apiHeaders);
  app.use(web.headers);
  const allowedOrigins = new Set(config.CORS_ORIGINS);
  app.use(cors({
    origin: (origin) => allowedOrigins.has(origin) ? origin : null,
    credentials: true,
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowHeaders: [
      "Authorization",
      "Content-Type",
      "X-Request-Id",
      "traceparent",
      "Idempotency-Key",
    ],
    exposeHeaders: ["X-Request-Id", "Retry-After", "Idempotent-Replayed"],
    maxAge: 600,
  }));
  const general = new BatchedLimiter({
    redis,
    prefix: config.RATE_LIMIT_PREFIX,
    policy: limits.general,
    log,
    syncMs: config.RATE_LIMIT_SYNC_MS,
  });
  general.start();
  app.use(async (c, next) => {
    const decision = general.take(ipOf(c));
    if (!decision.allowed) return refusal(limits.general, decision);
    await next();
  });
  app.use(async (c, next) => {
    // One spelling per path: limits, routing and forwarding all use this one.
    const path = rawPath(c.req.url);
    const why = pathProblem(path) ??
      // Belt and braces: whatever the URL parser would rewrite is not canonical either.
      (new URL(c.req.url).pathname === path ? undefined : "The path is not in canonical form.");
    if (why) return problem(400, "path_not_canonical", why);
    await next();
  });
  // Each body is read once, within BODY_LIMIT_BYTES, before any route: the routes
  // read it with bodyOf, and an upstream never sees a partial one.
  app.use(limitBodies({ maxBytes: config.BODY_LIMIT_BYTES, log }));

  app.get("/.well-known/jwks.json", (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(signer.jwks);
  });

  app.get(DOCUMENT_PATH, docs.document);

  app.post(
    "/api/v1/auth/signup",
    limitBy(limiter, limits.signupIp, ipOf),
    limitSuccessesBy(limiter, limits.signupEmail, bodyField("email")),
    async (c) => {
      const response = await toUpstream(auth)(c);
      return response.ok ? issueTokens(c, response, sessionDeps) : response;
    },
  );

  app.post("/api/v1/auth/login", limitBy(limiter, limits.loginIp, ipOf), async (c) => {
    // Failed logins are counted per account. The attempt is reserved before
    // auth is asked (so parallel guesses cannot pass together) and given back
    // unless auth answered 401.
    const login = jsonStringField(bodyOf(c), "login");
    const account = login === undefined ? undefined : await identitySubject(login);
    if (account) {
      const decision = await limiter.take(limits.loginFailures, account);
      if (!decision.allowed) return refusal(limits.loginFailures, decision);
    }
    let response: Response | undefined;
    try {
      response = await toUpstream(auth)(c);
    } finally {
      if (account && response?.status !== 401) await limiter.release(limits.loginFailures, account);
    }
    return response.ok ? issueTokens(c, response, sessionDeps) : response;
  });

  app.post("/api/v1/auth/refresh", async (c) => {
    const response = await toUpstream(auth, withRefreshToken(c, bodyOf(c)))(c);
    if (response.ok) return issueTokens(c, response, sessionDeps);
    // A refused refresh token is dead: let the browser drop it too.
    if (response.status === 401) clearRefreshCookie(c, config.COOKIE_SECURE);
    return response;
  });

  app.post("/api/v1/auth/logout", async (c) => {
    const response = await toUpstream(auth, withRefreshToken(c, bodyOf(c)))(c);
    // The client asked to be logged out: it forgets the cookie whatever auth said.
    clearRefreshCookie(c, config.COOKIE_SECURE);
    return response;
  });

  app.post(
    "/api/v1/auth/forgot-password",
    limitBy(limiter, limits.forgotIp, ipOf),
    limitBy(limiter, limits.forgotEmail, bodyField("email")),
    toUpstream(auth),
  );

  app.post(
    "/api/v1/auth/resend-verification",
    limitBy(limiter, limits.resendIp, ipOf),
    authenticated,
    limitBy(limiter, limits.resendAccount, accountOf),
    toUpstream(auth),
  );

  app.post(
    "/api/v1/auth/change-password",
    limitBy(limiter, limits.changePasswordIp, ipOf),
    authenticated,
    limitSuccessesBy(limiter, limits.changePasswordAccount, accountOf),
    toUpstream(auth),
  );

  // Their mail needs a single-use token that came by a limited mail; per address as well.
  app.post(
    "/api/v1/auth/verify-email",
    limitBy(limiter, limits.verifyEmailIp, ipOf),
    toUpstream(auth),
  );
  app.post(
    "/api/v1/auth/reset-password",
    limitBy(limiter, limits.resetPasswordIp, ipOf),
    toUpstream(auth),
  );

  // A new order mails its buyer and its seller, though nothing was paid yet.
  const orders = upstreams.get("orders");
  if (orders) {
    app.post(
      "/api/v1/orders",
      limitBy(limiter, limits.orderPlacementIp, ipOf),
      authenticated,
      limitSuccessesBy(limiter, limits.orderPlacementAccount, accountOf),
      toUpstream(orders),
    );
  }

  // Socket.io, over WebSocket only (ws_bridge.ts). Every request here counts in the
  // handshake limit, on top of the general one.
  // Without REALTIME_URL, /socket.io/ is a 404 like any unconfigured service.
  const edge = realtimeUpstream(config, replicaPool);
  const sockets = edge && socketBridge({
    upstream: edge,
    connectTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    maxFrameBytes: config.WEBSOCKET_MAX_FRAME_BYTES,
    trustProxy: config.TRUST_PROXY,
    log,
  });
  if (sockets) {
    app.all(SOCKET_PATH, limitBy(limiter, limits.websocketHandshakeIp, ipOf), sockets.handle);
  }

  app.all("/api/*", (c) => {
    const route = findRoute(rawPath(c.req.url));
    const upstream = route && upstreams.get(route.service);
    if (!upstream) return c.notFound();
    return toUpstream(upstream)(c);
  });

  // Everything else a browser GETs: the built front end, or a 404 problem.
  app.use(web.serve);

  /**
   * Stops background work: open sockets are closed (clients reconnect to another
   * replica), replica probes end, the last counts of the general limit go to Redis.
   */
  const stop = () => {
    sockets?.closeAll();
    for (const upstream of [...upstreams.values(), ...(edge ? [edge] : [])]) {
      upstream.replicas.close();
    }
    return general.stop();
  };
  return { app, drain, stop };
}
