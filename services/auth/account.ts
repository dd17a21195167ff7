/**
 * Rules for accounts: what a valid email, username and password are, and the
 * public shape of a user. Pure functions, unit-tested.
 */
import { z } from "zod";

/** Emails are compared and stored lower-case. */
export const emailSchema = z.string().trim().max(254).email("Must be an email address.")
  .transform((value) => value.toLowerCase());

/** 3–30 letters, digits or underscores, starting with a letter. */
export const usernameSchema = z.string().trim().regex(
  /^[A-Za-z][A-Za-z0-9_]{2,29}$/,
  "Must be 3–30 letters, digits or underscores, starting with a letter.",
);

/** ISO 3166-1 alpha-2 country code. */
export const countrySchema = z.string().regex(/^[A-Z]{2}$/, "Must be an ISO 3166-1 alpha-2 code.");

// The upper bound keeps a single request from buying minutes of argon2 time.
export const passwordSchema = z.string().min(8, "Must be at least 8 characters.").max(
  128,
  "Must be at most 128 characters.",
);

/**
 * Returns why `password` is unacceptable for this account, or undefined.
 * Beyond the length rule: it may not be the email, its local part or the username.
 */
export function passwordProblem(
  password: string,
  email: string,
  username: string,
): string | undefined {
  const lowered = password.trim().toLowerCase();
  const forbidden = [
    email.toLowerCase(),
    email.split("@")[0].toLowerCase(),
    username.toLowerCase(),
  ];
  if (forbidden.includes(lowered)) return "Must not be your email or username.";
  return undefined;
}

/** A user as stored. */
export interface UserRow {
  id: string;
  email: string;
  username: string;
  password_hash: string;
  country: string | null;
  email_verified_at: Date | null;
  created_at: Date;
}

/** A user as clients see it: never a hash or a token. */
export interface PublicUser {
  id: string;
  email: string;
  username: string;
  country: string | null;
  emailVerified: boolean;
  createdAt: string;
}

/** Maps a stored user to its public shape. */
export function publicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    country: row.country,
    emailVerified: row.email_verified_at !== null,
    createdAt: row.created_at.toISOString(),
  };
}
