/**
 * Plain SQL of the gigs service (search lives in search.ts). Functions taking
 * `Tx` run inside the caller's transaction.
 */
import type { Sql, Tx } from "@mp/shared/db";
import type { FaqItem, GigPackage, GigRow, GigStatus, Money, Rating, Requirement } from "./gig.ts";
import { packageSummary, toRating } from "./gig.ts";

type Db = Sql | Tx;

// --- sellers replica ---------------------------------------------------------

/** A seller (or a not-yet-seller profile, `level` null) as the replica holds it. */
export interface SellerRow {
  user_id: string;
  username: string;
  display_name: string;
  avatar_url: string | null;
  level: string | null;
}

/** The replica row of a user, if any event told us about them. */
export async function findSeller(db: Db, userId: string): Promise<SellerRow | undefined> {
  const [row] = await db<SellerRow[]>`select user_id, username, display_name, avatar_url, level
    from sellers where user_id = ${userId}`;
  return row;
}

/** What `seller.created` / `seller.updated` carry that gigs keeps. */
export interface SellerSnapshot {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
  level: string;
  rating: { average: number | null; count: number };
}

/**
 * Applies a seller event that happened at `at`. Profile fields and seller fields
 * each change only if `at` is not older than what they came from, so events
 * arriving out of order converge on the newest data.
 */
export async function upsertSeller(tx: Db, seller: SellerSnapshot, at: Date): Promise<void> {
  await tx`insert into sellers (user_id, username, display_name, avatar_url, profile_at,
      level, rating_average, rating_count, seller_at)
    values (${seller.userId}, ${seller.username}, ${seller.displayName}, ${seller.avatarUrl}, ${at},
      ${seller.level}, ${seller.rating.average}, ${seller.rating.count}, ${at})
    on conflict (user_id) do update set
      username = case when excluded.profile_at >= sellers.profile_at
        then excluded.username else sellers.username end,
      display_name = case when excluded.profile_at >= sellers.profile_at
        then excluded.display_name else sellers.display_name end,
      avatar_url = case when excluded.profile_at >= sellers.profile_at
        then excluded.avatar_url else sellers.avatar_url end,
      profile_at = greatest(sellers.profile_at, excluded.profile_at),
      level = case when sellers.seller_at is null or excluded.seller_at >= sellers.seller_at
        then excluded.level else sellers.level end,
      rating_average = case when sellers.seller_at is null or excluded.seller_at >= sellers.seller_at
        then excluded.rating_average else sellers.rating_average end,
      rating_count = case when sellers.seller_at is null or excluded.seller_at >= sellers.seller_at
        then excluded.rating_count else sellers.rating_count end,
      seller_at = greatest(sellers.seller_at, excluded.seller_at)`;
}

/** What `user.profile_updated` carries that gigs keeps. */
export interface ProfileSnapshot {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
}

/**
 * Applies a profile change that happened at `at`. A user who is not (yet) a
 * seller gets a row without a level, so a seller event arriving after a newer
 * profile change cannot bring the old name back.
 */
export async function applyProfile(tx: Db, profile: ProfileSnapshot, at: Date): Promise<void> {
  await tx`insert into sellers (user_id, username, display_name, avatar_url, profile_at)
    values (${profile.userId}, ${profile.username}, ${profile.displayName}, ${profile.avatarUrl}, ${at})
    on conflict (user_id) do update set
      username = excluded.username,
      display_name = excluded.display_name,
      avatar_url = excluded.avatar_url,
      profile_at = excluded.profile_at
    where sellers.profile_at <= excluded.profile_at`;
}

/** Ids of a seller's gigs that anyone may still see (for cache invalidation). */
export async function liveGigIdsOfSeller(db: Db, sellerId: string): Promise<string[]> {
  const rows = await db<{ id: string }[]>`select id from gigs
    where seller_id = ${sellerId} and status <> 'deleted'`;
  return rows.map((r) => r.id);
}

/** Adds one buyer-to-seller review to a gig's rating; false if the gig is unknown. */
export async function addGigRating(tx: Db, gigId: string, stars: number): Promise<boolean> {
  const rows = await tx`update gigs set rating_sum = rating_sum + ${stars},
    rating_count = rating_count + 1 where id = ${gigId} returning id`;
  return rows.length === 1;
}

// --- gigs ----------------------------------------------------------------------

const GIG_COLUMNS = `g.id, g.seller_id, g.title, g.description, g.category, g.subcategory, g.tags,
  g.images, g.image_media_ids, g.packages, g.requirements, g.faq, g.currency, g.starting_price, g.status,
  g.rating_average, g.rating_count, g.created_at, g.updated_at,
  s.username as seller_username, s.display_name as seller_display_name,
  s.avatar_url as seller_avatar_url, s.level as seller_level`;

/** Everything a gig row holds that its seller writes. */
export interface GigContent {
  title: string;
  description: string;
  category: string;
  subcategory: string;
  tags: string[];
  /** What is shown: the uploaded images' public URLs first, then links. */
  images: string[];
  /** The uploaded images (media ids), in order; their URLs lead `images`. */
  imageMediaIds: string[];
  packages: GigPackage[];
  requirements: Requirement[];
  faq: FaqItem[];
}

/** Inserts an active gig; prices and delivery columns are derived from its packages. */
export async function insertGig(
  tx: Db,
  id: string,
  sellerId: string,
  gig: GigContent,
): Promise<GigRow> {
  const summary = packageSummary(gig.packages);
  const [row] = await tx<GigRow[]>`with g as (
      insert into gigs (id, seller_id, title, description, category, subcategory, tags, images,
        image_media_ids, packages, requirements, faq, currency, starting_price, min_delivery_days)
      values (${id}, ${sellerId}, ${gig.title}, ${gig.description}, ${gig.category},
        ${gig.subcategory}, ${gig.tags}::text[], ${gig.images}::text[],
        ${gig.imageMediaIds}::uuid[], ${tx.json(gig.packages)},
        ${tx.json(gig.requirements as never)}, ${tx.json(gig.faq)}, ${summary.currency},
        ${summary.startingPrice}, ${summary.minDeliveryDays})
      returning *)
    select ${tx.unsafe(GIG_COLUMNS)} from g join sellers s on s.user_id = g.seller_id`;
  return row;
}

/** A gig by id (deleted ones too: callers decide); `forUpdate` locks it. */
export async function findGig(
  db: Db,
  id: string,
  forUpdate = false,
): Promise<GigRow | undefined> {
  const [row] = forUpdate
    ? await db<GigRow[]>`select ${db.unsafe(GIG_COLUMNS)} from gigs g
        join sellers s on s.user_id = g.seller_id where g.id = ${id} for update of g`
    : await db<GigRow[]>`select ${db.unsafe(GIG_COLUMNS)} from gigs g
        join sellers s on s.user_id = g.seller_id where g.id = ${id}`;
  return row;
}

/** Replaces a gig's content (the caller merged the edit into the current row). */
export async function updateGig(tx: Db, id: string, gig: GigContent): Promise<GigRow> {
  const summary = packageSummary(gig.packages);
  const [row] = await tx<GigRow[]>`with g as (
      update gigs set title = ${gig.title}, description = ${gig.description},
        category = ${gig.category}, subcategory = ${gig.subcategory},
        tags = ${gig.tags}::text[], images = ${gig.images}::text[],
        image_media_ids = ${gig.imageMediaIds}::uuid[],
        packages = ${tx.json(gig.packages)}, requirements = ${tx.json(gig.requirements as never)},
        faq = ${tx.json(gig.faq)}, currency = ${summary.currency},
        starting_price = ${summary.startingPrice}, min_delivery_days = ${summary.minDeliveryDays},
        updated_at = now()
      where id = ${id} returning *)
    select ${tx.unsafe(GIG_COLUMNS)} from g join sellers s on s.user_id = g.seller_id`;
  return row;
}

/**
 * Which of `ids` another gig of the seller (not deleted) still shows: the media
 * service deletes the images gig.deleted names, so a shared one must not be named.
 */
export async function imagesUsedElsewhere(
  tx: Db,
  sellerId: string,
  gigId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx<{ id: string }[]>`
    select distinct image_id::text as id
    from gigs, unnest(image_media_ids) as image_id
    where seller_id = ${sellerId} and id <> ${gigId} and status <> 'deleted'
      and image_id = any(${ids as string[]}::uuid[])`;
  return new Set(rows.map((row) => row.id));
}

/** Sets a gig's status (pause, activate, soft delete). */
export async function setStatus(tx: Db, id: string, status: GigStatus): Promise<GigRow> {
  const [row] = await tx<GigRow[]>`with g as (
      update gigs set status = ${status}, updated_at = now(),
        deleted_at = case when ${status} = 'deleted' then now() end
      where id = ${id} returning *)
    select ${tx.unsafe(GIG_COLUMNS)} from g join sellers s on s.user_id = g.seller_id`;
  return row;
}

// --- cards (search results, favorites, a seller's own list) ----------------------

/** What a result card shows, as read from the database. */
export interface CardRow {
  id: string;
  title: string;
  starting_price: string | number;
  currency: string;
  image: string | null;
  rating_average: string | null;
  rating_count: number;
  status?: GigStatus;
  username: string;
  display_name: string;
  level: string | null;
  avatar_url: string | null;
}

/** A result card. */
export interface Card {
  id: string;
  title: string;
  startingPrice: Money;
  seller: { username: string; displayName: string; level: string | null; avatarUrl: string | null };
  rating: Rating;
  image: string | null;
  status?: "active" | "paused";
}

/** Maps a card row to its public shape. */
export function toCard(row: CardRow): Card {
  const card: Card = {
    id: row.id,
    title: row.title,
    startingPrice: {
      amount: Number(row.starting_price),
      currency: row.currency as Money["currency"],
    },
    seller: {
      username: row.username,
      displayName: row.display_name,
      level: row.level,
      avatarUrl: row.avatar_url,
    },
    rating: toRating(row.rating_average, row.rating_count),
    image: row.image,
  };
  if (row.status === "active" || row.status === "paused") card.status = row.status;
  return card;
}

/** A page of cards and how many there are in all. */
export interface CardPage {
  items: Card[];
  total: number;
}

/** The caller's own gigs (active and paused), newest first. */
export async function listOwnGigs(
  db: Db,
  sellerId: string,
  limit: number,
  offset: number,
): Promise<CardPage> {
  const [rows, [{ total }]] = await Promise.all([
    db<CardRow[]>`select g.id, g.title, g.starting_price, g.currency, g.images[1] as image,
        g.rating_average, g.rating_count, g.status, s.username, s.display_name, s.level,
        s.avatar_url
      from gigs g join sellers s on s.user_id = g.seller_id
      where g.seller_id = ${sellerId} and g.status <> 'deleted'
      order by g.created_at desc, g.id desc limit ${limit} offset ${offset}`,
    db<{ total: number }[]>`select count(*)::int as total from gigs
      where seller_id = ${sellerId} and status <> 'deleted'`,
  ]);
  return { items: rows.map(toCard), total };
}

// --- favorites -------------------------------------------------------------------

/** Saves a gig for a user (idempotent). */
export async function saveFavorite(db: Db, userId: string, gigId: string): Promise<void> {
  await db`insert into favorites (user_id, gig_id) values (${userId}, ${gigId})
    on conflict do nothing`;
}

/** Unsaves a gig (idempotent). */
export async function removeFavorite(db: Db, userId: string, gigId: string): Promise<void> {
  await db`delete from favorites where user_id = ${userId} and gig_id = ${gigId}`;
}

/**
 * A user's saved gigs that are active, most recently saved first. Saves of
 * paused or deleted gigs are kept but not listed (a paused gig comes back).
 */
export async function listFavorites(
  db: Db,
  userId: string,
  limit: number,
  offset: number,
): Promise<CardPage> {
  const [rows, [{ total }]] = await Promise.all([
    db<CardRow[]>`select g.id, g.title, g.starting_price, g.currency, g.images[1] as image,
        g.rating_average, g.rating_count, s.username, s.display_name, s.level, s.avatar_url
      from favorites f
      join gigs g on g.id = f.gig_id and g.status = 'active'
      join sellers s on s.user_id = g.seller_id
      where f.user_id = ${userId}
      order by f.created_at desc, f.gig_id desc limit ${limit} offset ${offset}`,
    db<{ total: number }[]>`select count(*)::int as total from favorites f
      join gigs g on g.id = f.gig_id and g.status = 'active' where f.user_id = ${userId}`,
  ]);
  return { items: rows.map(toCard), total };
}

// --- categories ------------------------------------------------------------------

/** Active gigs per subcategory (only subcategories that ever had one). */
export async function categoryCounts(
  db: Db,
): Promise<{ category: string; subcategory: string; n: number }[]> {
  return await db<{ category: string; subcategory: string; n: number }[]>`
    select category, subcategory, active as n from category_counts where active > 0`;
}
