/**
 * What buyers and sellers read about their orders and reviews: for each event and
 * party, a mail (text + HTML, through `composeMail`, which escapes every value)
 * and an in-app notification. Pure functions of their input.
 *
 * Gig titles, reasons and review comments are chosen by users: they appear in
 * bodies (escaped in HTML), never in subjects. Every mail links to the order at
 * `${PUBLIC_URL}/orders/{orderId}`; every notification to `/orders/{orderId}`.
 */
import { composeMail, type InAppContent, type MailContent, type MailParts } from "./templates.ts";

/** Money as events carry it: integer minor units and an ISO 4217 code. */
export interface Money {
  amount: number;
  currency: string;
}

/** Where a mail and a notification about one order lead. */
export interface OrderLink {
  /** Absolute, for mails: `${PUBLIC_URL}/orders/{orderId}`. */
  url: string;
  /** Relative to the web app, for in-app notifications: `/orders/{orderId}`. */
  path: string;
}

/** What one party is told about one event. */
export interface OrderMessage {
  /** Template name, recorded with the mail for operators. */
  template: string;
  /** The mail; only the greeting depends on who receives it. */
  mail(recipient: { username: string }): MailContent;
  notification: InAppContent;
}

/** The link to an order; the id is URL-encoded, so no id can leave the path. */
export function orderLink(publicUrl: string, orderId: string): OrderLink {
  const path = `/orders/${encodeURIComponent(orderId)}`;
  return { url: `${publicUrl.replace(/\/+$/, "")}${path}`, path };
}

// ISO 4217 exponents that are not 2. ICU's (CLDR's) display digits differ from
// ISO for a few codes (IQD, RSD, LAK, …), and minor units are ISO's, so the
// exponent comes from here and Intl only formats.
// deno-fmt-ignore
const EXPONENTS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0,
  UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** Digits of the minor unit of an ISO 4217 currency (JPY 0, USD 2, KWD 3). */
export function minorUnitDigits(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

/**
 * Formats integer minor units for people: `{2500, USD}` → "$25.00", `{5000, JPY}`
 * → "¥5,000", `{1500, KWD}` → "KWD 1.500". The amount is turned into an exact
 * decimal string (no float division), which Intl.NumberFormat formats as is.
 */
export function formatMoney(money: Money): string {
  const digits = minorUnitDigits(money.currency);
  const format = new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: money.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  const sign = money.amount < 0 ? "-" : "";
  const units = Math.abs(money.amount).toString().padStart(digits + 1, "0");
  const decimal = digits === 0
    ? `${sign}${units}`
    : `${sign}${units.slice(0, -digits)}.${units.slice(-digits)}`;
  return format.format(decimal as Intl.StringNumericLiteral);
}

const instantFormat = new Intl.DateTimeFormat("en-US", {
  weekday: "short",
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZone: "UTC",
  timeZoneName: "short",
});

/**
 * A moment for people, in UTC since we do not know the reader's time zone:
 * "Wed, Mar 5, 2025, 14:30 UTC".
 */
export function formatInstant(at: Date): string {
  return instantFormat.format(at);
}

const PACKAGE_NAMES: Record<string, string> = {
  basic: "Basic",
  standard: "Standard",
  premium: "Premium",
  // An order made from a custom offer accepted in chat (orders' `package: "custom"`).
  custom: "Custom offer",
};

/** "the buyer" / "the seller". */
export type Party = "buyer" | "seller";

const other = (party: Party): Party => party === "buyer" ? "seller" : "buyer";
const quoted = (title: string) => `“${title}”`;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Builds an `OrderMessage` whose mail greets the recipient and links to the order. */
function message(
  template: string,
  link: OrderLink,
  mail: Omit<MailParts, "greeting" | "action"> & { actionLabel?: string },
  notification: Omit<InAppContent, "link">,
): OrderMessage {
  const { actionLabel = "View the order", ...parts } = mail;
  return {
    template,
    mail: (recipient) =>
      composeMail({
        ...parts,
        greeting: `Hi ${recipient.username},`,
        action: { label: actionLabel, url: link.url },
      }),
    notification: { ...notification, link: link.path },
  };
}

// --- order.created -----------------------------------------------------------

/** Fields of `order.created` the texts use. */
export interface OrderCreatedText {
  orderId: string;
  gigTitle: string;
  package: string;
  price: Money;
  serviceFee: Money;
  total: Money;
}

/** `order.created`, to the buyer: the receipt. */
export function orderReceipt(input: OrderCreatedText, link: OrderLink): OrderMessage {
  const packageName = PACKAGE_NAMES[input.package] ?? input.package;
  return message("order_receipt", link, {
    subject: "Your order receipt",
    intro: [`Thank you for your order of ${quoted(input.gigTitle)}. Here is your receipt.`],
    details: [
      ["Order", input.orderId],
      ["Package", packageName],
      ["Price", formatMoney(input.price)],
      ["Service fee", formatMoney(input.serviceFee)],
      ["Total", formatMoney(input.total)],
    ],
    outro: ["The seller starts working once your payment is confirmed; we will let you know."],
  }, {
    type: "order_placed",
    title: "Order placed",
    body: `Your order of ${quoted(input.gigTitle)} (${packageName}, ${
      formatMoney(input.total)
    } in total) is placed.`,
  });
}

/** `order.created`, to the seller: a new order. */
export function newOrder(input: OrderCreatedText, link: OrderLink): OrderMessage {
  const packageName = PACKAGE_NAMES[input.package] ?? input.package;
  return message("order_new", link, {
    subject: "You have a new order",
    intro: [`A buyer ordered ${quoted(input.gigTitle)}.`],
    details: [
      ["Order", input.orderId],
      ["Package", packageName],
      ["Price", formatMoney(input.price)],
    ],
    outro: ["Start working once the buyer's payment is confirmed; we will let you know."],
  }, {
    type: "order_received",
    title: "New order",
    body: `A buyer ordered ${quoted(input.gigTitle)} (${packageName}, ${
      formatMoney(input.price)
    }).`,
  });
}

// --- order.paid --------------------------------------------------------------

/** Fields of `order.paid` the texts use. */
export interface OrderPaidText {
  gigTitle: string;
  total: Money;
  dueAt: Date;
}

/** `order.paid`, to the buyer: payment received, held until they accept the delivery. */
export function paymentReceived(input: OrderPaidText, link: OrderLink): OrderMessage {
  return message("order_paid_buyer", link, {
    subject: "Payment received for your order",
    intro: [
      `We received your payment of ${formatMoney(input.total)} for ${quoted(input.gigTitle)}.`,
      "We hold it until you accept the delivery. The seller can start working now.",
    ],
    details: [["Expected delivery", formatInstant(input.dueAt)]],
    outro: [],
  }, {
    type: "payment_received",
    title: "Payment received",
    body: `Your payment for ${quoted(input.gigTitle)} is confirmed. Expected delivery: ${
      formatInstant(input.dueAt)
    }.`,
  });
}

/** `order.paid`, to the seller: start working. */
export function startWorking(input: OrderPaidText, link: OrderLink): OrderMessage {
  return message("order_paid_seller", link, {
    subject: "Payment confirmed: start working on your order",
    intro: [`The buyer paid for ${quoted(input.gigTitle)}. You can start working now.`],
    details: [["Deliver by", formatInstant(input.dueAt)]],
    outro: [
      "If you need more time, ask the buyer for an extension on the order page before the due date.",
    ],
  }, {
    type: "order_started",
    title: "Start working on your order",
    body: `The buyer paid for ${quoted(input.gigTitle)}. Deliver by ${formatInstant(input.dueAt)}.`,
  });
}

// --- order.delivered, order.revision_requested --------------------------------

/** `order.delivered`, to the buyer: review the delivery. */
export function orderDelivered(
  input: { gigTitle: string; autoCompleteAt: Date | null },
  link: OrderLink,
): OrderMessage {
  const auto = input.autoCompleteAt
    ? ` If you do neither, the order completes automatically on ${
      formatInstant(input.autoCompleteAt)
    }.`
    : "";
  return message("order_delivered", link, {
    subject: "Your order was delivered",
    intro: [
      `The seller delivered your order of ${quoted(input.gigTitle)}.`,
      `Review the delivery: accept it to complete the order, or ask for a revision.${auto}`,
    ],
    actionLabel: "Review the delivery",
    outro: [],
  }, {
    type: "order_delivered",
    title: "Your order was delivered",
    body: `The seller delivered ${quoted(input.gigTitle)}. Accept it or ask for a revision.`,
  });
}

/** `order.revision_requested`, to the seller. */
export function revisionRequested(
  input: { gigTitle: string; revisionsLeft: number | null },
  link: OrderLink,
): OrderMessage {
  const left = input.revisionsLeft === null
    ? []
    : [`Revisions left after this one: ${input.revisionsLeft}.`];
  return message("order_revision_requested", link, {
    subject: "The buyer asked for a revision",
    intro: [
      `The buyer asked for a revision of ${quoted(input.gigTitle)}.`,
      "Read the request on the order page and deliver again.",
      ...left,
    ],
    outro: [],
  }, {
    type: "revision_requested",
    title: "Revision requested",
    body: `The buyer asked for a revision of ${quoted(input.gigTitle)}.`,
  });
}

// --- order.completed ---------------------------------------------------------

/** Fields of `order.completed` the texts use. */
export interface OrderCompletedText {
  gigTitle: string;
  sellerEarnings: Money;
  /** "auto" when the review period ended without an answer. */
  by: string;
}

/** `order.completed`, to the buyer: done, leave a review. */
export function orderCompletedForBuyer(input: OrderCompletedText, link: OrderLink): OrderMessage {
  const how = input.by === "auto"
    ? `Your order of ${
      quoted(input.gigTitle)
    } completed automatically at the end of the review period.`
    : `Your order of ${quoted(input.gigTitle)} is complete.`;
  return message("order_completed_buyer", link, {
    subject: "Your order is complete",
    intro: [how, "Tell others how it went: leave a review for the seller."],
    actionLabel: "Leave a review",
    outro: [],
  }, {
    type: "order_completed",
    title: "Order complete",
    body: `${quoted(input.gigTitle)} is complete. Leave a review for the seller.`,
  });
}

/** `order.completed`, to the seller: earnings released to the balance. */
export function orderCompletedForSeller(
  input: OrderCompletedText,
  link: OrderLink,
): OrderMessage {
  const earnings = formatMoney(input.sellerEarnings);
  const how = input.by === "auto"
    ? `The order of ${
      quoted(input.gigTitle)
    } completed automatically at the end of the review period.`
    : `The buyer accepted your delivery of ${quoted(input.gigTitle)}: the order is complete.`;
  return message("order_completed_seller", link, {
    subject: "Order complete: your earnings are released",
    intro: [how, `Your earnings of ${earnings} are now in your balance.`],
    details: [["Earnings", earnings]],
    outro: ["You can leave a review for the buyer on the order page."],
  }, {
    type: "order_completed",
    title: "Order complete",
    body: `${quoted(input.gigTitle)} is complete. ${earnings} were added to your balance.`,
  });
}

// --- order.cancelled ---------------------------------------------------------

/** Fields of `order.cancelled` the texts use. */
export interface OrderCancelledText {
  gigTitle: string;
  reason: string | null;
  refund: Money | null;
}

/** `order.cancelled`, to either party; the buyer also reads about the refund. */
export function orderCancelled(
  input: OrderCancelledText,
  party: Party,
  link: OrderLink,
): OrderMessage {
  const refund = party === "buyer" && input.refund && input.refund.amount > 0
    ? [`A refund of ${formatMoney(input.refund)} is on its way to your original payment method.`]
    : [];
  return message(`order_cancelled_${party}`, link, {
    subject: party === "buyer" ? "Your order was cancelled" : "An order was cancelled",
    intro: [
      party === "buyer"
        ? `Your order of ${quoted(input.gigTitle)} was cancelled.`
        : `The order of ${quoted(input.gigTitle)} was cancelled.`,
      ...(input.reason ? [`Reason: ${input.reason}`] : []),
      ...refund,
    ],
    outro: [],
  }, {
    type: "order_cancelled",
    title: "Order cancelled",
    body: `The order of ${quoted(input.gigTitle)} was cancelled.${
      refund.length > 0 ? ` ${formatMoney(input.refund!)} will be refunded.` : ""
    }`,
  });
}

// --- extensions --------------------------------------------------------------

/** `order.extension_requested`, to the buyer: the seller asks for more days. */
export function extensionRequested(
  input: { gigTitle: string; days: number; reason: string | null },
  link: OrderLink,
): OrderMessage {
  const days = plural(input.days, "day", "days");
  return message("order_extension_requested", link, {
    subject: "The seller asks for more time",
    intro: [
      `The seller of ${quoted(input.gigTitle)} asks to extend the delivery by ${days}.`,
      ...(input.reason ? [`Reason: ${input.reason}`] : []),
      "Accept or decline the request on the order page.",
    ],
    actionLabel: "Answer the request",
    outro: [],
  }, {
    type: "extension_requested",
    title: "Extension requested",
    body: `The seller asks for ${days} more for ${quoted(input.gigTitle)}.`,
  });
}

/** `order.extension_answered`, to the seller: approved (new due date) or declined. */
export function extensionAnswered(
  input: { gigTitle: string; approved: boolean; dueAt: Date },
  link: OrderLink,
): OrderMessage {
  const due = formatInstant(input.dueAt);
  const verdict = input.approved ? "approved" : "declined";
  return message(`order_extension_${verdict}`, link, {
    subject: `Your extension request was ${verdict}`,
    intro: [
      `The buyer ${verdict} your request for more time on ${quoted(input.gigTitle)}.`,
    ],
    details: [[input.approved ? "New due date" : "Due date", due]],
    outro: [],
  }, {
    type: `extension_${verdict}`,
    title: `Extension ${verdict}`,
    body: `The buyer ${verdict} your extension for ${quoted(input.gigTitle)}. Deliver by ${due}.`,
  });
}

// --- cancellation requests ---------------------------------------------------

/** `order.cancellation_requested`, to the party that did not ask. */
export function cancellationRequested(
  input: { gigTitle: string; requestedBy: Party; reason: string | null },
  link: OrderLink,
): OrderMessage {
  return message("order_cancellation_requested", link, {
    subject: "A cancellation of your order was requested",
    intro: [
      `The ${input.requestedBy} of ${quoted(input.gigTitle)} asks to cancel the order.`,
      ...(input.reason ? [`Reason: ${input.reason}`] : []),
      "Accept or decline the request on the order page.",
    ],
    actionLabel: "Answer the request",
    outro: [],
  }, {
    type: "cancellation_requested",
    title: "Cancellation requested",
    body: `The ${input.requestedBy} asks to cancel ${quoted(input.gigTitle)}.`,
  });
}

/**
 * `order.cancellation_answered`: to the party that asked when it is known
 * (`requestedBy`); otherwise the same neutral wording goes to both parties.
 */
export function cancellationAnswered(
  input: { gigTitle: string; accepted: boolean; requestedBy: Party | null },
  link: OrderLink,
): OrderMessage {
  const verdict = input.accepted ? "accepted" : "declined";
  const outcome = input.accepted ? "" : " The order goes on.";
  const sentence = input.requestedBy
    ? `The ${other(input.requestedBy)} ${verdict} your request to cancel ${
      quoted(input.gigTitle)
    }.${outcome}`
    : `The request to cancel ${quoted(input.gigTitle)} was ${verdict}.${outcome}`;
  return message(`order_cancellation_${verdict}`, link, {
    subject: input.requestedBy
      ? `Your cancellation request was ${verdict}`
      : `A cancellation request was ${verdict}`,
    intro: [sentence],
    outro: [],
  }, {
    type: `cancellation_${verdict}`,
    title: `Cancellation ${verdict}`,
    body: sentence,
  });
}

// --- review.created ----------------------------------------------------------

/** `review.created`, to the reviewee. */
export function reviewReceived(
  input: { reviewer: Party; rating: number; comment: string | null },
  link: OrderLink,
): OrderMessage {
  const stars = `${"★".repeat(input.rating)}${"☆".repeat(5 - input.rating)}`;
  return message("review_received", link, {
    subject: "You received a new review",
    intro: [
      `Your ${input.reviewer} left you a review: ${
        plural(input.rating, "star", "stars")
      } out of 5.`,
      ...(input.comment ? [`“${input.comment}”`] : []),
    ],
    details: [["Rating", `${stars} (${input.rating}/5)`]],
    actionLabel: "See the order",
    outro: [],
  }, {
    type: "review_received",
    title: "New review",
    body: `Your ${input.reviewer} rated you ${input.rating} out of 5.`,
  });
}
