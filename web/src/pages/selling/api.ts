/**
 * The seller's routes with their TanStack Query hooks: the profile and seller profile
 * (`services/users/api_schemas.ts`), the seller's gigs (`services/gigs/api_schemas.ts`)
 * and the seller's money (`services/orders/api_schemas.ts`).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "../../api/client.ts";
import { useSession } from "../../auth/session.tsx";
import { sentenceOf } from "../../forms/errors.ts";

export interface Money {
  amount: number;
  currency: string;
}

export const LANGUAGE_LEVELS = ["basic", "conversational", "fluent", "native"] as const;
export const TIERS = ["basic", "standard", "premium"] as const;
export const CURRENCIES = ["USD", "EUR", "GBP", "CAD", "AUD"] as const;
export type Tier = typeof TIERS[number];

export interface SellerBody {
  description: string;
  skills: string[];
  languages: { language: string; level: typeof LANGUAGE_LEVELS[number] }[];
  education: {
    institution: string;
    degree: string;
    field: string | null;
    country: string | null;
    graduationYear: number | null;
  }[];
  certifications: { name: string; issuer: string; year: number }[];
  portfolio: { title: string; url: string; description: string | null }[];
}

export interface Profile {
  username: string;
  displayName: string;
  avatarUrl: string | null;
  country: string | null;
  bio: string;
  languages: string[];
  memberSince: string;
  isSeller: boolean;
  seller?: SellerBody & { level: string; sellerSince: string };
  email: string;
  emailVerified: boolean;
  timeZone: string | null;
}

export interface ProfilePatch {
  displayName?: string;
  bio?: string;
  country?: string | null;
  avatarUrl?: string | null;
  /** An uploaded file of the caller's (purpose `avatar`) instead of `avatarUrl`. */
  avatarMediaId?: string;
  timeZone?: string | null;
}

export interface GigPackage {
  tier: Tier;
  name: string;
  description: string;
  price: Money;
  deliveryDays: number;
  revisions: number;
  features: string[];
}

export interface Requirement {
  id?: string;
  question: string;
  required: boolean;
  type: "text" | "choice";
  choices?: string[];
}

export interface GigBody {
  title: string;
  description: string;
  category: string;
  subcategory: string;
  tags: string[];
  /** Picture links (public https); uploads go in `imageMediaIds`. */
  images: string[];
  /** Uploaded pictures (media ids, purpose `gig_image`), shown before the links. */
  imageMediaIds?: string[];
  packages: GigPackage[];
  requirements: Requirement[];
  faq: { question: string; answer: string }[];
}

export interface Gig extends GigBody {
  id: string;
  /** As answered: `images` is what is shown, the uploads' URLs first, then the links. */
  imageMediaIds: string[];
  status: "active" | "paused";
  startingPrice: Money;
  createdAt: string;
  updatedAt: string;
}

export interface OwnGigCard {
  id: string;
  title: string;
  startingPrice: Money;
  image: string | null;
  status: "active" | "paused";
  rating: { average: number | null; count: number };
}

export interface Payout {
  id: string;
  amount: Money;
  status: "pending" | "paid" | "failed";
  transferId: string | null;
  error: string | null;
  createdAt: string;
}

export interface SellerBalance {
  balances: { currency: string; pending: number; available: number; paidOut: number }[];
  entries: {
    items: {
      at: string;
      kind: "release" | "clear" | "payout" | "payout_reversal";
      orderId: string | null;
      payoutId: string | null;
      balance: "pending" | "available" | "paid_out";
      amount: number;
      currency: string;
    }[];
    page: number;
    limit: number;
    total: number;
  };
  payouts: Payout[];
  paymentAccount: { connected: boolean };
}

export interface PaymentAccount {
  connected: boolean;
  provider: string | null;
  accountId: string | null;
}

export const sellingKeys = {
  me: ["users", "me"] as const,
  mine: (page: number) => ["gigs", "mine", page] as const,
  gig: (id: string) => ["gigs", id] as const,
  balance: (page: number) => ["sellers", "me", "balance", page] as const,
  paymentAccount: ["sellers", "me", "payment-account"] as const,
};

/** The caller's own profile (private fields included); off while signed out. */
export function useMe({ staleTime = 0 }: { staleTime?: number } = {}) {
  const session = useSession();
  return useQuery({
    queryKey: [...sellingKeys.me, session.user?.id],
    queryFn: ({ signal }) => api<Profile>("GET", "/api/v1/users/me", { signal }),
    enabled: Boolean(session.user),
    staleTime,
    // The profile is made from the registration event: a brand-new account may wait a moment.
    retry: (count, error) => count < 60 && error instanceof ApiError && error.status === 404,
    retryDelay: (count) => Math.min(500 * 2 ** count, 5_000),
  });
}

export function useUpdateProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: ProfilePatch) => api<Profile>("PATCH", "/api/v1/users/me", { body: patch }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sellingKeys.me }),
  });
}

export function useBecomeSeller() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SellerBody) => api<Profile>("POST", "/api/v1/sellers", { body }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sellingKeys.me }),
  });
}

export function useMyGigs(page: number) {
  return useQuery({
    queryKey: sellingKeys.mine(page),
    queryFn: ({ signal }) =>
      api<{ items: OwnGigCard[]; page: number; limit: number; total: number }>(
        "GET",
        `/api/v1/gigs/mine?page=${page}`,
        { signal },
      ),
  });
}

export function useGig(id: string | undefined) {
  return useQuery({
    queryKey: sellingKeys.gig(id ?? ""),
    queryFn: ({ signal }) =>
      api<{ gig: Gig }>("GET", `/api/v1/gigs/${id}`, { signal }).then((a) => a.gig),
    enabled: Boolean(id),
  });
}

/** Publishes a gig, or saves the changes of one. */
export function useSaveGig(id: string | undefined) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: GigBody) =>
      (id
        ? api<{ gig: Gig }>("PATCH", `/api/v1/gigs/${id}`, { body })
        : api<{ gig: Gig }>("POST", "/api/v1/gigs", { body })).then((a) => a.gig),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["gigs"] }),
  });
}

/** Pause, activate or delete one of the caller's gigs. */
export function useGigAction() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: "pause" | "activate" | "delete" }) =>
      action === "delete"
        ? api<void>("DELETE", `/api/v1/gigs/${id}`)
        : api<{ gig: Gig }>("POST", `/api/v1/gigs/${id}/${action}`).then(() => undefined),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["gigs"] }),
  });
}

export function useBalance(page: number) {
  return useQuery({
    queryKey: sellingKeys.balance(page),
    queryFn: ({ signal }) =>
      api<SellerBalance>("GET", `/api/v1/sellers/me/balance?page=${page}`, { signal }),
  });
}

export function useRequestPayout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ currency, key }: { currency: string; key: string }) =>
      api<{ payout: Payout }>("POST", "/api/v1/sellers/me/payouts", {
        body: { currency },
        headers: { "Idempotency-Key": key },
      }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["sellers", "me"] }),
  });
}

export function usePaymentAccount() {
  return useQuery({
    queryKey: sellingKeys.paymentAccount,
    queryFn: ({ signal }) =>
      api<PaymentAccount>("GET", "/api/v1/sellers/me/payment-account", { signal }),
  });
}

export function useConnectAccount() {
  return useMutation({
    mutationFn: (key: string) =>
      api<{ accountId: string; onboardingUrl: string; expiresAt: string }>(
        "POST",
        "/api/v1/sellers/me/payment-account",
        { headers: { "Idempotency-Key": key } },
      ),
  });
}

/** Every field error of an answer by pointer, and a sentence when none is about a field. */
export function errorsOf(error: unknown): { fields: Record<string, string>; form?: string } {
  if (!error) return { fields: {} };
  if (!(error instanceof ApiError)) {
    return { fields: {}, form: "Something went wrong. Please try again." };
  }
  const fields: Record<string, string> = {};
  for (const field of error.fieldErrors) fields[field.pointer] ??= field.detail;
  return { fields, form: Object.keys(fields).length > 0 ? undefined : sentenceOf(error) };
}
