/**
 * The handshake: `auth: { token }` must be the gateway's access token, verified
 * by shared/jwt.ts (the same rule as every service). A refusal is a
 * `connect_error` whose `message` is `unauthorized` and whose `data.code` tells
 * the client what to do: `token_missing`/`token_invalid` (log in again) or
 * `token_expired` (refresh, then reconnect).
 */
import {
  ACCESS_TOKEN_ALG,
  ACCESS_TOKEN_TYPE,
  type Caller,
  createTokenVerifier,
} from "@mp/shared/jwt";
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from "jose";

/** Why a handshake was refused. */
export type HandshakeCode = "token_missing" | "token_invalid" | "token_expired";

/** The error Socket.io sends to the client as `connect_error` (message and `data`). */
export class HandshakeError extends Error {
  readonly data: { code: HandshakeCode };
  constructor(code: HandshakeCode) {
    super("unauthorized");
    this.name = "HandshakeError";
    this.data = { code };
  }
}

/** Who connected and until when the token is valid. */
export interface Session extends Caller {
  /** Expiry of the access token (ms since the epoch). */
  expiresAt: number;
}

/** Options: the gateway's public keys, issuer and audience (JWT_JWKS, JWT_ISSUER, JWT_AUDIENCE). */
export interface HandshakeOptions {
  jwks: string | JSONWebKeySet;
  issuer: string;
  audience: string;
}

// Longer than any token the gateway signs; a bigger one is refused unread.
const MAX_TOKEN_LENGTH = 8192;

/** Builds the authenticator; throws at start-up if the JWKS is malformed. */
export function createAuthenticator(options: HandshakeOptions) {
  const verifier = createTokenVerifier(options);
  const keySet = typeof options.jwks === "string" ? JSON.parse(options.jwks) : options.jwks;
  const keys = createLocalJWKSet(keySet);

  // Only says whether a refused token is one that was valid and has expired, so
  // the client knows a refresh will do; a forged one stays `token_invalid`.
  async function expiredButGenuine(token: string): Promise<boolean> {
    try {
      const { exp } = decodeJwt(token);
      if (typeof exp !== "number" || exp * 1000 > Date.now()) return false;
      await jwtVerify(token, keys, {
        algorithms: [ACCESS_TOKEN_ALG],
        issuer: options.issuer,
        audience: options.audience,
        typ: ACCESS_TOKEN_TYPE,
        currentDate: new Date((exp - 1) * 1000),
      });
      return true;
    } catch {
      return false;
    }
  }

  return {
    /** The session of a handshake's `auth.token`, or a `HandshakeError`. */
    async authenticate(token: unknown): Promise<Session> {
      if (token === undefined || token === null || token === "") {
        throw new HandshakeError("token_missing");
      }
      if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) {
        throw new HandshakeError("token_invalid");
      }
      let caller: Caller;
      try {
        caller = await verifier.verify(token);
      } catch {
        throw new HandshakeError(
          await expiredButGenuine(token) ? "token_expired" : "token_invalid",
        );
      }
      const { exp } = decodeJwt(token); // verified: `exp` is there
      return { ...caller, expiresAt: (exp as number) * 1000 };
    },
  };
}

/** What `createAuthenticator` returns. */
export type Authenticator = ReturnType<typeof createAuthenticator>;
