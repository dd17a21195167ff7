/**
 * The gateway's signing key: it alone holds the private key; services verify
 * access tokens with the public JWKS (served at /.well-known/jwks.json and given
 * to them as configuration), using shared/jwt.ts.
 */
import { importJWK, type JSONWebKeySet, type JWK, jwtVerify, SignJWT } from "jose";
import { ConfigError } from "@mp/shared/config";
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYPE } from "@mp/shared/jwt";

/** Lifetime of an access token (the contract says 15 minutes). */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

/** What an access token is issued for. */
export interface TokenSubject {
  id: string;
  username: string;
}

/** An access token and when it stops being accepted. */
export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Signs access tokens and publishes the matching public key. */
export interface AccessTokenSigner {
  readonly kid: string;
  /** The public key set: no private member ever appears here. */
  readonly jwks: JSONWebKeySet;
  sign(subject: TokenSubject): Promise<IssuedToken>;
}

/** Options of `createAccessTokenSigner`. */
export interface SignerOptions {
  /** The private JWK as JSON text (the value of JWT_PRIVATE_JWK). */
  privateJwk: string;
  issuer: string;
  audience: string;
  ttlSeconds?: number;
}

const VARIABLE = "JWT_PRIVATE_JWK";
function fail(why: string): never {
  throw new ConfigError([`${VARIABLE}: ${why}`]);
}

/**
 * Parses and checks the private JWK. Error messages name the variable and the
 * problem, never the key material (JSON.parse's own message would quote it).
 */
export function parsePrivateJwk(text: string): JWK & { kid: string } {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    fail("is not valid JSON");
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) fail("must be a JSON object");
  const key = jwk as Record<string, unknown>;
  if (key.kty !== "EC" || key.crv !== "P-256") {
    fail('must be an EC key on curve P-256 (kty "EC", crv "P-256")');
  }
  for (const member of ["x", "y", "d"]) {
    if (typeof key[member] !== "string" || key[member] === "") {
      fail(
        member === "d"
          ? 'must be a private key (member "d" is missing)'
          : `member "${member}" is missing`,
      );
    }
  }
  if (typeof key.kid !== "string" || key.kid.trim() === "") fail('must have a non-empty "kid"');
  if (key.alg !== undefined && key.alg !== ACCESS_TOKEN_ALG) {
    fail(`"alg" must be ${ACCESS_TOKEN_ALG}`);
  }
  if (key.use !== undefined && key.use !== "sig") fail('"use" must be "sig"');
  return key as JWK & { kid: string };
}

/**
 * The public half of a private EC JWK. Built from an allow-list of public
 * members rather than by deleting `d`, so no private member can slip through.
 */
export function publicJwk(jwk: JWK & { kid: string }): JWK {
  return {
    kty: jwk.kty,
    crv: jwk.crv,
    x: jwk.x,
    y: jwk.y,
    kid: jwk.kid,
    alg: ACCESS_TOKEN_ALG,
    use: "sig",
  };
}

/**
 * Loads the private key and checks that it matches its public members by
 * signing and verifying a probe token, so a mismatched key fails at start-up
 * rather than producing tokens no service accepts.
 *
 * @throws {ConfigError} when the key is missing, malformed or inconsistent.
 */
export async function createAccessTokenSigner(options: SignerOptions): Promise<AccessTokenSigner> {
  const { issuer, audience, ttlSeconds = ACCESS_TOKEN_TTL_SECONDS } = options;
  const jwk = parsePrivateJwk(options.privateJwk);
  const pub = publicJwk(jwk);
  // jose's own key type: with other packages' Node typings in one type check, the
  // global CryptoKey and jose's differ, so no cast to the global one.
  let privateKey: Awaited<ReturnType<typeof importJWK>>;
  try {
    privateKey = await importJWK({ ...jwk, alg: ACCESS_TOKEN_ALG }, ACCESS_TOKEN_ALG);
    const publicKey = await importJWK(pub, ACCESS_TOKEN_ALG);
    const probe = await new SignJWT({}).setProtectedHeader({ alg: ACCESS_TOKEN_ALG }).sign(
      privateKey,
    );
    await jwtVerify(probe, publicKey, { algorithms: [ACCESS_TOKEN_ALG] });
  } catch {
    return fail("is not a usable ES256 key pair (the private and public members do not match)");
  }
  const jwks: JSONWebKeySet = { keys: [pub] };
  return {
    kid: jwk.kid,
    jwks,
    async sign(subject) {
      const issuedAt = Math.floor(Date.now() / 1000);
      const expiresAt = issuedAt + ttlSeconds;
      const token = await new SignJWT({ username: subject.username })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: jwk.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject.id)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(crypto.randomUUID())
        .sign(privateKey);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
  };
}
