/**
 * Plain SQL of the chat service. Functions taking `Tx` run inside the caller's
 * transaction (the request's, which also enqueues the event, or an inbox
 * transaction). Views (`MessageView`, `OfferView`, `ConversationView`) are the
 * REST shapes, which the events carry too.
 */
import type { EventHeaders } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";

type Db = Sql | Tx;

// --- views -----------------------------------------------------------------------

/** A link attachment: a link the browser fetches, never the server. */
export type LinkAttachment = { url: string; name: string; size: number };

/**
 * A file of the media service (purpose `chat_attachment`, the sender's), as the
 * media replica knew it at the send; the recipient gets its download URL from
 * `GET /api/v1/media/{mediaId}` once media saw `message.sent`. A type alias:
 * it is stored as JSON.
 */
export type MediaAttachment = { mediaId: string; name: string; size: number; contentType: string };

/** An attachment of a message: a link or a media file (told apart by `url` / `mediaId`). */
export type Attachment = LinkAttachment | MediaAttachment;

/** A message as REST answers it and `message.sent` carries it. */
export interface MessageView {
  id: string;
  conversationId: string;
  senderId: string;
  clientId: string;
  kind: "text" | "offer";
  body: string;
  attachments: Attachment[];
  gigId: string | null;
  orderId: string | null;
  offerId: string | null;
  createdAt: string;
}

/** The statuses of an offer. */
export type OfferStatus = "pending" | "accepted" | "declined" | "withdrawn" | "expired";

/**
 * Why orders made no order of an accepted offer (`offer.rejected`'s `reason`;
 * api_schemas.ts documents each).
 */
export const ORDER_REJECTION_REASONS = [
  "gig_not_found",
  "not_gig_seller",
  "own_gig",
  "gig_paused",
  "currency_mismatch",
  "payment_refused",
] as const;

/** One of `ORDER_REJECTION_REASONS`. */
export type OrderRejectionReason = typeof ORDER_REJECTION_REASONS[number];

/** An offer as REST answers it and `offer.updated` carries it. */
export interface OfferView {
  id: string;
  conversationId: string;
  messageId: string;
  sellerId: string;
  buyerId: string;
  gigId: string;
  description: string;
  price: { amount: number; currency: string };
  deliveryDays: number;
  revisions: number;
  expiresAt: string;
  status: OfferStatus;
  orderId: string | null;
  /** Why orders refused to make the accepted offer an order; null unless it did. */
  orderRejectedReason: OrderRejectionReason | null;
  createdAt: string;
  updatedAt: string;
}

/** A conversation as one participant sees it. */
export interface ConversationView {
  id: string;
  otherParty: {
    userId: string;
    username: string | null;
    displayName: string | null;
    avatarUrl: string | null;
  };
  lastMessage: MessageView | null;
  unreadCount: number;
  blockedByMe: boolean;
  blockedMe: boolean;
  createdAt: string;
  lastActivityAt: string;
}

const MESSAGE_COLUMNS = `m.seq, m.id, m.conversation_id, m.sender_id, m.client_id, m.kind,
  m.body, m.attachments, m.gig_id, m.order_id, m.offer_id, m.created_at`;

interface MessageRow {
  seq: string;
  id: string;
  conversation_id: string;
  sender_id: string;
  client_id: string;
  kind: "text" | "offer";
  body: string;
  attachments: Attachment[];
  gig_id: string | null;
  order_id: string | null;
  offer_id: string | null;
  created_at: Date;
}

const toMessage = (row: MessageRow): MessageView => ({
  id: row.id,
  conversationId: row.conversation_id,
  senderId: row.sender_id,
  clientId: row.client_id,
  kind: row.kind,
  body: row.body,
  attachments: row.attachments,
  gigId: row.gig_id,
  orderId: row.order_id,
  offerId: row.offer_id,
  createdAt: row.created_at.toISOString(),
});

// --- directory -------------------------------------------------------------------

/** A user of the directory. */
export interface DirectoryUser {
  userId: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
}

/** Records a user from `user.registered` (a known user keeps what they have). */
export async function registerUser(tx: Db, user: { userId: string; username: string }) {
  await tx`insert into users (user_id, username) values (${user.userId}, ${user.username})
    on conflict (user_id) do nothing`;
}

/** Applies `user.profile_updated` unless an equal or newer version was seen. */
export async function updateProfile(
  tx: Db,
  profile: DirectoryUser & { version: number },
) {
  await tx`insert into users (user_id, username, display_name, avatar_url, profile_version)
    values (${profile.userId}, ${profile.username}, ${profile.displayName}, ${profile.avatarUrl},
      ${profile.version})
    on conflict (user_id) do update set username = excluded.username,
      display_name = excluded.display_name, avatar_url = excluded.avatar_url,
      profile_version = excluded.profile_version, updated_at = now()
    where users.profile_version is null or users.profile_version < excluded.profile_version`;
}

/** Remembers a caller from their verified token unless already known. */
export async function rememberUser(tx: Db, user: { userId: string; username: string }) {
  await tx`insert into users (user_id, username) values (${user.userId}, ${user.username})
    on conflict (user_id) do nothing`;
}

/** The user with this username (case-insensitive), if known. */
export async function findUserByName(db: Db, username: string): Promise<string | undefined> {
  const [row] = await db<{ user_id: string }[]>`select user_id from users
    where lower(username) = lower(${username}) order by updated_at desc limit 1`;
  return row?.user_id;
}

/**
 * The username of a message's sender. Every sender is in the directory (a
 * message's `sender_id` references it: migration 003), so a missing row is a
 * broken invariant, thrown rather than answered as null.
 */
export async function senderUsername(db: Db, senderId: string): Promise<string> {
  const [row] = await db<{ username: string }[]>`select username from users
    where user_id = ${senderId}`;
  if (!row) throw new Error(`sender ${senderId} is not in the directory`);
  return row.username;
}

// --- gigs and orders -------------------------------------------------------------

/** A gig as offers need it. */
export interface ReplicaGig {
  gigId: string;
  sellerId: string;
  status: "active" | "paused" | "deleted";
  currency: string | null;
}

/** Applies `gig.created`/`gig.updated` when newer than the stored version and not deleted. */
export async function upsertGig(
  tx: Tx,
  gig: Omit<ReplicaGig, "status"> & { status: "active" | "paused"; updatedAt: Date },
) {
  await tx`insert into gigs (gig_id, seller_id, status, currency, source_updated_at)
    values (${gig.gigId}, ${gig.sellerId}, ${gig.status}, ${gig.currency}, ${gig.updatedAt})
    on conflict (gig_id) do update set seller_id = excluded.seller_id,
      status = excluded.status, currency = excluded.currency,
      source_updated_at = excluded.source_updated_at, received_at = now()
    where gigs.status <> 'deleted' and gigs.source_updated_at < excluded.source_updated_at`;
}

/** Applies `gig.deleted`: a tombstone, final whatever arrives later. */
export async function markGigDeleted(
  tx: Tx,
  gig: { gigId: string; sellerId: string; deletedAt: Date },
) {
  await tx`insert into gigs (gig_id, seller_id, status, source_updated_at)
    values (${gig.gigId}, ${gig.sellerId}, 'deleted', ${gig.deletedAt})
    on conflict (gig_id) do update set status = 'deleted',
      source_updated_at = greatest(gigs.source_updated_at, excluded.source_updated_at),
      received_at = now()`;
}

/** The replica's gig, or undefined. */
export async function findGig(db: Db, gigId: string): Promise<ReplicaGig | undefined> {
  const [row] = await db<
    { gig_id: string; seller_id: string; status: ReplicaGig["status"]; currency: string | null }[]
  >`select gig_id, seller_id, status, currency from gigs where gig_id = ${gigId}`;
  return row && {
    gigId: row.gig_id,
    sellerId: row.seller_id,
    status: row.status,
    currency: row.currency,
  };
}

/** Records an order's parties from `order.created` (the first event wins). */
export async function recordOrder(
  tx: Tx,
  order: { orderId: string; buyerId: string; sellerId: string; offerId: string | null },
) {
  await tx`insert into orders (order_id, buyer_id, seller_id, offer_id)
    values (${order.orderId}, ${order.buyerId}, ${order.sellerId}, ${order.offerId})
    on conflict (order_id) do nothing`;
}

/** The parties of a known order. */
export async function findOrder(
  db: Db,
  orderId: string,
): Promise<{ buyerId: string; sellerId: string } | undefined> {
  const [row] = await db<{ buyer_id: string; seller_id: string }[]>`select buyer_id, seller_id
    from orders where order_id = ${orderId}`;
  return row && { buyerId: row.buyer_id, sellerId: row.seller_id };
}

// --- conversations ---------------------------------------------------------------

/** A participant's row of a conversation. */
export interface Membership {
  conversationId: string;
  userId: string;
  otherUserId: string;
  readUptoSeq: string;
  blocked: boolean;
  otherBlocked: boolean;
}

/**
 * The caller's membership of a conversation (with whether the other blocked
 * them), or undefined when the caller is not a participant; `lock` takes the
 * conversation's row lock for the rest of the transaction.
 */
export async function membership(
  db: Db,
  conversationId: string,
  userId: string,
  lock = false,
): Promise<Membership | undefined> {
  if (lock) await db`select 1 from conversations where id = ${conversationId} for update`;
  const [row] = await db<
    {
      user_id: string;
      other_user_id: string;
      read_upto_seq: string;
      blocked: boolean;
      other_blocked: boolean;
    }[]
  >`select me.user_id, me.other_user_id, me.read_upto_seq, me.blocked,
      other.blocked as other_blocked
    from conversation_members me
    join conversation_members other
      on other.conversation_id = me.conversation_id and other.user_id = me.other_user_id
    where me.conversation_id = ${conversationId} and me.user_id = ${userId}`;
  return row && {
    conversationId,
    userId: row.user_id,
    otherUserId: row.other_user_id,
    readUptoSeq: row.read_upto_seq,
    blocked: row.blocked,
    otherBlocked: row.other_blocked,
  };
}

/**
 * The pair's conversation, created if it did not exist. `created` says which;
 * concurrent first requests of one pair create one (the unique pair decides).
 */
export async function findOrCreateConversation(
  tx: Tx,
  one: string,
  two: string,
): Promise<{ id: string; created: boolean; createdAt: Date }> {
  const [a, b] = one < two ? [one, two] : [two, one];
  const [inserted] = await tx<{ id: string; created_at: Date }[]>`
    insert into conversations (id, user_a, user_b) values (${crypto.randomUUID()}, ${a}, ${b})
    on conflict (user_a, user_b) do nothing returning id, created_at`;
  if (inserted) {
    await tx`insert into conversation_members (conversation_id, user_id, other_user_id)
      values (${inserted.id}, ${a}, ${b}), (${inserted.id}, ${b}, ${a})`;
    return { id: inserted.id, created: true, createdAt: inserted.created_at };
  }
  const [row] = await tx<{ id: string; created_at: Date }[]>`select id, created_at
    from conversations where user_a = ${a} and user_b = ${b}`;
  return { id: row.id, created: false, createdAt: row.created_at };
}

/**
 * Sets or clears the caller's block of the other participant; answers whether
 * that changed anything (a repeated block or unblock does not).
 */
export async function setBlocked(
  tx: Tx,
  conversationId: string,
  userId: string,
  blocked: boolean,
): Promise<boolean> {
  const rows = await tx`update conversation_members set blocked = ${blocked}
    where conversation_id = ${conversationId} and user_id = ${userId}
      and blocked <> ${blocked}
    returning 1`;
  return rows.length > 0;
}

const CONVERSATION_SELECT = `
  select c.id, c.created_at, c.last_activity_at, c.activity_seq,
    me.blocked as blocked_by_me, other.blocked as blocked_me, other.user_id as other_id,
    u.username, u.display_name, u.avatar_url,
    (select count(*) from messages x where x.conversation_id = c.id
      and x.seq > me.read_upto_seq and x.sender_id <> me.user_id)::int as unread_count,
    lm.seq as lm_seq, lm.id as lm_id, lm.sender_id as lm_sender_id, lm.client_id as lm_client_id,
    lm.kind as lm_kind, lm.body as lm_body, lm.attachments as lm_attachments,
    lm.gig_id as lm_gig_id, lm.order_id as lm_order_id, lm.offer_id as lm_offer_id,
    lm.created_at as lm_created_at
  from conversation_members me
  join conversations c on c.id = me.conversation_id
  join conversation_members other
    on other.conversation_id = me.conversation_id and other.user_id = me.other_user_id
  left join users u on u.user_id = other.user_id
  left join lateral (select * from messages m where m.conversation_id = c.id
    order by m.seq desc limit 1) lm on true`;

interface ConversationRow {
  id: string;
  created_at: Date;
  last_activity_at: Date;
  activity_seq: string;
  blocked_by_me: boolean;
  blocked_me: boolean;
  other_id: string;
  username: string | null;
  display_name: string | null;
  avatar_url: string | null;
  unread_count: number;
  lm_seq: string | null;
  lm_id: string | null;
  lm_sender_id: string;
  lm_client_id: string;
  lm_kind: "text" | "offer";
  lm_body: string;
  lm_attachments: Attachment[];
  lm_gig_id: string | null;
  lm_order_id: string | null;
  lm_offer_id: string | null;
  lm_created_at: Date;
}

const toConversation = (row: ConversationRow): ConversationView => ({
  id: row.id,
  otherParty: {
    userId: row.other_id,
    username: row.username,
    // Until users' profile event arrives, the username is the name to show.
    displayName: row.display_name ?? row.username,
    avatarUrl: row.avatar_url,
  },
  lastMessage: row.lm_id
    ? toMessage({
      seq: row.lm_seq!,
      id: row.lm_id,
      conversation_id: row.id,
      sender_id: row.lm_sender_id,
      client_id: row.lm_client_id,
      kind: row.lm_kind,
      body: row.lm_body,
      attachments: row.lm_attachments,
      gig_id: row.lm_gig_id,
      order_id: row.lm_order_id,
      offer_id: row.lm_offer_id,
      created_at: row.lm_created_at,
    })
    : null,
  unreadCount: row.unread_count,
  blockedByMe: row.blocked_by_me,
  blockedMe: row.blocked_me,
  createdAt: row.created_at.toISOString(),
  lastActivityAt: row.last_activity_at.toISOString(),
});

/** One conversation as `userId` sees it (undefined when not a participant). */
export async function conversationView(
  db: Db,
  conversationId: string,
  userId: string,
): Promise<ConversationView | undefined> {
  const [row] = await db.unsafe<ConversationRow[]>(
    `${CONVERSATION_SELECT} where me.conversation_id = $1 and me.user_id = $2`,
    [conversationId, userId],
  );
  return row && toConversation(row);
}

/**
 * A page of `userId`'s conversations, latest activity first. The cursor is the
 * last item's activity number: only conversations with older activity follow.
 */
export async function listConversations(
  db: Db,
  userId: string,
  page: { limit: number; before?: string },
): Promise<{ items: ConversationView[]; nextCursor: string | null }> {
  const rows = await db.unsafe<ConversationRow[]>(
    `${CONVERSATION_SELECT} where me.user_id = $1 and ($2::bigint is null or c.activity_seq < $2)
      order by c.activity_seq desc limit $3`,
    [userId, page.before ?? null, page.limit + 1],
  );
  const more = rows.length > page.limit;
  const items = rows.slice(0, page.limit);
  return {
    items: items.map(toConversation),
    nextCursor: more ? items[items.length - 1].activity_seq : null,
  };
}

/** The caller's unread messages over all conversations. */
export async function unreadTotal(db: Db, userId: string): Promise<number> {
  const [row] = await db<{ n: number }[]>`select count(*)::int as n
    from conversation_members me join messages m on m.conversation_id = me.conversation_id
      and m.seq > me.read_upto_seq and m.sender_id <> me.user_id
    where me.user_id = ${userId}`;
  return row.n;
}

// --- messages --------------------------------------------------------------------

/** What a new message holds. */
export interface NewMessage {
  conversationId: string;
  senderId: string;
  recipientId: string;
  clientId: string;
  kind: "text" | "offer";
  body: string;
  attachments: Attachment[];
  gigId: string | null;
  orderId: string | null;
  offerId: string | null;
}

/**
 * Stores a message, moves the conversation's activity, and makes an unread
 * reminder due for the recipient if none is (`delayMs` after this message, and
 * not within `delayMs` of the last reminder). The caller holds the
 * conversation's lock.
 */
export async function insertMessage(
  tx: Tx,
  message: NewMessage & { id?: string },
  delayMs: number,
): Promise<MessageView> {
  const [row] = await tx<MessageRow[]>`insert into messages as m (id, conversation_id, sender_id,
      client_id, kind, body, attachments, gig_id, order_id, offer_id)
    values (${message.id ?? crypto.randomUUID()}, ${message.conversationId}, ${message.senderId},
      ${message.clientId}, ${message.kind}, ${message.body}, ${
    tx.json(message.attachments as never)
  },
      ${message.gigId}, ${message.orderId}, ${message.offerId})
    returning ${tx.unsafe(MESSAGE_COLUMNS)}`;
  await tx`update conversations set last_activity_at = ${row.created_at},
    activity_seq = nextval('activity_seq') where id = ${message.conversationId}`;
  const delay = `${delayMs} milliseconds`;
  await tx`update conversation_members set remind_at = greatest(
      ${row.created_at}::timestamptz + ${delay}::interval,
      reminded_at + ${delay}::interval)
    where conversation_id = ${message.conversationId} and user_id = ${message.recipientId}
      and remind_at is null`;
  return toMessage(row);
}

/** What a text message's send holds (`sendMessage`). */
export interface SendRequest {
  conversationId: string;
  sender: { userId: string; username: string };
  clientId: string;
  body: string;
  attachments: Attachment[];
  gigId: string | null;
  orderId: string | null;
  /** At most this many sends (offers included) within `rateWindowMs`. */
  rateLimit: number;
  rateWindowMs: number;
  /** `insertMessage`'s `delayMs`. */
  reminderDelayMs: number;
  /** The headers of the `message.sent` it enqueues (shared/outbox.ts `outboxHeaders()`). */
  eventHeaders: EventHeaders;
}

/** What `sendMessage` did: migration 004 documents each outcome. */
export type SendOutcome =
  | { outcome: "not_member" | "blocked" | "you_blocked" | "unknown_gig" | "unknown_order" }
  | { outcome: "rate_limited"; oldest: Date | null }
  | { outcome: "earlier" | "sent"; message: MessageView; recipientId: string };

/**
 * A text message's send in one statement (`chat_send_message`, migrations 005 and 006):
 * in this order, the caller's membership, the sender's lock (`lockSender`'s),
 * the message already sent with this client id, the blocks, the gig and order
 * given as context, the rate limit (`recentSends`' count), then `rememberUser`
 * and `insertMessage` with its side updates, and for a new message its
 * `message.sent` outbox row. On the pool it is its own transaction (one round
 * trip); inside a caller's transaction it commits with the rest.
 */
export async function sendMessage(db: Db, send: SendRequest): Promise<SendOutcome> {
  const [row] = await db<
    (MessageRow & { outcome: string; other_user_id: string | null; rate_oldest: Date | null })[]
  >`
    select * from chat_send_message(${send.conversationId}, ${send.sender.userId},
      ${send.sender.username}, ${crypto.randomUUID()}, ${send.clientId}, ${send.body},
      ${db.json(send.attachments as never)}, ${send.gigId}, ${send.orderId}, ${send.rateLimit},
      ${`${send.rateWindowMs} milliseconds`}::interval,
      ${`${send.reminderDelayMs} milliseconds`}::interval,
      ${crypto.randomUUID()}, ${db.json(send.eventHeaders as never)})`;
  switch (row.outcome) {
    case "earlier":
    case "sent":
      return { outcome: row.outcome, message: toMessage(row), recipientId: row.other_user_id! };
    case "rate_limited":
      return { outcome: "rate_limited", oldest: row.rate_oldest };
    case "not_member":
    case "blocked":
    case "you_blocked":
    case "unknown_gig":
    case "unknown_order":
      return { outcome: row.outcome };
    default:
      throw new Error(`chat_send_message answered ${row.outcome}`);
  }
}

/** A message of a conversation by id, with its sequence number. */
export async function findMessage(
  db: Db,
  conversationId: string,
  messageId: string,
): Promise<(MessageView & { seq: string }) | undefined> {
  const [row] = await db.unsafe<MessageRow[]>(
    `select ${MESSAGE_COLUMNS} from messages m where m.conversation_id = $1 and m.id = $2`,
    [conversationId, messageId],
  );
  return row && { ...toMessage(row), seq: row.seq };
}

/**
 * A page of a conversation's messages, oldest first within the page. With
 * `before` (a sequence number) the newest messages older than it; with `after`
 * the oldest newer than it; with neither the newest. `nextCursor` is the id of
 * the page's edge message in the page's direction, or null at the end.
 */
export async function listMessages(
  db: Db,
  conversationId: string,
  page: { limit: number; beforeSeq?: string; afterSeq?: string },
): Promise<{ items: MessageView[]; nextCursor: string | null }> {
  const forward = page.afterSeq !== undefined;
  const rows = forward
    ? await db.unsafe<MessageRow[]>(
      `select ${MESSAGE_COLUMNS} from messages m where m.conversation_id = $1 and m.seq > $2
        order by m.seq asc limit $3`,
      [conversationId, page.afterSeq!, page.limit + 1],
    )
    : await db.unsafe<MessageRow[]>(
      `select ${MESSAGE_COLUMNS} from messages m
        where m.conversation_id = $1 and ($2::bigint is null or m.seq < $2)
        order by m.seq desc limit $3`,
      [conversationId, page.beforeSeq ?? null, page.limit + 1],
    );
  const more = rows.length > page.limit;
  const kept = rows.slice(0, page.limit);
  const items = (forward ? kept : kept.reverse()).map(toMessage);
  const edge = forward ? items[items.length - 1] : items[0];
  return { items, nextCursor: more && edge ? edge.id : null };
}

/**
 * The sender's messages in the last `windowMs`, and when the oldest of them was
 * sent (for `Retry-After`).
 */
export async function recentSends(
  db: Db,
  senderId: string,
  windowMs: number,
): Promise<{ count: number; oldest: Date | null }> {
  const [row] = await db<{ count: number; oldest: Date | null }[]>`
    select count(*)::int as count, min(created_at) as oldest from messages
    where sender_id = ${senderId}
      and created_at > now() - ${`${windowMs} milliseconds`}::interval`;
  return row;
}

/** Serializes one user's sends (the rate limit counts, then inserts). */
export async function lockSender(tx: Tx, userId: string) {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`chat:send:${userId}`}, 0))`;
}

/**
 * Marks the caller's messages read up to `seq` (never backwards) and moves the
 * reminder to the first message still unread. Returns whether anything changed.
 */
export async function markRead(
  tx: Tx,
  conversationId: string,
  userId: string,
  seq: string,
  delayMs: number,
): Promise<{ changed: boolean; readAt: Date | null }> {
  const [row] = await tx<{ read_at: Date }[]>`update conversation_members
    set read_upto_seq = ${seq}, read_at = now()
    where conversation_id = ${conversationId} and user_id = ${userId}
      and read_upto_seq < ${seq}
    returning read_at`;
  if (!row) return { changed: false, readAt: null };
  const delay = `${delayMs} milliseconds`;
  await tx`update conversation_members me set remind_at = (
      select case when min(m.created_at) is null then null else
        greatest(min(m.created_at) + ${delay}::interval, me.reminded_at + ${delay}::interval) end
      from messages m where m.conversation_id = me.conversation_id
        and m.seq > me.read_upto_seq and m.sender_id <> me.user_id)
    where me.conversation_id = ${conversationId} and me.user_id = ${userId}`;
  return { changed: true, readAt: row.read_at };
}

// --- reminders -------------------------------------------------------------------

/** A participant whose reminder is due, locked for this transaction. */
export interface DueReminder {
  conversationId: string;
  recipientId: string;
  senderId: string;
  readUptoSeq: string;
}

/** Claims up to `limit` due reminders (other replicas skip them). */
export async function claimDueReminders(tx: Tx, limit: number): Promise<DueReminder[]> {
  const rows = await tx<
    { conversation_id: string; user_id: string; other_user_id: string; read_upto_seq: string }[]
  >`select conversation_id, user_id, other_user_id, read_upto_seq from conversation_members
    where remind_at <= now() order by remind_at limit ${limit} for update skip locked`;
  return rows.map((r) => ({
    conversationId: r.conversation_id,
    recipientId: r.user_id,
    senderId: r.other_user_id,
    readUptoSeq: r.read_upto_seq,
  }));
}

/** What is still unread by the recipient: how many, since when. */
export async function unreadFrom(
  db: Db,
  reminder: DueReminder,
): Promise<{ count: number; first: Date | null }> {
  const [row] = await db<{ count: number; first: Date | null }[]>`
    select count(*)::int as count, min(created_at) as first from messages
    where conversation_id = ${reminder.conversationId} and seq > ${reminder.readUptoSeq}
      and sender_id <> ${reminder.recipientId}`;
  return row;
}

/** Sets when the participant's reminder is next due (null: none), `reminded` when one went out. */
export async function rescheduleReminder(
  tx: Tx,
  reminder: DueReminder,
  remindAt: Date | null,
  reminded: boolean,
) {
  await tx`update conversation_members set remind_at = ${remindAt},
    reminded_at = case when ${reminded} then now() else reminded_at end
    where conversation_id = ${reminder.conversationId} and user_id = ${reminder.recipientId}`;
}

// --- offers ----------------------------------------------------------------------

interface OfferRow {
  id: string;
  conversation_id: string;
  message_id: string;
  seller_id: string;
  buyer_id: string;
  gig_id: string;
  description: string;
  amount: string;
  currency: string;
  delivery_days: number;
  revisions: number;
  expires_at: Date;
  status: OfferStatus;
  order_id: string | null;
  order_rejected_reason: OrderRejectionReason | null;
  created_at: Date;
  updated_at: Date;
}

const OFFER_COLUMNS = `id, conversation_id, message_id, seller_id, buyer_id, gig_id, description,
  amount, currency, delivery_days, revisions, expires_at, status, order_id, order_rejected_reason,
  created_at, updated_at`;

/**
 * The offer as clients see it: a pending offer past its date is `expired`
 * even before the expiry loop has marked it.
 */
const toOffer = (row: OfferRow, now = new Date()): OfferView => ({
  id: row.id,
  conversationId: row.conversation_id,
  messageId: row.message_id,
  sellerId: row.seller_id,
  buyerId: row.buyer_id,
  gigId: row.gig_id,
  description: row.description,
  price: { amount: Number(row.amount), currency: row.currency },
  deliveryDays: row.delivery_days,
  revisions: row.revisions,
  expiresAt: row.expires_at.toISOString(),
  status: row.status === "pending" && row.expires_at <= now ? "expired" : row.status,
  orderId: row.order_id,
  orderRejectedReason: row.order_rejected_reason,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** What a new offer holds. */
export interface NewOffer {
  id: string;
  conversationId: string;
  messageId: string;
  sellerId: string;
  buyerId: string;
  gigId: string;
  description: string;
  price: { amount: number; currency: string };
  deliveryDays: number;
  revisions: number;
  expiresInDays: number;
}

/** Stores an offer (its message is inserted first, in the same transaction). */
export async function insertOffer(tx: Tx, offer: NewOffer): Promise<OfferView> {
  const [row] = await tx.unsafe<OfferRow[]>(
    `insert into offers (id, conversation_id, message_id, seller_id, buyer_id, gig_id,
      description, amount, currency, delivery_days, revisions, expires_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now() + make_interval(days => $12))
    returning ${OFFER_COLUMNS}`,
    [
      offer.id,
      offer.conversationId,
      offer.messageId,
      offer.sellerId,
      offer.buyerId,
      offer.gigId,
      offer.description,
      offer.price.amount,
      offer.price.currency,
      offer.deliveryDays,
      offer.revisions,
      offer.expiresInDays,
    ],
  );
  return toOffer(row);
}

/** An offer; `lock` takes its row lock for the rest of the transaction. */
export async function findOffer(
  db: Db,
  offerId: string,
  lock = false,
): Promise<OfferView | undefined> {
  const [row] = await db.unsafe<OfferRow[]>(
    `select ${OFFER_COLUMNS} from offers where id = $1${lock ? " for update" : ""}`,
    [offerId],
  );
  return row && toOffer(row);
}

/** Moves a pending offer to `status`; returns it as it now is. */
export async function setOfferStatus(
  tx: Tx,
  offerId: string,
  status: Exclude<OfferStatus, "pending">,
): Promise<OfferView> {
  const [row] = await tx.unsafe<OfferRow[]>(
    `update offers set status = $2, updated_at = now() where id = $1 and status = 'pending'
      returning ${OFFER_COLUMNS}`,
    [offerId, status],
  );
  return toOffer(row);
}

/**
 * Sets an accepted offer's order once; undefined when it had one or does not
 * match. An order clears a rejection reason (orders decides an offer once, so
 * both cannot happen today; if they did, the order is what exists).
 */
export async function setOfferOrder(
  tx: Tx,
  order: { offerId: string; orderId: string; buyerId: string; sellerId: string },
): Promise<OfferView | undefined> {
  const [row] = await tx.unsafe<OfferRow[]>(
    `update offers set order_id = $2, order_rejected_reason = null, updated_at = now()
      where id = $1 and order_id is null and buyer_id = $3 and seller_id = $4
      returning ${OFFER_COLUMNS}`,
    [order.offerId, order.orderId, order.buyerId, order.sellerId],
  );
  return row && toOffer(row);
}

/**
 * Records orders' refusal of an accepted offer (`offer.rejected`), once: only an
 * accepted offer without an order or an earlier reason changes; undefined
 * otherwise (the caller finds out why, to log it).
 */
export async function setOfferRejected(
  tx: Tx,
  offerId: string,
  reason: OrderRejectionReason,
): Promise<OfferView | undefined> {
  const [row] = await tx.unsafe<OfferRow[]>(
    `update offers set order_rejected_reason = $2, updated_at = now()
      where id = $1 and status = 'accepted' and order_id is null and order_rejected_reason is null
      returning ${OFFER_COLUMNS}`,
    [offerId, reason],
  );
  return row && toOffer(row);
}

/** Marks up to `limit` pending offers past their date `expired` (other replicas skip them). */
export async function expireDueOffers(tx: Tx, limit: number): Promise<OfferView[]> {
  const rows = await tx.unsafe<OfferRow[]>(
    `update offers set status = 'expired', updated_at = now()
      where id in (select id from offers where status = 'pending' and expires_at <= now()
        order by expires_at limit $1 for update skip locked)
      returning ${OFFER_COLUMNS}`,
    [limit],
  );
  return rows.map((row) => toOffer(row));
}
