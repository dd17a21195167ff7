/**
 * The escrow ledger's rules: accounts and the postings each money movement
 * makes. Pure; store_ledger.ts writes postings (`postLedger`) and the database refuses
 * an unbalanced one, and ledger_property_test.ts runs thousands of random
 * lifecycles through these same functions.
 *
 * Double entry, one sign convention: an entry's amount is positive for a debit
 * and negative for a credit, and the entries of every posting sum to zero per
 * currency. Accounts (owner in brackets):
 *
 * | account                   | holds                                                       |
 * | ------------------------- | ----------------------------------------------------------- |
 * | `stripe_clearing`         | everything captured from buyers (debit balance)             |
 * | `escrow` (order)          | a paid order's total while the work is under way            |
 * | `platform_fees`           | the buyer's service fee plus the commission, once released  |
 * | `seller_pending` (seller) | released earnings waiting `CLEARING_DAYS`                   |
 * | `seller_available` (seller) | earnings the seller may withdraw                          |
 * | `seller_paid_out` (seller) | earnings transferred to the seller's Stripe account        |
 * | `buyer_refunds`           | totals refunded to buyers                                   |
 *
 * So at every moment, in magnitudes: escrow + released (seller pending +
 * available + paid out) + fees + refunds = captured.
 */
import type { Quote } from "./money.ts";

/** Every account type. */
export const ACCOUNTS = [
  "stripe_clearing",
  "escrow",
  "platform_fees",
  "seller_pending",
  "seller_available",
  "seller_paid_out",
  "buyer_refunds",
] as const;
/** An account type. */
export type Account = typeof ACCOUNTS[number];
/** Accounts that exist once per order or seller (the others are platform-wide). */
export const OWNED_ACCOUNTS: readonly Account[] = [
  "escrow",
  "seller_pending",
  "seller_available",
  "seller_paid_out",
];

/** What a posting is for. */
export type PostingKind =
  | "capture"
  | "release"
  | "refund"
  | "clear"
  | "payout"
  | "payout_reversal";

/** One line of a posting. */
export interface Entry {
  account: Account;
  /** The order (escrow) or seller (seller_*) the account belongs to; null for platform accounts. */
  owner: string | null;
  currency: string;
  /** Minor units; positive = debit, negative = credit. Never zero. */
  amount: number;
}

/** A balanced set of entries with what caused it. */
export interface Posting {
  kind: PostingKind;
  orderId: string | null;
  payoutId: string | null;
  entries: Entry[];
}

/** The money of one order, as priced when it was placed. */
export interface OrderMoney
  extends Pick<Quote, "currency" | "total" | "serviceFee" | "commission" | "sellerEarnings"> {
  orderId: string;
  sellerId: string;
}

/** The buyer's payment lands in escrow. */
export function capturePosting(order: OrderMoney): Posting {
  return posting("capture", order.orderId, null, [
    entry("stripe_clearing", null, order.currency, order.total),
    entry("escrow", order.orderId, order.currency, -order.total),
  ]);
}

/** Completion: escrow goes to the seller's pending balance and the platform's fees. */
export function releasePosting(order: OrderMoney): Posting {
  return posting("release", order.orderId, null, [
    entry("escrow", order.orderId, order.currency, order.total),
    entry("seller_pending", order.sellerId, order.currency, -order.sellerEarnings),
    entry("platform_fees", null, order.currency, -(order.serviceFee + order.commission)),
  ]);
}

/** Cancellation of a paid order: the whole total goes back to the buyer. */
export function refundPosting(order: OrderMoney): Posting {
  return posting("refund", order.orderId, null, [
    entry("escrow", order.orderId, order.currency, order.total),
    entry("buyer_refunds", null, order.currency, -order.total),
  ]);
}

/** After `CLEARING_DAYS`, an order's earnings become available. */
export function clearPosting(
  orderId: string,
  sellerId: string,
  currency: string,
  amount: number,
): Posting {
  return posting("clear", orderId, null, [
    entry("seller_pending", sellerId, currency, amount),
    entry("seller_available", sellerId, currency, -amount),
  ]);
}

/** A withdrawal: available earnings move to paid out. */
export function payoutPosting(
  payoutId: string,
  sellerId: string,
  currency: string,
  amount: number,
): Posting {
  return posting("payout", null, payoutId, [
    entry("seller_available", sellerId, currency, amount),
    entry("seller_paid_out", sellerId, currency, -amount),
  ]);
}

/** A withdrawal Stripe refused: the money is available again. */
export function payoutReversalPosting(
  payoutId: string,
  sellerId: string,
  currency: string,
  amount: number,
): Posting {
  return posting("payout_reversal", null, payoutId, [
    entry("seller_paid_out", sellerId, currency, amount),
    entry("seller_available", sellerId, currency, -amount),
  ]);
}

/** The posting of an order decision's escrow movement (order.ts `Decision.ledger`). */
export function postingFor(movement: "capture" | "release" | "refund", order: OrderMoney): Posting {
  if (movement === "capture") return capturePosting(order);
  if (movement === "release") return releasePosting(order);
  return refundPosting(order);
}

/**
 * Checks a posting before it is written: at least two entries, no zero or
 * fractional amounts, owners exactly where accounts need them, and a zero sum
 * per currency. The database checks the sum again at commit.
 * @throws Error describing the first problem.
 */
export function assertBalanced(p: Posting): void {
  if (p.entries.length < 2) throw new Error(`${p.kind} posting has fewer than two entries`);
  const sums = new Map<string, number>();
  for (const e of p.entries) {
    if (!Number.isSafeInteger(e.amount) || e.amount === 0) {
      throw new Error(`${p.kind} posting has a bad amount ${e.amount} on ${e.account}`);
    }
    if (OWNED_ACCOUNTS.includes(e.account) !== (e.owner !== null)) {
      throw new Error(`${p.kind} posting: ${e.account} ${e.owner ? "takes no" : "needs an"} owner`);
    }
    sums.set(e.currency, (sums.get(e.currency) ?? 0) + e.amount);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0) throw new Error(`${p.kind} posting is off by ${sum} ${currency}`);
  }
}

/** Balances of every (account, owner, currency), debit positive. */
export function balances(postings: Iterable<Posting>): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of postings) {
    for (const e of p.entries) {
      const key = accountKey(e.account, e.owner, e.currency);
      out.set(key, (out.get(key) ?? 0) + e.amount);
    }
  }
  return out;
}

/** `account[:owner]:currency`, the key `balances` uses. */
export function accountKey(account: Account, owner: string | null, currency: string): string {
  return owner === null ? `${account}:${currency}` : `${account}:${owner}:${currency}`;
}

function entry(account: Account, owner: string | null, currency: string, amount: number): Entry {
  return { account, owner, currency, amount };
}

function posting(
  kind: PostingKind,
  orderId: string | null,
  payoutId: string | null,
  entries: Entry[],
): Posting {
  // Zero-amount lines (a 0 % fee) carry no information and the schema refuses them.
  const p = { kind, orderId, payoutId, entries: entries.filter((e) => e.amount !== 0) };
  assertBalanced(p);
  return p;
}
