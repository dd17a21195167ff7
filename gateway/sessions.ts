/**
 * The gateway's half of the auth contract (docs/CONTRACTS.md): auth proves who
 * the user is and hands out refresh tokens; the gateway turns that into an
 * access token, and keeps the refresh token in an HttpOnly cookie for browsers
 * (non-browser clients use the `refreshToken` in the body instead).
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { Logger } from "@mp/shared/log";
import { AppError, errors, problem } from "@mp/shared/problem";
import type { AccessTokenSigner } from "./keys.ts";

/** Name of the refresh-token cookie. */
export const REFRESH_COOKIE = "refresh_token";
/** The cookie goes only to auth's routes, the only place it is used. */
export const REFRESH_COOKIE_PATH = "/api/v1/auth";
// Browsers refuse cookies that last longer than 400 days (RFC 6265bis), and so does hono/cookie.
const MAX_COOKIE_SECONDS = 400 * 24 * 3600;

/** What auth answers to signup, login and refresh. */
const AuthSession = z.object({
  // Passed through as auth describes it; only the fields the token needs are checked.
  user: z.looseObject({ id: z.string().min(1), username: z.string().min(1) }),
  refreshToken: z.string().min(1),
  refreshTokenExpiresAt: z.iso.datetime({ offset: true }),
});

/** Dependencies of `issueTokens`. */
export interface SessionDeps {
  signer: AccessTokenSigner;
  cookieSecure: boolean;
  log: Logger;
}

const cookieOptions = (secure: boolean) => ({
  path: REFRESH_COOKIE_PATH,
  httpOnly: true,
  secure,
  sameSite: "Strict" as const,
});

/** Sets the refresh-token cookie to last until `expiresAt`. */
export function setRefreshCookie(c: Context, token: string, expiresAt: Date, secure: boolean) {
  const seconds = Math.floor((expiresAt.getTime() - Date.now()) / 1000);
  setCookie(c, REFRESH_COOKIE, token, {
    ...cookieOptions(secure),
    maxAge: Math.min(Math.max(seconds, 0), MAX_COOKIE_SECONDS),
  });
}

/** Tells the browser to forget the refresh-token cookie. */
export function clearRefreshCookie(c: Context, secure: boolean) {
  deleteCookie(c, REFRESH_COOKIE, cookieOptions(secure));
}

/**
 * Turns auth's 2xx session answer into the client's: signs an access token,
 * sets the cookie, keeps auth's status. An answer that breaks the contract is
 * a 502 (logged), never a half-made session.
 */
export async function issueTokens(
  c: Context,
  fromAuth: Response,
  deps: SessionDeps,
): Promise<Response> {
  let session: z.infer<typeof AuthSession>;
  try {
    session = AuthSession.parse(await fromAuth.json());
  } catch (error) {
    // Field paths and reasons only: the body may hold a token, which stays out of logs.
    const problems = error instanceof z.ZodError
      ? error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`)
      : ["the body is not JSON"];
    deps.log.error("auth answered outside the contract", { status: fromAuth.status, problems });
    return problem(502, "bad_gateway", "The service gave an invalid answer.");
  }
  const access = await deps.signer.sign({ id: session.user.id, username: session.user.username });
  setRefreshCookie(
    c,
    session.refreshToken,
    new Date(session.refreshTokenExpiresAt),
    deps.cookieSecure,
  );
  // Token responses must not be stored by any cache (RFC 6749 §5.1).
  c.header("cache-control", "no-store");
  return c.json({
    user: session.user,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt.toISOString(),
    tokenType: "Bearer",
    refreshToken: session.refreshToken,
    refreshTokenExpiresAt: session.refreshTokenExpiresAt,
  }, fromAuth.status as ContentfulStatusCode);
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;

/**
 * The body to send auth for refresh and logout: the client's JSON object, with
 * `refreshToken` taken from the cookie when the body has none. Auth validates
 * the result (unknown fields, types, a missing token) like any other body.
 *
 * @throws {AppError} 415 for a non-JSON body, 400 for malformed JSON or a non-object.
 */
export function withRefreshToken(c: Context, raw: Uint8Array): Uint8Array<ArrayBuffer> {
  let body: Record<string, unknown> = {};
  if (raw.byteLength > 0) {
    if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new AppError(415, "unsupported_media_type", "The body must be application/json.");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      throw new AppError(400, "malformed_json", "The body is not valid JSON.");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw errors.validation([{ pointer: "", detail: "Must be a JSON object." }]);
    }
    body = parsed as Record<string, unknown>;
  }
  const cookie = getCookie(c, REFRESH_COOKIE);
  if (body.refreshToken === undefined && cookie) body = { ...body, refreshToken: cookie };
  return new TextEncoder().encode(JSON.stringify(body));
}

/** A string field of a JSON object body, or undefined for anything else. */
export function jsonStringField(raw: Uint8Array, field: string): string | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(raw));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const member = (value as Record<string, unknown>)[field];
    return typeof member === "string" && member.trim() !== "" ? member : undefined;
  } catch {
    return undefined;
  }
}
