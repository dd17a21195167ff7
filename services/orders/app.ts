/**
 * Routes of the orders service (reached only through the gateway). Everything
 * needs a bearer token except the Stripe webhook, which is verified by its
 * signature instead. Only the buyer and the seller of an order see it or act on
 * it: anyone else gets 404, exactly as for an unknown id; the wrong party for
 * an action gets 403 and an illegal move 409 naming the current status.
 *
 * Every state-changing POST runs under shared/idempotency.ts: the change and
 * its answer commit in one transaction, so an `Idempotency-Key` retry gets the
 * first answer, and no database read follows the commit. A provider call
 * (refund, payout) runs after the commit and refines the stored answer.
 */
import type { Context } from "hono";
import { pageParams } from "@mp/shared/paging";
import { z } from "zod";
import type { Sql, Tx } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import { type Committed, idempotentJson } from "@mp/shared/idempotency";
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
import { canonicalRequest, placeOrder, placeOrderBody } from "./placement.ts";
import {
  recordPayout,
  type SettlementDeps,
  startOnboarding,
  submitPayout,
  submitRefund,
} from "./settlement.ts";
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

const pageQuery = pageParams({ maxPage: MAX_PAGE, maxLimit: MAX_LIMIT });
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

// The route context as createServiceApp types it.
type Ctx = Context<{ Variables: AuthVariables & { requestId: string } }>;

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
    maxBodyBytes: MAX_BODY_BYTES,
    largerBodies: { "/api/v1/payments/stripe/webhook": MAX_WEBHOOK_BYTES },
  });
  const transitions = { sql, settings, log, now };
  const settlement: SettlementDeps = { sql, payments, log, now, publicUrl };
  const auth = requireAuth(verifier);

  for (const path of ["/api/v1/orders", "/api/v1/orders/*", "/api/v1/sellers/*"]) {
    app.use(path, auth);
  }
  app.use("/api/v1/payments/local-test/*", auth);

  /** The order as `userId` sees it, or 404; read in `db` (the change's transaction). */
  async function viewOrder(orderId: string, userId: string, db: Sql | Tx = sql) {
    const order = await store.findOrder(db, orderId);
    const role = order && partyOf(order, userId);
    if (!order || !role) throw orderNotFound();
    return orderDetail(order, await store.loadHistory(db, orderId), role, now());
  }

  /** Runs `work` under the request's Idempotency-Key (the caller's scope). */
  const idempotently = (
    c: Ctx,
    body: unknown,
    work: (tx: Tx) => Promise<Committed>,
    required = false,
  ) => idempotentJson(c, { sql, log, scope: c.get("caller").userId, body, required }, work);

  /**
   * Applies a command as the caller and answers with the order, in one
   * transaction. A refund it queued is submitted after the commit; the answer
   * then shows it.
   */
  function act(
    c: Ctx,
    orderId: string,
    body: unknown,
    input: CommandInput,
    status: 200 | 201 = 200,
    extra: (applied: Applied) => Record<string, unknown> = () => ({}),
  ) {
    const userId = c.get("caller").userId;
    return idempotently(c, body, async (tx) => {
      const applied = await actOnOrder(tx, transitions, orderId, userId, input);
      const answer = async (db: Sql | Tx) => ({
        status,
        body: { ...extra(applied), order: await viewOrder(orderId, userId, db) },
      });
      return {
        ...await answer(tx),
        afterCommit: applied.refundQueued
          ? async () => {
            await refundNow(orderId);
            return await answer(sql);
          }
          : undefined,
      };
    });
  }

  /** Submits a queued refund at once; on failure the scheduler retries it. */
  async function refundNow(orderId: string) {
    await submitRefund(settlement, orderId).catch((error) =>
      log.warn("refund submission failed, the scheduler retries", { orderId, error })
    );
  }

  // ------------------------------------------------------------ orders

  app.post("/api/v1/orders", jsonBody(placeOrderBody), async (c) => {
    const buyerId = c.get("caller").userId;
    const input = c.req.valid("json");
    // The key is required here: a retried placement must never make a second order.
    return await idempotently(c, canonicalRequest(input), async (tx) => {
      const order = await placeOrder(
        { payments, fees, log, now },
        tx,
        buyerId,
        c.req.header("idempotency-key")!,
        input,
      );
      return {
        status: 201,
        body: await viewOrder(order.id, buyerId, tx),
        headers: { location: `/api/v1/orders/${order.id}` },
      };
    }, true);
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
    (c) => {
      const body = c.req.valid("json");
      return act(
        c,
        c.req.valid("param").id,
        body,
        {
          command: { type: "deliver" },
          message: body.message,
          files: body.files,
        },
        201,
        (applied) => ({ deliveryId: applied.createdId }),
      );
    },
  );

  app.post(
    "/api/v1/orders/:id/revisions",
    pathParams(idParam),
    jsonBody(revisionBody),
    (c) => {
      const body = c.req.valid("json");
      return act(
        c,
        c.req.valid("param").id,
        body,
        {
          command: { type: "request_revision" },
          message: body.message,
        },
        201,
        (applied) => ({ revisionRequestId: applied.createdId }),
      );
    },
  );

  app.post(
    "/api/v1/orders/:id/accept",
    pathParams(idParam),
    (c) => act(c, c.req.valid("param").id, null, { command: { type: "accept" } }),
  );

  app.post(
    "/api/v1/orders/:id/cancel",
    pathParams(idParam),
    jsonBody(cancelBody),
    (c) => {
      const body = c.req.valid("json");
      return act(c, c.req.valid("param").id, body, {
        command: { type: "cancel" },
        reason: body.reason,
      });
    },
  );

  app.post(
    "/api/v1/orders/:id/cancellation-requests",
    pathParams(idParam),
    jsonBody(reasonBody),
    (c) => {
      const body = c.req.valid("json");
      return act(
        c,
        c.req.valid("param").id,
        body,
        {
          command: { type: "request_cancellation" },
          reason: body.reason,
        },
        201,
        (applied) => ({ requestId: applied.createdId }),
      );
    },
  );

  app.post(
    "/api/v1/orders/:id/cancellation-requests/:requestId/answer",
    pathParams(requestParam),
    jsonBody(cancellationAnswer),
    (c) => {
      const { id, requestId } = c.req.valid("param");
      const body = c.req.valid("json");
      return act(c, id, body, {
        command: { type: "answer_cancellation", accept: body.accept },
        requestId,
      });
    },
  );

  app.post(
    "/api/v1/orders/:id/extension-requests",
    pathParams(idParam),
    jsonBody(extensionBody),
    (c) => {
      const body = c.req.valid("json");
      return act(
        c,
        c.req.valid("param").id,
        body,
        {
          command: { type: "request_extension", days: body.days },
          reason: body.reason,
        },
        201,
        (applied) => ({ requestId: applied.createdId }),
      );
    },
  );

  app.post(
    "/api/v1/orders/:id/extension-requests/:requestId/answer",
    pathParams(requestParam),
    jsonBody(extensionAnswer),
    (c) => {
      const { id, requestId } = c.req.valid("param");
      const body = c.req.valid("json");
      return act(c, id, body, {
        command: { type: "answer_extension", approve: body.approve },
        requestId,
      });
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
      (c) => {
        const orderId = c.req.valid("param").id;
        const userId = c.get("caller").userId;
        return idempotently(c, null, async (tx) => {
          const order = await store.lockOrder(tx, orderId);
          const party = order && partyOf(order, userId);
          if (!order || !party) throw orderNotFound();
          if (party !== "buyer") {
            throw new AppError(403, "wrong_party", "Only the buyer pays for an order.");
          }
          const outcome = await paymentSucceeded(tx, transitions, order);
          const answer = async (db: Sql | Tx) => ({
            status: 200 as const,
            body: {
              localTest: true,
              result: outcome.result,
              order: await viewOrder(orderId, userId, db),
            },
          });
          return {
            ...await answer(tx),
            afterCommit: outcome.refundQueued
              ? async () => {
                await refundNow(orderId);
                return await answer(sql);
              }
              : undefined,
          };
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

  app.post("/api/v1/sellers/me/payouts", jsonBody(payoutBody), (c) => {
    const input = c.req.valid("json");
    return idempotently(c, input, async (tx) => {
      const payoutId = await recordPayout(tx, now(), c.get("caller").userId, input);
      const answer = async (db: Sql | Tx) => ({
        status: 201 as const,
        body: { payout: payoutView((await store.findPayout(db, payoutId))!) },
      });
      return {
        ...await answer(tx),
        // The transfer goes after the commit; the answer then says how it went.
        afterCommit: async () => {
          await submitPayout(settlement, payoutId).catch((error) =>
            log.warn("payout submission failed, the scheduler retries", { payoutId, error })
          );
          return await answer(sql);
        },
      };
    });
  });

  app.get("/api/v1/sellers/me/payment-account", async (c) => {
    const account = await store.findPaymentAccount(sql, c.get("caller").userId);
    return c.json({
      connected: account !== undefined,
      provider: account?.provider ?? null,
      accountId: account?.accountId ?? null,
    });
  });

  app.post("/api/v1/sellers/me/payment-account", (c) => {
    const sellerId = c.get("caller").userId;
    return idempotently(c, null, async (tx) => {
      if (!await store.isKnownSeller(tx, sellerId)) {
        throw new AppError(
          403,
          "not_a_seller",
          "Only sellers with a gig can connect a payout account.",
        );
      }
      try {
        return { status: 201, body: await startOnboarding(settlement, sellerId, tx) };
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
