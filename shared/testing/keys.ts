import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from "jose";
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYPE } from "../jwt.ts";

/** A real ES256 key pair for tests, with a signer for valid and deliberately bad tokens. */
export interface TestKeys {
  kid: string;
  jwks: JSONWebKeySet;
  privateJwk: JsonWebKey;
  issuer: string;
  audience: string;
  /** Signs an access token; `overrides` can break any part of it on purpose. */
  sign(
    claims: { sub: string; username: string } & JWTPayload,
    overrides?: { typ?: string; kid?: string; expiresIn?: string | number; audience?: string },
  ): Promise<string>;
}

/** Generates a key pair with the issuer and audience the gateway uses by default. */
export async function createTestKeys(): Promise<TestKeys> {
  const { privateKey, publicKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true });
  const kid = crypto.randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ACCESS_TOKEN_ALG, use: "sig" };
  const issuer = "marketplace-gateway";
  const audience = "marketplace";
  return {
    kid,
    jwks: { keys: [publicJwk] },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ACCESS_TOKEN_ALG } as JsonWebKey,
    issuer,
    audience,
    sign: (claims, overrides = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({
          alg: ACCESS_TOKEN_ALG,
          typ: overrides.typ ?? ACCESS_TOKEN_TYPE,
          kid: overrides.kid ?? kid,
        })
        .setIssuer(issuer)
        .setAudience(overrides.audience ?? audience)
        .setIssuedAt()
        .setExpirationTime(overrides.expiresIn ?? "15m")
        .sign(privateKey),
  };
}
