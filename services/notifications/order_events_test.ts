/**
 * Who is told what about each order and review event, as pure functions of the
 * event data: recipients, in-app types and links, what the schemas accept, and
 * that a mail parked as JSON renders exactly as it would have at once.
 */
import assert from "node:assert/strict";
import type { EventEnvelope } from "@mp/shared/bus";
import { CONSUMED_EVENTS } from "./events.ts";
import { type Notice, ORDER_EVENTS } from "./order_events.ts";
import {
  orderEvents,
  PUBLIC_URL,
  reviewCreatedEvent,
  type TestOrder,
  testOrder,
  testUser,
} from "./test_support.ts";

const buyer = testUser("buyer");
const seller = testUser("seller");
const order: TestOrder = testOrder(buyer, seller);

/** The notices of an event, as the handler plans them (no prepare step: no database). */
function noticesOf(event: EventEnvelope): Notice[] {
  const spec = ORDER_EVENTS[event.type];
  return spec.notices(spec.schema.parse(event.data), PUBLIC_URL);
}

/** `party:type` per notice, e.g. `["buyer:order_placed", "seller:order_received"]`. */
function recipients(event: EventEnvelope): string[] {
  return noticesOf(event).map((notice) => {
    const party = notice.userId === buyer.userId
      ? "buyer"
      : notice.userId === seller.userId
      ? "seller"
      : notice.userId;
    return `${party}:${notice.notification.type}`;
  }).sort();
}

Deno.test("each order and review event is addressed to the right parties", () => {
  const table: [EventEnvelope, string[]][] = [
    [orderEvents.created(order), ["buyer:order_placed", "seller:order_received"]],
    [orderEvents.paid(order), ["buyer:payment_received", "seller:order_started"]],
    [orderEvents.delivered(order), ["buyer:order_delivered"]],
    [orderEvents.revisionRequested(order), ["seller:revision_requested"]],
    [orderEvents.completed(order), ["buyer:order_completed", "seller:order_completed"]],
    [orderEvents.cancelled(order), ["buyer:order_cancelled", "seller:order_cancelled"]],
    [orderEvents.extensionRequested(order), ["buyer:extension_requested"]],
    [orderEvents.extensionAnswered(order, { approved: true }), ["seller:extension_approved"]],
    [orderEvents.extensionAnswered(order, { approved: false }), ["seller:extension_declined"]],
    [
      orderEvents.cancellationRequested(order, { requestedBy: "buyer" }),
      ["seller:cancellation_requested"],
    ],
    [
      orderEvents.cancellationRequested(order, { requestedBy: "seller" }),
      ["buyer:cancellation_requested"],
    ],
    [
      orderEvents.cancellationAnswered(order, { requestedBy: "seller", accepted: true }),
      ["seller:cancellation_accepted"],
    ],
    [
      orderEvents.cancellationAnswered(order, { accepted: false }),
      ["buyer:cancellation_declined", "seller:cancellation_declined"],
    ],
    [reviewCreatedEvent(order, "buyer_to_seller"), ["seller:review_received"]],
    [reviewCreatedEvent(order, "seller_to_buyer"), ["buyer:review_received"]],
  ];
  for (const [event, expected] of table) {
    assert.deepEqual(recipients(event), expected, `${event.type} ${JSON.stringify(event.data)}`);
  }
});

Deno.test("every order event type of the contract and review.created are consumed", () => {
  const contract = [
    "order.created",
    "order.paid",
    "order.delivered",
    "order.revision_requested",
    "order.completed",
    "order.cancelled",
    "order.extension_requested",
    "order.extension_answered",
    "order.cancellation_requested",
    "order.cancellation_answered",
    "review.created",
  ];
  assert.deepEqual(Object.keys(ORDER_EVENTS).sort(), [...contract].sort());
  for (const type of contract) assert.ok(CONSUMED_EVENTS.includes(type), type);
});

Deno.test("every notification and mail links to the order", () => {
  const odd = testOrder(buyer, seller);
  odd.orderId = "a/b?c#d";
  for (const make of Object.values(orderEvents)) {
    for (const notice of noticesOf(make(odd))) {
      assert.equal(notice.notification.link, "/orders/a%2Fb%3Fc%23d");
      const mail = notice.mail({ username: "ada" });
      assert.ok(mail.text.includes(`${PUBLIC_URL}/orders/a%2Fb%3Fc%23d`), notice.template);
    }
  }
});

Deno.test("the schemas ignore fields they do not use and refuse events without one they use", () => {
  for (const make of Object.values(orderEvents)) {
    const event = make(order, { futureField: { nested: true } });
    assert.ok(ORDER_EVENTS[event.type].schema.safeParse(event.data).success, event.type);
    for (const field of ["orderId", "buyerId", "sellerId", "gigTitle"]) {
      const { [field]: _, ...without } = event.data as Record<string, unknown>;
      assert.ok(
        !ORDER_EVENTS[event.type].schema.safeParse(without).success,
        `${event.type} ${field}`,
      );
    }
  }
  const paid = ORDER_EVENTS["order.paid"].schema;
  const base = orderEvents.paid(order).data as Record<string, unknown>;
  for (
    const bad of [
      { total: { amount: 27.5, currency: "USD" } },
      { total: { amount: -1, currency: "USD" } },
      { total: { amount: "2750", currency: "USD" } },
      { total: { amount: 2750, currency: "usd" } },
      { dueAt: "next tuesday" },
      { buyerId: "" },
    ]
  ) {
    assert.ok(!paid.safeParse({ ...base, ...bad }).success, JSON.stringify(bad));
  }
  const review = ORDER_EVENTS["review.created"].schema;
  const reviewData = reviewCreatedEvent(order, "buyer_to_seller").data as Record<string, unknown>;
  assert.ok(!review.safeParse({ ...reviewData, rating: 0 }).success);
  assert.ok(!review.safeParse({ ...reviewData, rating: 6 }).success);
  assert.ok(!review.safeParse({ ...reviewData, direction: "sideways" }).success);
  // Optional text may be null or absent.
  assert.ok(review.safeParse({ ...reviewData, comment: null }).success);
  const cancelled = orderEvents.cancelled(order, { reason: null, refund: null });
  assert.ok(ORDER_EVENTS["order.cancelled"].schema.safeParse(cancelled.data).success);
});

Deno.test("a mail parked as JSON renders exactly as it would have at once", () => {
  const events = [
    ...Object.values(orderEvents).map((make) => make(order)),
    orderEvents.cancelled(order, { reason: null, refund: null }),
    orderEvents.delivered(order, { autoCompleteAt: null }),
    reviewCreatedEvent(order, "seller_to_buyer", { comment: null }),
  ];
  for (const event of events) {
    const spec = ORDER_EVENTS[event.type];
    const now = spec.notices(spec.schema.parse(event.data), PUBLIC_URL);
    // What pending_mails stores (jsonb) is the parsed data, serialized.
    const stored = JSON.parse(JSON.stringify(spec.schema.parse(event.data)));
    const later = spec.notices(spec.schema.parse(stored), PUBLIC_URL);
    assert.deepEqual(
      later.map((n) => [n.userId, n.template, n.notification, n.mail({ username: "ada" })]),
      now.map((n) => [n.userId, n.template, n.notification, n.mail({ username: "ada" })]),
      event.type,
    );
  }
});
