/** Plain SQL of the users service. Functions taking `Tx` run inside the caller's transaction. */
import type { Sql, Tx } from "@mp/shared/db";
import type { SellerLevel, SellerNumbers } from "./level.ts";
import type { EditableProfile, ProfileBundle, ProfileRow } from "./profile.ts";
import { NO_RATINGS, type RatingCounts, type RatingRole } from "./ratings.ts";
import type { SellerInput, SellerRow } from "./seller.ts";

type Db = Sql | Tx;

// Namespace of this service's per-user advisory locks (the two-int form, so it
// never meets the migration runner's single-bigint lock).
const USER_LOCK_SPACE = 4002;

/**
 * Serializes every change to one user's profile, seller state and aggregates
 * for the rest of the transaction. Without it, a review counted while the
 * seller profile is being created could commit between the creation's read of
 * the rating and its commit, and `seller.created` would carry a stale rating
 * that no later event corrects; with it, outbox rows of one user are also
 * inserted in commit order.
 */
export async function lockUser(tx: Tx, userId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(${USER_LOCK_SPACE}, hashtext(${userId}))`;
}

// --- profiles ----------------------------------------------------------------

const profileColumns = `user_id, username, email, display_name, bio, country, languages,
  avatar_url, time_zone, member_since, updated_at, version`;

/** Creates a profile unless one exists for this user; returns whether it did. */
export async function insertProfile(
  tx: Db,
  profile: {
    userId: string;
    username: string;
    email: string;
    country: string | null;
    memberSince: Date;
  },
): Promise<boolean> {
  const rows = await tx`insert into profiles
      (user_id, username, email, display_name, country, member_since)
    values (${profile.userId}, ${profile.username}, ${profile.email}, ${profile.username},
      ${profile.country}, ${profile.memberSince})
    on conflict (user_id) do nothing
    returning user_id`;
  return rows.length === 1;
}

/** Finds a profile by user id. */
export async function findProfileById(db: Db, userId: string): Promise<ProfileRow | undefined> {
  const [row] = await db<ProfileRow[]>`select ${db.unsafe(profileColumns)} from profiles
    where user_id = ${userId}`;
  return row;
}

/** Finds a profile by username, case-insensitively. */
export async function findProfileByUsername(
  db: Db,
  username: string,
): Promise<ProfileRow | undefined> {
  const [row] = await db<ProfileRow[]>`select ${db.unsafe(profileColumns)} from profiles
    where lower(username) = lower(${username})`;
  return row;
}

/** Writes the editable fields and counts a new version. */
export async function updateProfile(
  tx: Db,
  userId: string,
  next: EditableProfile,
): Promise<ProfileRow> {
  const [row] = await tx<ProfileRow[]>`update profiles set
      display_name = ${next.display_name},
      bio = ${next.bio},
      country = ${next.country},
      languages = ${tx.json(next.languages)},
      avatar_url = ${next.avatar_url},
      time_zone = ${next.time_zone},
      updated_at = now(),
      version = version + 1
    where user_id = ${userId}
    returning ${tx.unsafe(profileColumns)}`;
  return row;
}

// --- email verification ------------------------------------------------------

/** Records that the user's email is verified (idempotent). */
export async function markEmailVerified(tx: Db, userId: string): Promise<void> {
  await tx`insert into email_verifications (user_id) values (${userId})
    on conflict (user_id) do nothing`;
}

/** Whether the user's email is verified. */
export async function isEmailVerified(db: Db, userId: string): Promise<boolean> {
  const rows = await db`select 1 from email_verifications where user_id = ${userId}`;
  return rows.length === 1;
}

// --- sellers -----------------------------------------------------------------

const sellerColumns = `user_id, description, skills, languages, education, certifications,
  portfolio, level, created_at, updated_at, version`;

/** Finds the seller profile of a user. */
export async function findSeller(db: Db, userId: string): Promise<SellerRow | undefined> {
  const [row] = await db<SellerRow[]>`select ${db.unsafe(sellerColumns)} from sellers
    where user_id = ${userId}`;
  return row;
}

/** Creates a seller profile; a second one for the user raises the unique violation (23505). */
export async function insertSeller(
  tx: Db,
  userId: string,
  input: SellerInput,
  level: SellerLevel,
): Promise<SellerRow> {
  const [row] = await tx<SellerRow[]>`insert into sellers
      (user_id, description, skills, languages, education, certifications, portfolio, level)
    values (${userId}, ${input.description}, ${tx.json(input.skills)}, ${
    tx.json(input.languages)
  }, ${tx.json(input.education as never)}, ${tx.json(input.certifications as never)}, ${
    tx.json(input.portfolio as never)
  }, ${level})
    returning ${tx.unsafe(sellerColumns)}`;
  return row;
}

/** Writes a seller's fields and level, and counts a new version. */
export async function updateSeller(
  tx: Db,
  userId: string,
  next: SellerInput & { level: SellerLevel },
): Promise<SellerRow> {
  const [row] = await tx<SellerRow[]>`update sellers set
      description = ${next.description},
      skills = ${tx.json(next.skills)},
      languages = ${tx.json(next.languages)},
      education = ${tx.json(next.education as never)},
      certifications = ${tx.json(next.certifications as never)},
      portfolio = ${tx.json(next.portfolio as never)},
      level = ${next.level},
      updated_at = now(),
      version = version + 1
    where user_id = ${userId}
    returning ${tx.unsafe(sellerColumns)}`;
  return row;
}

/**
 * Counts a new version of the seller without changing what they wrote (their
 * rating or display name changed) and sets the level; returns the row.
 */
export async function touchSeller(
  tx: Db,
  userId: string,
  level: SellerLevel,
): Promise<SellerRow> {
  const [row] = await tx<SellerRow[]>`update sellers set
      level = ${level}, updated_at = now(), version = version + 1
    where user_id = ${userId}
    returning ${tx.unsafe(sellerColumns)}`;
  return row;
}

// --- ratings -----------------------------------------------------------------

interface RatingRow {
  role: RatingRole;
  count: number;
  sum: number;
  stars_1: number;
  stars_2: number;
  stars_3: number;
  stars_4: number;
  stars_5: number;
}

/** The user's aggregates as seller and as buyer (zeros where none). */
export async function ratingsOf(db: Db, userId: string): Promise<Record<RatingRole, RatingCounts>> {
  const rows = await db<RatingRow[]>`select role, count, sum, stars_1, stars_2, stars_3, stars_4,
    stars_5 from rating_aggregates where user_id = ${userId}`;
  const ratings: Record<RatingRole, RatingCounts> = { seller: NO_RATINGS, buyer: NO_RATINGS };
  for (const row of rows) {
    ratings[row.role] = {
      count: row.count,
      sum: row.sum,
      stars: [row.stars_1, row.stars_2, row.stars_3, row.stars_4, row.stars_5],
    };
  }
  return ratings;
}

/**
 * Counts a review into the reviewee's aggregate for `role`, once per review id.
 * Returns `false` when the review was already counted.
 */
export async function countReview(
  tx: Tx,
  review: { reviewId: string; revieweeId: string; role: RatingRole; rating: number },
): Promise<boolean> {
  const fresh = await tx`insert into counted_reviews (review_id, reviewee_id, role, rating)
    values (${review.reviewId}, ${review.revieweeId}, ${review.role}, ${review.rating})
    on conflict (review_id) do nothing returning review_id`;
  if (fresh.length === 0) return false;
  const star = (n: number) => (review.rating === n ? 1 : 0);
  await tx`insert into rating_aggregates
      (user_id, role, count, sum, stars_1, stars_2, stars_3, stars_4, stars_5)
    values (${review.revieweeId}, ${review.role}, 1, ${review.rating}, ${star(1)}, ${star(2)},
      ${star(3)}, ${star(4)}, ${star(5)})
    on conflict (user_id, role) do update set
      count = rating_aggregates.count + 1,
      sum = rating_aggregates.sum + excluded.sum,
      stars_1 = rating_aggregates.stars_1 + excluded.stars_1,
      stars_2 = rating_aggregates.stars_2 + excluded.stars_2,
      stars_3 = rating_aggregates.stars_3 + excluded.stars_3,
      stars_4 = rating_aggregates.stars_4 + excluded.stars_4,
      stars_5 = rating_aggregates.stars_5 + excluded.stars_5`;
  return true;
}

// --- completed orders --------------------------------------------------------

/**
 * Counts a completed order into its seller's numbers, once per order id.
 * Returns `false` when the order was already counted.
 */
export async function countCompletedOrder(
  tx: Tx,
  order: { orderId: string; sellerId: string; amount: number; currency: string },
): Promise<boolean> {
  const fresh = await tx`insert into counted_orders (order_id, seller_id, amount, currency)
    values (${order.orderId}, ${order.sellerId}, ${order.amount}, ${order.currency})
    on conflict (order_id) do nothing returning order_id`;
  if (fresh.length === 0) return false;
  await tx`insert into seller_stats (user_id, completed_orders) values (${order.sellerId}, 1)
    on conflict (user_id) do update set completed_orders = seller_stats.completed_orders + 1`;
  await tx`insert into seller_earnings (user_id, currency, amount)
    values (${order.sellerId}, ${order.currency}, ${order.amount})
    on conflict (user_id, currency) do update set amount = seller_earnings.amount + excluded.amount`;
  return true;
}

/** The numbers a seller's level is decided from (zeros where nothing was counted). */
export async function sellerNumbers(db: Db, userId: string): Promise<SellerNumbers> {
  const [row] = await db<
    { completed_orders: number; usd_earnings: string; reviews: number; stars_sum: number }[]
  >`select
      coalesce((select completed_orders from seller_stats where user_id = ${userId}), 0)
        as completed_orders,
      coalesce((select amount from seller_earnings
        where user_id = ${userId} and currency = 'USD'), 0) as usd_earnings,
      coalesce((select count from rating_aggregates
        where user_id = ${userId} and role = 'seller'), 0) as reviews,
      coalesce((select sum from rating_aggregates
        where user_id = ${userId} and role = 'seller'), 0) as stars_sum`;
  return {
    completedOrders: row.completed_orders,
    // bigint arrives as a string; a seller's cents stay far below 2^53.
    usdEarnings: Number(row.usd_earnings),
    reviews: row.reviews,
    starsSum: row.stars_sum,
  };
}

// --- reads -------------------------------------------------------------------

/** Everything shown about one user, by id or username; undefined without a profile. */
export async function loadBundle(
  db: Db,
  by: { userId: string } | { username: string },
): Promise<ProfileBundle | undefined> {
  const profile = "userId" in by
    ? await findProfileById(db, by.userId)
    : await findProfileByUsername(db, by.username);
  if (!profile) return undefined;
  const [emailVerified, seller, ratings] = await Promise.all([
    isEmailVerified(db, profile.user_id),
    findSeller(db, profile.user_id),
    ratingsOf(db, profile.user_id),
  ]);
  return { profile, emailVerified, seller, ratings };
}
