/**
 * Routes of the gigs service (reached only through the gateway). Reading gigs,
 * searching and the category list are public; writing needs a bearer token,
 * publishing a gig needs a seller profile, and changing one needs to own it.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { Sql, Tx } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import {
  type AuthVariables,
  bearerToken,
  type Caller,
  requireAuth,
  type TokenVerifier,
} from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { counter } from "@mp/shared/metrics";
import { apiRoute, jsonRequest, jsonResponse, serveOpenApi } from "@mp/shared/openapi";
import { AppError, errors } from "@mp/shared/problem";
import { requireOwnedMedia } from "@mp/shared/media_refs";
import { linksOf, tooManyImages, uploadUrlsOf } from "./images.ts";
import {
  CategoryList,
  FavoritesPage,
  GigEnvelope,
  OwnGigsPage,
  SearchResultPage,
  SuggestionList,
} from "./api_schemas.ts";
import type { GigCache } from "./cache.ts";
import { publish } from "./events.ts";
import {
  editedRequirementIds,
  type Gig,
  gigCreateSchema,
  gigPatchSchema,
  type GigRow,
  newRequirementIds,
  toGig,
} from "./gig.ts";
import {
  MAX_LIMIT,
  MAX_OFFSET,
  normalizeSearch,
  pageFields,
  search,
  searchQuerySchema,
} from "./search.ts";
import * as store from "./store.ts";
import { suggest, suggestQuerySchema } from "./suggest.ts";
import { belongsTo, TAXONOMY } from "./taxonomy.ts";

// Business counter on GET /metrics: `cache` (Redis answered) or `database`.
const searches = counter("gigs_searches_total", "Gig searches answered, by where from", [
  "source",
]);

/** What `createApp` needs; built in main.ts, or by tests with real connections. */
export interface GigsDeps {
  sql: Sql;
  cache: GigCache;
  verifier: TokenVerifier;
  log: Logger;
  drain?: Drain;
  readiness?: Record<string, ReadinessCheck>;
}

/** Largest JSON body accepted (a gig at every limit fits with room to spare). */
export const MAX_BODY_BYTES = 64 * 1024;

const idParam = z.object({
  id: z.uuid({ message: "Must be a gig id (UUID)." }).meta({ description: "The gig's id." }),
});

const pageQuery = z.strictObject(pageFields)
  .transform(({ page = 1, limit = 20 }) => ({ page, limit, offset: (page - 1) * limit }))
  .refine((q) => q.offset < MAX_OFFSET, {
    path: ["page"],
    message: `Pages reach the first ${MAX_OFFSET} items.`,
  });

const notFound = () => errors.notFound("No such gig.");
const notASeller = () =>
  new AppError(
    403,
    "not_a_seller",
    "Only sellers can publish gigs; create a seller profile first.",
  );
const notOwner = () => new AppError(403, "not_owner", "Only the gig's seller may change it.");

const tags = ["gigs"];
const gigAnswer = (description: string) => jsonResponse(GigEnvelope, description);
const idRequest = { params: idParam };

const routes = {
  categories: apiRoute({
    method: "get",
    path: "/api/v1/gigs/categories",
    tags,
    summary: "The category taxonomy with counts of active gigs",
    responses: { 200: jsonResponse(CategoryList, "Every category and subcategory.") },
  }),
  favorites: apiRoute({
    method: "get",
    path: "/api/v1/gigs/favorites",
    tags: ["favorites"],
    summary: "The caller's saved gigs that are active, most recently saved first",
    bearer: true,
    request: { query: pageQuery },
    responses: { 200: jsonResponse(FavoritesPage, "One page of saved gigs.") },
  }),
  mine: apiRoute({
    method: "get",
    path: "/api/v1/gigs/mine",
    tags,
    summary: "The caller's own active and paused gigs, newest first",
    bearer: true,
    request: { query: pageQuery },
    responses: { 200: jsonResponse(OwnGigsPage, "One page of the caller's gigs.") },
  }),
  search: apiRoute({
    method: "get",
    path: "/api/v1/gigs",
    tags: ["search"],
    summary: "Search active gigs: keywords, filters, sort, page, category facets",
    description: "Unknown or repeated parameters are a 400. Prices are compared in minor " +
      "units of each gig's own currency (no conversion). Paging is by `page` and `limit` " +
      `(at most ${MAX_LIMIT}); pages reach the first ${MAX_OFFSET} results.`,
    request: { query: searchQuerySchema },
    responses: { 200: jsonResponse(SearchResultPage, "One page of results.") },
  }),
  suggestions: apiRoute({
    method: "get",
    path: "/api/v1/gigs/suggestions",
    tags: ["search"],
    summary: "Tags, categories and gig titles that complete or correct what was typed",
    description: "For a search box: prefix completions first, then corrections (the same " +
      "typo budget as search), at most 8. `Cache-Control: public, max-age=60`.",
    request: { query: suggestQuerySchema },
    responses: { 200: jsonResponse(SuggestionList, "The suggestions (maybe none).") },
  }),
  create: apiRoute({
    method: "post",
    path: "/api/v1/gigs",
    tags,
    summary: "Publish a gig (sellers only); it is active at once",
    description: "A caller without a seller profile gets 403 `not_a_seller`.",
    bearer: true,
    problems: [403, 413, 422],
    request: {
      body: jsonRequest(
        gigCreateSchema,
        "The gig. Prices are integer minor units; unknown fields (owner, status, rating, " +
          "ids, dates) are a 400.",
      ),
    },
    responses: {
      201: {
        ...gigAnswer("The new gig."),
        headers: {
          Location: { description: "`/api/v1/gigs/{id}`", schema: { type: "string" } },
        },
      },
    },
  }),
  gig: apiRoute({
    method: "get",
    path: "/api/v1/gigs/{id}",
    tags,
    summary: "One gig (a paused one only for its seller)",
    description: "The token is optional: with one (a bad one is a 401), the seller also " +
      "sees their own paused gig. A deleted gig, or someone else's paused one, is a 404.",
    security: [{ bearer: [] }, {}] as { bearer?: string[] }[],
    problems: [401, 404],
    request: idRequest,
    responses: { 200: gigAnswer("The gig.") },
  }),
  edit: apiRoute({
    method: "patch",
    path: "/api/v1/gigs/{id}",
    tags,
    summary: "Change the caller's gig: any fields, at least one; a list replaces the old one",
    description: "Someone else's gig: 403 `not_owner` while it is public, 404 while paused.",
    bearer: true,
    problems: [403, 404, 413, 422],
    request: {
      ...idRequest,
      body: jsonRequest(gigPatchSchema, "Any fields of the gig body, at least one."),
    },
    responses: { 200: gigAnswer("The gig after the change.") },
  }),
  remove: apiRoute({
    method: "delete",
    path: "/api/v1/gigs/{id}",
    tags,
    summary: "Delete the caller's gig (soft: a 404 for everyone after, gone from search)",
    bearer: true,
    problems: [403, 404],
    request: idRequest,
    responses: { 204: { description: "Deleted." } },
  }),
  pause: apiRoute({
    method: "post",
    path: "/api/v1/gigs/{id}/pause",
    tags,
    summary: "Pause the caller's gig (hidden from others; idempotent)",
    bearer: true,
    problems: [403, 404],
    request: idRequest,
    responses: { 200: gigAnswer("The gig, `status: paused`.") },
  }),
  activate: apiRoute({
    method: "post",
    path: "/api/v1/gigs/{id}/activate",
    tags,
    summary: "Activate the caller's paused gig (idempotent)",
    bearer: true,
    problems: [403, 404],
    request: idRequest,
    responses: { 200: gigAnswer("The gig, `status: active`.") },
  }),
  save: apiRoute({
    method: "put",
    path: "/api/v1/gigs/{id}/favorite",
    tags: ["favorites"],
    summary: "Save a gig the caller can see (idempotent)",
    bearer: true,
    problems: [404],
    request: idRequest,
    responses: { 204: { description: "Saved." } },
  }),
  unsave: apiRoute({
    method: "delete",
    path: "/api/v1/gigs/{id}/favorite",
    tags: ["favorites"],
    summary: "Unsave a gig (idempotent, also for a gig never saved)",
    bearer: true,
    request: idRequest,
    responses: { 204: { description: "Not saved (any more)." } },
  }),
};

/** Builds the Hono app of the gigs service. */
export function createApp(deps: GigsDeps) {
  const { sql, cache, verifier, log } = deps;
  const { app, drain } = createServiceApp<{ Variables: AuthVariables }>({
    log,
    drain: deps.drain,
    readiness: deps.readiness,
    maxBodyBytes: MAX_BODY_BYTES,
  });
  const auth = requireAuth(verifier);

  /** The caller if a token was sent (an invalid one is a 401); undefined if none. */
  async function optionalCaller(c: Context): Promise<Caller | undefined> {
    const header = c.req.header("authorization");
    if (header === undefined) return undefined;
    const token = bearerToken(header);
    if (!token) throw errors.unauthorized("The access token is invalid or expired.");
    return await verifier.verify(token);
  }

  /** The gig as `caller` may see it: deleted gigs are gone, paused ones only their seller's. */
  async function visibleGig(id: string, caller?: Caller): Promise<Gig> {
    const gig = await cache.gig(id, async () => {
      const row = await store.findGig(sql, id);
      return row && row.status !== "deleted" ? toGig(row) : undefined;
    });
    if (!gig) throw notFound();
    if (gig.status !== "active" && gig.seller.id !== caller?.userId) throw notFound();
    return gig;
  }

  /**
   * Locks the caller's own gig for a change. Someone else's gig answers 403 if
   * it is public anyway, 404 if it is hidden (its existence is not theirs to learn).
   */
  async function lockOwnGig(
    tx: Tx | Sql,
    id: string,
    caller: Caller,
    lock = true,
  ): Promise<GigRow> {
    const row = await store.findGig(tx, id, lock);
    if (!row || row.status === "deleted") throw notFound();
    if (row.seller_id !== caller.userId) throw row.status === "active" ? notOwner() : notFound();
    return row;
  }

  // The token is checked first, before any validation, on the routes that need one.
  app.on("GET", ["/api/v1/gigs/favorites", "/api/v1/gigs/mine"], auth);
  app.on("POST", "/api/v1/gigs", auth);
  app.on(["PATCH", "DELETE"], "/api/v1/gigs/:id", auth);
  app.on("POST", ["/api/v1/gigs/:id/pause", "/api/v1/gigs/:id/activate"], auth);
  app.on(["PUT", "DELETE"], "/api/v1/gigs/:id/favorite", auth);

  // --- static routes first: they would otherwise read as an {id} -------------------

  app.openapi(routes.categories, async (c) => {
    const counts = await store.categoryCounts(sql);
    const count = (category: string, subcategory?: string) =>
      counts.filter((r) =>
        r.category === category && (subcategory === undefined || r.subcategory === subcategory)
      ).reduce((sum, r) => sum + r.n, 0);
    return c.json({
      categories: TAXONOMY.map((category) => ({
        slug: category.slug,
        name: category.name,
        count: count(category.slug),
        subcategories: category.subcategories.map((s) => ({
          slug: s.slug,
          name: s.name,
          count: count(category.slug, s.slug),
        })),
      })),
    }, 200);
  });

  app.openapi(routes.favorites, async (c) => {
    const { page, limit, offset } = c.req.valid("query");
    const result = await store.listFavorites(sql, c.var.caller.userId, limit, offset);
    return c.json({ ...result, page, limit }, 200);
  });

  app.openapi(routes.mine, async (c) => {
    const { page, limit, offset } = c.req.valid("query");
    const result = await store.listOwnGigs(sql, c.var.caller.userId, limit, offset);
    // listOwnGigs reads each gig's status, so every card has one.
    return c.json({ ...result, page, limit } as z.infer<typeof OwnGigsPage>, 200);
  });

  app.openapi(routes.search, async (c) => {
    const params = normalizeSearch(c.req.valid("query"));
    let source = "cache";
    const answer = await cache.search(params, () => {
      source = "database";
      return search(sql, params);
    });
    searches.inc({ source });
    return c.json(answer, 200);
  });

  app.openapi(routes.suggestions, async (c) => {
    const { q } = c.req.valid("query");
    const text = q.toLowerCase();
    const answer = await cache.search({ suggest: text }, () => suggest(sql, text));
    c.header("cache-control", "public, max-age=60");
    return c.json(answer, 200);
  });

  /**
   * The seller's uploaded images, checked before the transaction (an upload completed a moment
   * ago may wait up to 2 s for its `media.uploaded`).
   */
  const ownImages = (ids: string[], caller: Caller) =>
    requireOwnedMedia(sql, ids, caller.userId, "gig_image", "imageMediaIds", { publicUrl: true });

  app.openapi(routes.create, async (c) => {
    const input = c.req.valid("json");
    const caller = c.var.caller;
    // Who may not publish at all hears so before any wait for their images.
    if (input.imageMediaIds.length > 0 && !(await store.findSeller(sql, caller.userId))?.level) {
      throw notASeller();
    }
    const uploads = await ownImages(input.imageMediaIds, caller);
    const row = await sql.begin(async (tx) => {
      const seller = await store.findSeller(tx, caller.userId);
      if (!seller?.level) throw notASeller();
      const row = await store.insertGig(tx, crypto.randomUUID(), caller.userId, {
        ...input,
        images: [...uploads.map((upload) => upload.url!), ...input.images],
        imageMediaIds: uploads.map((upload) => upload.id),
        requirements: newRequirementIds(input.requirements),
      });
      await publish.gigCreated(tx, row);
      return row;
    });
    await cache.invalidate([row.id]);
    c.header("location", `/api/v1/gigs/${row.id}`);
    return c.json({ gig: toGig(row) }, 201);
  });

  // --- one gig -------------------------------------------------------------------------

  app.openapi(routes.gig, async (c) => {
    const caller = await optionalCaller(c);
    return c.json({ gig: await visibleGig(c.req.valid("param").id, caller) }, 200);
  });

  app.openapi(
    routes.edit,
    async (c) => {
      const { id } = c.req.valid("param");
      const patch = c.req.valid("json");
      // Someone else's or an unknown gig is answered before any wait for images.
      if (patch.imageMediaIds) await lockOwnGig(sql, id, c.var.caller, false);
      const uploads = patch.imageMediaIds && await ownImages(patch.imageMediaIds, c.var.caller);
      const row = await sql.begin(async (tx) => {
        const current = await lockOwnGig(tx, id, c.var.caller);
        const imageMediaIds = uploads?.map((upload) => upload.id) ?? current.image_media_ids;
        const links = patch.images ?? linksOf(current);
        const tooMany = tooManyImages(imageMediaIds.length, links.length);
        if (tooMany) {
          throw errors.validation([{
            pointer: patch.imageMediaIds ? "/imageMediaIds" : "/images",
            detail: tooMany,
          }]);
        }
        const category = patch.category ?? current.category;
        const subcategory = patch.subcategory ?? current.subcategory;
        if (!belongsTo(category, subcategory)) {
          throw errors.validation([{
            pointer: patch.subcategory ? "/subcategory" : "/category",
            detail: `${subcategory} is not a subcategory of ${category}; change both together.`,
          }]);
        }
        const updated = await store.updateGig(tx, id, {
          title: patch.title ?? current.title,
          description: patch.description ?? current.description,
          category,
          subcategory,
          tags: patch.tags ?? current.tags,
          images: [...(uploads?.map((upload) => upload.url!) ?? uploadUrlsOf(current)), ...links],
          imageMediaIds,
          packages: patch.packages ?? current.packages,
          requirements: patch.requirements
            ? editedRequirementIds(patch.requirements, current.requirements)
            : current.requirements,
          faq: patch.faq ?? current.faq,
        });
        await publish.gigUpdated(tx, updated);
        return updated;
      });
      await cache.invalidate([id]);
      return c.json({ gig: toGig(row) }, 200);
    },
  );

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid("param");
    await sql.begin(async (tx) => {
      await lockOwnGig(tx, id, c.var.caller);
      const row = await store.setStatus(tx, id, "deleted");
      // Images another of the seller's gigs still shows stay (gig.deleted deletes the rest).
      const shared = await store.imagesUsedElsewhere(tx, row.seller_id, id, row.image_media_ids);
      await publish.gigDeleted(tx, {
        ...row,
        image_media_ids: row.image_media_ids.filter((image) => !shared.has(image)),
      });
    });
    await cache.invalidate([id]);
    return c.body(null, 204);
  });

  /** Pause and activate: idempotent; a change publishes `gig.updated` with the status. */
  async function changeStatus(id: string, caller: Caller, status: "active" | "paused") {
    const { row, changed } = await sql.begin(async (tx) => {
      const current = await lockOwnGig(tx, id, caller);
      if (current.status === status) return { row: current, changed: false };
      const row = await store.setStatus(tx, id, status);
      await publish.gigUpdated(tx, row);
      return { row, changed: true };
    });
    if (changed) await cache.invalidate([id]);
    return { gig: toGig(row) };
  }

  app.openapi(routes.pause, async (c) => {
    return c.json(await changeStatus(c.req.valid("param").id, c.var.caller, "paused"), 200);
  });

  app.openapi(routes.activate, async (c) => {
    return c.json(await changeStatus(c.req.valid("param").id, c.var.caller, "active"), 200);
  });

  // --- favorites --------------------------------------------------------------------------

  app.openapi(routes.save, async (c) => {
    const { id } = c.req.valid("param");
    await visibleGig(id, c.var.caller);
    await store.saveFavorite(sql, c.var.caller.userId, id);
    return c.body(null, 204);
  });

  app.openapi(routes.unsave, async (c) => {
    await store.removeFavorite(sql, c.var.caller.userId, c.req.valid("param").id);
    return c.body(null, 204);
  });

  serveOpenApi(app, {
    title: "Gigs",
    description: "Gigs with packages, the category taxonomy, favorites and search.",
  });
  return { app, drain };
}
