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
}

/** Builds a verifier; throws at start-up if the JWKS is malformed. */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keySet = typeof options.jwks === "string" ? JSON.parse(options.jwks) : options.jwks;
  const keys = createLocalJWKSet(keySet);
  return {
    async verify(token: string): Promise<Caller> {
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: [ACCESS_TOKEN_ALG],
          issuer: options.issuer,
          audience: options.audience,
          typ: ACCESS_TOKEN_TYPE,
          requiredClaims: ["sub", "iat", "exp"],
          clockTolerance: 5,
        });
        if (typeof payload.sub !== "string" || typeof payload.username !== "string") {
          throw new Error("claims");
        }
        return { userId: payload.sub, username: payload.username };
      } catch {
        throw errors.unauthorized("The access token is invalid or expired.");
      }
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
