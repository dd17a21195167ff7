/**
 * Refresh-token families, as orders keeps its rules in transitions.ts. A sign-in
 * starts a family; a refresh rotates its token (the presented one is marked
 * used, a new one joins the family); a used token presented again means someone
 * holds a copy, so the whole family is revoked (reuse detection). `judgeRefresh`
 * is the rule (pure); the other functions apply it under the row locks of the
 * token and its family, so concurrent refreshes of one token rotate it once.
 */
import type { Sql, Tx } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import type { UserRow } from "./account.ts";
import {
  createFamily,
  findUserById,
  insertRefreshToken,
  lockRefreshToken,
  markRefreshTokenUsed,
  type RefreshTokenState,
  revokeFamily,
} from "./store.ts";
import { hashToken, newToken, TOKEN_PATTERN } from "./tokens.ts";

/**
 * What a presented refresh token earns: `rotate` (live), or why not: `unknown`
 * (malformed or never issued), `revoked` (its family ended), `reused` (already
 * rotated: the family must end), `expired`.
 */
export type RefreshVerdict = "rotate" | "unknown" | "revoked" | "reused" | "expired";

/** The rule of a refresh, given the token's stored state (none when unknown). */
export function judgeRefresh(state: RefreshTokenState | undefined, now: Date): RefreshVerdict {
  if (!state) return "unknown";
  if (state.family_revoked_at) return "revoked";
  if (state.used_at) return "reused";
  if (state.expires_at.getTime() <= now.getTime()) return "expired";
  return "rotate";
}

/** A refresh token handed to the client. */
export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
}

/** Starts a sign-in: a new family with its first token, valid `lifetimeMs`. */
export async function startSession(
  db: Sql | Tx,
  userId: string,
  lifetimeMs: number,
): Promise<IssuedRefreshToken> {
  const { token, hash } = await newToken();
  const expiresAt = new Date(Date.now() + lifetimeMs);
  await createFamily(db, userId, hash, expiresAt);
  return { token, expiresAt };
}

/** The outcome of `rotateRefreshToken`. */
export type RotateResult =
  | { ok: true; user: UserRow; refresh: IssuedRefreshToken }
  | { ok: false; verdict: Exclude<RefreshVerdict, "rotate"> };

/**
 * Rotates `refreshToken`: on `rotate` marks it used and issues its successor in
 * the same family (valid `lifetimeMs`); on `reused` revokes the family
 * (`reuse_detected`) and logs it; otherwise changes nothing.
 */
export async function rotateRefreshToken(
  sql: Sql,
  refreshToken: string,
  { lifetimeMs, log }: { lifetimeMs: number; log: Logger },
): Promise<RotateResult> {
  if (!TOKEN_PATTERN.test(refreshToken)) return { ok: false, verdict: "unknown" };
  const hash = await hashToken(refreshToken);
  const result = await sql.begin(
    async (tx): Promise<RotateResult & { state?: RefreshTokenState }> => {
      const state = await lockRefreshToken(tx, hash);
      const verdict = judgeRefresh(state, new Date());
      if (verdict === "reused") await revokeFamily(tx, state!.family_id, "reuse_detected");
      if (verdict !== "rotate") return { ok: false, verdict, state };
      await markRefreshTokenUsed(tx, state!.id);
      const next = await newToken();
      const expiresAt = new Date(Date.now() + lifetimeMs);
      await insertRefreshToken(tx, state!.family_id, next.hash, expiresAt);
      const user = await findUserById(tx, state!.user_id);
      return { ok: true, user: user!, refresh: { token: next.token, expiresAt } };
    },
  );
  if (!result.ok && result.verdict === "reused") {
    // Logged after the commit: the transaction may run more than once.
    log.warn("refresh token reuse, family revoked", {
      familyId: result.state!.family_id,
      userId: result.state!.user_id,
    });
  }
  return result.ok ? result : { ok: false, verdict: result.verdict };
}

/** Ends the family of `refreshToken` (logout); an unknown or dead token changes nothing. */
export async function endSession(sql: Sql, refreshToken: string): Promise<void> {
  if (!TOKEN_PATTERN.test(refreshToken)) return;
  const hash = await hashToken(refreshToken);
  await sql.begin(async (tx) => {
    const state = await lockRefreshToken(tx, hash);
    if (state) await revokeFamily(tx, state.family_id, "logout");
  });
}
