/**
 * The order and review events consumed (published by orders and reviews, see
 * docs/CONTRACTS.md "Orders, payments, reviews") and who is told what about each.
 *
 * Per event type: the schema of the fields used (unknown fields are ignored; a
 * payload without a field that is used is a poison message), an optional
 * `prepare` step that remembers or looks up facts in the handler's transaction,
 * and `notices`, a pure function from the prepared data to one message per
 * recipient. Being pure is what lets a mail parked for a recipient not yet in the
 * directory be rendered later from the stored data, exactly as it would have been.
 */
import type { Tx } from "@mp/shared/db";
import { z } from "zod";
import {
  cancellationAnswered,
  cancellationRequested,
  extensionAnswered,
  extensionRequested,
  newOrder,
  orderCancelled,
  orderCompletedForBuyer,
  orderCompletedForSeller,
  orderDelivered,
  orderLink,
  type OrderMessage,
  orderReceipt,
  paymentReceived,
  reviewReceived,
  revisionRequested,
  startWorking,
} from "./order_templates.ts";
import { cancellationRequester, rememberCancellationRequest } from "./recipients.ts";

/** A timestamp string, parsed to a Date. */
export const instant = z.string().refine(
  (value) => !Number.isNaN(Date.parse(value)),
  "must be a timestamp",
).transform((value) => new Date(value));

const id = z.string().min(1).max(200);
const money = z.object({
  amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/),
});
const party = z.enum(["buyer", "seller"]);
// Free text shown to users (reasons, comments): optional, blank counts as absent.
const note = z.string().nullish().transform((value) => value?.trim() || null);
// Fields only used for wording are read leniently: an unexpected value changes a
// sentence, it does not dead-letter the event.
const wording = z.string().nullish().transform((value) => value ?? null);

const order = { orderId: id, buyerId: id, sellerId: id, gigTitle: z.string() };

const orderCreatedData = z.object({
  ...order,
  package: z.string(),
  price: money,
  serviceFee: money,
  total: money,
});
const orderPaidData = z.object({ ...order, total: money, dueAt: instant });
const orderDeliveredData = z.object({
  ...order,
  autoCompleteAt: instant.nullish().transform((value) => value ?? null),
});
const revisionRequestedData = z.object({
  ...order,
  revisionsLeft: z.number().int().min(0).nullish().transform((value) => value ?? null),
});
const orderCompletedData = z.object({ ...order, sellerEarnings: money, by: wording });
const orderCancelledData = z.object({
  ...order,
  reason: note,
  refund: money.nullish().transform((value) => value ?? null),
});
const extensionRequestedData = z.object({
  ...order,
  days: z.number().int().positive(),
  reason: note,
});
const extensionAnsweredData = z.object({ ...order, approved: z.boolean(), dueAt: instant });
const cancellationRequestedData = z.object({
  ...order,
  requestId: id,
  requestedBy: party,
  reason: note,
});
// `requestedBy` is not in the contract; read when present, else remembered (prepare).
const cancellationAnsweredData = z.object({
  ...order,
  requestId: id,
  accepted: z.boolean(),
  requestedBy: party.nullish().transform((value) => value ?? null),
});
const reviewCreatedData = z.object({
  orderId: id,
  revieweeId: id,
  direction: z.enum(["buyer_to_seller", "seller_to_buyer"]),
  rating: z.number().int().min(1).max(5),
  comment: note,
});

/** One message to one user. */
export interface Notice extends OrderMessage {
  userId: string;
}

/** How one event type is read and who is told what. */
export interface OrderEventSpec<T = unknown> {
  /** The fields used; the parsed data is what `prepare` and `notices` get. */
  schema: z.ZodType<T>;
  /**
   * Remembers or looks up facts in the handler's (inbox) transaction and returns
   * the data to plan from. Its result is what a parked mail keeps, so `notices`
   * never needs the database.
   */
  prepare?(tx: Tx, data: T): Promise<T>;
  /** The messages, one per recipient. Pure. */
  notices(data: T, publicUrl: string): Notice[];
}

// Erases the data type so specs of different events fit in one table.
const spec = <T>(value: OrderEventSpec<T>) => value as unknown as OrderEventSpec;

/** Every order and review event consumed, keyed by event type. */
export const ORDER_EVENTS: Record<string, OrderEventSpec> = {
  "order.created": spec({
    schema: orderCreatedData,
    notices: (data, publicUrl) => {
      const link = orderLink(publicUrl, data.orderId);
      return [
        { userId: data.buyerId, ...orderReceipt(data, link) },
        { userId: data.sellerId, ...newOrder(data, link) },
      ];
    },
  }),
  "order.paid": spec({
    schema: orderPaidData,
    notices: (data, publicUrl) => {
      const link = orderLink(publicUrl, data.orderId);
      return [
        { userId: data.buyerId, ...paymentReceived(data, link) },
        { userId: data.sellerId, ...startWorking(data, link) },
      ];
    },
  }),
  "order.delivered": spec({
    schema: orderDeliveredData,
    notices: (data, publicUrl) => [
      { userId: data.buyerId, ...orderDelivered(data, orderLink(publicUrl, data.orderId)) },
    ],
  }),
  "order.revision_requested": spec({
    schema: revisionRequestedData,
    notices: (data, publicUrl) => [
      { userId: data.sellerId, ...revisionRequested(data, orderLink(publicUrl, data.orderId)) },
    ],
  }),
  "order.completed": spec({
    schema: orderCompletedData,
    notices: (data, publicUrl) => {
      const link = orderLink(publicUrl, data.orderId);
      const text = { ...data, by: data.by ?? "buyer" };
      return [
        { userId: data.buyerId, ...orderCompletedForBuyer(text, link) },
        { userId: data.sellerId, ...orderCompletedForSeller(text, link) },
      ];
    },
  }),
  "order.cancelled": spec({
    schema: orderCancelledData,
    notices: (data, publicUrl) => {
      const link = orderLink(publicUrl, data.orderId);
      return [
        { userId: data.buyerId, ...orderCancelled(data, "buyer", link) },
        { userId: data.sellerId, ...orderCancelled(data, "seller", link) },
      ];
    },
  }),
  "order.extension_requested": spec({
    schema: extensionRequestedData,
    // Only sellers ask for extensions; the buyer answers.
    notices: (data, publicUrl) => [
      { userId: data.buyerId, ...extensionRequested(data, orderLink(publicUrl, data.orderId)) },
    ],
  }),
  "order.extension_answered": spec({
    schema: extensionAnsweredData,
    notices: (data, publicUrl) => [
      { userId: data.sellerId, ...extensionAnswered(data, orderLink(publicUrl, data.orderId)) },
    ],
  }),
  "order.cancellation_requested": spec({
    schema: cancellationRequestedData,
    prepare: async (tx, data) => {
      await rememberCancellationRequest(tx, data.requestId, data.requestedBy);
      return data;
    },
    notices: (data, publicUrl) => [{
      userId: data.requestedBy === "buyer" ? data.sellerId : data.buyerId,
      ...cancellationRequested(data, orderLink(publicUrl, data.orderId)),
    }],
  }),
  "order.cancellation_answered": spec({
    schema: cancellationAnsweredData,
    prepare: async (tx, data) => ({
      ...data,
      requestedBy: data.requestedBy ?? (await cancellationRequester(tx, data.requestId)) ?? null,
    }),
    // To the party that asked; if the request was never seen, both hear the outcome.
    notices: (data, publicUrl) => {
      const message = cancellationAnswered(data, orderLink(publicUrl, data.orderId));
      if (data.requestedBy === "buyer") return [{ userId: data.buyerId, ...message }];
      if (data.requestedBy === "seller") return [{ userId: data.sellerId, ...message }];
      return [{ userId: data.buyerId, ...message }, { userId: data.sellerId, ...message }];
    },
  }),
  "review.created": spec({
    schema: reviewCreatedData,
    notices: (data, publicUrl) => [{
      userId: data.revieweeId,
      ...reviewReceived({
        reviewer: data.direction === "buyer_to_seller" ? "buyer" : "seller",
        rating: data.rating,
        comment: data.comment,
      }, orderLink(publicUrl, data.orderId)),
    }],
  }),
};
