/**
 * What a client receives from the orders service, for its OpenAPI document
 * (views.ts builds the order shapes; app.ts the others). Field names and types
 * are exactly what the code sends; a field marked optional is left out, not
 * null, for the party that may not see it.
 */
import { z } from "zod";
import { money } from "@mp/shared/api_schemas";
import { ORDER_STATUSES } from "./order.ts";

const datetime = (description: string) => z.iso.datetime().meta({ description });
const nullableDatetime = (description: string) => z.iso.datetime().nullable().meta({ description });

const Party = z.enum(["buyer", "seller"]);
const Actor = z.enum(["buyer", "seller", "system"]).meta({
  description: "Who acted: `buyer`, `seller`, or `system` (a verified payment webhook, " +
    "the scheduler's auto-completion, a refund made at the payment provider).",
});

const Status = z.enum(ORDER_STATUSES).meta({
  description: "Where the order stands. `pending_payment`: placed, waiting for the buyer's " +
    "payment. `in_progress`: paid (the money is held in escrow), the seller works; `dueAt` is " +
    "set. `delivered`: the seller delivered; the buyer accepts or asks for a revision, else it " +
    "completes by itself at `autoCompleteAt`. `in_revision`: the buyer asked for a revision; the " +
    "seller delivers again. `completed`: accepted or auto-completed; the seller's earnings are " +
    "released. `cancelled`: cancelled; a paid total is refunded to the buyer.",
});

const TIMELINE_KINDS = [
  "placed",
  "paid",
  "payment_failed",
  "delivered",
  "revision_requested",
  "completed",
  "cancelled",
  "cancellation_requested",
  "cancellation_accepted",
  "cancellation_declined",
  "extension_requested",
  "extension_approved",
  "extension_declined",
  "refund_confirmed",
  "paid_after_cancellation",
  "refunded_after_completion",
] as const;

const TimelineEntry = z.object({
  at: datetime("When it happened (ISO 8601, UTC)."),
  kind: z.enum(TIMELINE_KINDS).meta({
    description: "What happened (`details` carries):\n" +
      "- `placed`: the buyer placed the order, or accepted the custom offer it was made from " +
      "(`package`, `total`, and `offerId` for a custom offer);\n" +
      "- `paid`: the payment succeeded, the money is in escrow (`dueAt`);\n" +
      "- `payment_failed`: a payment attempt failed; the order still waits for payment (`error`);\n" +
      "- `delivered`: the seller delivered (`deliveryId`);\n" +
      "- `revision_requested`: the buyer asked for a revision (`revisionRequestId`, " +
      "`revisionsLeft`);\n" +
      "- `completed`: accepted by the buyer or completed automatically (`by`: `buyer` or `auto`);\n" +
      "- `cancelled`: the order was cancelled (`reason`, `refund`: the money refunded, null if " +
      "unpaid);\n" +
      "- `cancellation_requested` / `cancellation_accepted` / `cancellation_declined`: a " +
      "cancellation request was opened or answered (`requestId`, `reason` when opened);\n" +
      "- `extension_requested` / `extension_approved` / `extension_declined`: the seller asked " +
      "for more days, the buyer answered (`requestId`, `days`, `reason` when opened, `dueAt` " +
      "when answered);\n" +
      "- `refund_confirmed`: the payment provider confirmed the refund of a cancelled order " +
      "(`refund`);\n" +
      "- `paid_after_cancellation`: a payment arrived for an order cancelled before payment; it " +
      "is refunded at once (`refund`);\n" +
      "- `refunded_after_completion`: the payment was refunded at the provider after completion " +
      "(reconciled by hand).",
  }),
  actor: Actor,
  from: z.enum(ORDER_STATUSES).nullable().meta({
    description: "Status before; null for `placed`.",
  }),
  to: z.enum(ORDER_STATUSES).meta({
    description: "Status after (the same as `from` when the status did not change).",
  }),
  details: z.record(z.string(), z.unknown()).meta({
    description: "Facts of the entry, by `kind` (see `kind`); money in them is `{amount, " +
      "currency}` in minor units, dates ISO 8601.",
  }),
}).openapi("OrderTimelineEntry");

const DeliveredFile = z.object({
  id: z.uuid().meta({ description: "Media id: GET /api/v1/media/{id} gives the download URL." }),
  name: z.string(),
  size: z.number().int().meta({ description: "Bytes." }),
  contentType: z.string(),
}).openapi("OrderDeliveredFile");

const Delivery = z.object({
  id: z.uuid(),
  message: z.string(),
  files: z.array(z.string()).meta({ description: "Public https links to the delivered files." }),
  mediaFiles: z.array(DeliveredFile).meta({
    description: "Files uploaded to the media service (purpose `delivery`); the seller and the " +
      "buyer get a short-lived download URL from GET /api/v1/media/{id}.",
  }),
  deliveredAt: datetime("When the seller delivered (ISO 8601, UTC)."),
}).openapi("OrderDelivery");

const RevisionRequest = z.object({
  id: z.uuid(),
  message: z.string().meta({ description: "What the buyer wants changed." }),
  requestedAt: datetime("When the buyer asked (ISO 8601, UTC)."),
}).openapi("OrderRevisionRequest");

const ExtensionRequest = z.object({
  id: z.uuid(),
  days: z.number().int().meta({ description: "Days the seller asked to add to `dueAt` (1–30)." }),
  reason: z.string(),
  status: z.enum(["pending", "approved", "declined", "withdrawn"]).meta({
    description: "`pending`: waiting for the buyer. `approved`: `dueAt` moved by `days`. " +
      "`declined`: nothing changed. `withdrawn`: made moot (the seller delivered, or the order " +
      "was cancelled) before an answer.",
  }),
  requestedAt: datetime("When the seller asked (ISO 8601, UTC)."),
  answeredAt: nullableDatetime("When it was answered or withdrawn; null while pending."),
}).openapi("OrderExtensionRequest");

const CancellationRequest = z.object({
  id: z.uuid(),
  requestedBy: Party.meta({ description: "The party who asked; the other one answers." }),
  reason: z.string(),
  status: z.enum(["pending", "accepted", "declined", "withdrawn"]).meta({
    description: "`pending`: waiting for the other party. `accepted`: the order was cancelled " +
      "(and refunded). `declined`: nothing changed. `withdrawn`: made moot (the order completed " +
      "or was cancelled otherwise) before an answer.",
  }),
  requestedAt: datetime("When it was asked (ISO 8601, UTC)."),
  answeredAt: nullableDatetime("When it was answered or withdrawn; null while pending."),
}).openapi("OrderCancellationRequest");

const Payment = z.object({
  provider: z.enum(["stripe", "local_test"]).meta({
    description: "`stripe`, or `local_test` (the development mode: no money moves).",
  }),
  status: z.enum(["requires_payment", "failed", "succeeded", "refund_pending", "refunded"]).meta({
    description: "`requires_payment`: not paid yet. `failed`: the last attempt failed (`error`); " +
      "the buyer may try again. `succeeded`: paid, the total is captured. `refund_pending`: a " +
      "refund is under way. `refunded`: the total went back to the buyer.",
  }),
  amount: money("The amount charged: the order's `total`."),
  paymentIntentId: z.string().optional().meta({
    description: "The provider's PaymentIntent id. Buyer only.",
  }),
  clientSecret: z.string().nullable().optional().meta({
    description: "The PaymentIntent's client secret for Stripe.js. Buyer only, and only while " +
      "the order is `pending_payment`.",
  }),
  error: z.string().nullable().meta({
    description: "Why the last payment attempt failed; null otherwise.",
  }),
  refund: z.object({
    amount: z.number().int().meta({ description: "Minor units of `currency`." }),
    currency: z.string().meta({ description: "ISO 4217 code." }),
    status: z.enum(["pending", "submitted", "succeeded", "failed"]).meta({
      description: "`pending`: queued (retried until the provider takes it). `submitted`: the " +
        "provider is processing it. `succeeded`: refunded. `failed`: the provider refused it; " +
        "support handles it.",
    }),
  }).nullable().meta({ description: "The refund of a cancelled paid order; null if none." }),
  localTest: z.object({
    note: z.string(),
    succeedPath: z.string().meta({
      description: "`POST` this path (as the buyer) to pay in local test mode.",
    }),
  }).optional().meta({
    description: "Local test mode only: how to pay. Buyer only, while payment is due.",
  }),
}).openapi("OrderPayment");

const summaryShape = {
  id: z.uuid(),
  role: Party.meta({ description: "The caller's side of this order." }),
  gigId: z.uuid(),
  gigTitle: z.string().meta({ description: "The gig's title when the order was placed." }),
  package: z.enum(["basic", "standard", "premium", "custom"]).meta({
    description: "The package tier ordered, or `custom`: the order was made from a custom " +
      "offer the buyer accepted in chat (`offerId`); its price, delivery days and revisions are " +
      "the offer's, `packageDetails` holds the offer's description, and it has no requirement " +
      "answers. It is paid like any order.",
  }),
  offerId: z.uuid().nullable().meta({
    description: "The custom offer the order was made from (`package` is `custom`); null for " +
      "an order placed from one of the gig's packages.",
  }),
  buyerId: z.uuid().meta({ description: "The buyer's user id." }),
  sellerId: z.uuid().meta({ description: "The seller's user id." }),
  status: Status,
  late: z.boolean().meta({
    description: "`in_progress` and past `dueAt` at the time of the answer (the buyer may then " +
      "cancel alone).",
  }),
  price: money("The package price (fixed when the order was placed)."),
  sellerEarnings: money("What the seller receives: `price` − `commission`. Seller only.")
    .optional(),
  createdAt: datetime("When the order was placed (ISO 8601, UTC)."),
  dueAt: nullableDatetime(
    "When the delivery is due: paid time + delivery days + approved extensions; null until paid.",
  ),
  completedAt: nullableDatetime("When it completed; null otherwise."),
  cancelledAt: nullableDatetime("When it was cancelled; null otherwise."),
};

/** An order in a list (`GET /api/v1/orders`). */
export const OrderSummary = z.object({
  ...summaryShape,
  total: money("What the buyer pays: `price` + service fee. Buyer only (in a list).").optional(),
}).openapi("OrderSummary");

/** A page of orders. */
export const OrderPage = z.object({
  items: z.array(OrderSummary).meta({ description: "Newest first." }),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int().meta({ description: "How many orders the filter matches." }),
}).openapi("OrderPage");

/** One order with everything around it, as the caller's party sees it. */
export const OrderDetail = z.object({
  ...summaryShape,
  packageDetails: z.object({
    tier: z.enum(["basic", "standard", "premium", "custom"]),
    name: z.string().meta({ description: "The package's name; `Custom offer` for a custom one." }),
    description: z.string().meta({
      description: "The package's description; a custom offer's own description.",
    }),
    deliveryDays: z.number().int(),
    revisions: z.number().int().meta({ description: "Revisions included." }),
    features: z.array(z.string()).meta({
      description: "Included features; none for a custom offer.",
    }),
  }).meta({ description: "The package as ordered (later gig edits do not change it)." }),
  serviceFee: money("The buyer's service fee, added to `price`. Buyer only.").optional(),
  total: money("What the buyer pays: `price` + `serviceFee`."),
  commission: money("The platform's commission, kept from `price`. Seller only.").optional(),
  deliveryDays: z.number().int().meta({ description: "Days to deliver, counted from payment." }),
  extensionDays: z.number().int().meta({ description: "Days added by approved extensions." }),
  revisions: z.object({
    included: z.number().int().meta({ description: "Revisions the package includes." }),
    used: z.number().int().meta({ description: "Revisions the buyer asked for." }),
    left: z.number().int().meta({ description: "Revisions the buyer may still ask for." }),
  }),
  paidAt: nullableDatetime("When the payment succeeded; null until then."),
  deliveredAt: nullableDatetime("When the seller last delivered; null before."),
  autoCompleteAt: nullableDatetime(
    "When a delivered order completes by itself unless the buyer acts; null when not delivered.",
  ),
  completedBy: z.enum(["buyer", "auto"]).nullable().meta({
    description: "`buyer` (accepted) or `auto` (completed by itself); null unless completed.",
  }),
  cancellation: z.object({
    by: Actor.nullable(),
    reason: z.string().nullable(),
  }).nullable().meta({ description: "Who cancelled and why; null unless `cancelled`." }),
  requirements: z.array(z.object({
    questionId: z.string(),
    question: z.string().meta({ description: "The question as it was asked." }),
    answer: z.string(),
  })).meta({
    description: "The buyer's answers to the gig's questions; empty for a custom offer (agreed " +
      "in chat, the gig's questions are not asked).",
  }),
  deliveries: z.array(Delivery).meta({ description: "Oldest first." }),
  revisionRequests: z.array(RevisionRequest).meta({ description: "Oldest first." }),
  extensionRequests: z.array(ExtensionRequest).meta({ description: "Oldest first." }),
  cancellationRequests: z.array(CancellationRequest).meta({ description: "Oldest first." }),
  timeline: z.array(TimelineEntry).meta({ description: "Everything that happened, oldest first." }),
  payment: Payment,
}).openapi("OrderDetail");

/** `{order}` plus the id of what an action created, if any. */
export const orderAnswer = <S extends z.ZodRawShape>(name: string, created: S) =>
  z.object({ ...created, order: OrderDetail }).openapi(name);

/** Answer of the local test mode's payment route. */
export const LocalTestPayment = z.object({
  localTest: z.literal(true),
  result: z.enum(["paid", "already_paid", "refund_queued"]).meta({
    description: "`paid`: the order is now `in_progress`. `already_paid`: nothing changed. " +
      "`refund_queued`: the order had been cancelled before payment; the money is refunded.",
  }),
  order: OrderDetail,
}).openapi("LocalTestPayment");

/** Answer to Stripe. */
export const StripeWebhookAnswer = z.object({
  received: z.literal(true),
  eventId: z.string().meta({ description: "The Stripe event id." }),
  result: z.string().meta({
    description: "What the event did: `paid`, `already_paid`, `payment_failed`, " +
      "`refund_queued`, `refunded`, `refund_confirmed`, `ignored` (not an event that moves " +
      "orders, or an unknown PaymentIntent) or `duplicate` (already handled).",
  }),
}).openapi("StripeWebhookAnswer");

/** A seller's withdrawal. */
export const Payout = z.object({
  id: z.uuid(),
  amount: money("The amount withdrawn."),
  status: z.enum(["pending", "paid", "failed"]).meta({
    description: "`pending`: waiting for the transfer (retried while the provider is " +
      "unreachable). `paid`: transferred. `failed`: refused; the amount is available again.",
  }),
  transferId: z.string().nullable().meta({
    description: "The provider's transfer id; null until transferred.",
  }),
  error: z.string().nullable().meta({ description: "Why it failed; null unless `failed`." }),
  createdAt: datetime("When it was requested (ISO 8601, UTC)."),
}).openapi("Payout");

/** `{payout}`. */
export const PayoutAnswer = z.object({ payout: Payout }).openapi("PayoutAnswer");

/** The seller's money: balances, ledger entries, recent payouts. */
export const SellerBalance = z.object({
  balances: z.array(z.object({
    currency: z.string().meta({ description: "ISO 4217 code." }),
    pending: z.number().int().meta({
      description: "Earnings of completed orders still clearing (minor units).",
    }),
    available: z.number().int().meta({ description: "What can be paid out now (minor units)." }),
    paidOut: z.number().int().meta({ description: "Paid out so far (minor units)." }),
  })).meta({ description: "One per currency the seller has any entry in." }),
  entries: z.object({
    items: z.array(z.object({
      at: datetime("When (ISO 8601, UTC)."),
      kind: z.enum(["release", "clear", "payout", "payout_reversal"]).meta({
        description: "`release`: an order completed, its earnings became pending. `clear`: " +
          "pending earnings became available. `payout`: available money was paid out. " +
          "`payout_reversal`: a refused payout made it available again.",
      }),
      orderId: z.uuid().nullable().meta({ description: "The order; null for payouts." }),
      payoutId: z.uuid().nullable().meta({ description: "The payout; null for orders." }),
      balance: z.enum(["pending", "available", "paid_out"]).meta({
        description: "Which balance moved.",
      }),
      amount: z.number().int().meta({
        description: "Minor units; positive when that balance grew, negative when it shrank.",
      }),
      currency: z.string().meta({ description: "ISO 4217 code." }),
    })).meta({ description: "Newest first." }),
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
  }).meta({ description: "A page of the movements of the seller's balances." }),
  payouts: z.array(Payout).meta({ description: "The 20 most recent payouts, newest first." }),
  paymentAccount: z.object({
    connected: z.boolean().meta({ description: "Whether a payout account is connected." }),
  }),
}).openapi("SellerBalance");

/** The seller's payout account. */
export const PaymentAccount = z.object({
  connected: z.boolean(),
  provider: z.string().nullable().meta({
    description: "`stripe` or `local_test`; null when not connected.",
  }),
  accountId: z.string().nullable().meta({
    description: "The provider's account id; null when not connected.",
  }),
}).openapi("PaymentAccount");

/** Where the seller finishes connecting a payout account. */
export const PaymentAccountOnboarding = z.object({
  accountId: z.string().meta({ description: "The provider's connected account id." }),
  onboardingUrl: z.string().meta({
    description: "The provider's page where the seller completes onboarding; open it at once.",
  }),
  expiresAt: datetime("When `onboardingUrl` stops working (ISO 8601, UTC)."),
}).openapi("PaymentAccountOnboarding");
