/**
 * Routes of the orders service (reached only through the gateway). Everything
 * needs a bearer token except the Stripe webhook, which is verified by its
 * signature instead. Only the buyer and the seller of an order see it or act on
 * it: anyone else gets 404, exactly as for an unknown id; the wrong party for
 * an action gets 403 and an illegal move 409 naming the current status.
 */
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Sql } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import { type AuthVariables, requireAuth, type TokenVerifier } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { AppError } from "@mp/shared/problem";
import { publicHttpsUrl } from "@mp/shared/public_link";
import { paragraph } from "@mp/shared/text";
import { jsonBody, pathParams, queryParams } from "@mp/shared/validate";
import type { FeeSchedule } from "./money.ts";
import { MAX_EXTENSION_DAYS, type Party } from "./order.ts";
import { paymentSucceeded } from "./payment_facts.ts";
import type { Payments } from "./payments.ts";
import { IDEMPOTENCY_KEY, placeOrder, placeOrderBody } from "./placement.ts";
import { requestPayout, type SettlementDeps, startOnboarding, submitRefund } from "./settlement.ts";
import * as store from "./store.ts";
import {
  actOnOrder,
  type Applied,
  type CommandInput,
  orderNotFound,
  partyOf,
  type TransitionSettings,
} from "./transitions.ts";
import { orderDetail, orderSummary } from "./views.ts";
import { handleStripeWebhook } from "./webhooks.ts";

/** What `createApp` needs; built in main.ts, or by tests with real connections. */
export interface OrdersDeps {
  sql: Sql;
  verifier: TokenVerifier;
  log: Logger;
  payments: Payments;
  fees: FeeSchedule;
  settings: TransitionSettings;
  /** Base of links the service hands out (`PUBLIC_URL`). */
  publicUrl: string;
  /** The clock; tests move it. */
  now?: () => Date;
  drain?: Drain;
  readiness?: Record<string, ReadinessCheck>;
}

/** Largest JSON body of the API routes. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Largest webhook body (Stripe events are a few kilobytes). */
export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Largest page of a list. */
export const MAX_LIMIT = 50;
const MAX_PAGE = 1_000;

// Query values arrive as strings; digits only, so "1e3", " 5" or "-1" are 400s.
const positiveInt = (max: number) =>
  z.string().regex(/^\d{1,9}$/, "Must be a positive whole number.").transform(Number)
    .pipe(z.number().int().min(1).max(max));
const pageQuery = {
  page: positiveInt(MAX_PAGE).optional(),
  limit: positiveInt(MAX_LIMIT).optional(),
};
const listQuery = z.strictObject({
  ...pageQuery,
  role: z.enum(["buyer", "seller"]).optional(),
  status: z.enum(["active", "completed", "cancelled"]).optional(),
});
const idParam = z.object({ id: z.uuid({ message: "Must be an order id (UUID)." }) });
const requestParam = z.object({
  id: z.uuid({ message: "Must be an order id (UUID)." }),
  requestId: z.uuid({ message: "Must be a request id (UUID)." }),
});

const deliverBody = z.strictObject({
  message: paragraph(5_000),
  files: z.array(publicHttpsUrl).max(20).default([]),
});
const revisionBody = z.strictObject({ message: paragraph(5_000) });
const reasonBody = z.strictObject({ reason: paragraph(1_000) });
const cancelBody = z.strictObject({ reason: paragraph(1_000).optional() });
const extensionBody = z.strictObject({
  days: z.number().int().min(1).max(MAX_EXTENSION_DAYS),
  reason: paragraph(1_000),
});
const cancellationAnswer = z.strictObject({ accept: z.boolean() });
const extensionAnswer = z.strictObject({ approve: z.boolean() });
const payoutBody = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/, "Must be an ISO 4217 code such as USD."),
  amount: z.number().int().min(1).max(1_000_000_000_000).optional(),
});
const balanceQuery = z.strictObject(pageQuery);

/** The app and its drain (for graceful shutdown). */
export type OrdersApp = ReturnType<typeof createServiceApp<{ Variables: AuthVariables }>>;

/** Builds the Hono app of the orders service. */
export function createApp(deps: OrdersDeps): OrdersApp {
  const { sql, verifier, log, payments, fees, settings, publicUrl } = deps;
  const now = deps.now ?? (() => new Date());
  const { app, drain } = createServiceApp<{ Variables: AuthVariables }>({
    log,
    drain: deps.drain,
    readiness: deps.readiness,
  });
  const transitions = { sql, settings, log, now };
  const settlement: SettlementDeps = { sql, payments, log, now, publicUrl };
  const auth = requireAuth(verifier);

  const tooLarge = (max: number) => () => {
    throw new AppError(413, "body_too_large", `The body must be at most ${max} bytes.`);
  };
  app.use(
    "/api/v1/payments/stripe/webhook",
    bodyLimit({
      maxSize: MAX_WEBHOOK_BYTES,
      onError: tooLarge(MAX_WEBHOOK_BYTES),
    }),
  );
  const apiBodyLimit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge(MAX_BODY_BYTES) });
  app.use("/api/*", async (c, next) => {
    // The webhook has its own, larger limit above.
    if (c.req.path === "/api/v1/payments/stripe/webhook") return await next();
    return await apiBodyLimit(c, next);
  });
  for (const path of ["/api/v1/orders", "/api/v1/orders/*", "/api/v1/sellers/*"]) {
    app.use(path, auth);
  }
  app.use("/api/v1/payments/local-test/*", auth);

  /** The order as `userId` sees it, or 404. */
  async function viewOrder(orderId: string, userId: string) {
    const order = await store.findOrder(sql, orderId);
    const role = order && partyOf(order, userId);
    if (!order || !role) throw orderNotFound();
    return orderDetail(order, await store.loadHistory(sql, orderId), role, now());
  }

  /** Applies a command as the caller, submits a refund it queued; the answer's body. */
  async function act(
    userId: string,
    orderId: string,
    input: CommandInput,
    extra: (applied: Applied) => Record<string, unknown> = () => ({}),
  ) {
    const applied = await actOnOrder(transitions, orderId, userId, input);
    if (applied.refundQueued) await refundNow(orderId);
    return { ...extra(applied), order: await viewOrder(orderId, userId) };
  }

  /** Submits a queued refund at once; on failure the scheduler retries it. */
  async function refundNow(orderId: string) {
    await submitRefund(settlement, orderId).catch((error) =>
      log.warn("refund submission failed, the scheduler retries", { orderId, error })
    );
  }

  // ------------------------------------------------------------ orders

  app.post("/api/v1/orders", jsonBody(placeOrderBody), async (c) => {
    const key = c.req.header("idempotency-key");
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      throw new AppError(
        400,
        "idempotency_key_required",
        "Send an Idempotency-Key header (1–255 visible ASCII characters, e.g. a UUID).",
      );
    }
    const buyerId = c.get("caller").userId;
    const placed = await placeOrder(
      { sql, payments, fees, log, now },
      buyerId,
      key,
      c.req.valid("json"),
    );
    c.header("location", `/api/v1/orders/${placed.order.id}`);
    if (placed.replayed) c.header("idempotent-replayed", "true");
    return c.json(await viewOrder(placed.order.id, buyerId), 201);
  });

  app.get("/api/v1/orders", queryParams(listQuery), async (c) => {
    const query = c.req.valid("query");
    const userId = c.get("caller").userId;
    const page = query.page ?? 1;
    const limit = query.limit ?? 20;
    const result = await store.listOrders(sql, {
      userId,
      role: query.role,
      status: query.status,
      page,
      limit,
    });
    const at = now();
    return c.json({
      items: result.items.map((o) => orderSummary(o, partyOf(o, userId) as Party, at)),
      page,
      limit,
      total: result.total,
    });
  });

  app.get("/api/v1/orders/:id", pathParams(idParam), async (c) => {
    c.header("cache-control", "private, no-store");
    return c.json(await viewOrder(c.req.valid("param").id, c.get("caller").userId));
  });

  app.post(
    "/api/v1/orders/:id/deliveries",
    pathParams(idParam),
    jsonBody(deliverBody),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(
        await act(c.get("caller").userId, c.req.valid("param").id, {
          command: { type: "deliver" },
          message: body.message,
          files: body.files,
        }, (applied) => ({ deliveryId: applied.createdId })),
        201,
      );
    },
  );

  app.post(
    "/api/v1/orders/:id/revisions",
    pathParams(idParam),
    jsonBody(revisionBody),
    async (c) =>
      c.json(
        await act(c.get("caller").userId, c.req.valid("param").id, {
          command: { type: "request_revision" },
          message: c.req.valid("json").message,
        }, (applied) => ({ revisionRequestId: applied.createdId })),
        201,
      ),
  );

  app.post("/api/v1/orders/:id/accept", pathParams(idParam), async (c) =>
    c.json(
      await act(c.get("caller").userId, c.req.valid("param").id, { command: { type: "accept" } }),
    ));

  app.post(
    "/api/v1/orders/:id/cancel",
    pathParams(idParam),
    jsonBody(cancelBody),
    async (c) =>
      c.json(
        await act(c.get("caller").userId, c.req.valid("param").id, {
          command: { type: "cancel" },
          reason: c.req.valid("json").reason,
        }),
      ),
  );

  app.post(
    "/api/v1/orders/:id/cancellation-requests",
    pathParams(idParam),
    jsonBody(reasonBody),
    async (c) =>
      c.json(
        await act(c.get("caller").userId, c.req.valid("param").id, {
          command: { type: "request_cancellation" },
          reason: c.req.valid("json").reason,
        }, (applied) => ({ requestId: applied.createdId })),
        201,
      ),
  );

  app.post(
    "/api/v1/orders/:id/cancellation-requests/:requestId/answer",
    pathParams(requestParam),
    jsonBody(cancellationAnswer),
    async (c) => {
      const { id, requestId } = c.req.valid("param");
      return c.json(
        await act(c.get("caller").userId, id, {
          command: { type: "answer_cancellation", accept: c.req.valid("json").accept },
          requestId,
        }),
      );
    },
  );

  app.post(
    "/api/v1/orders/:id/extension-requests",
    pathParams(idParam),
    jsonBody(extensionBody),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(
        await act(c.get("caller").userId, c.req.valid("param").id, {
          command: { type: "request_extension", days: body.days },
          reason: body.reason,
        }, (applied) => ({ requestId: applied.createdId })),
        201,
      );
    },
  );

  app.post(
    "/api/v1/orders/:id/extension-requests/:requestId/answer",
    pathParams(requestParam),
    jsonBody(extensionAnswer),
    async (c) => {
      const { id, requestId } = c.req.valid("param");
      return c.json(
        await act(c.get("caller").userId, id, {
          command: { type: "answer_extension", approve: c.req.valid("json").approve },
          requestId,
        }),
      );
    },
  );

  // ------------------------------------------------------------ payments

  if (payments.mode === "stripe") {
    app.post("/api/v1/payments/stripe/webhook", async (c) => {
      // The raw text, byte for byte: the signature covers exactly what Stripe sent.
      const result = await handleStripeWebhook(
        { sql, payments, transitions, settlement, log },
        await c.req.text(),
        c.req.header("stripe-signature"),
      );
      return c.json(result);
    });
  } else {
    app.post(
      "/api/v1/payments/local-test/:id/succeed",
      pathParams(idParam),
      async (c) => {
        const orderId = c.req.valid("param").id;
        const userId = c.get("caller").userId;
        const outcome = await sql.begin(async (tx) => {
          const order = await store.lockOrder(tx, orderId);
          const party = order && partyOf(order, userId);
          if (!order || !party) throw orderNotFound();
          if (party !== "buyer") {
            throw new AppError(403, "wrong_party", "Only the buyer pays for an order.");
          }
          return await paymentSucceeded(tx, transitions, order);
        });
        if (outcome.refundQueued) await refundNow(orderId);
        return c.json({
          localTest: true,
          result: outcome.result,
          order: await viewOrder(orderId, userId),
        });
      },
    );
  }

  // ------------------------------------------------------------ sellers' money

  app.get("/api/v1/sellers/me/balance", queryParams(balanceQuery), async (c) => {
    const sellerId = c.get("caller").userId;
    const { page = 1, limit = 20 } = c.req.valid("query");
    const [balances, entries, payouts, account] = await Promise.all([
      store.sellerBalances(sql, sellerId),
      store.sellerEntries(sql, sellerId, page, limit),
      store.recentPayouts(sql, sellerId),
      store.findPaymentAccount(sql, sellerId),
    ]);
    c.header("cache-control", "private, no-store");
    return c.json({
      balances,
      entries: {
        items: entries.items.map((e) => ({ ...e, at: e.at.toISOString() })),
        page,
        limit,
        total: entries.total,
      },
      payouts: payouts.map(payoutView),
      paymentAccount: { connected: account !== undefined },
    });
  });

  app.post("/api/v1/sellers/me/payouts", jsonBody(payoutBody), async (c) => {
    const payout = await requestPayout(settlement, c.get("caller").userId, c.req.valid("json"));
    return c.json({ payout: payoutView(payout) }, 201);
  });

  app.get("/api/v1/sellers/me/payment-account", async (c) => {
    const account = await store.findPaymentAccount(sql, c.get("caller").userId);
    return c.json({
      connected: account !== undefined,
      provider: account?.provider ?? null,
      accountId: account?.accountId ?? null,
    });
  });

  app.post("/api/v1/sellers/me/payment-account", async (c) => {
    const sellerId = c.get("caller").userId;
    if (!await store.isKnownSeller(sql, sellerId)) {
      throw new AppError(
        403,
        "not_a_seller",
        "Only sellers with a gig can connect a payout account.",
      );
    }
    try {
      return c.json(await startOnboarding(settlement, sellerId), 201);
    } catch (error) {
      if (error instanceof AppError) throw error;
      log.warn("onboarding failed", { error });
      throw new AppError(
        502,
        "payment_provider_error",
        "The payment provider did not answer; try again.",
      );
    }
  });

  return { app, drain };
}

function payoutView(payout: store.Payout) {
  return {
    id: payout.id,
    amount: { amount: payout.amount, currency: payout.currency },
    status: payout.status,
    transferId: payout.providerTransferId,
    error: payout.status === "failed" ? payout.lastError : null,
    createdAt: payout.createdAt.toISOString(),
  };
}
