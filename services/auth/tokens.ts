/**
 * Opaque tokens: 32 random bytes, base64url for the client, SHA-256 in the
 * database. With 256 bits of entropy a fast hash is enough; a stolen table
 * yields nothing usable.
 */
import { Buffer } from "node:buffer";

/** Creates a new opaque token and its hash. */
export async function newToken(): Promise<{ token: string; hash: Uint8Array }> {
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  return { token, hash: await hashToken(token) };
}

/** The stored form of a token. */
export async function hashToken(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}

/** Opaque tokens as clients send them: base64url, 43 characters. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
