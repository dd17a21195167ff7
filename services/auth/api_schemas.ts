/**
 * What the auth service answers, for its OpenAPI document (`publicUser` in
 * account.ts and the handlers in app.ts build these shapes). Sign-in answers
 * (`AuthSession`) go to the gateway, which adds the access token before the
 * client sees them (gateway/session_docs.ts documents that part).
 */
import { z } from "zod";

/** A user as clients see it (`publicUser`): never a hash or a token. */
export const AuthUser = z.object({
  id: z.uuid().meta({ description: "The account's id; the access token's subject (`sub`)." }),
  email: z.string().meta({ description: "Lower-case email address." }),
  username: z.string().meta({ description: "The username, case as chosen at sign-up." }),
  country: z.string().nullable().meta({
    description: "ISO 3166-1 alpha-2 code; null when none was given at sign-up.",
  }),
  emailVerified: z.boolean().meta({
    description: "Whether the email address was confirmed with `POST /verify-email`.",
  }),
  createdAt: z.iso.datetime().meta({ description: "When the account was created (ISO 8601)." }),
}).openapi("AuthUser");

/** Auth's answer to signup, login and refresh: a new refresh token of the session's family. */
export const AuthSession = z.object({
  user: AuthUser,
  refreshToken: z.string().meta({
    description: "Opaque refresh token, single use: `POST /refresh` answers the next one, " +
      "and one presented again signs out its whole session.",
  }),
  refreshTokenExpiresAt: z.iso.datetime().meta({
    description: "When the refresh token expires (ISO 8601).",
  }),
}).openapi("AuthSession");

/** `{ user }`: the caller's account, or the account just verified. */
export const AuthUserAnswer = z.object({ user: AuthUser }).openapi("AuthUserAnswer");

/** A sentence for the person, the answer of routes whose effect happens by mail. */
export const AuthMessage = z.object({
  message: z.string().meta({ description: "What happened, for a person." }),
}).openapi("AuthMessage");
