/**
 * Rate limits kept in Redis, so they are shared by every gateway replica and
 * survive restarts. One Lua script per operation makes check-and-count atomic.
 *
 * A limit is a fixed window that starts with the first counted request of a
 * subject and lasts `windowSeconds`. `take` refuses once `limit` requests were
 * counted in the window (a refused request is not counted, so a client that
 * keeps knocking is let in again when the window ends). `release` gives a
 * counted request back: the failed-login limit reserves an attempt before
 * calling auth and releases it unless auth answered 401, so parallel guesses
 * cannot slip past the check.
 *
 * Why not hono-rate-limiter (see README): its middleware cannot express "check
 * before, count only 401 answers"; its RedisStore's `get` does not reload its
 * script after a Redis restart; and per-limit fail-open/fail-closed would need
 * wrapping anyway. What would remain of it is the INCR+PEXPIRE script below.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Redis } from "ioredis";
import { canonicalIdentity } from "@mp/shared/identity";
import type { Logger } from "@mp/shared/log";
import { problem } from "@mp/shared/problem";
import type { GatewayConfig } from "./config.ts";

/** One limit: how many requests per window, and what to do without Redis. */
export interface LimitPolicy {
  /** Names the counter in Redis and the limit in a 429 problem. */
  name: string;
  limit: number;
  windowSeconds: number;
  /**
   * When Redis cannot answer: `true` lets the request through uncounted,
   * `false` refuses it with 503 (see README for the choice per limit).
   */
  failOpen: boolean;
}

/** The outcome of `take`. */
export type Decision =
  | { allowed: true; counted: boolean }
  | { allowed: false; reason: "limited"; retryAfterSeconds: number }
  | { allowed: false; reason: "unavailable" };

// KEYS[1] counter; ARGV[1] limit; ARGV[2] window in ms.
// Returns {allowed (1|0), count, ms until the window ends}.
const TAKE = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local count = tonumber(redis.call("GET", KEYS[1]) or "0")
local allowed = 0
if count < limit then
  count = redis.call("INCR", KEYS[1])
  allowed = 1
end
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then
  redis.call("PEXPIRE", KEYS[1], window)
  ttl = window
end
return {allowed, count, ttl}
`;

// Never below zero and never touching the expiry: a release that lands after
// the window ended must not create a counter without an end.
const RELEASE = `
local count = tonumber(redis.call("GET", KEYS[1]) or "0")
if count > 0 then redis.call("DECR", KEYS[1]) end
return 0
`;

type ScriptedRedis = Redis & {
  gatewayRateTake(key: string, limit: number, windowMs: number): Promise<[number, number, number]>;
  gatewayRateRelease(key: string): Promise<number>;
};

/** Checks and counts requests against `LimitPolicy`s in Redis. */
export class RateLimiter {
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;
  readonly #log: Logger;
  #lastWarning = 0;

  constructor(options: { redis: Redis; prefix: string; log: Logger }) {
    // defineCommand sends EVALSHA and falls back to EVAL when Redis lost the
    // script (after a restart), so a Redis restart needs no gateway restart.
    options.redis.defineCommand("gatewayRateTake", { numberOfKeys: 1, lua: TAKE });
    options.redis.defineCommand("gatewayRateRelease", { numberOfKeys: 1, lua: RELEASE });
    this.#redis = options.redis as ScriptedRedis;
    this.#prefix = options.prefix;
    this.#log = options.log;
  }

  /** The Redis key of a subject's counter. */
  key(policy: LimitPolicy, subject: string): string {
    return `${this.#prefix}${policy.name}:${subject}`;
  }

  /** Counts one request of `subject` unless its limit is reached. Never throws. */
  async take(policy: LimitPolicy, subject: string): Promise<Decision> {
    try {
      const [allowed, , ttlMs] = await this.#redis.gatewayRateTake(
        this.key(policy, subject),
        policy.limit,
        policy.windowSeconds * 1000,
      );
      if (allowed === 1) return { allowed: true, counted: true };
      return {
        allowed: false,
        reason: "limited",
        retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
      };
    } catch (error) {
      this.#warn("rate limit check failed", policy, error);
      return policy.failOpen
        ? { allowed: true, counted: false }
        : { allowed: false, reason: "unavailable" };
    }
  }

  /** Gives back a request counted by `take`. Best effort: never throws. */
  async release(policy: LimitPolicy, subject: string): Promise<void> {
    try {
      await this.#redis.gatewayRateRelease(this.key(policy, subject));
    } catch (error) {
      this.#warn("rate limit release failed", policy, error);
    }
  }

  // While Redis is down every request fails here: one line per 10 s is enough.
  #warn(msg: string, policy: LimitPolicy, error: unknown) {
    const now = Date.now();
    if (now - this.#lastWarning < 10_000) return;
    this.#lastWarning = now;
    this.#log.warn(msg, {
      limit: policy.name,
      failOpen: policy.failOpen,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** The response for a refused `Decision`: 429 with Retry-After, or 503 without Redis. */
export function refusal(
  policy: LimitPolicy,
  decision: Extract<Decision, { allowed: false }>,
): Response {
  if (decision.reason === "unavailable") {
    return problem(
      503,
      "service_unavailable",
      "This is temporarily unavailable; try again shortly.",
      {},
      { "retry-after": "5" },
    );
  }
  const seconds = decision.retryAfterSeconds;
  return problem(
    429,
    "rate_limited",
    `Too many requests; try again in ${seconds} second${seconds === 1 ? "" : "s"}.`,
    { limit: policy.name, retryAfter: seconds },
    { "retry-after": String(seconds) },
  );
}

/**
 * Middleware applying `policy` to the subject `subjectOf` names; a request
 * without a subject (undefined) is not limited by this policy.
 */
export function limitBy(
  limiter: RateLimiter,
  policy: LimitPolicy,
  subjectOf: (c: Context) => string | undefined | Promise<string | undefined>,
): MiddlewareHandler {
  return async (c, next) => {
    const subject = await subjectOf(c);
    if (subject === undefined) return next();
    const decision = await limiter.take(policy, subject);
    if (!decision.allowed) return refusal(policy, decision);
    await next();
  };
}

/**
 * Like `limitBy`, but only successful (2xx) answers stay counted: the request
 * reserves its slot before the handler runs (so parallel requests cannot pass
 * together) and gives it back otherwise. For limits on what success causes,
 * such as a mail, where a typo must not use up the allowance.
 */
export function limitSuccessesBy(
  limiter: RateLimiter,
  policy: LimitPolicy,
  subjectOf: (c: Context) => string | undefined | Promise<string | undefined>,
): MiddlewareHandler {
  return async (c, next) => {
    const subject = await subjectOf(c);
    if (subject === undefined) return next();
    const decision = await limiter.take(policy, subject);
    if (!decision.allowed) return refusal(policy, decision);
    let succeeded = false;
    try {
      await next();
      succeeded = c.res.status >= 200 && c.res.status < 300;
    } finally {
      if (decision.counted && !succeeded) await limiter.release(policy, subject);
    }
  };
}

/**
 * The subject for an account or mailbox: the SHA-256 of its canonical identity
 * (shared/identity.ts), the very form auth looks accounts up by. So every
 * spelling that reaches one account ("victim", "vİctim", "ＶＩＣＴＩＭ") shares one
 * counter, and no login or email address is stored in Redis.
 */
export async function identitySubject(value: string): Promise<string> {
  // Auth refuses a login or email over 254 characters once trimmed, so a longer
  // value names no account: count it as it is, without the fold, whose cost grows
  // with the length (a 1 MiB body took seconds).
  const trimmed = value.trim();
  const identity = trimmed.length > 512 ? trimmed : canonicalIdentity(trimmed);
  const bytes = new TextEncoder().encode(identity);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The gateway's limits, from configuration. */
export interface GatewayLimits {
  general: LimitPolicy;
  signupIp: LimitPolicy;
  loginIp: LimitPolicy;
  loginFailures: LimitPolicy;
  forgotIp: LimitPolicy;
  forgotEmail: LimitPolicy;
  signupEmail: LimitPolicy;
  resendIp: LimitPolicy;
  resendAccount: LimitPolicy;
  changePasswordIp: LimitPolicy;
  changePasswordAccount: LimitPolicy;
  verifyEmailIp: LimitPolicy;
  resetPasswordIp: LimitPolicy;
  orderPlacementIp: LimitPolicy;
  orderPlacementAccount: LimitPolicy;
  websocketHandshakeIp: LimitPolicy;
}

/**
 * Fail-open where availability matters more than the limit (browsing, signup),
 * fail-closed where the limit is the defence (password guessing, reset mail).
 */
export function gatewayLimits(config: GatewayConfig): GatewayLimits {
  const minute = 60;
  const hour = 3600;
  return {
    general: {
      name: "ip",
      limit: config.RATE_LIMIT_PER_MINUTE,
      windowSeconds: minute,
      failOpen: true,
    },
    signupIp: {
      name: "signup-ip",
      limit: config.SIGNUP_LIMIT_PER_HOUR,
      windowSeconds: hour,
      failOpen: true,
    },
    loginIp: {
      name: "login-ip",
      limit: config.LOGIN_IP_LIMIT_PER_MINUTE,
      windowSeconds: minute,
      failOpen: false,
    },
    loginFailures: {
      name: "login-failures",
      limit: config.LOGIN_FAILURES_PER_MINUTE,
      windowSeconds: minute,
      failOpen: false,
    },
    forgotIp: {
      name: "forgot-ip",
      limit: config.FORGOT_IP_LIMIT_PER_HOUR,
      windowSeconds: hour,
      failOpen: false,
    },
    forgotEmail: {
      name: "forgot-email",
      limit: config.FORGOT_EMAIL_LIMIT_PER_HOUR,
      windowSeconds: hour,
      failOpen: false,
    },
    // Open like signup-ip: auth's unique email already allows one welcome mail per address.
    signupEmail: {
      name: "signup-email",
      limit: config.SIGNUP_EMAIL_LIMIT_PER_HOUR,
      windowSeconds: hour,
      failOpen: true,
    },
    resendIp: mailLimit("resend-verification-ip", config.RESEND_VERIFICATION_IP_LIMIT_PER_HOUR),
    resendAccount: mailLimit(
      "resend-verification-account",
      config.RESEND_VERIFICATION_ACCOUNT_LIMIT_PER_HOUR,
    ),
    changePasswordIp: mailLimit("change-password-ip", config.CHANGE_PASSWORD_IP_LIMIT_PER_HOUR),
    changePasswordAccount: mailLimit(
      "change-password-account",
      config.CHANGE_PASSWORD_ACCOUNT_LIMIT_PER_HOUR,
    ),
    verifyEmailIp: mailLimit("verify-email-ip", config.VERIFY_EMAIL_IP_LIMIT_PER_HOUR),
    resetPasswordIp: mailLimit("reset-password-ip", config.RESET_PASSWORD_IP_LIMIT_PER_HOUR),
    // Open: orders must not stop with Redis; the services still authenticate every request.
    orderPlacementIp: {
      ...mailLimit("order-placement-ip", config.ORDER_PLACEMENT_IP_LIMIT_PER_HOUR),
      failOpen: true,
    },
    orderPlacementAccount: {
      ...mailLimit("order-placement-account", config.ORDER_PLACEMENT_ACCOUNT_LIMIT_PER_HOUR),
      failOpen: true,
    },
    // Open like the general limit, which also counts each handshake: chat must not stop with Redis.
    websocketHandshakeIp: {
      name: "websocket-ip",
      limit: config.WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE,
      windowSeconds: minute,
      failOpen: true,
    },
  };
}

// A limit on mail the platform sends: per hour, closed without Redis (like forgot-*).
const mailLimit = (name: string, limit: number): LimitPolicy => ({
  name,
  limit,
  windowSeconds: 3600,
  failOpen: false,
});
