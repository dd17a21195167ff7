/**
 * Routes of the users service (reached only through the gateway): the caller's
 * own profile, public profiles, and seller profiles. A caller can only ever
 * change their own data: every write route is `/me`, keyed by the token's
 * subject, and there is no route that takes another user's id or name to edit.
 */
import { isDeepStrictEqual } from "node:util";
import type { Context, MiddlewareHandler } from "hono";
import type { Sql } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import { type AuthVariables, requireAuth, type TokenVerifier } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { AppError, errors } from "@mp/shared/problem";
import { requireOwnedMedia } from "@mp/shared/media_refs";
import { apiRoute, jsonRequest, jsonResponse, serveOpenApi } from "@mp/shared/openapi";
import { usernamePathParam } from "@mp/shared/api_schemas";
import { PrivateProfile, PublicProfile } from "./api_schemas.ts";
import { publish, refreshSeller } from "./events.ts";
import { sellerLevel } from "./level.ts";
import { applyProfilePatch, privateProfile, profilePatchSchema, publicProfile } from "./profile.ts";
import { sellerCreateSchema, type SellerInput, sellerPatchSchema } from "./seller.ts";
import * as store from "./store.ts";

/** What `createApp` needs; built in main.ts, or by tests with real connections. */
export interface UsersDeps {
  sql: Sql;
  verifier: TokenVerifier;
  log: Logger;
  drain?: Drain;
  readiness?: Record<string, ReadinessCheck>;
}

/** Largest request body accepted; a full seller profile at every limit stays below it. */
export const MAX_BODY_BYTES = 128 * 1024;

// Auth's rule; anything else cannot name a user, so it is answered like an unknown one.
const USERNAME = /^[A-Za-z][A-Za-z0-9_]{2,29}$/;

// The token's subject is auth's user id. The gateway only signs UUIDs; anything else
// is refused here rather than reaching a uuid column as a 500.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const profileNotFound = () =>
  new AppError(
    404,
    "profile_not_found",
    "Your profile does not exist yet: it is created moments after sign-up. Try again shortly.",
  );
const userNotFound = () => new AppError(404, "user_not_found", "No user has this username.");
const sellerNotFound = () => new AppError(404, "seller_not_found", "This user is not a seller.");
const notASeller = () =>
  new AppError(404, "seller_not_found", "You are not a seller yet: POST /api/v1/sellers first.");

const SELLER_FIELDS = [
  "description",
  "skills",
  "languages",
  "education",
  "certifications",
  "portfolio",
] as const;

const tags = ["users"];
const own = (description: string) => jsonResponse(PrivateProfile, description);

const routes = {
  me: apiRoute({
    method: "get",
    path: "/api/v1/users/me",
    tags,
    summary: "The caller's own profile, private fields included",
    bearer: true,
    problems: [404],
    responses: { 200: own("The caller's profile.") },
  }),
  patchMe: apiRoute({
    method: "patch",
    path: "/api/v1/users/me",
    tags,
    summary: "Change the caller's profile (null clears an optional field)",
    bearer: true,
    problems: [404, 413, 422],
    request: { body: jsonRequest(profilePatchSchema) },
    responses: { 200: own("The profile after the change.") },
  }),
  user: apiRoute({
    method: "get",
    path: "/api/v1/users/{username}",
    tags,
    summary: "A user's public profile",
    problems: [404],
    parameters: [usernamePathParam],
    responses: { 200: jsonResponse(PublicProfile, "The public profile.") },
  }),
  becomeSeller: apiRoute({
    method: "post",
    path: "/api/v1/sellers",
    tags: ["sellers"],
    summary: "Become a seller (email verified first)",
    bearer: true,
    problems: [403, 404, 409, 413],
    request: { body: jsonRequest(sellerCreateSchema) },
    responses: { 201: own("The caller's profile with its seller part; `Location` names it.") },
  }),
  patchSeller: apiRoute({
    method: "patch",
    path: "/api/v1/sellers/me",
    tags: ["sellers"],
    summary: "Change the caller's seller profile",
    bearer: true,
    problems: [404, 413],
    request: { body: jsonRequest(sellerPatchSchema) },
    responses: { 200: own("The profile after the change.") },
  }),
  seller: apiRoute({
    method: "get",
    path: "/api/v1/sellers/{username}",
    tags: ["sellers"],
    summary: "A seller's public profile",
    problems: [404],
    parameters: [usernamePathParam],
    responses: { 200: jsonResponse(PublicProfile, "The public profile, with `seller`.") },
  }),
};

/** Builds the Hono app of the users service. */
export function createApp(deps: UsersDeps) {
  const { sql, verifier, log } = deps;
  const { app, drain } = createServiceApp<{ Variables: AuthVariables }>({
    log,
    drain: deps.drain,
    readiness: deps.readiness,
    maxBodyBytes: MAX_BODY_BYTES,
  });
  const verified = requireAuth(verifier);
  const auth: MiddlewareHandler<{ Variables: AuthVariables }> = (c, next) =>
    verified(c, () => {
      if (!UUID.test(c.var.caller.userId)) {
        throw errors.unauthorized("The access token is invalid or expired.");
      }
      return next();
    });

  /** The caller's own profile, private fields included; never cached by anyone. */
  async function me<S extends 200 | 201 = 200>(c: Context, userId: string, status = 200 as S) {
    const bundle = await store.loadBundle(sql, { userId });
    if (!bundle) throw profileNotFound();
    c.header("cache-control", "private, no-store");
    return c.json(privateProfile(bundle), status);
  }

  // Token first, as before any validation: only these methods need one.
  app.on(["GET", "PATCH"], "/api/v1/users/me", auth);
  app.on("POST", "/api/v1/sellers", auth);
  app.on("PATCH", "/api/v1/sellers/me", auth);

  app.openapi(routes.me, (c) => me(c, c.var.caller.userId));

  app.openapi(routes.patchMe, async (c) => {
    const { avatarMediaId, ...fields } = c.req.valid("json");
    const { userId } = c.var.caller;
    // Checked before the transaction: an id just uploaded may wait briefly for its event.
    const patch = avatarMediaId === undefined ? fields : {
      ...fields,
      avatarUrl: (await requireOwnedMedia(sql, avatarMediaId, userId, "avatar", "avatarMediaId", {
        publicUrl: true,
      }))[0].url,
    };
    await sql.begin(async (tx) => {
      await store.lockUser(tx, userId);
      const current = await store.findProfileById(tx, userId);
      if (!current) throw profileNotFound();
      const { next, changed } = applyProfilePatch(current, patch);
      if (changed.length === 0) return; // the same values again: nothing to store or announce
      const updated = await store.updateProfile(tx, userId, next);
      await publish.profileUpdated(tx, updated);
      // Seller events carry the name and avatar shown on gig cards.
      if (changed.includes("displayName") || changed.includes("avatarUrl")) {
        await refreshSeller(tx, userId, "always");
      }
    });
    return me(c, userId);
  });

  app.openapi(routes.user, async (c) => {
    const username = c.req.param("username") ?? "";
    const bundle = USERNAME.test(username) ? await store.loadBundle(sql, { username }) : undefined;
    if (!bundle) throw userNotFound();
    return c.json(publicProfile(bundle), 200);
  });

  app.openapi(routes.becomeSeller, async (c) => {
    const input = c.req.valid("json");
    const { userId } = c.var.caller;
    const username = await sql.begin(async (tx) => {
      await store.lockUser(tx, userId);
      const profile = await store.findProfileById(tx, userId);
      if (!profile) throw profileNotFound();
      if (await store.findSeller(tx, userId)) {
        throw errors.conflict("seller_exists", "You already have a seller profile.");
      }
      if (!await store.isEmailVerified(tx, userId)) {
        throw new AppError(
          403,
          "email_not_verified",
          "Verify your email address before becoming a seller.",
        );
      }
      // Orders and reviews counted before today (events that came first) count now.
      const level = sellerLevel(await store.sellerNumbers(tx, userId));
      const seller = await store.insertSeller(tx, userId, input, level);
      await publish.sellerCreated(tx, profile, seller);
      return profile.username;
    });
    c.header("location", `/api/v1/sellers/${username}`);
    return me(c, userId, 201 as const);
  });

  app.openapi(routes.patchSeller, async (c) => {
    const patch = c.req.valid("json");
    const { userId } = c.var.caller;
    await sql.begin(async (tx) => {
      await store.lockUser(tx, userId);
      const current = await store.findSeller(tx, userId);
      if (!current) throw notASeller();
      const next: SellerInput = {
        description: patch.description ?? current.description,
        skills: patch.skills ?? current.skills,
        languages: patch.languages ?? current.languages,
        education: patch.education ?? current.education,
        certifications: patch.certifications ?? current.certifications,
        portfolio: patch.portfolio ?? current.portfolio,
      };
      // Deep equality, not JSON text: jsonb returns object keys in its own order.
      const changed = SELLER_FIELDS.some((field) =>
        !isDeepStrictEqual(next[field], current[field])
      );
      if (!changed) return;
      const level = sellerLevel(await store.sellerNumbers(tx, userId));
      const updated = await store.updateSeller(tx, userId, { ...next, level });
      const profile = await store.findProfileById(tx, userId);
      await publish.sellerUpdated(tx, profile!, updated);
    });
    return me(c, userId);
  });

  app.openapi(routes.seller, async (c) => {
    const username = c.req.param("username") ?? "";
    const bundle = USERNAME.test(username) ? await store.loadBundle(sql, { username }) : undefined;
    if (!bundle?.seller) throw sellerNotFound();
    return c.json(publicProfile(bundle), 200);
  });

  serveOpenApi(app, { title: "Users", description: "Profiles and seller profiles." });
  return { app, drain };
}
