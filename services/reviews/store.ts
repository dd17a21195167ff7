/**
 * Plain SQL of the reviews service. Functions taking `Tx` run inside the
 * caller's transaction (an inbox transaction for event handlers, the request's
 * transaction for writes that also enqueue an event).
 */
import type { Sql, Tx } from "@mp/shared/db";
import { type Direction, type OrderFacts, type RatingSummary, summarize } from "./review.ts";

type Db = Sql | Tx;

// --- users ---------------------------------------------------------------------

/** Records (or renames) a user from `user.registered`. */
export async function upsertUser(tx: Db, user: { userId: string; username: string }) {
  await tx`insert into users (user_id, username) values (${user.userId}, ${user.username})
    on conflict (user_id) do update set username = excluded.username, updated_at = now()
    where users.username is distinct from excluded.username`;
}

/**
 * Remembers a user from a verified access token unless already known, so a
 * reviewer's name shows even before their `user.registered` event arrives.
 */
export async function rememberUser(tx: Db, user: { userId: string; username: string }) {
  await tx`insert into users (user_id, username) values (${user.userId}, ${user.username})
    on conflict do nothing`;
}

/** The id of the user with this username (case-insensitive), if known. */
export async function findUserId(db: Db, username: string): Promise<string | undefined> {
  const [row] = await db<{ user_id: string }[]>`select user_id from users
    where lower(username) = lower(${username})`;
  return row?.user_id;
}

// --- orders --------------------------------------------------------------------

/** An order as kept here. */
export interface OrderRow extends OrderFacts {
  orderId: string;
  gigId: string;
  gigTitle: string | null;
}

/** What one order event tells about an order. */
export interface OrderFact {
  orderId: string;
  gigId: string;
  buyerId: string;
  sellerId: string;
  gigTitle?: string;
  completedAt?: Date;
  cancelledAt?: Date;
}

/**
 * Merges what an order event says into the order row, creating it if this is
 * the first event about it. Known values are never overwritten (first wins), so
 * events may arrive in any order or twice. Returns the row as it now is.
 */
export async function mergeOrder(tx: Tx, fact: OrderFact): Promise<OrderRow> {
  const [row] = await tx<OrderDbRow[]>`
    insert into orders (order_id, gig_id, buyer_id, seller_id, gig_title, completed_at, cancelled_at)
    values (${fact.orderId}, ${fact.gigId}, ${fact.buyerId}, ${fact.sellerId},
      ${fact.gigTitle ?? null}, ${fact.completedAt ?? null}, ${fact.cancelledAt ?? null})
    on conflict (order_id) do update set
      gig_title = coalesce(orders.gig_title, excluded.gig_title),
      completed_at = coalesce(orders.completed_at, excluded.completed_at),
      cancelled_at = coalesce(orders.cancelled_at, excluded.cancelled_at)
    returning ${tx.unsafe(ORDER_COLUMNS)}`;
  return toOrder(row);
}

/** Finds an order; `forUpdate` locks it for the rest of the transaction. */
export async function findOrder(
  db: Db,
  orderId: string,
  forUpdate = false,
): Promise<OrderRow | undefined> {
  const [row] = forUpdate
    ? await db<OrderDbRow[]>`select ${db.unsafe(ORDER_COLUMNS)} from orders
      where order_id = ${orderId} for update`
    : await db<OrderDbRow[]>`select ${db.unsafe(ORDER_COLUMNS)} from orders
      where order_id = ${orderId}`;
  return row && toOrder(row);
}

const ORDER_COLUMNS =
  "order_id, gig_id, buyer_id, seller_id, gig_title, completed_at, cancelled_at";

interface OrderDbRow {
  order_id: string;
  gig_id: string;
  buyer_id: string;
  seller_id: string;
  gig_title: string | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
}

function toOrder(row: OrderDbRow): OrderRow {
  return {
    orderId: row.order_id,
    gigId: row.gig_id,
    buyerId: row.buyer_id,
    sellerId: row.seller_id,
    gigTitle: row.gig_title,
    completedAt: row.completed_at,
    cancelledAt: row.cancelled_at,
  };
}

// --- reviews -------------------------------------------------------------------

/** A review as the API shows it. */
export interface Review {
  id: string;
  orderId: string;
  gigId: string;
  /** The gig's title when it was ordered; `null` if no order event carried it. */
  gigTitle: string | null;
  direction: Direction;
  rating: number;
  comment: string;
  /** `username` is `null` while the reviewer's `user.registered` has not arrived. */
  reviewer: { username: string | null };
  reply: { text: string; repliedAt: string } | null;
  createdAt: string;
}

/** A review with the ids events carry (never shown to clients as such). */
export interface ReviewRecord extends Review {
  reviewerId: string;
  revieweeId: string;
}

const REVIEW_COLUMNS = `r.id, r.order_id, r.gig_id, o.gig_title, r.direction, r.rating,
  r.comment, r.reply, r.replied_at, r.created_at, r.reviewer_id, r.reviewee_id,
  u.username as reviewer_username`;
const REVIEW_FROM = `reviews r join orders o on o.order_id = r.order_id
  left join users u on u.user_id = r.reviewer_id`;

interface ReviewDbRow {
  id: string;
  order_id: string;
  gig_id: string;
  gig_title: string | null;
  direction: Direction;
  rating: number;
  comment: string;
  reply: string | null;
  replied_at: Date | null;
  created_at: Date;
  reviewer_id: string;
  reviewee_id: string;
  reviewer_username: string | null;
}

function toReview(row: ReviewDbRow): ReviewRecord {
  return {
    id: row.id,
    orderId: row.order_id,
    gigId: row.gig_id,
    gigTitle: row.gig_title,
    direction: row.direction,
    rating: row.rating,
    comment: row.comment,
    reviewer: { username: row.reviewer_username },
    reply: row.reply === null || row.replied_at === null
      ? null
      : { text: row.reply, repliedAt: row.replied_at.toISOString() },
    createdAt: row.created_at.toISOString(),
    reviewerId: row.reviewer_id,
    revieweeId: row.reviewee_id,
  };
}

/** The public part of a review (no user ids). */
export function publicReview(review: ReviewRecord): Review {
  const { reviewerId: _reviewer, revieweeId: _reviewee, ...shown } = review;
  return shown;
}

/**
 * Inserts a review. A second review of the same order and direction raises the
 * unique violation (23505), which the caller turns into a 409.
 */
export async function insertReview(
  tx: Tx,
  review: {
    id: string;
    orderId: string;
    gigId: string;
    reviewerId: string;
    revieweeId: string;
    direction: Direction;
    rating: number;
    comment: string;
  },
): Promise<ReviewRecord> {
  await tx`insert into reviews
      (id, order_id, gig_id, reviewer_id, reviewee_id, direction, rating, comment)
    values (${review.id}, ${review.orderId}, ${review.gigId}, ${review.reviewerId},
      ${review.revieweeId}, ${review.direction}, ${review.rating}, ${review.comment})`;
  return (await findReview(tx, review.id))!;
}

/** A review by id; `forUpdate` locks it for the rest of the transaction. */
export async function findReview(
  db: Db,
  id: string,
  forUpdate = false,
): Promise<ReviewRecord | undefined> {
  const [row] = forUpdate
    ? await db<ReviewDbRow[]>`select ${db.unsafe(REVIEW_COLUMNS)} from ${db.unsafe(REVIEW_FROM)}
      where r.id = ${id} for update of r`
    : await db<ReviewDbRow[]>`select ${db.unsafe(REVIEW_COLUMNS)} from ${db.unsafe(REVIEW_FROM)}
      where r.id = ${id}`;
  return row && toReview(row);
}

/** The reviews of one order (at most one per direction), buyer's first. */
export async function reviewsOfOrder(db: Db, orderId: string): Promise<ReviewRecord[]> {
  const rows = await db<ReviewDbRow[]>`select ${db.unsafe(REVIEW_COLUMNS)}
    from ${db.unsafe(REVIEW_FROM)} where r.order_id = ${orderId} order by r.direction`;
  return rows.map(toReview);
}

/** Records the reply to a review; only a review without one is changed. */
export async function setReply(tx: Tx, id: string, reply: string): Promise<ReviewRecord> {
  await tx`update reviews set reply = ${reply}, replied_at = now()
    where id = ${id} and reply is null`;
  return (await findReview(tx, id))!;
}

/** Which reviews a list shows. */
export type ReviewFilter =
  | { revieweeId: string; direction: Direction }
  | { gigId: string };

/** One page of reviews with the summary of all of them. */
export interface ReviewPage {
  items: Review[];
  total: number;
  summary: RatingSummary;
}

/** A page of reviews, newest first, and the rating summary over every match. */
export async function listReviews(
  sql: Sql,
  filter: ReviewFilter,
  { page, limit }: { page: number; limit: number },
): Promise<ReviewPage> {
  const where = "gigId" in filter
    ? sql`r.gig_id = ${filter.gigId} and r.direction = 'buyer_to_seller'`
    : sql`r.reviewee_id = ${filter.revieweeId} and r.direction = ${filter.direction}`;
  // One snapshot, so the page, the total and the summary agree with each other.
  return await sql.begin("isolation level repeatable read read only", async (tx) => {
    const rows = await tx<ReviewDbRow[]>`select ${tx.unsafe(REVIEW_COLUMNS)}
      from ${tx.unsafe(REVIEW_FROM)} where ${where}
      order by r.created_at desc, r.id desc
      limit ${limit} offset ${(page - 1) * limit}`;
    const [counts] = await tx<{ s1: number; s2: number; s3: number; s4: number; s5: number }[]>`
      select ${
      tx.unsafe(
        [1, 2, 3, 4, 5].map((n) => `(count(*) filter (where r.rating = ${n}))::int as s${n}`)
          .join(", "),
      )
    } from reviews r where ${where}`;
    const summary = summarize([counts.s1, counts.s2, counts.s3, counts.s4, counts.s5]);
    return { items: rows.map((row) => publicReview(toReview(row))), total: summary.count, summary };
  });
}
