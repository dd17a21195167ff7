/**
 * The gateway's signing key pair. `deno task keys` prints a fresh pair in
 * `.env` form (for docker-compose); `deno task dev` and the tests call
 * `generateKeys()`.
 */
import { exportJWK, generateKeyPair } from "jose";

/** An ES256 key pair as the fleet's configuration carries it. */
export interface FleetKeys {
  /** The private JWK as JSON text, with `kid` and `alg`: the gateway's `JWT_PRIVATE_JWK`. */
  privateJwk: string;
  /** The public JWKS as JSON text: every service's `JWT_JWKS`. */
  jwks: string;
}

/** Generates a fresh ES256 key pair with a random `kid`. */
export async function generateKeys(): Promise<FleetKeys> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = crypto.randomUUID();
  const { kty, crv, x, y, d } = await exportJWK(privateKey);
  const pub = await exportJWK(publicKey);
  return {
    privateJwk: JSON.stringify({ kty, crv, x, y, d, kid, alg: "ES256", use: "sig" }),
    jwks: JSON.stringify({
      keys: [{ kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y, kid, alg: "ES256", use: "sig" }],
    }),
  };
}

/** The pair as `.env` lines (single-quoted: the JSON holds double quotes). */
export function keysAsEnvFile(keys: FleetKeys): string {
  return [
    "# The gateway's ES256 signing key (secret) and its public JWKS (given to every service).",
    `JWT_PRIVATE_JWK='${keys.privateJwk}'`,
    `JWT_JWKS='${keys.jwks}'`,
    "",
  ].join("\n");
}

if (import.meta.main) {
  // `deno task keys >> .env`
  console.log(keysAsEnvFile(await generateKeys()).trimEnd());
}
