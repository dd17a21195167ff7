/**
 * Routes of the chat service (reached only through the gateway; every one needs
 * the caller's access token).
 *
 * A conversation is reachable only by its two participants: anyone else gets the
 * same 404 as for a conversation that does not exist, whatever they try (read,
 * send, mark read, block, offer). An offer likewise is its buyer's and seller's.
 * Every change and its event commit in one transaction (shared/outbox.ts); the
 * realtime edge pushes the events.
 *
 * Sending (messages, and offers, which are messages) runs under a per-sender
 * advisory lock: the `clientId` de-duplication and the per-minute limit count
 * what is committed, so concurrent retries create one message and concurrent
 * sends cannot pass the limit together. The limit is counted in PostgreSQL, from
 * the messages themselves (README says why).
 *
 * Every route is declared with `apiRoute` (shared/openapi.ts): the schemas that
 * validate a request are the ones `GET /openapi.json` publishes.
 */
import { z } from "zod";
import { retryTransaction, type Sql, type Tx } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import { type AuthVariables, type Caller, requireAuth, type TokenVerifier } from "@mp/shared/jwt";
import { idempotentJson } from "@mp/shared/idempotency";
import type { Logger } from "@mp/shared/log";
import {
  apiRoute,
  jsonRequest,
  jsonResponse,
  problemResponse,
  serveOpenApi,
  untypedAnswer,
} from "@mp/shared/openapi";
import { queryInt } from "@mp/shared/paging";
import { AppError, errors } from "@mp/shared/problem";
import { publicHttpsUrl } from "@mp/shared/public_link";
import { line, paragraph } from "@mp/shared/text";
import {
  ConversationEnvelope,
  ConversationPage,
  idempotencyKeyHeader,
  MessageEnvelope,
  MessagePage,
  OfferEnvelope,
  replayedHeader,
  UnreadCount,
} from "./api_schemas.ts";
import { outboxHeaders } from "@mp/shared/outbox";
import { requireOwnedMedia } from "@mp/shared/media_refs";
import { publish } from "./events.ts";
import * as store from "./store.ts";

/** The limits a deployment sets (README: variables and defaults). */
export interface ChatLimits {
  /** CHAT_MESSAGES_PER_MINUTE: messages (offers included) a user may send a minute. */
  messagesPerMinute: number;
  /** CHAT_PAGE_MAX: the largest `limit` of a page. */
  pageMax: number;
  /** CHAT_ATTACHMENTS_MAX: attachments per message. */
  attachmentsMax: number;
  /** CHAT_ATTACHMENT_MAX_BYTES: the largest `size` an attachment may declare. */
  attachmentMaxBytes: number;
  /** CHAT_MAIL_DELAY_MINUTES in ms: how long a message stays unread before a reminder. */
  mailDelayMs: number;
}

/** Defaults of the limits (also those of main.ts's variables). */
export const DEFAULT_LIMITS = {
  messagesPerMinute: 30,
  pageMax: 100,
  attachmentsMax: 10,
  attachmentMaxBytes: 100 * 1024 * 1024,
  mailDelayMinutes: 5,
} as const;

/** What `createApp` needs; built in main.ts, or by tests with real connections. */
export interface ChatDeps {
  sql: Sql;
  verifier: TokenVerifier;
  log: Logger;
  limits: ChatLimits;
  drain?: Drain;
  readiness?: Record<string, ReadinessCheck>;
}

/**
 * Largest request body: a 5,000-character body written entirely as `\uXXXX`
 * escapes of astral characters is 60 KB, plus attachment links.
 */
export const MAX_BODY_BYTES = 128 * 1024;

/** Longest message body (characters). */
export const MAX_BODY_CHARS = 5000;
/** Longest offer description (characters). */
export const MAX_OFFER_DESCRIPTION = 1500;
/** Offer bounds: gigs' own (services/gigs/gig.ts GIG_LIMITS). */
export const OFFER_LIMITS = {
  maxAmount: 100_000_000,
  maxDeliveryDays: 90,
  maxRevisions: 20,
  maxExpiresInDays: 30,
} as const;

const MINUTE = 60_000;
const OFFER_CLIENT_PREFIX = "offer:";

const conversationNotFound = () =>
  new AppError(404, "conversation_not_found", "No such conversation.");
const offerNotFound = () => new AppError(404, "offer_not_found", "No such offer.");
const unprocessable = (code: string, detail: string) => new AppError(422, code, detail);
const blockedError = () =>
  new AppError(403, "blocked", "The other participant does not accept your messages.");
const youBlockedError = () =>
  new AppError(403, "you_blocked", "You blocked this user; unblock them first.");
const unknownGig = () => unprocessable("unknown_gig", "No such gig.");
const unknownOrder = () =>
  unprocessable("unknown_order", "No such order between you and this user.");

const idParam = z.object({ id: z.uuid({ message: "Must be a UUID." }) });
const clientId = z.string().regex(/^[\x21-\x7E]{1,100}$/, "Must be 1–100 visible ASCII characters.")
  .refine((value) => !value.startsWith(OFFER_CLIENT_PREFIX), "Must not start with `offer:`.");
const contextIds = {
  gigId: z.uuid({ message: "Must be a gig id (UUID)." }).optional(),
  orderId: z.uuid({ message: "Must be an order id (UUID)." }).optional(),
};

/** The request schemas, which depend on the configured limits. */
function schemas(limits: ChatLimits) {
  const attachment = z.strictObject({
    url: publicHttpsUrl,
    name: line(255),
    size: z.number().int().min(1).max(limits.attachmentMaxBytes),
  });
  const body = paragraph(MAX_BODY_CHARS);
  const messageBody = z.strictObject({
    clientId,
    body,
    attachments: z.array(attachment).max(
      limits.attachmentsMax,
      `At most ${limits.attachmentsMax} attachments.`,
    ).optional(),
    attachmentMediaIds: z.array(z.uuid({ message: "Must be a media id (UUID)." }))
      .max(limits.attachmentsMax, `At most ${limits.attachmentsMax} attachments.`)
      .refine((ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length, {
        message: "Each file once.",
      })
      .optional()
      .meta({
        description: "Files the sender uploaded with purpose `chat_attachment`; the recipient " +
          "may download them once the message is sent.",
      }),
    ...contextIds,
  }).refine(
    (v) =>
      (v.attachments?.length ?? 0) + (v.attachmentMediaIds?.length ?? 0) <= limits.attachmentsMax,
    { path: ["attachmentMediaIds"], message: `At most ${limits.attachmentsMax} attachments.` },
  );
  const startBody = z.strictObject({
    recipient: z.string().trim().min(1).max(64).meta({ description: "A username (any case)." }),
    ...contextIds,
    message: body.optional().meta({ description: "A first message (1–5,000 characters)." }),
    clientId: clientId.optional().meta({
      description: "The first message's client id (a retry sends it once); default: a new one.",
    }),
  }).refine((v) => v.message !== undefined || v.clientId === undefined, {
    path: ["clientId"],
    message: "Only with a `message`.",
  });
  const limit = (fallback: number) =>
    queryInt(limits.pageMax).optional().meta({
      description: `Page size, 1–${limits.pageMax} (default ${
        Math.min(fallback, limits.pageMax)
      }).`,
    });
  const messageId = z.uuid({ message: "Must be a message id (UUID)." }).optional();
  const messagesQuery = z.strictObject({
    before: messageId.meta({ description: "A message id: the messages before it." }),
    after: messageId.meta({ description: "A message id: the messages after it." }),
    limit: limit(50),
  }).refine((v) => !(v.before && v.after), {
    path: ["after"],
    message: "Give `before` or `after`, not both.",
  });
  const listQuery = z.strictObject({
    cursor: z.string().regex(/^\d{1,18}$/, "Must be a cursor from `nextCursor`.").optional(),
    limit: limit(20),
  });
  const offerBody = z.strictObject({
    gigId: z.uuid({ message: "Must be a gig id (UUID)." }),
    description: paragraph(MAX_OFFER_DESCRIPTION),
    price: z.strictObject({
      amount: z.number().int().min(1).max(OFFER_LIMITS.maxAmount).meta({
        description: "Integer minor units.",
      }),
      currency: z.string().regex(/^[A-Z]{3}$/, "Must be an ISO 4217 code.").meta({
        description: "Must be the gig's currency.",
      }),
    }),
    deliveryDays: z.number().int().min(1).max(OFFER_LIMITS.maxDeliveryDays),
    revisions: z.number().int().min(0).max(OFFER_LIMITS.maxRevisions),
    expiresInDays: z.number().int().min(1).max(OFFER_LIMITS.maxExpiresInDays),
  });
  const readBody = z.strictObject({
    upTo: z.uuid({ message: "Must be a message id (UUID)." }).meta({
      description: "The newest message read (usually the last one shown).",
    }),
  });
  return { messageBody, startBody, messagesQuery, listQuery, offerBody, readBody };
}

const tags = ["chat"];
const notParticipant =
  "`conversation_not_found`: no such conversation, or the caller is not one of its two " +
  "participants.";
const offerNotTheirs = "`offer_not_found`: no such offer, or the caller is neither its buyer " +
  "nor its seller.";
const tooMany = (limits: ChatLimits) =>
  problemResponse(
    429,
    `\`rate_limited\`: more than ${limits.messagesPerMinute} messages (offers included) in a ` +
      "minute (CHAT_MESSAGES_PER_MINUTE); `Retry-After` says when one may be sent.",
  );
// The codes of the idempotency key (shared/idempotency.ts) beside the route's own.
const keyInUse = "`idempotency_key_in_use` (a request with this `Idempotency-Key` is still " +
  "running; `Retry-After: 1`).";
const keyReused = problemResponse(
  422,
  "`idempotency_key_reused`: the `Idempotency-Key` was used for another route or body.",
);
const blocked = problemResponse(
  403,
  "`blocked`: the other participant blocked the caller, or `you_blocked`: the caller " +
    "blocked them (unblock first).",
);

function routes(limits: ChatLimits) {
  const s = schemas(limits);
  const offerAction = (action: string, summary: string, forbidden: string) =>
    apiRoute({
      method: "post",
      path: `/api/v1/offers/{id}/${action}`,
      tags,
      summary,
      bearer: true,
      parameters: [idempotencyKeyHeader],
      request: { params: idParam },
      responses: {
        200: {
          ...jsonResponse(OfferEnvelope, "The offer as it now is."),
          headers: replayedHeader,
        },
        403: problemResponse(403, forbidden),
        404: problemResponse(404, offerNotTheirs),
        409: problemResponse(
          409,
          "`offer_not_pending` (already accepted, declined or withdrawn), `offer_expired`, " +
            "(accept) `gig_not_active`: the gig was paused, deleted or repriced in another " +
            "currency since, or " + keyInUse,
        ),
        422: keyReused,
      },
    });
  return {
    start: apiRoute({
      method: "post",
      path: "/api/v1/conversations",
      tags,
      summary: "Start (or find) the conversation with a user, optionally with a first message",
      bearer: true,
      problems: [413],
      request: { body: jsonRequest(s.startBody) },
      responses: {
        200: jsonResponse(ConversationEnvelope, "The pair's existing conversation."),
        201: jsonResponse(ConversationEnvelope, "A new conversation."),
        403: blocked,
        404: problemResponse(404, "`user_not_found`: no user has this username."),
        422: problemResponse(
          422,
          "`cannot_message_self`, `unknown_gig` (no such gig), `unknown_order` (not an order " +
            "between the two).",
        ),
        429: tooMany(limits),
      },
    }),
    list: apiRoute({
      method: "get",
      path: "/api/v1/conversations",
      tags,
      summary: "The caller's conversations, latest activity first",
      bearer: true,
      request: { query: s.listQuery },
      responses: { 200: jsonResponse(ConversationPage, "One page.") },
    }),
    unread: apiRoute({
      method: "get",
      path: "/api/v1/conversations/unread-count",
      tags,
      summary: "Unread messages over all the caller's conversations",
      bearer: true,
      responses: { 200: jsonResponse(UnreadCount, "The count.") },
    }),
    one: apiRoute({
      method: "get",
      path: "/api/v1/conversations/{id}",
      tags,
      summary: "One conversation",
      bearer: true,
      request: { params: idParam },
      responses: {
        200: jsonResponse(ConversationEnvelope, "The conversation."),
        404: problemResponse(404, notParticipant),
      },
    }),
    messages: apiRoute({
      method: "get",
      path: "/api/v1/conversations/{id}/messages",
      tags,
      summary: "A page of messages: the newest, or those `before` or `after` a message",
      bearer: true,
      request: { params: idParam, query: s.messagesQuery },
      responses: {
        200: jsonResponse(MessagePage, "One page."),
        404: problemResponse(404, notParticipant),
      },
    }),
    send: apiRoute({
      method: "post",
      path: "/api/v1/conversations/{id}/messages",
      tags,
      summary: "Send a message (a retried `clientId` answers the first message)",
      bearer: true,
      problems: [413],
      request: { params: idParam, body: jsonRequest(s.messageBody) },
      responses: {
        200: jsonResponse(MessageEnvelope, "The message first sent with this `clientId`."),
        201: jsonResponse(MessageEnvelope, "The new message."),
        403: blocked,
        404: problemResponse(404, notParticipant),
        422: problemResponse(
          422,
          "`unknown_gig` (no such gig), `unknown_order` (not an order between the two).",
        ),
        429: tooMany(limits),
      },
    }),
    read: apiRoute({
      method: "post",
      path: "/api/v1/conversations/{id}/read",
      tags,
      summary: "Mark the conversation read up to a message (never backwards)",
      bearer: true,
      request: { params: idParam, body: jsonRequest(s.readBody) },
      responses: {
        200: jsonResponse(ConversationEnvelope, "The conversation with its unread count."),
        404: problemResponse(404, notParticipant + " Or `message_not_found` (not in it)."),
      },
    }),
    block: apiRoute({
      method: "post",
      path: "/api/v1/conversations/{id}/block",
      tags,
      summary: "Block the other participant: neither can send in the conversation",
      bearer: true,
      request: { params: idParam },
      responses: {
        200: jsonResponse(ConversationEnvelope, "The conversation."),
        404: problemResponse(404, notParticipant),
      },
    }),
    unblock: apiRoute({
      method: "post",
      path: "/api/v1/conversations/{id}/unblock",
      tags,
      summary: "Lift the caller's block",
      bearer: true,
      request: { params: idParam },
      responses: {
        200: jsonResponse(ConversationEnvelope, "The conversation."),
        404: problemResponse(404, notParticipant),
      },
    }),
    offer: apiRoute({
      method: "post",
      path: "/api/v1/conversations/{id}/offers",
      tags,
      summary: "Make a custom offer (seller, own active gig) to the other participant",
      bearer: true,
      problems: [413],
      parameters: [idempotencyKeyHeader],
      request: { params: idParam, body: jsonRequest(s.offerBody) },
      responses: {
        201: {
          ...jsonResponse(OfferEnvelope, "The offer; its `offer` message is in the conversation."),
          headers: {
            Location: {
              description: "`/api/v1/offers/{id}`: the new offer.",
              schema: { type: "string" as const },
            },
            ...replayedHeader,
          },
        },
        403: problemResponse(
          403,
          "`not_your_gig`: the gig is another seller's; `blocked` or `you_blocked`.",
        ),
        404: problemResponse(404, notParticipant + " Or `gig_not_found`."),
        409: problemResponse(409, "`gig_not_active`: the gig is paused, or " + keyInUse),
        422: problemResponse(
          422,
          "`currency_mismatch`: not the gig's currency; `idempotency_key_reused`: the " +
            "`Idempotency-Key` was used for another route or body.",
        ),
        429: tooMany(limits),
      },
    }),
    getOffer: apiRoute({
      method: "get",
      path: "/api/v1/offers/{id}",
      tags,
      summary: "One offer (its buyer or seller)",
      bearer: true,
      request: { params: idParam },
      responses: {
        200: jsonResponse(OfferEnvelope, "The offer."),
        404: problemResponse(404, offerNotTheirs),
      },
    }),
    accept: offerAction(
      "accept",
      "Accept an offer (the buyer it was made to): orders then creates the order",
      "`forbidden`: only the buyer may accept; `blocked` or `you_blocked`.",
    ),
    decline: offerAction(
      "decline",
      "Decline an offer (the buyer it was made to)",
      "`forbidden`: only the buyer may decline.",
    ),
    withdraw: offerAction(
      "withdraw",
      "Withdraw an offer (its seller)",
      "`forbidden`: only the seller may withdraw.",
    ),
  };
}

/** What a send adds to a conversation. */
interface SendInput {
  clientId: string;
  body: string;
  attachments?: store.Attachment[];
  gigId?: string;
  orderId?: string;
}

/** Builds the Hono app of the chat service. */
export function createApp(deps: ChatDeps) {
  const { sql, verifier, log, limits } = deps;
  const { app, drain } = createServiceApp<{ Variables: AuthVariables }>({
    log,
    drain: deps.drain,
    readiness: deps.readiness,
    maxBodyBytes: MAX_BODY_BYTES,
  });
  const auth = requireAuth(verifier);
  // Token first, before any validation.
  app.use("/api/v1/conversations", auth);
  app.use("/api/v1/conversations/*", auth);
  app.use("/api/v1/offers/*", auth);
  const r = routes(limits);

  /** The caller's membership, or the 404 a stranger gets. */
  const member = async (db: Sql | Tx, conversationId: string, caller: Caller) => {
    const found = await store.membership(db, conversationId, caller.userId);
    if (!found) throw conversationNotFound();
    return found;
  };

  const refuseBlocked = (m: store.Membership) => {
    if (m.otherBlocked) throw blockedError();
    if (m.blocked) throw youBlockedError();
  };

  /** The per-sender limit; the caller holds the sender's lock. */
  const checkRate = async (tx: Tx, senderId: string) => {
    const recent = await store.recentSends(tx, senderId, MINUTE);
    if (recent.count < limits.messagesPerMinute) return;
    throw rateLimited(recent.oldest);
  };

  /** The 429 of a sender at the limit; `oldest` is their oldest send in the window. */
  const rateLimited = (oldest: Date | null) => {
    const wait = oldest ? oldest.getTime() + MINUTE - Date.now() : MINUTE;
    const seconds = Math.min(60, Math.max(1, Math.ceil(wait / 1000)));
    return new AppError(
      429,
      "rate_limited",
      `At most ${limits.messagesPerMinute} messages a minute; try again in ${seconds} s.`,
      {},
      { "retry-after": String(seconds) },
    );
  };

  /**
   * Sends a message in a conversation: the first message with this client id
   * if the caller sent one (`created: false`), else a new one. One call does
   * every check and write, `message.sent` included (store.sendMessage, in the
   * order it documents); a stranger gets the 404 of a conversation that does
   * not exist. On the pool it is its own transaction; in `tx`, part of that.
   */
  const send = async (db: Sql | Tx, caller: Caller, conversationId: string, input: SendInput) => {
    const sent = await store.sendMessage(db, {
      conversationId,
      sender: caller,
      clientId: input.clientId,
      body: input.body,
      attachments: input.attachments ?? [],
      gigId: input.gigId ?? null,
      orderId: input.orderId ?? null,
      rateLimit: limits.messagesPerMinute,
      rateWindowMs: MINUTE,
      reminderDelayMs: limits.mailDelayMs,
      eventHeaders: outboxHeaders(),
    });
    switch (sent.outcome) {
      case "not_member":
        throw conversationNotFound();
      case "blocked":
        throw blockedError();
      case "you_blocked":
        throw youBlockedError();
      case "unknown_gig":
        throw unknownGig();
      case "unknown_order":
        throw unknownOrder();
      case "rate_limited":
        throw rateLimited(sent.oldest);
      case "earlier":
        return { message: sent.message, created: false };
      case "sent":
        return { message: sent.message, created: true };
    }
  };

  app.openapi(r.start, async (c) => {
    const input = c.req.valid("json");
    const caller = c.var.caller;
    const answer = await sql.begin(async (tx) => {
      const recipientId = await store.findUserByName(tx, input.recipient);
      if (!recipientId) throw new AppError(404, "user_not_found", "No user has this username.");
      if (recipientId === caller.userId) {
        throw unprocessable(
          "cannot_message_self",
          "You cannot start a conversation with yourself.",
        );
      }
      await store.rememberUser(tx, caller);
      const conversation = await store.findOrCreateConversation(tx, caller.userId, recipientId);
      if (conversation.created) {
        await publish.conversationStarted(tx, {
          conversationId: conversation.id,
          participants: [caller.userId, recipientId],
          startedAt: conversation.createdAt.toISOString(),
        });
      }
      if (input.message !== undefined) {
        await send(tx, caller, conversation.id, {
          clientId: input.clientId ?? crypto.randomUUID(),
          body: input.message,
          gigId: input.gigId,
          orderId: input.orderId,
        });
      }
      return {
        created: conversation.created,
        view: (await store.conversationView(tx, conversation.id, caller.userId))!,
      };
    });
    return c.json({ conversation: answer.view }, answer.created ? 201 : 200);
  });

  app.openapi(r.list, async (c) => {
    const query = c.req.valid("query");
    const page = await store.listConversations(sql, c.var.caller.userId, {
      limit: query.limit ?? Math.min(20, limits.pageMax),
      before: query.cursor,
    });
    c.header("cache-control", "private, no-store");
    return c.json(page, 200);
  });

  app.openapi(r.unread, async (c) => {
    c.header("cache-control", "private, no-store");
    return c.json({ unreadCount: await store.unreadTotal(sql, c.var.caller.userId) }, 200);
  });

  app.openapi(r.one, async (c) => {
    const view = await store.conversationView(sql, c.req.valid("param").id, c.var.caller.userId);
    if (!view) throw conversationNotFound();
    c.header("cache-control", "private, no-store");
    return c.json({ conversation: view }, 200);
  });

  app.openapi(r.messages, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    await member(sql, id, c.var.caller);
    const cursor = async (messageId: string | undefined, name: string) => {
      if (!messageId) return undefined;
      const found = await store.findMessage(sql, id, messageId);
      if (!found) {
        throw errors.validation([{
          pointer: `#/${name}`,
          detail: "Not a message of this conversation.",
        }]);
      }
      return found.seq;
    };
    const page = await store.listMessages(sql, id, {
      limit: query.limit ?? Math.min(50, limits.pageMax),
      beforeSeq: await cursor(query.before, "before"),
      afterSeq: await cursor(query.after, "after"),
    });
    c.header("cache-control", "private, no-store");
    return c.json(page, 200);
  });

  app.openapi(r.send, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const caller = c.var.caller;
    // Only the caller's own chat attachments pass (checked against the media
    // replica before the send, which it may wait briefly for); a non-member is
    // refused by the send, so nothing of theirs is stored.
    const files = await requireOwnedMedia(
      sql,
      input.attachmentMediaIds ?? [],
      caller.userId,
      "chat_attachment",
      "attachmentMediaIds",
    );
    const attachments: store.Attachment[] = [
      ...(input.attachments ?? []),
      ...files.map((file) => ({
        mediaId: file.id,
        name: file.name,
        size: file.size,
        contentType: file.contentType,
      })),
    ];
    // One statement, no explicit transaction: the message and its event commit
    // together. Run again as `sql.begin` would (connection lost, rolled back):
    // safe even if it had committed, the `clientId` then answers that message.
    const sent = await retryTransaction(
      (once) => once(undefined as never),
      () => send(sql, caller, id, { ...input, attachments }),
    );
    return c.json({ message: sent.message }, sent.created ? 201 : 200);
  });

  app.openapi(r.read, async (c) => {
    const { id } = c.req.valid("param");
    const { upTo } = c.req.valid("json");
    const caller = c.var.caller;
    const view = await sql.begin(async (tx) => {
      const m = await member(tx, id, caller);
      const message = await store.findMessage(tx, id, upTo);
      if (!message) {
        throw new AppError(404, "message_not_found", "No such message in this conversation.");
      }
      const read = await store.markRead(tx, id, caller.userId, message.seq, limits.mailDelayMs);
      if (read.changed) {
        await publish.messagesRead(tx, {
          conversationId: id,
          readerId: caller.userId,
          otherUserId: m.otherUserId,
          upTo: message.id,
          readAt: read.readAt!.toISOString(),
        });
      }
      return (await store.conversationView(tx, id, caller.userId))!;
    });
    return c.json({ conversation: view }, 200);
  });

  const setBlock = (route: typeof r.block, blocked: boolean) =>
    app.openapi(route, async (c) => {
      const { id } = c.req.valid("param");
      const caller = c.var.caller;
      const view = await sql.begin(async (tx) => {
        const m = await member(tx, id, caller);
        if (await store.setBlocked(tx, id, caller.userId, blocked)) {
          await publish.blockChanged(tx, {
            conversationId: id,
            blockerId: caller.userId,
            blockedId: m.otherUserId,
            blocked,
            at: new Date().toISOString(),
          });
        }
        return (await store.conversationView(tx, id, caller.userId))!;
      });
      return c.json({ conversation: view }, 200);
    });
  setBlock(r.block, true);
  setBlock(r.unblock, false);

  app.openapi(r.offer, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const caller = c.var.caller;
    const work = async (tx: Tx) => {
      const m = await member(tx, id, caller);
      await store.lockSender(tx, caller.userId);
      refuseBlocked(m);
      const gig = await store.findGig(tx, input.gigId);
      if (!gig || gig.status === "deleted") {
        throw new AppError(404, "gig_not_found", "No such gig.");
      }
      if (gig.sellerId !== caller.userId) {
        throw new AppError(403, "not_your_gig", "You can only offer your own gigs.");
      }
      if (gig.status !== "active") {
        throw errors.conflict("gig_not_active", "The gig is paused; activate it first.");
      }
      if (gig.currency !== input.price.currency) {
        throw unprocessable(
          "currency_mismatch",
          `The gig is priced in ${gig.currency}; the offer must be too.`,
        );
      }
      await checkRate(tx, caller.userId);
      await store.rememberUser(tx, caller);
      const offerId = crypto.randomUUID();
      const messageId = crypto.randomUUID();
      const message = await store.insertMessage(tx, {
        id: messageId,
        conversationId: id,
        senderId: caller.userId,
        recipientId: m.otherUserId,
        clientId: `${OFFER_CLIENT_PREFIX}${offerId}`,
        kind: "offer",
        body: input.description,
        attachments: [],
        gigId: input.gigId,
        orderId: null,
        offerId,
      }, limits.mailDelayMs);
      const offer = await store.insertOffer(tx, {
        id: offerId,
        conversationId: id,
        messageId,
        sellerId: caller.userId,
        buyerId: m.otherUserId,
        gigId: input.gigId,
        description: input.description,
        price: input.price,
        deliveryDays: input.deliveryDays,
        revisions: input.revisions,
        expiresInDays: input.expiresInDays,
      });
      await publish.messageSent(tx, { message, recipientId: m.otherUserId });
      await publish.offerUpdated(tx, offer);
      return {
        status: 201 as const,
        body: { offer },
        headers: { location: `/api/v1/offers/${offer.id}` },
      };
    };
    return untypedAnswer(
      await idempotentJson(c, { sql, log, scope: caller.userId, body: input }, work),
    );
  });

  /** The offer if the caller is its buyer or seller; a stranger gets the 404 of no offer. */
  const offerOf = async (db: Sql | Tx, offerId: string, caller: Caller, lock = false) => {
    const offer = await store.findOffer(db, offerId, lock);
    if (!offer || (offer.buyerId !== caller.userId && offer.sellerId !== caller.userId)) {
      throw offerNotFound();
    }
    return offer;
  };

  app.openapi(r.getOffer, async (c) => {
    const offer = await offerOf(sql, c.req.valid("param").id, c.var.caller);
    c.header("cache-control", "private, no-store");
    return c.json({ offer }, 200);
  });

  const mustBePending = (offer: store.OfferView) => {
    if (offer.status === "expired") {
      throw errors.conflict("offer_expired", "The offer has expired.");
    }
    if (offer.status !== "pending") {
      throw errors.conflict("offer_not_pending", `The offer is already ${offer.status}.`);
    }
  };

  const offerAction = (
    route: typeof r.accept,
    by: "buyer" | "seller",
    status: "accepted" | "declined" | "withdrawn",
  ) =>
    app.openapi(route, async (c) => {
      const caller = c.var.caller;
      const work = async (tx: Tx) => {
        // The row lock makes a second acceptance wait, then find the offer accepted.
        const offer = await offerOf(tx, c.req.valid("param").id, caller, true);
        const party = by === "buyer" ? offer.buyerId : offer.sellerId;
        if (party !== caller.userId) {
          throw errors.forbidden(`Only the offer's ${by} may do this.`);
        }
        mustBePending(offer);
        if (status === "accepted") {
          refuseBlocked((await store.membership(tx, offer.conversationId, caller.userId))!);
          // Orders prices the order only from an active gig of the seller in its currency;
          // an offer accepted against anything else would never get its order.
          const gig = await store.findGig(tx, offer.gigId);
          if (
            gig?.status !== "active" || gig.sellerId !== offer.sellerId ||
            gig.currency !== offer.price.currency
          ) {
            throw errors.conflict(
              "gig_not_active",
              "The offer's gig is no longer available as offered.",
            );
          }
        }
        const changed = await store.setOfferStatus(tx, offer.id, status);
        if (status === "accepted") {
          await publish.offerAccepted(tx, {
            offerId: changed.id,
            conversationId: changed.conversationId,
            buyerId: changed.buyerId,
            sellerId: changed.sellerId,
            gigId: changed.gigId,
            description: changed.description,
            price: changed.price,
            deliveryDays: changed.deliveryDays,
            revisions: changed.revisions,
            acceptedAt: changed.updatedAt,
          });
        }
        await publish.offerUpdated(tx, changed);
        return { status: 200 as const, body: { offer: changed } };
      };
      return untypedAnswer(
        await idempotentJson(c, { sql, log, scope: caller.userId, body: null }, work),
      );
    });
  offerAction(r.accept, "buyer", "accepted");
  offerAction(r.decline, "buyer", "declined");
  offerAction(r.withdraw, "seller", "withdrawn");

  serveOpenApi(app, {
    title: "Chat",
    description: "Conversations between two users, messages with read state, blocking, and " +
      "custom offers that orders turns into orders.",
  });
  return { app, drain };
}
