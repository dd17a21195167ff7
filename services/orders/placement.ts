/**
 * Placing an order: `POST /api/v1/orders` with a required `Idempotency-Key`.
 *
 * The price, currency, delivery days and revisions come from the gig replica,
 * never from the request (whose body has no price field to tamper with). The
 * route runs `placeOrder` under shared/idempotency.ts, so the key's record
 * (with the answer), the PaymentIntent, the order and `order.created` are made
 * in one transaction: a duplicate while it runs is a 409, a retry afterwards
 * gets the first answer, the same key with another body is a 422. The
 * PaymentIntent carries the provider's idempotency key `order-<order id>`.
 * If the provider fails, everything rolls back, the key included, and the
 * client retries with the same key.
 */
import type { Tx } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { AppError, errors, type FieldError } from "@mp/shared/problem";
import { line, paragraph } from "@mp/shared/text";
import { z } from "zod";
import { type FeeSchedule, quote } from "./money.ts";
import { PaymentProviderError, type Payments } from "./payments.ts";
import { findGig, type GigRequirement } from "./store_gigs.ts";
import { recordNewOrder } from "./new_order.ts";
import {
  findIdempotencyKey,
  findOrder,
  type Order,
  type RequirementAnswer,
} from "./store_orders.ts";

/** Longest answer to one requirement question. */
export const MAX_ANSWER_LENGTH = 5_000;

/** Body of `POST /api/v1/orders`: no price, no currency, nothing but the choice. */
export const placeOrderBody = z.strictObject({
  gigId: z.uuid({ message: "Must be a gig id (UUID)." }),
  package: z.enum(["basic", "standard", "premium"]),
  requirements: z.array(z.strictObject({
    questionId: line(100),
    answer: paragraph(MAX_ANSWER_LENGTH),
  })).max(20).default([]),
});

/** A validated order request. */
export type PlaceOrderInput = z.infer<typeof placeOrderBody>;

/** What placing an order needs. */
export interface PlacementDeps {
  payments: Payments;
  fees: FeeSchedule;
  log: Logger;
  now: () => Date;
}

const keyReused = () =>
  new AppError(
    422,
    "idempotency_key_reused",
    "This Idempotency-Key was used with a different request; use a new key for a new order.",
  );

/**
 * The request in a canonical form (answers in any order are the same request):
 * what the Idempotency-Key's fingerprint is taken of.
 */
export function canonicalRequest(input: PlaceOrderInput) {
  return {
    gigId: input.gigId.toLowerCase(),
    package: input.package,
    requirements: [...input.requirements]
      .sort((a, b) => a.questionId < b.questionId ? -1 : a.questionId > b.questionId ? 1 : 0)
      .map((r) => [r.questionId, r.answer]),
  };
}

/**
 * SHA-256 (hex) of the canonical request, as keys made before shared/idempotency.ts
 * recorded it (`idempotency_keys`, read-only now; see migration 002).
 */
export async function legacyRequestHash(input: PlaceOrderInput): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(canonicalRequest(input)));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks the answers against the gig's questions: each answer names a question
 * of the gig once, a choice answer is one of its choices, and every required
 * question is answered. Returns the answers with their questions, in the
 * gig's order.
 * @throws AppError 400 listing every problem.
 */
export function checkAnswers(
  questions: GigRequirement[],
  answers: PlaceOrderInput["requirements"],
): RequirementAnswer[] {
  const problems: FieldError[] = [];
  const given = new Map<string, string>();
  answers.forEach((a, index) => {
    const question = questions.find((q) => q.id === a.questionId);
    if (!question) {
      problems.push({
        pointer: `/requirements/${index}/questionId`,
        detail: "Not a question of this gig.",
      });
    } else if (given.has(a.questionId)) {
      problems.push({ pointer: `/requirements/${index}/questionId`, detail: "Answered twice." });
    } else if (question.type === "choice" && !(question.choices ?? []).includes(a.answer)) {
      problems.push({
        pointer: `/requirements/${index}/answer`,
        detail: `Must be one of: ${(question.choices ?? []).join(", ")}.`,
      });
    }
    given.set(a.questionId, a.answer);
  });
  for (const q of questions) {
    if (q.required && !given.has(q.id)) {
      problems.push({
        pointer: "/requirements",
        detail: `Answer the required question ${q.id}: "${q.question.slice(0, 80)}".`,
      });
    }
  }
  if (problems.length > 0) throw errors.validation(problems, "Some requirement answers are wrong.");
  return questions.filter((q) => given.has(q.id)).map((q) => ({
    questionId: q.id,
    question: q.question,
    answer: given.get(q.id)!,
  }));
}

/**
 * Places an order for `buyerId` in `tx` (the route's idempotent transaction).
 * A key recorded before shared/idempotency.ts existed returns its order.
 * @throws AppError 404 `gig_not_found`, 403 `own_gig`, 409 `gig_paused`,
 *   400 (package, answers), 422 `idempotency_key_reused`, 502 `payment_provider_error`.
 */
export async function placeOrder(
  deps: PlacementDeps,
  tx: Tx,
  buyerId: string,
  key: string,
  input: PlaceOrderInput,
): Promise<Order> {
  const { payments, fees, log } = deps;
  const legacy = await findIdempotencyKey(tx, buyerId, key);
  if (legacy) {
    if (legacy.requestHash !== await legacyRequestHash(input)) throw keyReused();
    return (await findOrder(tx, legacy.orderId))!;
  }

  const gig = await findGig(tx, input.gigId);
  if (!gig || gig.status === "deleted") {
    throw new AppError(404, "gig_not_found", "No such gig, or it can no longer be ordered.");
  }
  if (gig.sellerId === buyerId) {
    throw new AppError(403, "own_gig", "You cannot order your own gig.");
  }
  if (gig.status !== "active") {
    throw new AppError(
      409,
      "gig_paused",
      "The seller has paused this gig; it cannot be ordered now.",
    );
  }
  const pkg = gig.packages.find((p) => p.tier === input.package);
  if (!pkg) {
    throw errors.validation([{
      pointer: "/package",
      detail: `This gig has no ${input.package} package.`,
    }]);
  }
  const requirements = checkAnswers(gig.requirements, input.requirements);
  const priced = quote(pkg.price, fees);
  const orderId = crypto.randomUUID();

  let intent;
  try {
    intent = await payments.createPaymentIntent({
      orderId,
      buyerId,
      gigId: gig.gigId,
      description: `Order ${orderId}: ${gig.title}`.slice(0, 1000),
      amount: priced.total,
      currency: priced.currency,
      idempotencyKey: `order-${orderId}`,
    });
  } catch (error) {
    log.warn("could not create a PaymentIntent", { orderId, error });
    throw new AppError(
      502,
      "payment_provider_error",
      "The payment provider did not answer; try again with the same Idempotency-Key.",
      { retryable: !(error instanceof PaymentProviderError) || error.retryable },
    );
  }
  return await recordNewOrder(tx, {
    orderId,
    gig,
    buyerId,
    package: {
      tier: pkg.tier,
      name: pkg.name,
      description: pkg.description,
      deliveryDays: pkg.deliveryDays,
      revisions: pkg.revisions,
      features: pkg.features,
    },
    requirements,
    priced,
    intent,
    paymentProvider: payments.mode,
    now: deps.now(),
    offerId: null,
  });
}
