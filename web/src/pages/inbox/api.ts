/**
 * The chat routes (services/chat/README.md) and the notifications routes
 * (services/notifications/README.md) with their TanStack Query hooks.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client.ts";
import { liveKeys, type LiveMessage } from "../../realtime/live.tsx";

export type Message = LiveMessage;

export interface Money {
  amount: number;
  currency: string;
}

export interface Conversation {
  id: string;
  otherParty: { userId: string; username: string; displayName: string; avatarUrl: string | null };
  lastMessage: Message | null;
  unreadCount: number;
  blockedByMe: boolean;
  blockedMe: boolean;
  createdAt: string;
  lastActivityAt: string;
}

export interface Offer {
  id: string;
  conversationId: string;
  messageId: string;
  sellerId: string;
  buyerId: string;
  gigId: string;
  description: string;
  price: Money;
  deliveryDays: number;
  revisions: number;
  expiresAt: string;
  status: "pending" | "accepted" | "declined" | "withdrawn" | "expired";
  orderId: string | null;
  orderRejectedReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function useConversations() {
  return useInfiniteQuery({
    queryKey: liveKeys.conversations,
    initialPageParam: "",
    queryFn: ({ pageParam, signal }) =>
      api<Page<Conversation>>(
        "GET",
        `/api/v1/conversations?${new URLSearchParams(pageParam ? { cursor: pageParam } : {})}`,
        { signal },
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/**
 * One conversation. A block or unblock by either side arrives as `conversation:updated`
 * (../../realtime/live.tsx updates this cache); a refetch on focus and after a refused
 * send (Conversation.tsx) covers a push the socket missed. No polling.
 */
export function useConversation(id: string) {
  return useQuery({
    queryKey: liveKeys.conversation(id),
    staleTime: 0,
    queryFn: ({ signal }) =>
      api<{ conversation: Conversation }>("GET", `/api/v1/conversations/${id}`, { signal }).then((a) =>
        a.conversation
      ),
  });
}

export function fetchMessages(id: string, cursor: { before?: string; after?: string } = {}) {
  const query = new URLSearchParams(cursor as Record<string, string>);
  return api<Page<Message>>("GET", `/api/v1/conversations/${id}/messages?${query}`);
}

export function sendMessage(id: string, body: string, clientId: string) {
  return api<{ message: Message }>("POST", `/api/v1/conversations/${id}/messages`, {
    body: { clientId, body },
  }).then((a) => a.message);
}

export function markRead(id: string, upTo: string) {
  return api<{ conversation: Conversation }>("POST", `/api/v1/conversations/${id}/read`, {
    body: { upTo },
  });
}

export function startConversation(recipient: string) {
  return api<{ conversation: Conversation }>("POST", "/api/v1/conversations", {
    body: { recipient },
  }).then((a) => a.conversation);
}

export function useOffer(id: string) {
  return useQuery({
    queryKey: liveKeys.offer(id),
    queryFn: ({ signal }) =>
      api<{ offer: Offer }>("GET", `/api/v1/offers/${id}`, { signal }).then((a) => a.offer),
  });
}

export function useOfferAction(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: "accept" | "decline" | "withdraw") =>
      api<{ offer: Offer }>("POST", `/api/v1/offers/${id}/${action}`, {
        headers: { "Idempotency-Key": crypto.randomUUID() },
      }).then((a) => a.offer),
    onSuccess: (offer) => client.setQueryData(liveKeys.offer(id), offer),
  });
}

export function useUnreadMessages(enabled: boolean) {
  return useQuery({
    queryKey: liveKeys.unread,
    enabled,
    queryFn: ({ signal }) =>
      api<{ unreadCount: number }>("GET", "/api/v1/conversations/unread-count", { signal }),
  });
}

export interface Notification {
  id: string;
  type: string;
  title: string;
  body: string;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

export function useNotifications(enabled: boolean) {
  return useQuery({
    queryKey: liveKeys.notifications,
    enabled,
    queryFn: ({ signal }) =>
      api<{ items: Notification[]; total: number; unreadCount: number }>(
        "GET",
        "/api/v1/notifications?limit=10",
        { signal },
      ),
  });
}

export function useReadAllNotifications() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>("POST", "/api/v1/notifications/read-all"),
    onSuccess: () => client.invalidateQueries({ queryKey: liveKeys.notifications }),
  });
}
