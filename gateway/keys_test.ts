import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from "jose";
import { ConfigError } from "@mp/shared/config";
import { createTokenVerifier } from "@mp/shared/jwt";
import { AppError } from "@mp/shared/problem";
import { createTestKeys } from "@mp/shared/testing";
import { ACCESS_TOKEN_TTL_SECONDS, createAccessTokenSigner } from "./keys.ts";
import { json, startGateway } from "./test_support.ts";

const issuer = "marketplace-gateway";
const audience = "marketplace";
const alice = { id: "8d0f5a3e-1f6b-4c52-9a43-0b7e2f1d9c11", username: "alice" };

async function gatewaySigner() {
  const keys = await createTestKeys();
  const signer = await createAccessTokenSigner({
    privateJwk: JSON.stringify(keys.privateJwk),
    issuer,
    audience,
  });
  const privateKey = await importJWK(keys.privateJwk as Parameters<typeof importJWK>[0], "ES256");
  return { keys, signer, privateKey };
}

const base64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-")
    .replace(/\//g, "_");

const isUnauthorized = (error: unknown) => error instanceof AppError && error.status === 401;

Deno.test("GET /.well-known/jwks.json serves the public key only: no private member leaks", async () => {
  const gateway = await startGateway();
  try {
    const response = await fetch(`${gateway.url}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    const text = await response.text();
    const jwks = JSON.parse(text);
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.deepEqual(Object.keys(key).sort(), ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    assert.equal(key.kid, gateway.keys.kid);
    assert.equal(key.alg, "ES256");
    for (const member of ["d", "p", "q", "dp", "dq", "qi", "k"]) {
      assert.equal(key[member], undefined, member);
    }
    assert.ok(!text.includes(String((gateway.keys.privateJwk as { d: string }).d)));
  } finally {
    await gateway.close();
  }
});

Deno.test("an issued access token verifies with shared/jwt.ts and carries the contract's header and claims", async () => {
  const { signer } = await gatewaySigner();
  const before = Math.floor(Date.now() / 1000);
  const { token, expiresAt } = await signer.sign(alice);
  const verifier = createTokenVerifier({ jwks: JSON.stringify(signer.jwks), issuer, audience });
  assert.deepEqual(await verifier.verify(token), { userId: alice.id, username: "alice" });

  assert.deepEqual(decodeProtectedHeader(token), { alg: "ES256", kid: signer.kid, typ: "at+jwt" });
  const claims = decodeJwt(token);
  assert.equal(claims.iss, issuer);
  assert.equal(claims.aud, audience);
  assert.equal(claims.sub, alice.id);
  assert.equal(claims.username, "alice");
  assert.ok(claims.iat! >= before);
  assert.equal(claims.exp, claims.iat! + ACCESS_TOKEN_TTL_SECONDS);
  assert.equal(ACCESS_TOKEN_TTL_SECONDS, 15 * 60);
  assert.equal(expiresAt.getTime(), claims.exp! * 1000);
  assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
  assert.notEqual(
    decodeJwt((await signer.sign(alice)).token).jti,
    claims.jti,
    "every token has its own jti",
  );
});

Deno.test("the gateway's JWKS rejects alg:none, other keys, wrong aud/iss/typ, expired and tampered tokens", async () => {
  const { signer, privateKey } = await gatewaySigner();
  const verifier = createTokenVerifier({ jwks: signer.jwks, issuer, audience });
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: alice.id, username: "alice" };
  const signWith = (
    key: Awaited<ReturnType<typeof importJWK>>,
    header: { alg: string; kid?: string; typ?: string },
    edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt,
  ) =>
    edit(
      new SignJWT(claims).setProtectedHeader({ kid: signer.kid, typ: "at+jwt", ...header })
        .setIssuer(issuer).setAudience(audience).setIssuedAt(now).setExpirationTime(now + 600),
    ).sign(key);

  const valid = (await signer.sign(alice)).token;
  const [header, payload, signature] = valid.split(".");
  const tamperedPayload = base64url({
    ...decodeJwt(valid),
    sub: "someone-else",
    username: "admin",
  });
  const other = await createTestKeys();

  const bad: Record<string, string> = {
    "alg none": `${base64url({ alg: "none", typ: "at+jwt", kid: signer.kid })}.${payload}.`,
    "alg none, no signature part": `${base64url({ alg: "none", typ: "at+jwt" })}.${payload}`,
    "another key under the gateway's kid": await other.sign(claims, { kid: signer.kid }),
    "another key under its own kid": await other.sign(claims),
    "HS256 keyed with the public x coordinate": await signWith(
      new TextEncoder().encode(String(signer.jwks.keys[0].x)),
      { alg: "HS256" },
    ),
    "wrong audience": await signWith(
      privateKey,
      { alg: "ES256" },
      (jwt) => jwt.setAudience("other"),
    ),
    "wrong issuer": await signWith(
      privateKey,
      { alg: "ES256" },
      (jwt) => jwt.setIssuer("evil"),
    ),
    "typ JWT instead of at+jwt": await signWith(privateKey, {
      alg: "ES256",
      typ: "JWT",
    }),
    "expired a minute ago": await signWith(
      privateKey,
      { alg: "ES256" },
      (jwt) => jwt.setIssuedAt(now - 960).setExpirationTime(now - 60),
    ),
    "tampered payload": `${header}.${tamperedPayload}.${signature}`,
    "tampered signature": `${header}.${payload}.${signature.slice(0, -4)}AAAA`,
    "not a JWT": "not-a-token",
  };
  for (const [what, token] of Object.entries(bad)) {
    await assert.rejects(verifier.verify(token), isUnauthorized, what);
  }
  // The control: the same verifier accepts the untouched token.
  assert.equal((await verifier.verify(valid)).userId, alice.id);
});

Deno.test("createAccessTokenSigner() refuses a bad JWT_PRIVATE_JWK, naming the variable and never the key", async () => {
  const keys = await createTestKeys();
  const good = keys.privateJwk as Record<string, string>;
  const other = (await createTestKeys()).privateJwk as Record<string, string>;
  const cases: Record<string, string> = {
    "not JSON": `{"kty":"EC","d":"${good.d}"`,
    "not an object": "[1,2]",
    "an RSA key": JSON.stringify({ kty: "RSA", n: "x", e: "AQAB", d: "y", kid: "k" }),
    "a public key": JSON.stringify({ ...good, d: undefined }),
    "no kid": JSON.stringify({ ...good, kid: undefined }),
    "another algorithm": JSON.stringify({ ...good, alg: "ES384" }),
    "private part of another key": JSON.stringify({ ...good, d: other.d }),
    "garbage coordinates": JSON.stringify({ ...good, x: "AAAA" }),
  };
  for (const [what, privateJwk] of Object.entries(cases)) {
    await assert.rejects(
      createAccessTokenSigner({ privateJwk, issuer, audience }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, what);
        assert.match(error.message, /JWT_PRIVATE_JWK/, what);
        assert.ok(
          !error.message.includes(good.d) && !error.message.includes(other.d),
          `${what}: leaks d`,
        );
        return true;
      },
    );
  }
});

Deno.test("tokens signed by one gateway verify at a replica started with the same key", async () => {
  const keys = await createTestKeys();
  const first = await createAccessTokenSigner({
    privateJwk: JSON.stringify(keys.privateJwk),
    issuer,
    audience,
  });
  const replica = await createAccessTokenSigner({
    privateJwk: JSON.stringify(keys.privateJwk),
    issuer,
    audience,
  });
  assert.deepEqual(replica.jwks, first.jwks);
  const verifier = createTokenVerifier({ jwks: replica.jwks, issuer, audience });
  assert.equal((await verifier.verify((await first.sign(alice)).token)).username, "alice");
});

Deno.test("the JWKS answer may be cached briefly by services and proxies", async () => {
  const gateway = await startGateway();
  try {
    const response = await fetch(`${gateway.url}/.well-known/jwks.json`);
    await json(response);
    assert.equal(response.headers.get("cache-control"), "public, max-age=300");
    assert.equal(response.headers.get("content-type"), "application/json");
  } finally {
    await gateway.close();
  }
});
