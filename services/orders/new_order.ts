/**
 * Records a new order awaiting payment, the one way both placement (a gig's
 * package) and an accepted custom offer do it: the order row, its `placed`
 * timeline entry and `order.created`, all in the caller's transaction.
 */
import { afterCommit, type Tx } from "@mp/shared/db";
import { publish } from "./events.ts";
import { orderStatusChanges } from "./metrics.ts";
import type { Quote } from "./money.ts";
import type { CreatedPaymentIntent, Payments } from "./payments.ts";
import type { ReplicaGig } from "./store_gigs.ts";
import { addTimeline } from "./store_history.ts";
import {
  insertOrder,
  type Order,
  type OrderedPackage,
  type RequirementAnswer,
} from "./store_orders.ts";

/** What a new order is made of. */
export interface NewOrder {
  orderId: string;
  gig: Pick<ReplicaGig, "gigId" | "sellerId" | "title">;
  buyerId: string;
  /** The package as ordered (a snapshot: the gig may change later). */
  package: OrderedPackage;
  requirements: RequirementAnswer[];
  priced: Quote;
  intent: CreatedPaymentIntent;
  paymentProvider: Payments["mode"];
  now: Date;
  /** The custom offer it comes from; null for a gig's package. */
  offerId: string | null;
}

/** Inserts the order (`pending_payment`), its timeline entry and `order.created`. */
export async function recordNewOrder(tx: Tx, input: NewOrder): Promise<Order> {
  const { orderId, gig, buyerId, priced, now, offerId } = input;
  const order: Order = {
    id: orderId,
    gigId: gig.gigId,
    buyerId,
    sellerId: gig.sellerId,
    gigTitle: gig.title,
    tier: input.package.tier,
    package: input.package,
    requirements: input.requirements,
    currency: priced.currency,
    price: priced.price,
    serviceFee: priced.serviceFee,
    total: priced.total,
    commission: priced.commission,
    sellerEarnings: priced.sellerEarnings,
    deliveryDays: input.package.deliveryDays,
    revisionsIncluded: input.package.revisions,
    revisionsUsed: 0,
    extensionDays: 0,
    status: "pending_payment",
    createdAt: now,
    paidAt: null,
    dueAt: null,
    deliveredAt: null,
    autoCompleteAt: null,
    completedAt: null,
    completedBy: null,
    cancelledAt: null,
    cancelledBy: null,
    cancelReason: null,
    paymentProvider: input.paymentProvider,
    paymentIntentId: input.intent.id,
    paymentClientSecret: input.intent.clientSecret,
    paymentStatus: "requires_payment",
    paymentError: null,
    offerId,
  };
  await insertOrder(tx, order);
  afterCommit(tx, () => orderStatusChanges.inc({ from: "none", to: order.status }));
  const money = (amount: number) => ({ amount, currency: priced.currency });
  await addTimeline(tx, {
    orderId,
    at: now,
    kind: "placed",
    actor: "buyer",
    from: null,
    to: "pending_payment",
    details: {
      package: order.tier,
      total: money(priced.total),
      ...(offerId ? { offerId } : {}),
    },
  });
  await publish(tx, "order.created", {
    orderId,
    gigId: gig.gigId,
    buyerId,
    sellerId: gig.sellerId,
    package: order.tier,
    gigTitle: gig.title,
    price: money(priced.price),
    serviceFee: money(priced.serviceFee),
    total: money(priced.total),
    createdAt: now.toISOString(),
    offerId,
  });
  return order;
}
