/**
 * The token verifier, with real ES256 keys: what it accepts and refuses, and
 * that remembering verified tokens changes no answer (an expired token is
 * refused though it was remembered; a token differing in one character is
 * verified afresh).
 */
import assert from "node:assert/strict";
import { createTokenVerifier, type TokenVerifier } from "./jwt.ts";
import { createTestKeys, type TestKeys } from "./testing/keys.ts";

const USER = { sub: crypto.randomUUID(), username: "ada" };

async function refused(verifier: TokenVerifier, token: string) {
  await assert.rejects(verifier.verify(token), (error: { status?: number }) => {
    assert.equal(error.status, 401);
    return true;
  });
}

function verifierFor(keys: TestKeys, clock: { ms: number }, cacheSize?: number) {
  return createTokenVerifier({
    jwks: keys.jwks,
    issuer: keys.issuer,
    audience: keys.audience,
    cacheSize,
    now: () => clock.ms,
  });
}

Deno.test("a valid token gives its caller, again and again", async () => {
  const keys = await createTestKeys();
  const verifier = verifierFor(keys, { ms: Date.now() });
  const token = await keys.sign(USER);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await verifier.verify(token), { userId: USER.sub, username: "ada" });
  }
});

Deno.test("a remembered token is refused once it expires (5 s tolerance)", async () => {
  const keys = await createTestKeys();
  const clock = { ms: Date.now() };
  const verifier = verifierFor(keys, clock);
  const token = await keys.sign(USER, { expiresIn: "60s" });
  await verifier.verify(token);
  clock.ms += 64_000;
  assert.equal((await verifier.verify(token)).userId, USER.sub, "inside the tolerance");
  clock.ms += 2_000;
  await refused(verifier, token);
  await refused(verifier, token); // and stays refused
});

Deno.test("with the cache off, expiry is judged the same", async () => {
  const keys = await createTestKeys();
  const clock = { ms: Date.now() };
  const verifier = verifierFor(keys, clock, 0);
  const token = await keys.sign(USER, { expiresIn: "60s" });
  await verifier.verify(token);
  clock.ms += 66_000;
  await refused(verifier, token);
});

Deno.test("a tampered copy of a remembered token is refused", async () => {
  const keys = await createTestKeys();
  const verifier = verifierFor(keys, { ms: Date.now() });
  const token = await keys.sign(USER);
  await verifier.verify(token);
  const [header, payload, signature] = token.split(".");
  const other = btoa(JSON.stringify({ ...JSON.parse(atob(payload)), sub: crypto.randomUUID() }))
    .replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  await refused(verifier, `${header}.${other}.${signature}`);
  const flipped = signature.at(-2) === "A" ? "B" : "A";
  await refused(
    verifier,
    `${header}.${payload}.${signature.slice(0, -2)}${flipped}${signature.at(-1)}`,
  );
  assert.equal((await verifier.verify(token)).userId, USER.sub);
});

Deno.test("tokens of another key, issuer, audience or type are refused", async () => {
  const keys = await createTestKeys();
  const stranger = await createTestKeys();
  const verifier = verifierFor(keys, { ms: Date.now() });
  await refused(verifier, await stranger.sign(USER, { kid: keys.kid }));
  await refused(verifier, await keys.sign(USER, { audience: "elsewhere" }));
  await refused(verifier, await keys.sign(USER, { typ: "JWT" }));
  await refused(verifier, "not.a.token");
});

Deno.test("a full cache forgets its oldest token and still answers rightly", async () => {
  const keys = await createTestKeys();
  const verifier = verifierFor(keys, { ms: Date.now() }, 2);
  const tokens = await Promise.all(
    ["a", "b", "c"].map((name) => keys.sign({ sub: crypto.randomUUID(), username: name })),
  );
  for (const token of [...tokens, ...tokens]) {
    const caller = await verifier.verify(token);
    assert.equal(caller.username, ["a", "b", "c"][tokens.indexOf(token)]);
  }
});
