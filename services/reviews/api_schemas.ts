/**
 * What a client receives from the reviews service, for its OpenAPI document
 * (store.ts builds a review and a list's summary, app.ts the pages).
 */
import { z } from "zod";
import { ratingSummary } from "@mp/shared/api_schemas";
import { BLOCKER_DETAILS, type ReviewBlocker } from "./review.ts";

const BLOCKERS = Object.keys(BLOCKER_DETAILS) as [ReviewBlocker, ...ReviewBlocker[]];

const Direction = z.enum(["buyer_to_seller", "seller_to_buyer"]).meta({
  description: "Who wrote it: `buyer_to_seller` is the order's buyer reviewing its seller, " +
    "`seller_to_buyer` the seller reviewing the buyer.",
});

/** A review as every route shows it (no user ids). */
export const Review = z.object({
  id: z.uuid(),
  orderId: z.string().meta({ description: "The reviewed order." }),
  gigId: z.uuid().meta({ description: "The gig that was ordered." }),
  gigTitle: z.string().nullable().meta({
    description: "The gig's title when it was ordered; null if no order event carried it.",
  }),
  direction: Direction,
  rating: z.number().int().min(1).max(5).meta({ description: "Stars, 1 to 5." }),
  comment: z.string().meta({ description: "The reviewer's text (1–2000 characters)." }),
  reviewer: z.object({
    username: z.string().nullable().meta({
      description: "The reviewer's username; null while this service has not learned it yet.",
    }),
  }),
  reply: z.object({
    text: z.string().meta({ description: "The reviewed user's reply (1–2000 characters)." }),
    repliedAt: z.iso.datetime().meta({ description: "When the reply was written (ISO 8601)." }),
  }).nullable().meta({ description: "The reviewed user's one reply; null until they reply." }),
  createdAt: z.iso.datetime().meta({ description: "When the review was written (ISO 8601)." }),
}).openapi("Review");

const pageFields = {
  items: z.array(Review).meta({ description: "Newest first (`createdAt`, then `id`)." }),
  page: z.number().int().meta({ description: "The page asked for (from 1)." }),
  limit: z.number().int().meta({ description: "The page size asked for." }),
  total: z.number().int().meta({ description: "How many reviews the list has over all pages." }),
  summary: ratingSummary(
    "Ratings over every review of the list (`count` equals the page's `total`), from the same " +
      "snapshot as the page.",
  ),
};

/** `GET /gigs/{id}/reviews`: buyers' reviews of a gig. */
export const GigReviewPage = z.object(pageFields).openapi("GigReviewPage");

/** `GET /users/{username}/reviews`: reviews a user received in one role. */
export const UserReviewPage = z.object({
  as: z.enum(["seller", "buyer"]).meta({
    description: "The role the reviews are about: `seller` lists what buyers wrote of the " +
      "user, `buyer` what sellers wrote of them.",
  }),
  ...pageFields,
}).openapi("UserReviewPage");

/** `GET /orders/{id}/reviews`: the order page of its buyer or seller. */
export const OrderReviews = z.object({
  orderId: z.string(),
  canReview: z.boolean().meta({ description: "Whether the caller may review the order now." }),
  reason: z.enum(BLOCKERS).nullable().meta({
    description: "Why the caller may not review it (null when `canReview`): " +
      "`order_cancelled` (never reviewable), `order_not_completed` (reviewable once " +
      "completed), `already_reviewed` (the caller did), `review_window_closed` (too late).",
  }),
  reviewableUntil: z.iso.datetime().nullable().meta({
    description: "The last moment the order may be reviewed (ISO 8601); null while it is " +
      "not completed and when it was cancelled.",
  }),
  items: z.array(Review).meta({
    description: "The order's reviews, at most one per direction, the buyer's first.",
  }),
}).openapi("OrderReviews");
