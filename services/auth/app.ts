/**
 * Routes of the auth service (reached only through the gateway, which signs
 * access tokens from the `{ user, refreshToken }` these routes answer).
 * Declared with `apiRoute`; the document is served at `GET /openapi.json`.
 */
import { z } from "zod";
import type { Sql, Tx } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import { type AuthVariables, requireAuth, type TokenVerifier } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { counter } from "@mp/shared/metrics";
import { AppError, errors } from "@mp/shared/problem";
import { line } from "@mp/shared/text";
import {
  apiRoute,
  jsonRequest,
  jsonResponse,
  problemResponse,
  serveOpenApi,
} from "@mp/shared/openapi";
import {
  countrySchema,
  emailSchema,
  passwordProblem,
  passwordSchema,
  publicUser,
  usernameSchema,
  type UserRow,
} from "./account.ts";
import { AuthMessage, AuthSession, AuthUserAnswer } from "./api_schemas.ts";
import { publish } from "./events.ts";
import { HasherBusyError, type PasswordHasher } from "./password.ts";
import { endSession, rotateRefreshToken, startSession } from "./refresh_tokens.ts";
import * as store from "./store.ts";
import { hashToken, newToken, TOKEN_PATTERN } from "./tokens.ts";

// Business counter on GET /metrics.
const signups = counter("auth_signups_total", "Accounts created (sign-ups committed)");

/** Lifetimes of the tokens auth issues. */
export interface TokenLifetimes {
  refreshMs: number;
  verifyEmailMs: number;
  resetPasswordMs: number;
}

/** What `createApp` needs; built in main.ts, or by tests with real connections. */
export interface AuthDeps {
  sql: Sql;
  hasher: PasswordHasher;
  verifier: TokenVerifier;
  log: Logger;
  lifetimes: TokenLifetimes;
  drain?: Drain;
  readiness?: Record<string, ReadinessCheck>;
}

const invalidCredentials = () =>
  new AppError(401, "invalid_credentials", "The login or password is wrong.");
const invalidRefresh = () =>
  new AppError(401, "invalid_refresh_token", "The refresh token is invalid, expired or revoked.");
const invalidLink = () =>
  new AppError(400, "invalid_token", "The link is invalid, already used or expired.");

const opaqueToken = z.string().max(200);
// After a forgot-password answer, before its lookup: far beyond the answer's
// way out through the gateway, nothing next to a mail's delivery time.
const RESET_WORK_DELAY_MS = 50;

const tags = ["auth"];
const busyAnswer = {
  ...problemResponse(503),
  description: "`busy`: too many sign-ins hashing at once; retry after `Retry-After` seconds.",
};
const session = (description: string) => jsonResponse(AuthSession, description);
const refreshBody = z.strictObject({ refreshToken: opaqueToken });

const routes = {
  signup: apiRoute({
    method: "post",
    path: "/api/v1/auth/signup",
    tags,
    summary: "Create an account and sign in",
    description: "The password may not be the email, its local part or the username.",
    problems: [413],
    request: {
      body: jsonRequest(z.strictObject({
        email: emailSchema,
        username: usernameSchema,
        password: passwordSchema,
        country: countrySchema.optional(),
      })),
    },
    responses: {
      201: session("The new account, signed in."),
      409: problemResponse(409, "`email_taken` or `username_taken` (compared by canonical form)."),
      503: busyAnswer,
    },
  }),
  login: apiRoute({
    method: "post",
    path: "/api/v1/auth/login",
    tags,
    summary: "Sign in with an email or username and a password",
    problems: [413],
    request: {
      body: jsonRequest(z.strictObject({
        login: line(254).meta({ description: "The email address or the username." }),
        password: z.string().min(1).max(128),
      })),
    },
    responses: {
      200: session("A new session."),
      401: problemResponse(401, "`invalid_credentials`, whatever was wrong."),
      503: busyAnswer,
    },
  }),
  refresh: apiRoute({
    method: "post",
    path: "/api/v1/auth/refresh",
    tags,
    summary: "Exchange a refresh token for the next one",
    problems: [413],
    request: { body: jsonRequest(refreshBody) },
    responses: {
      200: session("The session with its next refresh token."),
      401: problemResponse(
        401,
        "`invalid_refresh_token`: unknown, expired or revoked (a used one presented again " +
          "revokes its whole session).",
      ),
    },
  }),
  logout: apiRoute({
    method: "post",
    path: "/api/v1/auth/logout",
    tags,
    summary: "End the session of a refresh token",
    problems: [413],
    request: { body: jsonRequest(refreshBody) },
    responses: { 204: { description: "Signed out (also when the token was already dead)." } },
  }),
  me: apiRoute({
    method: "get",
    path: "/api/v1/auth/me",
    tags,
    summary: "The caller's account",
    bearer: true,
    responses: { 200: jsonResponse(AuthUserAnswer, "The caller's account.") },
  }),
  verifyEmail: apiRoute({
    method: "post",
    path: "/api/v1/auth/verify-email",
    tags,
    summary: "Confirm the email address with the token of the verification mail",
    description: "A token that is unknown, used or expired is a 400 `invalid_token`.",
    problems: [413],
    request: { body: jsonRequest(z.strictObject({ token: opaqueToken })) },
    responses: {
      200: jsonResponse(AuthUserAnswer, "The verified account."),
    },
  }),
  resendVerification: apiRoute({
    method: "post",
    path: "/api/v1/auth/resend-verification",
    tags,
    summary: "Send a new verification mail",
    bearer: true,
    responses: {
      202: jsonResponse(AuthMessage, "The mail is on its way."),
      409: problemResponse(409, "`already_verified`."),
    },
  }),
  forgotPassword: apiRoute({
    method: "post",
    path: "/api/v1/auth/forgot-password",
    tags,
    summary: "Ask for a password reset mail",
    problems: [413],
    request: { body: jsonRequest(z.strictObject({ email: emailSchema })) },
    responses: {
      202: jsonResponse(
        AuthMessage,
        "The same answer whether or not an account uses the email; the mail follows if one does.",
      ),
    },
  }),
  resetPassword: apiRoute({
    method: "post",
    path: "/api/v1/auth/reset-password",
    tags,
    summary: "Set a new password with the token of the reset mail (signs out every session)",
    description: "A token that is unknown, used or expired is a 400 `invalid_token`; the " +
      "password may not be the account's email, its local part or its username.",
    problems: [413],
    request: {
      body: jsonRequest(z.strictObject({ token: opaqueToken, password: passwordSchema })),
    },
    responses: {
      200: jsonResponse(AuthMessage, "The password was reset."),
      503: busyAnswer,
    },
  }),
  changePassword: apiRoute({
    method: "post",
    path: "/api/v1/auth/change-password",
    tags,
    summary: "Change the password (signs out every session, this one included)",
    bearer: true,
    problems: [413],
    request: {
      body: jsonRequest(z.strictObject({
        currentPassword: z.string().min(1).max(128),
        newPassword: passwordSchema,
      })),
    },
    responses: {
      204: { description: "Changed; every session must sign in again." },
      403: problemResponse(403, "`wrong_password`: the current password is wrong."),
      503: busyAnswer,
    },
  }),
};

/** Builds the Hono app of the auth service. */
export function createApp(deps: AuthDeps) {
  const { sql, verifier, log, lifetimes } = deps;
  // Hashing is bounded: when its queue is full, say so at once rather than
  // queue work whose client will have given up by the time it runs. Retry-After
  // is the time the hasher needs to work off what already waits.
  const busy = (error: unknown): never => {
    if (error instanceof HasherBusyError) {
      throw new AppError(503, "busy", "Too many sign-ins at once. Try again in a moment.", {}, {
        "retry-after": String(error.retryAfterSeconds),
      });
    }
    throw error;
  };
  const hasher = {
    hash: (password: string, signal?: AbortSignal) =>
      deps.hasher.hash(password, signal).catch(busy),
    verify: (password: string, hash: string, signal?: AbortSignal) =>
      deps.hasher.verify(password, hash, signal).catch(busy),
  };
  const { app, drain } = createServiceApp<{ Variables: AuthVariables }>({
    log,
    drain: deps.drain,
    readiness: deps.readiness,
  });
  const auth = requireAuth(verifier);
  const later = (ms: number) => new Date(Date.now() + ms);

  // Verifying against a fixed hash when the account does not exist makes a wrong
  // username cost as much as a wrong password, so timing does not reveal accounts.
  const dummyHash = deps.hasher.hash(crypto.randomUUID());

  /** Starts a sign-in: a new refresh-token family, answered as the gateway expects. */
  async function signIn(user: UserRow, tx?: Tx) {
    const { token, expiresAt } = await startSession(tx ?? sql, user.id, lifetimes.refreshMs);
    return {
      user: publicUser(user),
      refreshToken: token,
      refreshTokenExpiresAt: expiresAt.toISOString(),
    };
  }

  function assertPasswordPolicy(
    password: string,
    email: string,
    username: string,
    pointer: string,
  ) {
    const problem = passwordProblem(password, email, username);
    if (problem) throw errors.validation([{ pointer, detail: problem }]);
  }

  // Token first, as before any validation: only these routes need one.
  app.on("GET", "/api/v1/auth/me", auth);
  app.on("POST", "/api/v1/auth/resend-verification", auth);
  app.on("POST", "/api/v1/auth/change-password", auth);

  app.openapi(
    routes.signup,
    async (c) => {
      const input = c.req.valid("json");
      assertPasswordPolicy(input.password, input.email, input.username, "/password");
      await assertAvailable(input.email, input.username);
      const passwordHash = await hasher.hash(input.password, c.req.raw.signal);
      const verification = await newToken();
      const verificationExpiresAt = later(lifetimes.verifyEmailMs);
      try {
        const result = await sql.begin(async (tx) => {
          const user = await store.insertUser(tx, {
            id: crypto.randomUUID(),
            email: input.email,
            username: input.username,
            passwordHash,
            country: input.country ?? null,
          });
          await store.issueOneTimeToken(
            tx,
            user.id,
            "verify_email",
            verification.hash,
            verificationExpiresAt,
          );
          await publish.userRegistered(tx, {
            userId: user.id,
            email: user.email,
            username: user.username,
            country: user.country,
            createdAt: user.created_at.toISOString(),
            verificationToken: verification.token,
            verificationExpiresAt: verificationExpiresAt.toISOString(),
          });
          return await signIn(user, tx);
        });
        signups.inc(); // committed
        return c.json(result, 201);
      } catch (error) {
        // Two signups racing for the same name: the unique index decides.
        if ((error as { code?: string }).code === "23505") {
          await assertAvailable(input.email, input.username);
        }
        throw error;
      }
    },
  );

  async function assertAvailable(email: string, username: string) {
    const taken = await store.takenIdentifiers(sql, email, username);
    if (taken.email) {
      throw errors.conflict("email_taken", "An account with this email already exists.");
    }
    if (taken.username) throw errors.conflict("username_taken", "This username is taken.");
  }

  app.openapi(
    routes.login,
    async (c) => {
      const { login, password } = c.req.valid("json");
      const user = await store.findUserByLogin(sql, login);
      const ok = await hasher.verify(
        password,
        user?.password_hash ?? await dummyHash,
        c.req.raw.signal,
      );
      if (!user || !ok) throw invalidCredentials();
      return c.json(await signIn(user), 200);
    },
  );

  app.openapi(
    routes.refresh,
    async (c) => {
      const { refreshToken } = c.req.valid("json");
      const outcome = await rotateRefreshToken(sql, refreshToken, {
        lifetimeMs: lifetimes.refreshMs,
        log,
      });
      if (!outcome.ok) throw invalidRefresh();
      return c.json({
        user: publicUser(outcome.user),
        refreshToken: outcome.refresh.token,
        refreshTokenExpiresAt: outcome.refresh.expiresAt.toISOString(),
      }, 200);
    },
  );

  app.openapi(
    routes.logout,
    async (c) => {
      await endSession(sql, c.req.valid("json").refreshToken);
      // Logging out twice, or with a dead token, is not an error: the session is gone either way.
      return c.body(null, 204);
    },
  );

  app.openapi(routes.me, async (c) => {
    const user = await store.findUserById(sql, c.var.caller.userId);
    if (!user) throw errors.unauthorized("The account no longer exists.");
    return c.json({ user: publicUser(user) }, 200);
  });

  app.openapi(
    routes.verifyEmail,
    async (c) => {
      const { token } = c.req.valid("json");
      if (!TOKEN_PATTERN.test(token)) throw invalidLink();
      const hash = await hashToken(token);
      const user = await sql.begin(async (tx) => {
        const userId = await store.consumeOneTimeToken(tx, "verify_email", hash);
        if (!userId) return undefined;
        const before = await store.findUserById(tx, userId, true);
        const user = await store.markEmailVerified(tx, userId);
        if (!before?.email_verified_at) {
          await publish.emailVerified(tx, { userId, email: user.email, username: user.username });
        }
        return user;
      });
      if (!user) throw invalidLink();
      return c.json({ user: publicUser(user) }, 200);
    },
  );

  app.openapi(routes.resendVerification, async (c) => {
    const { token, hash } = await newToken();
    const expiresAt = later(lifetimes.verifyEmailMs);
    await sql.begin(async (tx) => {
      const user = await store.findUserById(tx, c.var.caller.userId, true);
      if (!user) throw errors.unauthorized("The account no longer exists.");
      if (user.email_verified_at) {
        throw errors.conflict("already_verified", "The email is already verified.");
      }
      await store.issueOneTimeToken(tx, user.id, "verify_email", hash, expiresAt);
      await publish.emailVerificationRequested(tx, {
        userId: user.id,
        email: user.email,
        username: user.username,
        verificationToken: token,
        verificationExpiresAt: expiresAt.toISOString(),
      });
    });
    return c.json({ message: "A new verification email is on its way." }, 202);
  });

  app.openapi(
    routes.forgotPassword,
    (c) => {
      const { email } = c.req.valid("json");
      // Answer first, look up afterwards: known and unknown emails then do the
      // same work before the answer, so neither its body nor its timing tells
      // whether the account exists. The work waits until the answer is well on
      // its way, so that a known email's token and event do not compete with it
      // for the CPU. Shutdown waits for the work (drain).
      const done = drain.enter();
      setTimeout(() => {
        sendResetLink(email)
          .catch((error) => log.error("password reset request failed", { error: String(error) }))
          .finally(done);
      }, RESET_WORK_DELAY_MS);
      return c.json({ message: "If an account uses this email, a reset link is on its way." }, 202);
    },
  );

  /** Issues a reset token and its event when an account uses `email`; nothing otherwise. */
  async function sendResetLink(email: string) {
    const user = await store.findUserByEmail(sql, email);
    if (!user) return;
    const { token, hash } = await newToken();
    const expiresAt = later(lifetimes.resetPasswordMs);
    await sql.begin(async (tx) => {
      await store.issueOneTimeToken(tx, user.id, "reset_password", hash, expiresAt);
      await publish.passwordResetRequested(tx, {
        userId: user.id,
        email: user.email,
        username: user.username,
        resetToken: token,
        resetExpiresAt: expiresAt.toISOString(),
      });
    });
  }

  app.openapi(
    routes.resetPassword,
    async (c) => {
      const { token, password } = c.req.valid("json");
      if (!TOKEN_PATTERN.test(token)) throw invalidLink();
      const hash = await hashToken(token);
      // Check the policy against the token's account before spending a hash on it.
      const [pending] = await sql<{ user_id: string }[]>`select user_id from one_time_tokens
        where token_hash = ${hash} and purpose = 'reset_password' and used_at is null and expires_at > now()`;
      if (!pending) throw invalidLink();
      const owner = await store.findUserById(sql, pending.user_id);
      if (!owner) throw invalidLink();
      assertPasswordPolicy(password, owner.email, owner.username, "/password");
      const passwordHash = await hasher.hash(password);
      const done = await sql.begin(async (tx) => {
        const userId = await store.consumeOneTimeToken(tx, "reset_password", hash);
        if (!userId) return false; // used concurrently
        await store.updatePassword(tx, userId, passwordHash);
        await store.revokeAllFamilies(tx, userId, "password_reset");
        await publish.passwordChanged(tx, {
          userId,
          email: owner.email,
          username: owner.username,
          via: "reset",
        });
        return true;
      });
      if (!done) throw invalidLink();
      return c.json({ message: "Your password was reset. Sign in with the new password." }, 200);
    },
  );

  app.openapi(
    routes.changePassword,
    async (c) => {
      const { currentPassword, newPassword } = c.req.valid("json");
      const user = await store.findUserById(sql, c.var.caller.userId);
      if (!user) throw errors.unauthorized("The account no longer exists.");
      if (!await hasher.verify(currentPassword, user.password_hash)) {
        throw new AppError(403, "wrong_password", "The current password is wrong.");
      }
      assertPasswordPolicy(newPassword, user.email, user.username, "/newPassword");
      if (newPassword === currentPassword) {
        throw errors.validation([{
          pointer: "/newPassword",
          detail: "Must differ from the current password.",
        }]);
      }
      const passwordHash = await hasher.hash(newPassword);
      await sql.begin(async (tx) => {
        await store.updatePassword(tx, user.id, passwordHash);
        // Every session, this one included, must sign in again with the new password.
        await store.revokeAllFamilies(tx, user.id, "password_changed");
        await publish.passwordChanged(tx, {
          userId: user.id,
          email: user.email,
          username: user.username,
          via: "change",
        });
      });
      return c.body(null, 204);
    },
  );

  serveOpenApi(app, {
    title: "Auth",
    description: "Accounts, sign-in sessions (refresh tokens), email verification and passwords.",
  });
  return { app, drain };
}
