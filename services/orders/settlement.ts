/**
 * Money leaving the platform through the payment provider: refunds to buyers,
 * transfers to sellers (payouts) and sellers' connected accounts.
 *
 * The ledger moves in the transaction of the decision (a cancellation posts
 * the refund, a withdrawal request posts the payout); the provider is called
 * afterwards, outside any transaction, by whoever committed (at once) and by
 * the scheduler (retries). A row is claimed with a lease before the call, and
 * every call carries an idempotency key made of our own id (`refund-<order>`,
 * `payout-<payout>`), so a retry after a crash or a timeout never refunds or
 * transfers twice.
 */
import type { Sql, Tx } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { AppError } from "@mp/shared/problem";
import { payoutPosting, payoutReversalPosting } from "./ledger.ts";
import { PaymentProviderError, type Payments } from "./payments.ts";
import { lockSeller, postLedger, sellerBalances } from "./store_ledger.ts";
import {
  claimPayout,
  findPaymentAccount,
  insertPayout,
  lockPayout,
  savePaymentAccount,
  settlePayout,
} from "./store_payouts.ts";
import { claimRefund, settleRefund } from "./store_refunds.ts";

/** What settlement needs. */
export interface SettlementDeps {
  sql: Sql;
  payments: Payments;
  log: Logger;
  now: () => Date;
  /** Base of the onboarding return and refresh links (`PUBLIC_URL`). */
  publicUrl: string;
}

/** How long a claimed refund or payout is kept from other workers. */
const LEASE_MS = 60_000;

/** Delay before retry number `attempts` (5 s doubling, at most 15 min). */
export function retryDelayMs(attempts: number): number {
  return Math.min(15 * 60_000, 5_000 * 2 ** Math.min(Math.max(attempts - 1, 0), 20));
}

/**
 * Submits one due refund (the given order's, or the oldest due) to the
 * provider. Returns false when there was none to claim.
 */
export async function submitRefund(deps: SettlementDeps, orderId?: string): Promise<boolean> {
  const { sql, payments, log } = deps;
  const now = deps.now();
  const refund = await claimRefund(sql, now, LEASE_MS, orderId);
  if (!refund) return false;
  try {
    const result = await payments.refund({
      orderId: refund.orderId,
      paymentIntentId: refund.paymentIntentId,
      amount: refund.amount,
      idempotencyKey: `refund-${refund.orderId}`,
    });
    await sql.begin(async (tx) => {
      await settleRefund(tx, refund.orderId, {
        status: result.status === "succeeded" ? "succeeded" : "submitted",
        providerRefundId: result.id,
      });
      if (result.status === "succeeded") {
        await tx`update orders set payment_status = 'refunded', updated_at = now()
          where id = ${refund.orderId} and payment_status = 'refund_pending'`;
      }
    });
    log.info("refund submitted", { orderId: refund.orderId, refundId: result.id });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof PaymentProviderError && !error.retryable) {
      await settleRefund(sql, refund.orderId, { status: "failed", error: message });
      log.error("refund refused by the provider; needs a person", {
        orderId: refund.orderId,
        error: message,
      });
    } else {
      const retryAt = new Date(now.getTime() + retryDelayMs(refund.attempts));
      await settleRefund(sql, refund.orderId, { status: "pending", error: message, retryAt });
      log.warn("refund failed, will retry", { orderId: refund.orderId, error: message, retryAt });
    }
  }
  return true;
}

/**
 * Records a withdrawal of `amount` (default: all) of the seller's available
 * balance in `currency` to their connected account, in the caller's
 * transaction; `submitPayout` sends it after the commit. Returns its id.
 * @throws AppError 409 `no_payment_account` or `insufficient_balance`.
 */
export async function recordPayout(
  tx: Tx,
  now: Date,
  sellerId: string,
  input: { currency: string; amount?: number },
): Promise<string> {
  // Two withdrawals of one seller are serialised, so they cannot both spend one balance.
  await lockSeller(tx, sellerId);
  const account = await findPaymentAccount(tx, sellerId);
  if (!account) {
    throw new AppError(
      409,
      "no_payment_account",
      "Connect a payout account first (POST /api/v1/sellers/me/payment-account).",
    );
  }
  const balance = (await sellerBalances(tx, sellerId)).find((b) => b.currency === input.currency);
  const available = balance?.available ?? 0;
  const amount = input.amount ?? available;
  if (amount < 1 || amount > available) {
    throw new AppError(
      409,
      "insufficient_balance",
      `The available balance is ${available} ${input.currency} (minor units).`,
      { available: { amount: available, currency: input.currency } },
    );
  }
  const id = crypto.randomUUID();
  await insertPayout(tx, {
    id,
    sellerId,
    currency: input.currency,
    amount,
    destination: account.accountId,
    createdAt: now,
  });
  await postLedger(tx, payoutPosting(id, sellerId, input.currency, amount), now);
  return id;
}

/**
 * Submits one due payout (the given one, or the oldest due) as a transfer.
 * A definitive refusal reverses the ledger posting. Returns false when there
 * was none to claim.
 */
export async function submitPayout(deps: SettlementDeps, payoutId?: string): Promise<boolean> {
  const { sql, payments, log } = deps;
  const now = deps.now();
  const payout = await claimPayout(sql, now, LEASE_MS, payoutId);
  if (!payout) return false;
  try {
    const transfer = await payments.transfer({
      payoutId: payout.id,
      sellerId: payout.sellerId,
      destination: payout.destination,
      amount: payout.amount,
      currency: payout.currency,
      idempotencyKey: `payout-${payout.id}`,
    });
    await settlePayout(sql, payout.id, { status: "paid", transferId: transfer.id });
    log.info("payout transferred", { payoutId: payout.id, transferId: transfer.id });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof PaymentProviderError && !error.retryable) {
      await sql.begin(async (tx) => {
        const row = await lockPayout(tx, payout.id);
        if (row?.status !== "pending") return;
        await settlePayout(tx, payout.id, { status: "failed", error: message });
        await postLedger(
          tx,
          payoutReversalPosting(payout.id, payout.sellerId, payout.currency, payout.amount),
          deps.now(),
        );
      });
      log.error("payout refused by the provider, balance restored", {
        payoutId: payout.id,
        error: message,
      });
    } else {
      const retryAt = new Date(now.getTime() + retryDelayMs(payout.attempts));
      await settlePayout(sql, payout.id, { status: "pending", error: message, retryAt });
      log.warn("payout failed, will retry", { payoutId: payout.id, error: message, retryAt });
    }
  }
  return true;
}

/**
 * Creates the seller's connected account if they have none, and returns a
 * fresh onboarding link for it. `db` is the pool, or the transaction that also
 * stores the route's answer.
 */
export async function startOnboarding(
  deps: SettlementDeps,
  sellerId: string,
  db: Sql | Tx = deps.sql,
): Promise<{ accountId: string; onboardingUrl: string; expiresAt: string }> {
  const existing = await findPaymentAccount(db, sellerId);
  let accountId = existing?.accountId;
  if (!accountId) {
    // The key makes concurrent first calls create one account; the insert keeps the first.
    const created = await deps.payments.createAccount({
      sellerId,
      idempotencyKey: `account-${sellerId}`,
    });
    accountId = await savePaymentAccount(db, sellerId, deps.payments.mode, created.id);
  }
  const base = deps.publicUrl.replace(/\/+$/, "");
  const link = await deps.payments.accountLink({
    accountId,
    refreshUrl: `${base}/seller/payouts?onboarding=refresh`,
    returnUrl: `${base}/seller/payouts?onboarding=done`,
  });
  return { accountId, onboardingUrl: link.url, expiresAt: link.expiresAt };
}
