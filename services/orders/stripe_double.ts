/**
 * A local HTTP double of the Stripe API endpoints the orders service calls, for
 * tests (Stripe's API cannot be reached from here). The real npm:stripe SDK is
 * pointed at it through `STRIPE_API_URL`, so requests, form encoding, headers,
 * idempotency keys, retries and error mapping are the SDK's own; webhooks are
 * built from the double's state and signed with the SDK's test-header helper
 * (`webhooks.generateTestHeaderStringAsync`).
 *
 * Endpoints (Stripe's JSON shapes, only the fields the service reads plus ids):
 * - `POST /v1/payment_intents` (amount, currency, metadata, description,
 *   automatic_payment_methods) → `requires_payment_method` with a client secret
 * - `GET  /v1/payment_intents/:id`
 * - `POST /v1/refunds` (payment_intent, amount, metadata) → `succeeded`
 * - `POST /v1/transfers` (amount, currency, destination, metadata)
 * - `POST /v1/accounts` (controller, capabilities, metadata)
 * - `POST /v1/account_links` (account, refresh_url, return_url, type)
 *
 * What it honours: `Authorization: Bearer <secret key>` (401 otherwise);
 * `Idempotency-Key` on every POST (same key + same body replays the first
 * answer with `Idempotent-Replayed: true`, same key + different body or
 * endpoint is a 400 `idempotency_error`, as Stripe does); Stripe's error shape
 * `{ error: { type, code, message, param } }` for missing resources (404),
 * missing parameters and impossible refunds or transfers (400).
 *
 * Limits (what it does NOT do):
 * - no payment methods, confirmation, 3-D Secure or capture: a payment
 *   succeeds or fails only when a test calls `succeed()` / `fail()`;
 * - no webhook delivery of its own: tests build the event with those helpers,
 *   sign it with `sign()` and POST it to the service;
 * - one account and one charge per PaymentIntent; no balance (transfers never
 *   fail for lack of funds), no currencies check beyond "3 letters", no
 *   Connect capabilities or onboarding state, no `Stripe-Account` header;
 * - idempotency keys never expire, are not scoped per API key, and concurrent
 *   requests with one key are answered in arrival order instead of 409;
 * - only the parameters listed above are read, nested form keys are parsed
 *   into objects (`a[0]` becomes key "0"), list, search, update and expand are
 *   not implemented (404 `resource_missing`);
 * - no rate limits, API-version checks, pagination or test clocks;
 * - `failNext()` injects `500`/`503` answers (with `stripe-should-retry`) for
 *   outage tests; it cannot drop connections.
 */
import Stripe from "stripe";

/** A request the double received. */
export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  params: Record<string, unknown>;
  status: number;
}

/** A webhook event as Stripe would send it. */
export interface StripeEventJson {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  type: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: Record<string, unknown> };
}

/** A running double. */
export interface StripeDouble {
  /** `http://127.0.0.1:<port>`: give it as `STRIPE_API_URL`. */
  url: string;
  /** `127.0.0.1:<port>`, for `--allow-net`. */
  hostPort: string;
  secretKey: string;
  webhookSecret: string;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Objects by id, as the double holds them now. */
  paymentIntents: Map<string, Record<string, unknown>>;
  refunds: Map<string, Record<string, unknown>>;
  transfers: Map<string, Record<string, unknown>>;
  accounts: Map<string, Record<string, unknown>>;
  /** Requests matching `method` and a path prefix. */
  count(method: string, pathPrefix: string): number;
  /** The buyer paid: the intent succeeds with a charge; returns `payment_intent.succeeded`. */
  succeed(intentId: string): StripeEventJson;
  /** A payment attempt failed; returns `payment_intent.payment_failed`. */
  fail(intentId: string, message?: string): StripeEventJson;
  /** A full refund made outside the service (the dashboard); returns `charge.refunded`. */
  refundOutside(intentId: string): StripeEventJson;
  /** `charge.refunded` for the intent's charge as it is now (after the service's refund). */
  chargeRefunded(intentId: string): StripeEventJson;
  /** An event of any type around an object (for "ignored type" tests). */
  event(type: string, object: Record<string, unknown>): StripeEventJson;
  /** The raw body and `Stripe-Signature` header of an event, signed by the SDK's helper. */
  sign(
    event: StripeEventJson | string,
    options?: { timestamp?: number; secret?: string },
  ): Promise<{ body: string; signature: string }>;
  /** The next `times` requests matching make the double answer `status` (5xx). */
  failNext(method: string, pathPrefix: string, times: number, status?: 500 | 503): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

const missing = (kind: string, id: string, param = "id") =>
  new StripeApiError(
    404,
    "invalid_request_error",
    `No such ${kind}: '${id}'`,
    "resource_missing",
    param,
  );
const required = (param: string) =>
  new StripeApiError(
    400,
    "invalid_request_error",
    `Missing required param: ${param}.`,
    "parameter_missing",
    param,
  );

/** Starts the double on 127.0.0.1 and a free port. */
export function startStripeDouble(
  options: { secretKey?: string; webhookSecret?: string } = {},
): StripeDouble {
  const secretKey = options.secretKey ?? `sk_test_double${crypto.randomUUID().replaceAll("-", "")}`;
  const webhookSecret = options.webhookSecret ??
    `whsec_double${crypto.randomUUID().replaceAll("-", "")}`;
  const requests: RecordedRequest[] = [];
  const paymentIntents = new Map<string, Json>();
  const charges = new Map<string, Json>();
  const refunds = new Map<string, Json>();
  const transfers = new Map<string, Json>();
  const accounts = new Map<string, Json>();
  const idempotent = new Map<string, { fingerprint: string; status: number; body: Json }>();
  const faults: { method: string; prefix: string; times: number; status: number }[] = [];
  const now = () => Math.floor(Date.now() / 1000);
  const newId = (prefix: string) =>
    `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;

  function route(method: string, path: string, params: Json): { status: number; body: Json } {
    if (method === "POST" && path === "/v1/payment_intents") {
      const amount = int(params.amount, "amount");
      const currency = currencyOf(params.currency);
      const id = newId("pi");
      const intent: Json = {
        id,
        object: "payment_intent",
        amount,
        amount_received: 0,
        currency,
        status: "requires_payment_method",
        client_secret: `${id}_secret_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`,
        description: params.description ?? null,
        metadata: params.metadata ?? {},
        automatic_payment_methods: params.automatic_payment_methods ? { enabled: true } : null,
        latest_charge: null,
        last_payment_error: null,
        created: now(),
        livemode: false,
      };
      paymentIntents.set(id, intent);
      return { status: 200, body: intent };
    }
    const intentMatch = path.match(/^\/v1\/payment_intents\/([\w]+)$/);
    if (method === "GET" && intentMatch) {
      const intent = paymentIntents.get(intentMatch[1]);
      if (!intent) throw missing("payment_intent", intentMatch[1], "intent");
      return { status: 200, body: intent };
    }
    if (method === "POST" && path === "/v1/refunds") {
      if (typeof params.payment_intent !== "string") throw required("payment_intent");
      const intent = paymentIntents.get(params.payment_intent);
      if (!intent) throw missing("payment_intent", params.payment_intent, "payment_intent");
      const charge = intent.latest_charge ? charges.get(intent.latest_charge as string) : undefined;
      if (intent.status !== "succeeded" || !charge) {
        throw new StripeApiError(
          400,
          "invalid_request_error",
          "This PaymentIntent does not have a successful charge to refund.",
          "charge_not_refundable",
        );
      }
      const remaining = (charge.amount as number) - (charge.amount_refunded as number);
      const amount = params.amount === undefined ? remaining : int(params.amount, "amount");
      if (amount > remaining || amount < 1) {
        throw new StripeApiError(
          400,
          "invalid_request_error",
          `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
          "amount_too_large",
          "amount",
        );
      }
      return { status: 200, body: refund(intent, charge, amount, params.metadata as Json) };
    }
    if (method === "POST" && path === "/v1/transfers") {
      const amount = int(params.amount, "amount");
      const currency = currencyOf(params.currency);
      if (typeof params.destination !== "string") throw required("destination");
      if (!accounts.has(params.destination)) {
        throw new StripeApiError(
          400,
          "invalid_request_error",
          `No such destination: '${params.destination}'`,
          "resource_missing",
          "destination",
        );
      }
      const transfer: Json = {
        id: newId("tr"),
        object: "transfer",
        amount,
        currency,
        destination: params.destination,
        metadata: params.metadata ?? {},
        created: now(),
        livemode: false,
        reversed: false,
      };
      transfers.set(transfer.id as string, transfer);
      return { status: 200, body: transfer };
    }
    if (method === "POST" && path === "/v1/accounts") {
      const account: Json = {
        id: newId("acct"),
        object: "account",
        type: "express",
        controller: params.controller ?? null,
        metadata: params.metadata ?? {},
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
        capabilities: { transfers: "inactive" },
        created: now(),
      };
      accounts.set(account.id as string, account);
      return { status: 200, body: account };
    }
    if (method === "POST" && path === "/v1/account_links") {
      if (typeof params.account !== "string") throw required("account");
      if (!accounts.has(params.account)) throw missing("account", params.account, "account");
      for (const p of ["refresh_url", "return_url", "type"]) if (!params[p]) throw required(p);
      return {
        status: 200,
        body: {
          object: "account_link",
          created: now(),
          expires_at: now() + 300,
          url: `https://connect.stripe.com/setup/e/${params.account}/${newId("link")}`,
        },
      };
    }
    throw new StripeApiError(
      404,
      "invalid_request_error",
      `Unrecognized request URL (${method}: ${path}). The double implements only what the orders service calls.`,
    );
  }

  function refund(intent: Json, charge: Json, amount: number, metadata?: Json): Json {
    const r: Json = {
      id: newId("re"),
      object: "refund",
      amount,
      currency: intent.currency,
      payment_intent: intent.id,
      charge: charge.id,
      status: "succeeded",
      metadata: metadata ?? {},
      created: now(),
    };
    refunds.set(r.id as string, r);
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    return r;
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const method = req.method;
    const raw = method === "GET" ? url.searchParams.toString() : await req.text();
    const params = parseForm(raw);
    const key = req.headers.get("idempotency-key");
    const record = (status: number) =>
      requests.push({ method, path: url.pathname, idempotencyKey: key, params, status });
    const answer = (status: number, body: Json, headers: Record<string, string> = {}) => {
      record(status);
      return Response.json(body, {
        status,
        headers: { "request-id": newId("req"), ...headers },
      });
    };
    if (req.headers.get("authorization") !== `Bearer ${secretKey}`) {
      return answer(401, {
        error: { type: "invalid_request_error", message: "Invalid API Key provided." },
      });
    }
    const fault = faults.find((f) => f.method === method && url.pathname.startsWith(f.prefix));
    if (fault) {
      if (--fault.times === 0) faults.splice(faults.indexOf(fault), 1);
      return answer(fault.status, {
        error: { type: "api_error", message: "The double was told to fail this request." },
      }, { "stripe-should-retry": "false" });
    }
    const fingerprint = `${method} ${url.pathname} ${raw}`;
    if (method === "POST" && key) {
      const seen = idempotent.get(key);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          return answer(400, {
            error: {
              type: "idempotency_error",
              message:
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            },
          });
        }
        return answer(seen.status, seen.body, { "idempotent-replayed": "true" });
      }
    }
    let status: number;
    let body: Json;
    try {
      ({ status, body } = route(method, url.pathname, params));
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      status = error.status;
      body = {
        error: { type: error.type, code: error.code, message: error.message, param: error.param },
      };
    }
    // Stripe stores the first answer to a key, errors included (but not 5xx).
    if (method === "POST" && key) idempotent.set(key, { fingerprint, status, body });
    return answer(status, body);
  });
  const { port } = server.addr as Deno.NetAddr;
  const signer = new Stripe(secretKey, { httpClient: Stripe.createFetchHttpClient() });

  function intentOf(id: string): Json {
    const intent = paymentIntents.get(id);
    if (!intent) throw new Error(`the double has no PaymentIntent ${id}`);
    return intent;
  }

  function event(type: string, object: Json): StripeEventJson {
    return {
      id: newId("evt"),
      object: "event",
      api_version: Stripe.API_VERSION,
      created: now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      // A snapshot: later changes to the double's objects do not alter a built event.
      data: { object: structuredClone(object) },
    };
  }

  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    secretKey,
    webhookSecret,
    requests,
    paymentIntents,
    refunds,
    transfers,
    accounts,
    count: (method, prefix) =>
      requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    succeed(intentId) {
      const intent = intentOf(intentId);
      if (intent.status !== "succeeded") {
        const charge: Json = {
          id: newId("ch"),
          object: "charge",
          amount: intent.amount,
          amount_refunded: 0,
          currency: intent.currency,
          payment_intent: intent.id,
          paid: true,
          refunded: false,
          status: "succeeded",
          created: now(),
        };
        charges.set(charge.id as string, charge);
        Object.assign(intent, {
          status: "succeeded",
          amount_received: intent.amount,
          latest_charge: charge.id,
          last_payment_error: null,
        });
      }
      return event("payment_intent.succeeded", intent);
    },
    fail(intentId, message = "Your card was declined.") {
      const intent = intentOf(intentId);
      if (intent.status !== "succeeded") {
        Object.assign(intent, {
          status: "requires_payment_method",
          last_payment_error: { type: "card_error", code: "card_declined", message },
        });
      }
      return event("payment_intent.payment_failed", {
        ...intent,
        status: "requires_payment_method",
        last_payment_error: { type: "card_error", code: "card_declined", message },
      });
    },
    refundOutside(intentId) {
      const intent = intentOf(intentId);
      const charge = charges.get(intent.latest_charge as string);
      if (!charge) throw new Error(`PaymentIntent ${intentId} has no charge to refund`);
      const remaining = (charge.amount as number) - (charge.amount_refunded as number);
      if (remaining > 0) refund(intent, charge, remaining, { source: "dashboard" });
      return event("charge.refunded", charge);
    },
    chargeRefunded(intentId) {
      const intent = intentOf(intentId);
      const charge = charges.get(intent.latest_charge as string);
      if (!charge) throw new Error(`PaymentIntent ${intentId} has no charge`);
      return event("charge.refunded", charge);
    },
    event,
    async sign(evt, opts = {}) {
      const body = typeof evt === "string" ? evt : JSON.stringify(evt, null, 2);
      const signature = await signer.webhooks.generateTestHeaderStringAsync({
        payload: body,
        secret: opts.secret ?? webhookSecret,
        timestamp: opts.timestamp,
      });
      return { body, signature };
    },
    failNext(method, prefix, times, status = 500) {
      faults.push({ method, prefix, times, status });
    },
    close: () => server.shutdown(),
  };
}

function int(value: unknown, param: string): number {
  if (typeof value !== "string" || !/^\d+$/.test(value)) throw required(param);
  return Number(value);
}

function currencyOf(value: unknown): string {
  if (typeof value !== "string" || !/^[a-z]{3}$/.test(value)) throw required("currency");
  return value;
}

/** `a=1&b[c]=2&b[d][e]=3` → `{ a: "1", b: { c: "2", d: { e: "3" } } }`. */
export function parseForm(raw: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(raw)) {
    const path = name.replaceAll("]", "").split("[");
    let node = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) {
        node[part] = value;
      } else {
        if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
        node = node[part] as Record<string, unknown>;
      }
    });
  }
  return out;
}
