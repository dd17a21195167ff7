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
import { createRoute } from "@hono/zod-openapi";
import { pageParams } from "@mp/shared/paging";
import { z } from "zod";
import type { Sql, Tx } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import { type Committed, idempotentJson } from "@mp/shared/idempotency";
import { type AuthVariables, requireAuth, type TokenVerifier } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { AppError } from "@mp/shared/problem";
import { publicHttpsUrl } from "@mp/shared/public_link";
import { idempotencyKeyHeader } from "@mp/shared/api_schemas";
import { paragraph } from "@mp/shared/text";
import { requireOwnedMedia } from "@mp/shared/media_refs";
import {
  apiRoute,
  jsonRequest,
  jsonResponse,
  problemResponse,
  serveOpenApi,
  untypedAnswer,
} from "@mp/shared/openapi";
import {
  LocalTestPayment,
  orderAnswer,
  OrderDetail,
  OrderPage,
  PaymentAccount,
  PaymentAccountOnboarding,
  PayoutAnswer,
  SellerBalance,
  StripeWebhookAnswer,
} from "./api_schemas.ts";
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
  fileMediaIds: z.array(z.uuid({ message: "Must be a media id (UUID)." })).max(20)
    .refine((ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length, {
      message: "Each file once.",
    })
    .default([])
    .meta({
      description: "Files the seller uploaded with purpose `delivery` (POST /api/v1/uploads, " +
        "then complete); the buyer may download them once the order is delivered.",
    }),
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

const tags = ["orders"];
const moneyTags = ["seller money"];

const optionalKey = [idempotencyKeyHeader(false)];

const conflict = (codes: string) =>
  problemResponse(409, `${codes}, or \`idempotency_key_in_use\` (\`Retry-After: 1\`).`);
const keyInUse = problemResponse(
  409,
  "`idempotency_key_in_use`: a request with this Idempotency-Key is still running " +
    "(`Retry-After: 1`).",
);
const keyReused = problemResponse(
  422,
  "`idempotency_key_reused`: the Idempotency-Key was used for another route or body.",
);
const noOrder = problemResponse(404, "`not_found`: no such order, or the caller is not its party.");
const wrongParty = problemResponse(403, "`wrong_party`: the other party does this.");
const illegal = "`illegal_transition` (the status does not allow it; `currentStatus` names it)";
const answers = {
  order: orderAnswer("OrderAnswer", {}),
  delivery: orderAnswer("OrderDeliveryAnswer", {
    deliveryId: z.uuid().meta({ description: "The new delivery." }),
  }),
  revision: orderAnswer("OrderRevisionAnswer", {
    revisionRequestId: z.uuid().meta({ description: "The new revision request." }),
  }),
  request: orderAnswer("OrderRequestAnswer", {
    requestId: z.uuid().meta({ description: "The new request; answer it by this id." }),
  }),
};

// What every action on an order shares: POST, bearer, an optional Idempotency-Key.
const action = { method: "post" as const, tags, bearer: true, parameters: optionalKey };
/** The problem answers of an action; `conflicts` names its own 409 codes. */
const onOrder = (conflicts: string) => ({
  403: wrongParty,
  404: noOrder,
  409: conflict(conflicts),
  422: keyReused,
});

const routes = {
  place: apiRoute({
    method: "post",
    path: "/api/v1/orders",
    tags,
    summary: "Place an order for a gig's package (the buyer then pays it)",
    description: "Prices the order from the gig as the orders service knows it and creates the " +
      "payment (a Stripe PaymentIntent): confirm it with Stripe.js and `payment.clientSecret` " +
      "(in local test mode, POST `payment.localTest.succeedPath`).",
    bearer: true,
    problems: [413],
    parameters: [idempotencyKeyHeader(true)],
    request: { body: jsonRequest(placeOrderBody) },
    responses: {
      201: jsonResponse(OrderDetail, "The order, `pending_payment`; `Location` names it."),
      403: problemResponse(403, "`own_gig`: a seller cannot order their own gig."),
      404: problemResponse(404, "`gig_not_found`: no such gig, or it was deleted."),
      409: conflict("`gig_paused`: the seller paused the gig"),
      422: problemResponse(
        422,
        "`idempotency_key_reused`: the Idempotency-Key was used for another request.",
      ),
      502: problemResponse(
        502,
        "`payment_provider_error`: the payment could not be created; nothing was kept. Retry " +
          "with the same Idempotency-Key.",
      ),
    },
  }),
  list: apiRoute({
    method: "get",
    path: "/api/v1/orders",
    tags,
    summary: "The caller's orders, as buyer and as seller",
    description: "`role` keeps one side; `status`: `active` (neither completed nor cancelled), " +
      "`completed` or `cancelled`. Newest first.",
    bearer: true,
    request: { query: listQuery },
    responses: { 200: jsonResponse(OrderPage, "One page of orders.") },
  }),
  get: apiRoute({
    method: "get",
    path: "/api/v1/orders/{id}",
    tags,
    summary: "One order with its history, as the caller's party sees it",
    bearer: true,
    request: { params: idParam },
    responses: { 200: jsonResponse(OrderDetail, "The order."), 404: noOrder },
  }),
  deliver: apiRoute({
    ...action,
    path: "/api/v1/orders/{id}/deliveries",
    summary: "Deliver the work (seller; from in_progress or in_revision)",
    problems: [413],
    request: { params: idParam, body: jsonRequest(deliverBody) },
    responses: {
      201: jsonResponse(answers.delivery, "`{deliveryId, order}`: the order is `delivered`."),
      ...onOrder(illegal),
    },
  }),
  revise: apiRoute({
    ...action,
    path: "/api/v1/orders/{id}/revisions",
    summary: "Ask for a revision of a delivery (buyer; uses one included revision)",
    problems: [413],
    request: { params: idParam, body: jsonRequest(revisionBody) },
    responses: {
      201: jsonResponse(
        answers.revision,
        "`{revisionRequestId, order}`: the order is `in_revision`.",
      ),
      ...onOrder(`${illegal}, \`no_revisions_left\``),
    },
  }),
  accept: apiRoute({
    ...action,
    path: "/api/v1/orders/{id}/accept",
    summary: "Accept the delivery (buyer): the order completes and the seller is paid",
    request: { params: idParam },
    responses: {
      200: jsonResponse(answers.order, "`{order}`: the order is `completed`."),
      ...onOrder(illegal),
    },
  }),
  cancel: apiRoute({
    ...action,
    path: "/api/v1/orders/{id}/cancel",
    summary: "Cancel alone (buyer): abandon an unpaid order, or cancel a late one (refunded)",
    problems: [413],
    request: { params: idParam, body: jsonRequest(cancelBody) },
    responses: {
      200: jsonResponse(answers.order, "`{order}`: the order is `cancelled`."),
      ...onOrder(`${illegal}, \`not_late\` (in progress and not late: ask to cancel instead)`),
    },
  }),
  requestCancellation: apiRoute({
    ...action,
    path: "/api/v1/orders/{id}/cancellation-requests",
    summary: "Ask the other party to cancel (buyer or seller; one open request at a time)",
    problems: [413],
    request: { params: idParam, body: jsonRequest(reasonBody) },
    responses: {
      201: jsonResponse(answers.request, "`{requestId, order}`: the request is open."),
      ...onOrder(`${illegal}, \`cancellation_pending\``),
    },
  }),
  answerCancellation: apiRoute({
    ...action,
    path: "/api/v1/orders/{id}/cancellation-requests/{requestId}/answer",
    summary: "Answer the other party's cancellation request (accepting cancels and refunds)",
    problems: [413],
    request: { params: requestParam, body: jsonRequest(cancellationAnswer) },
    responses: {
      200: jsonResponse(answers.order, "`{order}` after the answer."),
      ...onOrder(`${illegal}, \`request_not_open\` (answered or withdrawn)`),
    },
  }),
  requestExtension: apiRoute({
    ...action,
    path: "/api/v1/orders/{id}/extension-requests",
    summary: "Ask the buyer for more days (seller; one open request at a time)",
    problems: [413],
    request: { params: idParam, body: jsonRequest(extensionBody) },
    responses: {
      201: jsonResponse(answers.request, "`{requestId, order}`: the request is open."),
      ...onOrder(`${illegal}, \`extension_pending\``),
    },
  }),
  answerExtension: apiRoute({
    ...action,
    path: "/api/v1/orders/{id}/extension-requests/{requestId}/answer",
    summary: "Answer the seller's extension request (buyer; approving moves `dueAt`)",
    problems: [413],
    request: { params: requestParam, body: jsonRequest(extensionAnswer) },
    responses: {
      200: jsonResponse(answers.order, "`{order}` after the answer."),
      ...onOrder(`${illegal}, \`request_not_open\` (answered or withdrawn)`),
    },
  }),
  localTestSucceed: apiRoute({
    method: "post",
    path: "/api/v1/payments/local-test/{id}/succeed",
    tags: ["payments"],
    summary: "Pay an order in local test mode (buyer; no money moves)",
    description: "Only when the service runs in local test payment mode: makes the transition a " +
      "verified `payment_intent.succeeded` webhook makes.",
    bearer: true,
    parameters: optionalKey,
    request: { params: idParam },
    responses: {
      200: jsonResponse(LocalTestPayment, "What the payment did, and the order."),
      403: problemResponse(403, "`wrong_party`: only the buyer pays."),
      404: noOrder,
      409: keyInUse,
      422: keyReused,
    },
  }),
  balance: apiRoute({
    method: "get",
    path: "/api/v1/sellers/me/balance",
    tags: moneyTags,
    summary: "The caller's balances, balance movements and recent payouts",
    bearer: true,
    request: { query: balanceQuery },
    responses: { 200: jsonResponse(SellerBalance, "The seller's money (minor units).") },
  }),
  payout: apiRoute({
    method: "post",
    path: "/api/v1/sellers/me/payouts",
    tags: moneyTags,
    summary: "Withdraw available earnings to the connected payout account",
    description: "Without `amount`, the whole available balance of `currency` (minor units).",
    bearer: true,
    problems: [413],
    parameters: optionalKey,
    request: { body: jsonRequest(payoutBody) },
    responses: {
      201: jsonResponse(
        PayoutAnswer,
        "`{payout}`: `paid`, `pending` while the provider is unreachable (retried), or `failed` " +
          "with the amount available again.",
      ),
      409: conflict(
        "`no_payment_account` (connect one first), `insufficient_balance` (`available` says " +
          "how much there is)",
      ),
      422: keyReused,
    },
  }),
  paymentAccount: apiRoute({
    method: "get",
    path: "/api/v1/sellers/me/payment-account",
    tags: moneyTags,
    summary: "The caller's payout account",
    bearer: true,
    responses: { 200: jsonResponse(PaymentAccount, "Whether one is connected, and which.") },
  }),
  connectAccount: apiRoute({
    method: "post",
    path: "/api/v1/sellers/me/payment-account",
    tags: moneyTags,
    summary: "Connect a payout account (sellers with a gig): a fresh onboarding link",
    description: "Creates the connected account at the provider once; each call returns a new " +
      "onboarding link for it.",
    bearer: true,
    problems: [400],
    parameters: optionalKey,
    responses: {
      201: jsonResponse(PaymentAccountOnboarding, "The account and where to finish onboarding."),
      403: problemResponse(403, "`not_a_seller`: only sellers with a gig connect an account."),
      409: keyInUse,
      422: keyReused,
      502: problemResponse(502, "`payment_provider_error`: the provider did not answer; retry."),
    },
  }),
  // Not apiRoute: its checks would parse the body as JSON, and Hono would then hand
  // the handler re-serialised text, which breaks Stripe's signature over the raw bytes.
  stripeWebhook: createRoute({
    method: "post",
    path: "/api/v1/payments/stripe/webhook",
    tags: ["payments"],
    summary: "Stripe webhook (Stripe only; verified by its signature, no bearer token)",
    description: "The raw body is verified byte for byte with `Stripe-Signature` (HMAC, 300 s " +
      "tolerance), at most 256 KiB. `payment_intent.succeeded`, `payment_intent.payment_failed` " +
      "and `charge.refunded` move orders; other types, and PaymentIntents that are no order's, " +
      "are acknowledged and ignored. A delivery handled before answers `duplicate`. Only when " +
      "the service runs in `stripe` payment mode.",
    parameters: [{
      name: "Stripe-Signature",
      in: "header" as const,
      required: true,
      schema: { type: "string" as const },
      description: "Stripe's signature header (`t=…,v1=…`).",
    }],
    request: {
      body: {
        required: true,
        description:
          "A Stripe Event, as Stripe sends it (not parsed before its signature is checked).",
        content: {
          "application/json": {
            schema: { type: "object" as const, description: "A Stripe Event object." },
          },
        },
      },
    },
    responses: {
      200: jsonResponse(StripeWebhookAnswer, "Received (and applied, ignored or a duplicate)."),
      400: problemResponse(
        400,
        "`invalid_signature`: bad or missing signature, stale timestamp, or not an event; " +
          "nothing changed.",
      ),
      413: problemResponse(413),
      503: problemResponse(
        503,
        "`payment_provider_unavailable`: Stripe could not be asked; Stripe retries the delivery.",
      ),
    },
  }),
};

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
    // The store types request statuses and timeline kinds as text; the documented
    // enums are what it writes (the e2e contract check verifies real answers).
    const view = orderDetail(order, await store.loadHistory(db, orderId), role, now());
    return view as z.infer<typeof OrderDetail>;
  }

  /**
   * Runs `work` under the request's Idempotency-Key (the caller's scope). Its
   * answer is built outside `c.json`, hence `untypedAnswer`.
   */
  const idempotently = async (
    c: Ctx,
    body: unknown,
    work: (tx: Tx) => Promise<Committed>,
    required = false,
  ) =>
    untypedAnswer(
      await idempotentJson(c, { sql, log, scope: c.get("caller").userId, body, required }, work),
    );

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

  app.openapi(routes.place, async (c) => {
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

  app.openapi(routes.list, async (c) => {
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
    }, 200);
  });

  app.openapi(routes.get, async (c) => {
    c.header("cache-control", "private, no-store");
    return c.json(await viewOrder(c.req.valid("param").id, c.get("caller").userId), 200);
  });

  app.openapi(
    routes.deliver,
    async (c) => {
      const body = c.req.valid("json");
      // Before the transaction (it may wait briefly for a just-completed upload's
      // media.uploaded). Only the caller's own files pass; a caller who is not the
      // order's seller is refused by the transition, so nothing of theirs is stored.
      const refs = await requireOwnedMedia(
        sql,
        body.fileMediaIds,
        c.get("caller").userId,
        "delivery",
        "fileMediaIds",
      );
      return await act(
        c,
        c.req.valid("param").id,
        body,
        {
          command: { type: "deliver" },
          message: body.message,
          files: body.files,
          mediaFiles: refs.map((ref) => ({
            id: ref.id,
            name: ref.name,
            size: ref.size,
            contentType: ref.contentType,
          })),
        },
        201,
        (applied) => ({ deliveryId: applied.createdId }),
      );
    },
  );

  app.openapi(
    routes.revise,
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

  app.openapi(
    routes.accept,
    (c) => act(c, c.req.valid("param").id, null, { command: { type: "accept" } }),
  );

  app.openapi(
    routes.cancel,
    (c) => {
      const body = c.req.valid("json");
      return act(c, c.req.valid("param").id, body, {
        command: { type: "cancel" },
        reason: body.reason,
      });
    },
  );

  app.openapi(
    routes.requestCancellation,
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

  app.openapi(
    routes.answerCancellation,
    (c) => {
      const { id, requestId } = c.req.valid("param");
      const body = c.req.valid("json");
      return act(c, id, body, {
        command: { type: "answer_cancellation", accept: body.accept },
        requestId,
      });
    },
  );

  app.openapi(
    routes.requestExtension,
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

  app.openapi(
    routes.answerExtension,
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
    app.openapi(routes.stripeWebhook, async (c) => {
      // The raw text, byte for byte: the signature covers exactly what Stripe sent.
      const result = await handleStripeWebhook(
        { sql, payments, transitions, settlement, log },
        await c.req.text(),
        c.req.header("stripe-signature"),
      );
      return c.json(result, 200);
    });
  } else {
    app.openapi(
      routes.localTestSucceed,
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

  app.openapi(routes.balance, async (c) => {
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
        // Only these postings touch a seller's accounts (ledger.ts); the store types kinds as text.
        items: entries.items.map((e) => ({
          ...e,
          kind: e.kind as "release" | "clear" | "payout" | "payout_reversal",
          at: e.at.toISOString(),
        })),
        page,
        limit,
        total: entries.total,
      },
      payouts: payouts.map(payoutView),
      paymentAccount: { connected: account !== undefined },
    }, 200);
  });

  app.openapi(routes.payout, (c) => {
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

  app.openapi(routes.paymentAccount, async (c) => {
    const account = await store.findPaymentAccount(sql, c.get("caller").userId);
    return c.json({
      connected: account !== undefined,
      provider: account?.provider ?? null,
      accountId: account?.accountId ?? null,
    }, 200);
  });

  app.openapi(routes.connectAccount, (c) => {
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

  serveOpenApi(app, {
    title: "Orders",
    description: "Orders and their lifecycle, payments, and sellers' balances and payouts. " +
      "Money is `{amount, currency}`: integer minor units of an ISO 4217 currency.",
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
