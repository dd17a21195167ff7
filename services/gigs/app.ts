/**
 * Routes of the gigs service (reached only through the gateway). Reading gigs,
 * searching and the category list are public; writing needs a bearer token,
 * publishing a gig needs a seller profile, and changing one needs to own it.
 */
import type { Context } from "hono";
import { pageParams } from "@mp/shared/paging";
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
import { AppError, errors } from "@mp/shared/problem";
import { jsonBody, pathParams, queryParams } from "@mp/shared/validate";
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
import { MAX_LIMIT, MAX_OFFSET, normalizeSearch, search, searchQuerySchema } from "./search.ts";
import * as store from "./store.ts";
import { belongsTo, TAXONOMY } from "./taxonomy.ts";

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

const idParam = z.object({ id: z.uuid({ message: "Must be a gig id (UUID)." }) });

const pageQuery = z.strictObject(pageParams({ maxPage: MAX_OFFSET, maxLimit: MAX_LIMIT }))
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
  async function lockOwnGig(tx: Tx, id: string, caller: Caller): Promise<GigRow> {
    const row = await store.findGig(tx, id, true);
    if (!row || row.status === "deleted") throw notFound();
    if (row.seller_id !== caller.userId) throw row.status === "active" ? notOwner() : notFound();
    return row;
  }

  // --- static routes first: they would otherwise read as an {id} -------------------

  app.get("/api/v1/gigs/categories", async (c) => {
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
    });
  });

  app.get("/api/v1/gigs/favorites", auth, queryParams(pageQuery), async (c) => {
    const { page, limit, offset } = c.req.valid("query");
    const result = await store.listFavorites(sql, c.var.caller.userId, limit, offset);
    return c.json({ ...result, page, limit });
  });

  app.get("/api/v1/gigs/mine", auth, queryParams(pageQuery), async (c) => {
    const { page, limit, offset } = c.req.valid("query");
    const result = await store.listOwnGigs(sql, c.var.caller.userId, limit, offset);
    return c.json({ ...result, page, limit });
  });

  app.get("/api/v1/gigs", queryParams(searchQuerySchema), async (c) => {
    const params = normalizeSearch(c.req.valid("query"));
    return c.json(await cache.search(params, () => search(sql, params)));
  });

  app.post("/api/v1/gigs", auth, jsonBody(gigCreateSchema), async (c) => {
    const input = c.req.valid("json");
    const caller = c.var.caller;
    const row = await sql.begin(async (tx) => {
      const seller = await store.findSeller(tx, caller.userId);
      if (!seller?.level) throw notASeller();
      const row = await store.insertGig(tx, crypto.randomUUID(), caller.userId, {
        ...input,
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

  app.get("/api/v1/gigs/:id", pathParams(idParam), async (c) => {
    const caller = await optionalCaller(c);
    return c.json({ gig: await visibleGig(c.req.valid("param").id, caller) });
  });

  app.patch(
    "/api/v1/gigs/:id",
    auth,
    pathParams(idParam),
    jsonBody(gigPatchSchema),
    async (c) => {
      const { id } = c.req.valid("param");
      const patch = c.req.valid("json");
      const row = await sql.begin(async (tx) => {
        const current = await lockOwnGig(tx, id, c.var.caller);
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
          images: patch.images ?? current.images,
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
      return c.json({ gig: toGig(row) });
    },
  );

  app.delete("/api/v1/gigs/:id", auth, pathParams(idParam), async (c) => {
    const { id } = c.req.valid("param");
    await sql.begin(async (tx) => {
      await lockOwnGig(tx, id, c.var.caller);
      const row = await store.setStatus(tx, id, "deleted");
      await publish.gigDeleted(tx, row);
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

  app.post("/api/v1/gigs/:id/pause", auth, pathParams(idParam), async (c) => {
    return c.json(await changeStatus(c.req.valid("param").id, c.var.caller, "paused"));
  });

  app.post("/api/v1/gigs/:id/activate", auth, pathParams(idParam), async (c) => {
    return c.json(await changeStatus(c.req.valid("param").id, c.var.caller, "active"));
  });

  // --- favorites --------------------------------------------------------------------------

  app.put("/api/v1/gigs/:id/favorite", auth, pathParams(idParam), async (c) => {
    const { id } = c.req.valid("param");
    await visibleGig(id, c.var.caller);
    await store.saveFavorite(sql, c.var.caller.userId, id);
    return c.body(null, 204);
  });

  app.delete("/api/v1/gigs/:id/favorite", auth, pathParams(idParam), async (c) => {
    await store.removeFavorite(sql, c.var.caller.userId, c.req.valid("param").id);
    return c.body(null, 204);
  });

  return { app, drain };
}
