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
 *
 * Every route is declared with `apiRoute` (shared/openapi.ts): the schemas that
 * validate a request are the ones `GET /openapi.json` publishes, with every
 * answer's status and body (api_schemas.ts).
 */
import { pageParams } from "@mp/shared/paging";
import { z } from "zod";
import type { Sql, Tx } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import { idempotentJson } from "@mp/shared/idempotency";
import { type AuthVariables, requireAuth, type TokenVerifier } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import {
  apiRoute,
  jsonRequest,
  jsonResponse,
  problemResponse,
  serveOpenApi,
  untypedAnswer,
} from "@mp/shared/openapi";
import { AppError, errors } from "@mp/shared/problem";
import { idempotencyKeyHeader, replayedHeader, usernamePathParam } from "@mp/shared/api_schemas";
import { GigReviewPage, OrderReviews, Review, UserReviewPage } from "./api_schemas.ts";
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

const reviewBody = z.strictObject({ rating, comment: reviewText });
const replyBody = z.strictObject({ reply: reviewText });
const userListQuery = z.strictObject({ ...paging, as: z.enum(["seller", "buyer"]).optional() });
const gigListQuery = z.strictObject(paging);

const tags = ["reviews"];
const created = (description: string, location?: string) => ({
  ...jsonResponse(Review, description),
  headers: {
    ...(location
      ? { Location: { description: location, schema: { type: "string" as const } } }
      : {}),
    ...replayedHeader,
  },
});
// The codes of the idempotency key (shared/idempotency.ts) beside the route's own.
const keyInUse = "or `idempotency_key_in_use` (a request with this `Idempotency-Key` is still " +
  "running; `Retry-After: 1`).";
const keyReused = problemResponse(
  422,
  "`idempotency_key_reused`: the `Idempotency-Key` was used for another route or body.",
);

const routes = {
  review: apiRoute({
    method: "post",
    path: "/api/v1/orders/{id}/reviews",
    tags,
    summary: "Review a completed order (the buyer reviews the seller, the seller the buyer)",
    bearer: true,
    problems: [413],
    parameters: [idempotencyKeyHeader()],
    request: { params: orderParam, body: jsonRequest(reviewBody) },
    responses: {
      201: created("The review.", "`/api/v1/reviews/{id}`: the new review."),
      404: problemResponse(
        404,
        "`order_not_found`: no such order, or the caller is not its buyer or seller.",
      ),
      409: problemResponse(
        409,
        "`order_cancelled`, `order_not_completed`, `review_window_closed`, " +
          "`already_reviewed` (one review per party and order), " + keyInUse,
      ),
      422: keyReused,
    },
  }),
  orderReviews: apiRoute({
    method: "get",
    path: "/api/v1/orders/{id}/reviews",
    tags,
    summary: "An order's reviews, and whether the caller (its buyer or seller) may write theirs",
    bearer: true,
    request: { params: orderParam },
    responses: {
      200: jsonResponse(OrderReviews, "The order's reviews (`Cache-Control: private, no-store`)."),
      404: problemResponse(
        404,
        "`order_not_found`: no such order, or the caller is not its buyer or seller.",
      ),
    },
  }),
  oneReview: apiRoute({
    method: "get",
    path: "/api/v1/reviews/{id}",
    tags,
    summary: "One review",
    request: { params: reviewParam },
    responses: {
      200: jsonResponse(Review, "The review."),
      404: problemResponse(404, "`review_not_found`."),
    },
  }),
  reply: apiRoute({
    method: "post",
    path: "/api/v1/reviews/{id}/reply",
    tags,
    summary: "Reply to a review of the caller (once)",
    bearer: true,
    problems: [413],
    parameters: [idempotencyKeyHeader()],
    request: { params: reviewParam, body: jsonRequest(replyBody) },
    responses: {
      201: created("The review with its reply."),
      403: problemResponse(403, "`forbidden`: only the reviewed user may reply."),
      404: problemResponse(404, "`review_not_found`."),
      409: problemResponse(409, "`already_replied` (one reply per review), " + keyInUse),
      422: keyReused,
    },
  }),
  userReviews: apiRoute({
    method: "get",
    path: "/api/v1/users/{username}/reviews",
    tags,
    summary: "Reviews a user received as a seller (default) or as a buyer",
    parameters: [usernamePathParam],
    request: { query: userListQuery },
    responses: {
      200: jsonResponse(UserReviewPage, "One page of reviews and the summary of all."),
      404: problemResponse(404, "`user_not_found` (also for any name auth would refuse)."),
    },
  }),
  gigReviews: apiRoute({
    method: "get",
    path: "/api/v1/gigs/{id}/reviews",
    tags,
    summary: "Buyers' reviews of a gig (an unknown gig has none)",
    request: { params: gigParam, query: gigListQuery },
    responses: {
      200: jsonResponse(GigReviewPage, "One page of reviews and the summary of all."),
    },
  }),
};

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

  // Token first, before any validation: only these routes need one.
  app.on(["GET", "POST"], "/api/v1/orders/:id/reviews", auth);
  app.on("POST", "/api/v1/reviews/:id/reply", auth);

  app.openapi(routes.review, async (c) => {
    const { id: orderId } = c.req.valid("param");
    const input = c.req.valid("json");
    const caller = c.var.caller;
    try {
      return untypedAnswer(
        await idempotentJson(
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
        ),
      );
    } catch (error) {
      // Two requests of the same party racing past the checks: the index decides.
      if (isUniqueViolation(error)) {
        throw errors.conflict("already_reviewed", BLOCKER_DETAILS.already_reviewed);
      }
      throw error;
    }
  });

  // For the parties' order page: both reviews, and whether the caller may write theirs.
  app.openapi(routes.orderReviews, async (c) => {
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
    }, 200);
  });

  app.openapi(routes.oneReview, async (c) => {
    const review = await store.findReview(sql, c.req.valid("param").id);
    if (!review) throw reviewNotFound();
    return c.json(store.publicReview(review), 200);
  });

  app.openapi(routes.reply, async (c) => {
    const { id } = c.req.valid("param");
    const { reply } = c.req.valid("json");
    const callerId = c.var.caller.userId;
    return untypedAnswer(
      await idempotentJson(
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
      ),
    );
  });

  app.openapi(routes.userReviews, async (c) => {
    const username = c.req.param("username") ?? "";
    const query = c.req.valid("query");
    // A name auth would never accept cannot be anyone's: no query needed.
    const userId = USERNAME.test(username) ? await store.findUserId(sql, username) : undefined;
    if (!userId) throw userNotFound();
    const as = query.as ?? "seller";
    const found = await page(query, {
      revieweeId: userId,
      direction: as === "seller" ? "buyer_to_seller" : "seller_to_buyer",
    });
    return c.json({ as, ...found }, 200);
  });

  // A gig nobody ordered (or an unknown id) simply has no reviews yet.
  app.openapi(routes.gigReviews, async (c) => {
    const found = await page(c.req.valid("query"), { gigId: c.req.valid("param").id });
    return c.json(found, 200);
  });

  async function page(query: { page?: number; limit?: number }, filter: store.ReviewFilter) {
    const page = query.page ?? 1;
    const limit = query.limit ?? DEFAULT_LIMIT;
    const result = await store.listReviews(sql, filter, { page, limit });
    return { items: result.items, page, limit, total: result.total, summary: result.summary };
  }

  serveOpenApi(app, {
    title: "Reviews",
    description: "Two-way reviews of completed orders, sellers' and buyers' replies, and the " +
      "review lists of users and gigs with their rating summaries.",
  });
  return { app, drain };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "23505";
}
