/**
 * Routes of the reviews service (reached only through the gateway).
 *
 * Writing needs a valid access token; reading is public — anyone browsing a gig
 * or a profile sees its reviews — so the public routes never look at the
 * Authorization header (a stale token forwarded by the gateway does not break
 * browsing). Who may review what comes only from order events (see events.ts).
 *
 * Both writing routes run under shared/idempotency.ts: the review (or reply)
 * and its answer commit together, so an `Idempotency-Key` retry gets the first
 * answer instead of a 409 `already_reviewed`.
 */
import type { Context } from "hono";
import { pageParams } from "@mp/shared/paging";
import { z } from "zod";
import type { Sql, Tx } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import { idempotentJson } from "@mp/shared/idempotency";
import { type AuthVariables, requireAuth, type TokenVerifier } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { AppError, errors } from "@mp/shared/problem";
import { jsonBody, pathParams, queryParams } from "@mp/shared/validate";
import { publish } from "./events.ts";
import {
  BLOCKER_DETAILS,
  directionOf,
  ORDER_ID,
  rating,
  reviewableUntil,
  reviewBlocker,
  revieweeOf,
  reviewText,
  USERNAME,
} from "./review.ts";
import * as store from "./store.ts";

/** Largest page a client may ask for. */
export const MAX_LIMIT = 50;
/** Deepest page a client may ask for; deeper offsets only cost the database. */
export const MAX_PAGE = 10_000;
const DEFAULT_LIMIT = 20;
/**
 * Largest request body. A 2000-character comment is at most 24 KiB of JSON even
 * written entirely as `\uXXXX` escapes of astral characters.
 */
export const MAX_BODY_BYTES = 32 * 1024;

/** What `createApp` needs; built in main.ts, or by tests with real connections. */
export interface ReviewsDeps {
  sql: Sql;
  verifier: TokenVerifier;
  log: Logger;
  /** How long after completion an order may be reviewed. */
  reviewWindowMs: number;
  drain?: Drain;
  readiness?: Record<string, ReadinessCheck>;
}

const paging = pageParams({ maxPage: MAX_PAGE, maxLimit: MAX_LIMIT });

const orderParam = z.object({
  id: z.string().regex(ORDER_ID, "Must be an order id."),
});
const reviewParam = z.object({ id: z.uuid({ message: "Must be a review id (UUID)." }) });
const gigParam = z.object({ id: z.uuid({ message: "Must be a gig id (UUID)." }) });

const orderNotFound = () => new AppError(404, "order_not_found", "No such order.");
const reviewNotFound = () => new AppError(404, "review_not_found", "No such review.");
const userNotFound = () => new AppError(404, "user_not_found", "No user has this username.");

/** Builds the Hono app of the reviews service. */
export function createApp(deps: ReviewsDeps) {
  const { sql, verifier, log, reviewWindowMs } = deps;
  const { app, drain } = createServiceApp<{ Variables: AuthVariables }>({
    log,
    drain: deps.drain,
    readiness: deps.readiness,
    maxBodyBytes: MAX_BODY_BYTES,
  });
  const auth = requireAuth(verifier);

  app.post(
    "/api/v1/orders/:id/reviews",
    auth,
    pathParams(orderParam),
    jsonBody(z.strictObject({ rating, comment: reviewText })),
    async (c) => {
      const { id: orderId } = c.req.valid("param");
      const input = c.req.valid("json");
      const caller = c.var.caller;
      try {
        return await idempotentJson(
          c,
          { sql, log, scope: caller.userId, body: input },
          async (tx) => {
            // The lock serializes the two parties' reviews of one order; the unique
            // index is what finally guarantees one review per direction.
            const order = await store.findOrder(tx, orderId, true);
            const direction = order && directionOf(order, caller.userId);
            if (!order || !direction) throw orderNotFound();
            const existing = await store.reviewsOfOrder(tx, orderId);
            const blocker = reviewBlocker(order, {
              now: new Date(),
              windowMs: reviewWindowMs,
              alreadyReviewed: existing.some((r) => r.direction === direction),
            });
            if (blocker) throw errors.conflict(blocker, BLOCKER_DETAILS[blocker]);
            await store.rememberUser(tx, caller);
            const review = await store.insertReview(tx, {
              id: crypto.randomUUID(),
              orderId,
              gigId: order.gigId,
              reviewerId: caller.userId,
              revieweeId: revieweeOf(order, direction),
              direction,
              rating: input.rating,
              comment: input.comment,
            });
            await publish.reviewCreated(tx, {
              reviewId: review.id,
              orderId: review.orderId,
              gigId: review.gigId,
              reviewerId: review.reviewerId,
              revieweeId: review.revieweeId,
              direction: review.direction,
              rating: review.rating,
              comment: review.comment,
              createdAt: review.createdAt,
            });
            return {
              status: 201,
              body: store.publicReview(review),
              headers: { location: `/api/v1/reviews/${review.id}` },
            };
          },
        );
      } catch (error) {
        // Two requests of the same party racing past the checks: the index decides.
        if (isUniqueViolation(error)) {
          throw errors.conflict("already_reviewed", BLOCKER_DETAILS.already_reviewed);
        }
        throw error;
      }
    },
  );

  // For the parties' order page: both reviews, and whether the caller may write theirs.
  app.get("/api/v1/orders/:id/reviews", auth, pathParams(orderParam), async (c) => {
    const { id: orderId } = c.req.valid("param");
    const order = await store.findOrder(sql, orderId);
    const direction = order && directionOf(order, c.var.caller.userId);
    if (!order || !direction) throw orderNotFound();
    const reviews = await store.reviewsOfOrder(sql, orderId);
    const blocker = reviewBlocker(order, {
      now: new Date(),
      windowMs: reviewWindowMs,
      alreadyReviewed: reviews.some((r) => r.direction === direction),
    });
    c.header("cache-control", "private, no-store");
    return c.json({
      orderId,
      canReview: blocker === null,
      reason: blocker,
      reviewableUntil: order.cancelledAt
        ? null
        : reviewableUntil(order, reviewWindowMs)?.toISOString() ?? null,
      items: reviews.map(store.publicReview),
    });
  });

  app.get("/api/v1/reviews/:id", pathParams(reviewParam), async (c) => {
    const review = await store.findReview(sql, c.req.valid("param").id);
    if (!review) throw reviewNotFound();
    return c.json(store.publicReview(review));
  });

  app.post(
    "/api/v1/reviews/:id/reply",
    auth,
    pathParams(reviewParam),
    jsonBody(z.strictObject({ reply: reviewText })),
    async (c) => {
      const { id } = c.req.valid("param");
      const { reply } = c.req.valid("json");
      const callerId = c.var.caller.userId;
      return await idempotentJson(
        c,
        { sql, log, scope: callerId, body: { reply } },
        async (tx: Tx) => {
          const review = await store.findReview(tx, id, true);
          if (!review) throw reviewNotFound();
          if (review.revieweeId !== callerId) {
            throw errors.forbidden("Only the reviewed user may reply to a review.");
          }
          if (review.reply) {
            throw errors.conflict("already_replied", "This review already has a reply.");
          }
          const replied = await store.setReply(tx, id, reply);
          await publish.reviewReplied(tx, {
            reviewId: replied.id,
            orderId: replied.orderId,
            gigId: replied.gigId,
            replierId: callerId,
            reply: replied.reply!.text,
            repliedAt: replied.reply!.repliedAt,
          });
          return { status: 201, body: store.publicReview(replied) };
        },
      );
    },
  );

  app.get(
    "/api/v1/users/:username/reviews",
    queryParams(z.strictObject({ ...paging, as: z.enum(["seller", "buyer"]).optional() })),
    async (c) => {
      const username = c.req.param("username");
      const query = c.req.valid("query");
      // A name auth would never accept cannot be anyone's: no query needed.
      const userId = USERNAME.test(username) ? await store.findUserId(sql, username) : undefined;
      if (!userId) throw userNotFound();
      const as = query.as ?? "seller";
      return await page(c, query, {
        revieweeId: userId,
        direction: as === "seller" ? "buyer_to_seller" : "seller_to_buyer",
      }, { as });
    },
  );

  app.get(
    "/api/v1/gigs/:id/reviews",
    pathParams(gigParam),
    queryParams(z.strictObject(paging)),
    async (c) => {
      // A gig nobody ordered (or an unknown id) simply has no reviews yet.
      return await page(c, c.req.valid("query"), { gigId: c.req.valid("param").id });
    },
  );

  async function page(
    c: Context,
    query: { page?: number; limit?: number },
    filter: store.ReviewFilter,
    extra: Record<string, unknown> = {},
  ) {
    const page = query.page ?? 1;
    const limit = query.limit ?? DEFAULT_LIMIT;
    const result = await store.listReviews(sql, filter, { page, limit });
    return c.json({
      ...extra,
      items: result.items,
      page,
      limit,
      total: result.total,
      summary: result.summary,
    });
  }

  return { app, drain };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "23505";
}
