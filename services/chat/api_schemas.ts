/**
 * What a client receives from the chat service, for its OpenAPI document
 * (store.ts builds the views; the events `message.sent` and `offer.updated`
 * carry the same `Message` and `Offer` objects).
 */
import { z } from "zod";
import { IDEMPOTENCY_KEY, MAX_IDEMPOTENCY_KEY_LENGTH } from "@mp/shared/idempotency";
import { ORDER_REJECTION_REASONS, type OrderRejectionReason } from "./store.ts";

/**
 * The optional `Idempotency-Key` header of the offer routes, which run under
 * `idempotentJson` (shared/idempotency.ts); it checks the header and answers
 * its own codes, so no schema validates it.
 */
export const idempotencyKeyHeader = {
  name: "Idempotency-Key",
  in: "header" as const,
  required: false,
  schema: {
    type: "string" as const,
    minLength: 1,
    maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
    pattern: IDEMPOTENCY_KEY.source,
  },
  description: "Optional; 1–255 visible ASCII characters (a UUID is typical). A retry with " +
    "the same key by the same caller gets the first success again (with " +
    "`Idempotent-Replayed: true`) and changes nothing; only successes are remembered, for " +
    "one day. A malformed key is a 400 `idempotency_key_invalid`, the key of another route " +
    "or body a 422 `idempotency_key_reused`, the key of a request still running a 409 " +
    "`idempotency_key_in_use` with `Retry-After: 1`.",
};

/** The `Idempotent-Replayed` header of an answer sent again for a retried key. */
export const replayedHeader = {
  "Idempotent-Replayed": {
    description: "`true` when this is the stored answer of an earlier request with the same " +
      "`Idempotency-Key`; absent otherwise.",
    schema: { type: "string" as const, enum: ["true"] },
  },
};

const LinkAttachment = z.object({
  url: z.string().meta({ description: "A public https link (never fetched by the server)." }),
  name: z.string().meta({ description: "File name to show." }),
  size: z.number().int().meta({ description: "Size in bytes, as the sender said." }),
}).openapi("ChatAttachment");

const MediaAttachment = z.object({
  mediaId: z.uuid().meta({
    description: "A file of the media service: GET /api/v1/media/{mediaId} gives the sender " +
      "and the recipient a short-lived download URL.",
  }),
  name: z.string().meta({ description: "File name, as uploaded." }),
  size: z.number().int().meta({ description: "Size in bytes, as stored." }),
  contentType: z.string(),
}).openapi("ChatMediaAttachment");

/** A message (also `message.sent`'s `message`). */
export const Message = z.object({
  id: z.uuid().meta({ description: "The message id; also the cursor of message pages." }),
  conversationId: z.uuid(),
  senderId: z.uuid(),
  clientId: z.string().meta({
    description: "The sender's id for the send (a retry with it is the same message); " +
      "`offer:<offerId>` for an offer's message.",
  }),
  kind: z.enum(["text", "offer"]).meta({
    description: "`offer`: a custom offer was made; `offerId` names it, `body` is its " +
      "description.",
  }),
  body: z.string().meta({ description: "1–5,000 characters." }),
  attachments: z.array(z.union([LinkAttachment, MediaAttachment])).meta({
    description: "Links (`url`) and media files (`mediaId`), links first.",
  }),
  gigId: z.uuid().nullable().meta({ description: "A gig attached as context." }),
  orderId: z.uuid().nullable().meta({
    description: "An order of the two participants attached as context.",
  }),
  offerId: z.uuid().nullable().meta({ description: "The offer of an `offer` message." }),
  createdAt: z.iso.datetime(),
}).openapi("ChatMessage");

const Money = z.object({
  amount: z.number().int().meta({ description: "Integer minor units (cents)." }),
  currency: z.string().meta({ description: "ISO 4217 code: the gig's currency." }),
}).openapi("ChatMoney");

/**
 * What each `orderRejectedReason` means: orders checked the accepted offer
 * against its own copy of the gig (or asked the payment provider) and made no
 * order. The text is the note a client can show on the offer.
 */
export const ORDER_REJECTION_MEANINGS: Record<OrderRejectionReason, string> = {
  gig_not_found: "the gig does not exist any more (deleted, or unknown to orders)",
  not_gig_seller: "the gig now belongs to someone other than the offer's seller",
  own_gig: "the buyer is the gig's seller",
  gig_paused: "the seller paused the gig",
  currency_mismatch: "the gig is now priced in another currency than the offer",
  payment_refused: "the payment provider refused to set up the payment",
};

/** A custom offer (also `offer.updated`'s `offer`). */
export const Offer = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  messageId: z.uuid().meta({ description: "The `offer` message that shows it." }),
  sellerId: z.uuid(),
  buyerId: z.uuid(),
  gigId: z.uuid(),
  description: z.string(),
  price: Money,
  deliveryDays: z.number().int(),
  revisions: z.number().int(),
  expiresAt: z.iso.datetime(),
  status: z.enum(["pending", "accepted", "declined", "withdrawn", "expired"]).meta({
    description: "A pending offer past `expiresAt` shows as `expired`.",
  }),
  orderId: z.uuid().nullable().meta({
    description: "The order created from the accepted offer, once orders made it.",
  }),
  orderRejectedReason: z.enum(ORDER_REJECTION_REASONS).nullable().meta({
    description: "Null unless orders refused to make the accepted offer an order; then the " +
      "offer stays `accepted`, `orderId` stays null, and this says why (a note for both " +
      "parties; `offer.updated` pushes it): " +
      ORDER_REJECTION_REASONS.map((reason) => `\`${reason}\`: ${ORDER_REJECTION_MEANINGS[reason]}`)
        .join("; ") +
      ". A new offer is the way on.",
  }),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).openapi("ChatOffer");

/** A conversation as the caller sees it. */
export const Conversation = z.object({
  id: z.uuid(),
  otherParty: z.object({
    userId: z.uuid(),
    username: z.string().nullable().meta({
      description: "Null only while the directory has not learned the user.",
    }),
    displayName: z.string().nullable().meta({
      description: "The profile's display name; the username until the profile is known.",
    }),
    avatarUrl: z.string().nullable(),
  }),
  lastMessage: Message.nullable(),
  unreadCount: z.number().int().meta({
    description: "Messages of the other party after the caller's read mark.",
  }),
  blockedByMe: z.boolean(),
  blockedMe: z.boolean(),
  createdAt: z.iso.datetime(),
  lastActivityAt: z.iso.datetime(),
}).openapi("ChatConversation");

const nextCursor = (what: string) =>
  z.string().nullable().meta({ description: `${what}; null on the last page.` });

export const ConversationEnvelope = z.object({ conversation: Conversation }).openapi(
  "ChatConversationEnvelope",
);
export const MessageEnvelope = z.object({ message: Message }).openapi("ChatMessageEnvelope");
export const OfferEnvelope = z.object({ offer: Offer }).openapi("ChatOfferEnvelope");
export const UnreadCount = z.object({
  unreadCount: z.number().int().meta({
    description: "Unread messages over all the caller's conversations.",
  }),
}).openapi("ChatUnreadCount");

export const ConversationPage = z.object({
  items: z.array(Conversation).meta({ description: "Latest activity first." }),
  nextCursor: nextCursor("Pass as `cursor` for the next page"),
}).openapi("ChatConversationPage");

export const MessagePage = z.object({
  items: z.array(Message).meta({ description: "Oldest first within the page." }),
  nextCursor: nextCursor(
    "A message id: pass it as `before` for older messages (a `before` or default page), " +
      "or as `after` for newer ones (an `after` page)",
  ),
}).openapi("ChatMessagePage");
