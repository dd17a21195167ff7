/**
 * Events the auth service publishes (through its outbox). Shapes are the
 * contract in docs/CONTRACTS.md; consumers parse only what they use.
 */
import type { Tx } from "@mp/shared/db";
import { enqueueEvent } from "@mp/shared/outbox";

/** `user.registered`: a new account, with its first email-verification token. */
export interface UserRegistered {
  userId: string;
  email: string;
  username: string;
  country: string | null;
  createdAt: string;
  verificationToken: string;
  verificationExpiresAt: string;
}

/** `user.email_verification_requested`: a fresh verification token was issued. */
export interface EmailVerificationRequested {
  userId: string;
  email: string;
  username: string;
  verificationToken: string;
  verificationExpiresAt: string;
}

/** `user.email_verified`. */
export interface EmailVerified {
  userId: string;
  email: string;
  username: string;
}

/** `user.password_reset_requested`: carries the single-use reset token for the mail. */
export interface PasswordResetRequested {
  userId: string;
  email: string;
  username: string;
  resetToken: string;
  resetExpiresAt: string;
}

/** `user.password_changed`, by the user (`change`) or through a reset link (`reset`). */
export interface PasswordChanged {
  userId: string;
  email: string;
  username: string;
  via: "change" | "reset";
}

/** Typed publishers; each writes to the outbox inside the caller's transaction. */
export const publish = {
  userRegistered: (tx: Tx, data: UserRegistered) => enqueueEvent(tx, "user.registered", data),
  emailVerificationRequested: (tx: Tx, data: EmailVerificationRequested) =>
    enqueueEvent(tx, "user.email_verification_requested", data),
  emailVerified: (tx: Tx, data: EmailVerified) => enqueueEvent(tx, "user.email_verified", data),
  passwordResetRequested: (tx: Tx, data: PasswordResetRequested) =>
    enqueueEvent(tx, "user.password_reset_requested", data),
  passwordChanged: (tx: Tx, data: PasswordChanged) =>
    enqueueEvent(tx, "user.password_changed", data),
};
