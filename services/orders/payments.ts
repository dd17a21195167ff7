/**
 * The payment provider, behind one small interface with two implementations:
 *
 * - `stripePayments`: npm:stripe (its fetch HTTP client, so no node:http under
 *   Deno) against `api.stripe.com`, or against `STRIPE_API_URL` (stripe-mock, or
 *   the tests' double). Every call that creates something carries an
 *   idempotency key derived from our own ids, so a retry never pays, refunds or
 *   transfers twice.
 * - `localTestPayments`: the clearly named local test mode of `deno task dev`
 *   without a Stripe key. Nothing leaves the process and no money moves; ids
 *   start with `local_test_`, and a developer completes a payment through
 *   `POST /api/v1/payments/local-test/{orderId}/succeed`. main.ts refuses to
 *   start in this mode when a Stripe key is set.
 */
import Stripe from "stripe";

/** Which provider the service uses (`PAYMENTS_MODE`). */
export type PaymentsMode = "stripe" | "local_test";

/** A PaymentIntent as the client needs it to pay. */
export interface CreatedPaymentIntent {
  id: string;
  /** For Stripe.js `confirmPayment`; null in local test mode. */
  clientSecret: string | null;
}

/** What a PaymentIntent says now. */
export interface PaymentIntentState {
  id: string;
  /** Simplified: `succeeded`, `failed` (needs a new payment method), `canceled` or `pending`. */
  status: "succeeded" | "failed" | "canceled" | "pending";
  amount: number;
  /** Upper-case ISO code. */
  currency: string;
  /** `metadata.order_id`, if the intent is one of ours. */
  orderId: string | null;
  /** The last payment error's message, if any. */
  error: string | null;
}

/** A verified webhook event (only what the service reads). */
export interface VerifiedEvent {
  id: string;
  type: string;
  object: Record<string, unknown>;
}

/** A provider call failed; `retryable` when trying again later may succeed. */
export class PaymentProviderError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly status?: number) {
    super(message);
    this.name = "PaymentProviderError";
  }
}

/** A webhook whose signature, timestamp or body does not verify. */
export class WebhookRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookRejectedError";
  }
}

/** The payment operations the service uses. */
export interface Payments {
  readonly mode: PaymentsMode;
  createPaymentIntent(input: {
    orderId: string;
    buyerId: string;
    gigId: string;
    description: string;
    amount: number;
    currency: string;
    idempotencyKey: string;
  }): Promise<CreatedPaymentIntent>;
  retrievePaymentIntent(id: string): Promise<PaymentIntentState>;
  refund(input: {
    orderId: string;
    paymentIntentId: string;
    amount: number;
    idempotencyKey: string;
  }): Promise<{ id: string; status: "succeeded" | "pending" }>;
  transfer(input: {
    payoutId: string;
    sellerId: string;
    destination: string;
    amount: number;
    currency: string;
    idempotencyKey: string;
  }): Promise<{ id: string }>;
  createAccount(input: { sellerId: string; idempotencyKey: string }): Promise<{ id: string }>;
  accountLink(input: { accountId: string; refreshUrl: string; returnUrl: string }): Promise<{
    url: string;
    expiresAt: string;
  }>;
  /** Verifies a webhook's `Stripe-Signature` over the raw body and parses it. */
  verifyWebhook(rawBody: string, signature: string | undefined): Promise<VerifiedEvent>;
}

/** Options of `stripePayments`. */
export interface StripeOptions {
  secretKey: string;
  webhookSecret: string;
  /** Base URL of the API; default https://api.stripe.com. */
  apiUrl?: string;
  /** Seconds a webhook's timestamp may lag behind our clock (Stripe's default is 300). */
  webhookToleranceSeconds?: number;
  /** Retries of a failed call by the SDK (same idempotency key). */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

/** Builds the SDK client for `apiUrl` (scheme, host and port of the URL). */
export function createStripeClient(
  options: Pick<StripeOptions, "secretKey" | "apiUrl" | "maxNetworkRetries" | "timeoutMs">,
): Stripe {
  const url = new URL(options.apiUrl ?? "https://api.stripe.com");
  const protocol = url.protocol === "http:" ? "http" : "https";
  return new Stripe(options.secretKey, {
    httpClient: Stripe.createFetchHttpClient(),
    host: url.hostname,
    port: Number(url.port || (protocol === "https" ? 443 : 80)),
    protocol,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 15_000,
    telemetry: false,
  });
}

/** The Stripe implementation. */
export function stripePayments(options: StripeOptions): Payments {
  const stripe = createStripeClient(options);
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw toProviderError(what, error);
    }
  };
  return {
    mode: "stripe",
    createPaymentIntent: (input) =>
      call("create a PaymentIntent", async () => {
        const intent = await stripe.paymentIntents.create({
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          automatic_payment_methods: { enabled: true },
          description: input.description,
          metadata: { order_id: input.orderId, buyer_id: input.buyerId, gig_id: input.gigId },
        }, { idempotencyKey: input.idempotencyKey });
        return { id: intent.id, clientSecret: intent.client_secret ?? null };
      }),
    retrievePaymentIntent: (id) =>
      call("retrieve a PaymentIntent", async () => {
        const intent = await stripe.paymentIntents.retrieve(id);
        return {
          id: intent.id,
          status: intent.status === "succeeded"
            ? "succeeded"
            : intent.status === "canceled"
            ? "canceled"
            : intent.status === "requires_payment_method" && intent.last_payment_error
            ? "failed"
            : "pending",
          amount: intent.amount,
          currency: intent.currency.toUpperCase(),
          orderId: intent.metadata?.order_id ?? null,
          error: intent.last_payment_error?.message ?? null,
        };
      }),
    refund: (input) =>
      call("refund a payment", async () => {
        const refund = await stripe.refunds.create({
          payment_intent: input.paymentIntentId,
          amount: input.amount,
          metadata: { order_id: input.orderId },
        }, { idempotencyKey: input.idempotencyKey });
        if (refund.status === "failed" || refund.status === "canceled") {
          throw new PaymentProviderError(`the refund ${refund.id} is ${refund.status}`, false);
        }
        return { id: refund.id, status: refund.status === "succeeded" ? "succeeded" : "pending" };
      }),
    transfer: (input) =>
      call("transfer a payout", async () => {
        const transfer = await stripe.transfers.create({
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          destination: input.destination,
          metadata: { payout_id: input.payoutId, seller_id: input.sellerId },
        }, { idempotencyKey: input.idempotencyKey });
        return { id: transfer.id };
      }),
    createAccount: (input) =>
      call("create a connected account", async () => {
        const account = await stripe.accounts.create({
          controller: {
            stripe_dashboard: { type: "express" },
            fees: { payer: "application" },
            losses: { payments: "application" },
          },
          capabilities: { transfers: { requested: true } },
          metadata: { seller_id: input.sellerId },
        }, { idempotencyKey: input.idempotencyKey });
        return { id: account.id };
      }),
    accountLink: (input) =>
      call("create an onboarding link", async () => {
        const link = await stripe.accountLinks.create({
          account: input.accountId,
          refresh_url: input.refreshUrl,
          return_url: input.returnUrl,
          type: "account_onboarding",
        });
        return { url: link.url, expiresAt: new Date(link.expires_at * 1000).toISOString() };
      }),
    async verifyWebhook(rawBody, signature) {
      if (!signature) throw new WebhookRejectedError("The Stripe-Signature header is missing.");
      try {
        const event = await stripe.webhooks.constructEventAsync(
          rawBody,
          signature,
          options.webhookSecret,
          options.webhookToleranceSeconds ?? 300,
        );
        const object = (event.data as { object?: unknown })?.object;
        if (typeof event.id !== "string" || typeof event.type !== "string" || !isRecord(object)) {
          throw new WebhookRejectedError("The event has no id, type or object.");
        }
        return { id: event.id, type: event.type, object };
      } catch (error) {
        if (error instanceof WebhookRejectedError) throw error;
        // A bad signature, a stale timestamp, or a signed body that is not an event.
        throw new WebhookRejectedError(
          error instanceof Stripe.errors.StripeSignatureVerificationError
            ? "The signature or its timestamp does not verify."
            : "The body is not a Stripe event.",
        );
      }
    },
  };
}

/** Prefix of every id the local test mode makes up. */
export const LOCAL_TEST_PREFIX = "local_test_";

/** The local test mode: no network, no money; see the module comment. */
export function localTestPayments(): Payments {
  const id = (kind: string) =>
    `${LOCAL_TEST_PREFIX}${kind}_${crypto.randomUUID().replaceAll("-", "")}`;
  return {
    mode: "local_test",
    createPaymentIntent: () => Promise.resolve({ id: id("pi"), clientSecret: null }),
    retrievePaymentIntent: () =>
      Promise.reject(new PaymentProviderError("local test mode keeps no PaymentIntents", false)),
    refund: () => Promise.resolve({ id: id("re"), status: "succeeded" }),
    transfer: () => Promise.resolve({ id: id("tr") }),
    createAccount: () => Promise.resolve({ id: id("acct") }),
    accountLink: (input) =>
      Promise.resolve({
        url: `${input.returnUrl}${
          input.returnUrl.includes("?") ? "&" : "?"
        }local_test_onboarding=1`,
        expiresAt: new Date(Date.now() + 300_000).toISOString(),
      }),
    verifyWebhook: () =>
      Promise.reject(new WebhookRejectedError("Webhooks are not accepted in local test mode.")),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Maps an SDK error: 400, 402 and 404 answers are definitive (the request is
 * wrong or refused), everything else (connection, timeout, 409, 429, 5xx,
 * authentication) may pass on a later try.
 */
function toProviderError(what: string, error: unknown): PaymentProviderError {
  if (error instanceof PaymentProviderError) return error;
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode;
    const definitive = status === 400 || status === 402 || status === 404;
    return new PaymentProviderError(
      `Stripe could not ${what}: ${error.message}`,
      !definitive,
      status,
    );
  }
  return new PaymentProviderError(`Stripe could not ${what}: ${String(error)}`, true);
}
