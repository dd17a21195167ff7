/**
 * The orders service's routes (and the two reviews routes of an order) with their
 * TanStack Query hooks, as `services/orders/api_schemas.ts` and
 * `services/reviews/api_schemas.ts` document them.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client.ts";

export interface Money {
  amount: number;
  currency: string;
}

export type OrderStatus =
  | "pending_payment"
  | "in_progress"
  | "delivered"
  | "in_revision"
  | "completed"
  | "cancelled";
export type Party = "buyer" | "seller";
export type Tier = "basic" | "standard" | "premium";

export interface OrderSummary {
  id: string;
  role: Party;
  gigId: string;
  gigTitle: string;
  package: Tier | "custom";
  offerId: string | null;
  buyerId: string;
  sellerId: string;
  status: OrderStatus;
  late: boolean;
  price: Money;
  sellerEarnings?: Money;
  total?: Money;
  createdAt: string;
  dueAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  actor: "buyer" | "seller" | "system";
  from: OrderStatus | null;
  to: OrderStatus;
  details: Record<string, unknown>;
}

export interface Order extends OrderSummary {
  packageDetails: {
    tier: Tier | "custom";
    name: string;
    description: string;
    deliveryDays: number;
    revisions: number;
    features: string[];
  };
  serviceFee?: Money;
  total: Money;
  commission?: Money;
  deliveryDays: number;
  extensionDays: number;
  revisions: { included: number; used: number; left: number };
  paidAt: string | null;
  deliveredAt: string | null;
  autoCompleteAt: string | null;
  completedBy: "buyer" | "auto" | null;
  cancellation: { by: string | null; reason: string | null } | null;
  requirements: { questionId: string; question: string; answer: string }[];
  deliveries: {
    id: string;
    message: string;
    files: string[];
    /** Uploaded files (media service); download through `GET /api/v1/media/{id}`. */
    mediaFiles?: { id: string; name: string; size: number; contentType: string }[];
    deliveredAt: string;
  }[];
  revisionRequests: { id: string; message: string; requestedAt: string }[];
  extensionRequests: {
    id: string;
    days: number;
    reason: string;
    status: "pending" | "approved" | "declined" | "withdrawn";
    requestedAt: string;
    answeredAt: string | null;
  }[];
  cancellationRequests: {
    id: string;
    requestedBy: Party;
    reason: string;
    status: "pending" | "accepted" | "declined" | "withdrawn";
    requestedAt: string;
    answeredAt: string | null;
  }[];
  timeline: TimelineEntry[];
  payment: {
    provider: "stripe" | "local_test";
    status: "requires_payment" | "failed" | "succeeded" | "refund_pending" | "refunded";
    amount: Money;
    paymentIntentId?: string;
    clientSecret?: string | null;
    error: string | null;
    refund: { amount: number; currency: string; status: string } | null;
    localTest?: { note: string; succeedPath: string };
  };
}

export interface OrderPage {
  items: OrderSummary[];
  page: number;
  limit: number;
  total: number;
}

export interface Review {
  id: string;
  direction: "buyer_to_seller" | "seller_to_buyer";
  rating: number;
  comment: string;
  reviewer: { username: string | null };
  reply: { text: string; repliedAt: string } | null;
  createdAt: string;
}

export interface OrderReviews {
  orderId: string;
  canReview: boolean;
  reason: string | null;
  reviewableUntil: string | null;
  items: Review[];
}

/** The gig as checkout needs it (`GET /api/v1/gigs/{id}` → `{gig}`). */
export interface CheckoutGig {
  id: string;
  title: string;
  status: "active" | "paused";
  seller: { id: string; username: string; displayName: string };
  packages: {
    tier: Tier;
    name: string;
    description: string;
    price: Money;
    deliveryDays: number;
    revisions: number;
    features: string[];
  }[];
  requirements: {
    id: string;
    question: string;
    required: boolean;
    type: "text" | "choice";
    choices?: string[];
  }[];
}

export const orderKeys = {
  all: ["orders"] as const,
  list: (role: Party, status: string, page: number) => ["orders", "list", role, status, page] as const,
  one: (id: string) => ["orders", "one", id] as const,
  reviews: (id: string) => ["orders", "reviews", id] as const,
  gig: (id: string) => ["orders", "gig", id] as const,
};

export function useCheckoutGig(id: string) {
  return useQuery({
    queryKey: orderKeys.gig(id),
    queryFn: ({ signal }) =>
      api<{ gig: CheckoutGig }>("GET", `/api/v1/gigs/${encodeURIComponent(id)}`, { signal })
        .then((answer) => answer.gig),
  });
}

export function useOrders(role: Party, status: string, page: number) {
  const query = new URLSearchParams({ role, page: String(page), limit: "20" });
  if (status) query.set("status", status);
  return useQuery({
    queryKey: orderKeys.list(role, status, page),
    queryFn: ({ signal }) => api<OrderPage>("GET", `/api/v1/orders?${query}`, { signal }),
  });
}

/** One order, read once (for polling outside a query hook). */
export function getOrder(id: string, signal?: AbortSignal) {
  return api<Order>("GET", `/api/v1/orders/${encodeURIComponent(id)}`, { signal });
}

/**
 * One order. There is no socket helper in web/src yet, so the page is kept fresh by
 * refetching when the window regains focus (and on every action's answer).
 */
export function useOrder(id: string) {
  return useQuery({
    queryKey: orderKeys.one(id),
    queryFn: ({ signal }) => getOrder(id, signal),
    refetchOnWindowFocus: "always",
  });
}

export function useOrderReviews(id: string, enabled: boolean) {
  return useQuery({
    queryKey: orderKeys.reviews(id),
    queryFn: ({ signal }) =>
      api<OrderReviews>("GET", `/api/v1/orders/${encodeURIComponent(id)}/reviews`, { signal }),
    enabled,
    refetchOnWindowFocus: "always",
    // The reviews service learns the completion from an event: ask again until it has.
    refetchInterval: (query) => query.state.data?.reason === "order_not_completed" ? 2000 : false,
  });
}

export function placeOrder(
  body: { gigId: string; package: Tier; requirements: { questionId: string; answer: string }[] },
  idempotencyKey: string,
) {
  return api<Order>("POST", "/api/v1/orders", {
    body,
    headers: { "Idempotency-Key": idempotencyKey },
  });
}

/** Pays in the fleet's local test payment mode (no money moves). */
export function payLocalTest(order: Order) {
  const path = order.payment.localTest?.succeedPath ??
    `/api/v1/payments/local-test/${order.id}/succeed`;
  return api<{ localTest: true; result: string; order: Order }>("POST", path);
}

/** A write on one order whose answer carries `{order}`: the cache takes it at once. */
export function useOrderAction<Input>(
  id: string,
  call: (input: Input) => Promise<{ order: Order }>,
) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess(answer) {
      client.setQueryData(orderKeys.one(id), answer.order);
      void client.invalidateQueries({ queryKey: orderKeys.all });
    },
  });
}

const orderPath = (id: string, rest: string) => `/api/v1/orders/${encodeURIComponent(id)}${rest}`;

export const orderActions = {
  deliver: (id: string) => (input: { message: string; files: string[]; fileMediaIds: string[] }) =>
    api<{ order: Order }>("POST", orderPath(id, "/deliveries"), {
      body: {
        message: input.message,
        ...(input.files.length ? { files: input.files } : {}),
        ...(input.fileMediaIds.length ? { fileMediaIds: input.fileMediaIds } : {}),
      },
    }),
  revision: (id: string) => (input: { message: string }) =>
    api<{ order: Order }>("POST", orderPath(id, "/revisions"), { body: input }),
  accept: (id: string) => () => api<{ order: Order }>("POST", orderPath(id, "/accept")),
  cancel: (id: string) => (input: { reason: string }) =>
    api<{ order: Order }>("POST", orderPath(id, "/cancel"), {
      body: input.reason ? input : {},
    }),
  requestCancellation: (id: string) => (input: { reason: string }) =>
    api<{ order: Order }>("POST", orderPath(id, "/cancellation-requests"), { body: input }),
  answerCancellation: (id: string) => (input: { requestId: string; accept: boolean }) =>
    api<{ order: Order }>(
      "POST",
      orderPath(id, `/cancellation-requests/${input.requestId}/answer`),
      { body: { accept: input.accept } },
    ),
  requestExtension: (id: string) => (input: { days: number; reason: string }) =>
    api<{ order: Order }>("POST", orderPath(id, "/extension-requests"), { body: input }),
  answerExtension: (id: string) => (input: { requestId: string; approve: boolean }) =>
    api<{ order: Order }>(
      "POST",
      orderPath(id, `/extension-requests/${input.requestId}/answer`),
      { body: { approve: input.approve } },
    ),
};

export function review(id: string, input: { rating: number; comment: string }) {
  return api<Review>("POST", orderPath(id, "/reviews"), {
    body: input,
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
}

export const STATUS_LABEL: Record<OrderStatus, string> = {
  pending_payment: "Awaiting payment",
  in_progress: "In progress",
  delivered: "Delivered",
  in_revision: "In revision",
  completed: "Completed",
  cancelled: "Cancelled",
};
