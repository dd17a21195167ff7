/**
 * Access-token verification, done by every service itself (the gateway signs;
 * services hold only its public keys, given as configuration in `JWT_JWKS`).
 *
 * Tokens are RFC 9068 style: header `typ: at+jwt`, `alg: ES256`, a `kid` found in
 * the JWKS; claims `iss`, `aud`, `sub`, `iat`, `exp`. Anything else is a 401.
 */
import type { MiddlewareHandler } from "hono";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { errors } from "./problem.ts";

/** Header `typ` of access tokens. */
export const ACCESS_TOKEN_TYPE = "at+jwt";
/** The one signing algorithm accepted. */
export const ACCESS_TOKEN_ALG = "ES256";

/** Who is calling, from a verified access token. */
export interface Caller {
  userId: string;
  username: string;
}

/** Verifies access tokens against a fixed key set. */
export interface TokenVerifier {
  verify(token: string): Promise<Caller>;
}

/** Options of `createTokenVerifier`. */
export interface VerifierOptions {
  /** The gateway's JWKS, as JSON text or object. */
  jwks: string | JSONWebKeySet;
  issuer: string;
  audience: string;
  /** Verified tokens remembered until they expire (default 10,000; 0 turns the cache off). */
  cacheSize?: number;
  /** The clock, in ms since the epoch (tests move it). Default `Date.now`. */
  now?: () => number;
}

/** Seconds of clock skew tolerated on `exp`. */
const CLOCK_TOLERANCE_S = 5;
const DEFAULT_CACHE_SIZE = 10_000;

/**
 * Builds a verifier; throws at start-up if the JWKS is malformed.
 *
 * Verified tokens are remembered, keyed by the whole token (signature
 * included), until their `exp`: a client sends the same access token with
 * every request for its lifetime, and an ES256 verification is the largest
 * CPU cost of a small request (a sixth of the chat service's CPU at 200
 * messages a second). A different string, even one character, is verified
 * afresh, and a remembered token is refused once expired, so the answer is
 * the one `jwtVerify` would give; the keys are fixed for the process's life.
 * The cache holds at most `cacheSize` tokens (oldest forgotten first), a few MB.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keySet = typeof options.jwks === "string" ? JSON.parse(options.jwks) : options.jwks;
  const keys = createLocalJWKSet(keySet);
  const now = options.now ?? Date.now;
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const verified = new Map<string, { caller: Caller; expiresAt: number }>();
  const invalid = () => errors.unauthorized("The access token is invalid or expired.");
  return {
    async verify(token: string): Promise<Caller> {
      const known = verified.get(token);
      if (known) {
        if (now() < known.expiresAt) return known.caller;
        verified.delete(token);
        throw invalid();
      }
      let caller: Caller, exp: number;
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: [ACCESS_TOKEN_ALG],
          issuer: options.issuer,
          audience: options.audience,
          typ: ACCESS_TOKEN_TYPE,
          requiredClaims: ["sub", "iat", "exp"],
          clockTolerance: CLOCK_TOLERANCE_S,
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== "string" || typeof payload.username !== "string") {
          throw new Error("claims");
        }
        caller = { userId: payload.sub, username: payload.username };
        exp = payload.exp!;
      } catch {
        throw invalid();
      }
      if (cacheSize > 0) {
        if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
        verified.set(token, { caller, expiresAt: (exp + CLOCK_TOLERANCE_S) * 1000 });
      }
      return caller;
    },
  };
}

/** Hono variables set by `requireAuth`. */
export type AuthVariables = { caller: Caller };

/** Reads the bearer token from the Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i);
  return match?.[1];
}

/** Middleware: 401 problem unless a valid bearer access token is present; sets `caller`. */
export function requireAuth(
  verifier: TokenVerifier,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw errors.unauthorized();
    c.set("caller", await verifier.verify(token));
    await next();
  };
}
