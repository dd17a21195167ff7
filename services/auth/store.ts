/** Plain SQL of the auth service. Functions taking `Tx` run inside the caller's transaction. */
import type { Sql, Tx } from "@mp/shared/db";
import { canonicalIdentity } from "@mp/shared/identity";
import type { UserRow } from "./account.ts";

type Db = Sql | Tx;

const userColumns = "id, email, username, password_hash, country, email_verified_at, created_at";

/**
 * Inserts a user with the canonical keys of its email and username; a duplicate
 * (by canonical form) raises the unique-violation (23505).
 */
export async function insertUser(
  tx: Db,
  user: {
    id: string;
    email: string;
    username: string;
    passwordHash: string;
    country: string | null;
  },
): Promise<UserRow> {
  const [row] = await tx<UserRow[]>`insert into users
      (id, email, username, email_key, username_key, password_hash, country)
    values (${user.id}, ${user.email}, ${user.username}, ${canonicalIdentity(user.email)},
      ${canonicalIdentity(user.username)}, ${user.passwordHash}, ${user.country})
    returning ${tx.unsafe(userColumns)}`;
  return row;
}

/** Which of email/username are already taken (compared by canonical form). */
export async function takenIdentifiers(db: Db, email: string, username: string) {
  const emailKey = canonicalIdentity(email);
  const usernameKey = canonicalIdentity(username);
  const rows = await db<{ email_key: string; username_key: string }[]>`select email_key,
      username_key from users where email_key = ${emailKey} or username_key = ${usernameKey}`;
  return {
    email: rows.some((r) => r.email_key === emailKey),
    username: rows.some((r) => r.username_key === usernameKey),
  };
}

/**
 * Finds a user by email or username, compared by canonical form
 * (shared/identity.ts): the same form the gateway counts failed logins on.
 */
export async function findUserByLogin(db: Db, login: string): Promise<UserRow | undefined> {
  const key = canonicalIdentity(login);
  const [row] = await db<UserRow[]>`select ${db.unsafe(userColumns)} from users
    where email_key = ${key} or username_key = ${key} limit 1`;
  return row;
}

/** Finds a user by email only, compared by canonical form. */
export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db<UserRow[]>`select ${db.unsafe(userColumns)} from users
    where email_key = ${canonicalIdentity(email)}`;
  return row;
}

/** Finds a user by id; `forUpdate` locks the row for the rest of the transaction. */
export async function findUserById(
  db: Db,
  id: string,
  forUpdate = false,
): Promise<UserRow | undefined> {
  const [row] = forUpdate
    ? await db<UserRow[]>`select ${db.unsafe(userColumns)} from users where id = ${id} for update`
    : await db<UserRow[]>`select ${db.unsafe(userColumns)} from users where id = ${id}`;
  return row;
}

/** Sets a new password hash. */
export async function updatePassword(tx: Db, userId: string, passwordHash: string): Promise<void> {
  await tx`update users set password_hash = ${passwordHash}, password_changed_at = now() where id = ${userId}`;
}

/** Marks the email verified (idempotent); returns the user. */
export async function markEmailVerified(tx: Db, userId: string): Promise<UserRow> {
  const [row] = await tx<
    UserRow[]
  >`update users set email_verified_at = coalesce(email_verified_at, now())
    where id = ${userId} returning ${tx.unsafe(userColumns)}`;
  return row;
}

// --- refresh-token families -------------------------------------------------

/** Starts a new family (a sign-in) with its first token. */
export async function createFamily(
  tx: Db,
  userId: string,
  tokenHash: Uint8Array,
  expiresAt: Date,
): Promise<void> {
  const familyId = crypto.randomUUID();
  await tx`insert into refresh_families (id, user_id) values (${familyId}, ${userId})`;
  await insertRefreshToken(tx, familyId, tokenHash, expiresAt);
}

/** Adds a token to a family. */
export async function insertRefreshToken(
  tx: Db,
  familyId: string,
  tokenHash: Uint8Array,
  expiresAt: Date,
): Promise<void> {
  await tx`insert into refresh_tokens (id, family_id, token_hash, expires_at)
    values (${crypto.randomUUID()}, ${familyId}, ${tokenHash}, ${expiresAt})`;
}

/** A refresh token with its family's state, locked for update. */
export interface RefreshTokenState {
  id: string;
  family_id: string;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
  family_revoked_at: Date | null;
}

/** Looks a refresh token up by hash and locks it and its family. */
export async function lockRefreshToken(
  tx: Tx,
  tokenHash: Uint8Array,
): Promise<RefreshTokenState | undefined> {
  const [row] = await tx<
    RefreshTokenState[]
  >`select t.id, t.family_id, f.user_id, t.expires_at, t.used_at,
      f.revoked_at as family_revoked_at
    from refresh_tokens t join refresh_families f on f.id = t.family_id
    where t.token_hash = ${tokenHash}
    for update of t, f`;
  return row;
}

/** Marks a token as rotated. */
export async function markRefreshTokenUsed(tx: Db, tokenId: string): Promise<void> {
  await tx`update refresh_tokens set used_at = now() where id = ${tokenId}`;
}

/** Revokes one family. */
export async function revokeFamily(tx: Db, familyId: string, reason: string): Promise<void> {
  await tx`update refresh_families set revoked_at = now(), revoked_reason = ${reason}
    where id = ${familyId} and revoked_at is null`;
}

/** Revokes every live family of a user (sign out everywhere). */
export async function revokeAllFamilies(tx: Db, userId: string, reason: string): Promise<void> {
  await tx`update refresh_families set revoked_at = now(), revoked_reason = ${reason}
    where user_id = ${userId} and revoked_at is null`;
}

// --- one-time tokens (email verification, password reset) -------------------

/** Purposes of one-time tokens. */
export type OneTimePurpose = "verify_email" | "reset_password";

/** Stores a one-time token, retiring earlier unused ones of the same purpose. */
export async function issueOneTimeToken(
  tx: Db,
  userId: string,
  purpose: OneTimePurpose,
  tokenHash: Uint8Array,
  expiresAt: Date,
): Promise<void> {
  // One issuer per user at a time: without the lock two concurrent requests (two
  // forgot-password answers whose lookups run together) each find nothing to
  // retire and both insert, leaving two live tokens.
  await tx`select 1 from users where id = ${userId} for update`;
  await tx`update one_time_tokens set used_at = now()
    where user_id = ${userId} and purpose = ${purpose} and used_at is null`;
  await tx`insert into one_time_tokens (token_hash, user_id, purpose, expires_at)
    values (${tokenHash}, ${userId}, ${purpose}, ${expiresAt})`;
}

/**
 * Consumes a one-time token: marks it used and returns its user id, or
 * undefined when it is unknown, of another purpose, used or expired. The
 * conditional update makes two concurrent uses impossible.
 */
export async function consumeOneTimeToken(
  tx: Db,
  purpose: OneTimePurpose,
  tokenHash: Uint8Array,
): Promise<string | undefined> {
  const [row] = await tx<{ user_id: string }[]>`update one_time_tokens set used_at = now()
    where token_hash = ${tokenHash} and purpose = ${purpose} and used_at is null and expires_at > now()
    returning user_id`;
  return row?.user_id;
}
