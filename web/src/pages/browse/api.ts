/**
 * The browse pages' routes and their TanStack Query hooks: search and a gig
 * (services/gigs/api_schemas.ts), favourites, a seller's public profile
 * (services/users/api_schemas.ts) and reviews (services/reviews/api_schemas.ts).
 */
import { keepPreviousData, queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client.ts";
import { useSession } from "../../auth/session.tsx";

export interface Money {
  amount: number;
  currency: string;
}
export type Tier = "basic" | "standard" | "premium";
export interface GigRating {
  average: number | null;
  count: number;
}

export interface GigCardData {
  id: string;
  title: string;
  startingPrice: Money;
  seller: { username: string; displayName: string; level: string | null; avatarUrl: string | null };
  rating: GigRating;
  image: string | null;
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

export interface Gig {
  id: string;
  seller: { id: string; username: string; displayName: string; avatarUrl: string | null; level: string | null };
  title: string;
  description: string;
  category: string;
  subcategory: string;
  tags: string[];
  images: string[];
  packages: GigPackage[];
  faq: { question: string; answer: string }[];
  status: "active" | "paused";
  rating: GigRating;
  startingPrice: Money;
  createdAt: string;
  updatedAt: string;
}

export interface Bucket {
  slug: string;
  count: number;
}

export interface SearchResult {
  items: GigCardData[];
  page: number;
  limit: number;
  total: number;
  totalExact: boolean;
  /** The corrected keywords searched instead when the typed ones found nothing ("Showing results for …"); null otherwise. */
  correctedQuery: string | null;
  facets: { categories: Bucket[]; subcategories?: Bucket[]; approximate: boolean };
}

export interface RatingSummary {
  average: number | null;
  count: number;
  histogram: Record<"1" | "2" | "3" | "4" | "5", number>;
}

export interface Review {
  id: string;
  gigId: string;
  gigTitle: string | null;
  rating: number;
  comment: string;
  reviewer: { username: string | null };
  reply: { text: string; repliedAt: string } | null;
  createdAt: string;
}

export interface ReviewPage {
  items: Review[];
  page: number;
  limit: number;
  total: number;
  summary: RatingSummary;
}

export interface PublicProfile {
  username: string;
  displayName: string;
  avatarUrl: string | null;
  country: string | null;
  bio: string;
  languages: string[];
  memberSince: string;
  isSeller: boolean;
  seller?: {
    description: string;
    skills: string[];
    languages: { language: string; level: string }[];
    level: string;
    sellerSince: string;
  };
  ratings: { asSeller: RatingSummary; asBuyer: RatingSummary };
}

/** The search parameters the API takes (`GET /api/v1/gigs`), as the URL holds them. */
export const SEARCH_PARAMS = [
  "q",
  "category",
  "subcategory",
  "minPrice",
  "maxPrice",
  "maxDeliveryDays",
  "minRating",
  "seller",
  "sort",
  "page",
] as const;

export const browseKeys = {
  search: (query: string) => ["gigs", "search", query] as const,
  gig: (id: string) => ["gigs", id] as const,
  gigReviews: (id: string, page: number) => ["reviews", "gig", id, page] as const,
  seller: (username: string) => ["sellers", username] as const,
  userReviews: (username: string, page: number) => ["reviews", "user", username, page] as const,
  favorites: (page: number) => ["gigs", "favorites", page] as const,
  favoriteIds: ["gigs", "favorites", "ids"] as const,
};

/** Results per search page. */
export const SEARCH_LIMIT = 20;

/** The API query string of a search page's URL parameters (what {@link useSearch} takes). */
export function searchApiQuery(params: URLSearchParams): string {
  const query = new URLSearchParams();
  for (const name of SEARCH_PARAMS) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  query.set("limit", String(SEARCH_LIMIT));
  return query.toString();
}

/** The home page's featured gigs: the best rated. */
export const FEATURED_SEARCH = new URLSearchParams({ sort: "rating", limit: "6" }).toString();

/**
 * Query options shared by the hooks below and the route loaders (routes/router.tsx),
 * which start a page's first requests while the page's chunk still loads.
 */
export const browseQueries = {
  search: (query: string) =>
    queryOptions({
      queryKey: browseKeys.search(query),
      queryFn: ({ signal }) =>
        api<SearchResult>("GET", `/api/v1/gigs${query ? `?${query}` : ""}`, { auth: false, signal }),
    }),
  gig: (id: string) =>
    queryOptions({
      queryKey: browseKeys.gig(id),
      queryFn: ({ signal }) => api<{ gig: Gig }>("GET", `/api/v1/gigs/${id}`, { signal }).then((a) => a.gig),
    }),
  gigReviews: (id: string, page: number) =>
    queryOptions({
      queryKey: browseKeys.gigReviews(id, page),
      queryFn: ({ signal }) =>
        api<ReviewPage>("GET", `/api/v1/gigs/${id}/reviews?page=${page}&limit=10`, { auth: false, signal }),
    }),
};

/**
 * One page of search results; `query` is the URL's query string of {@link SEARCH_PARAMS}.
 * A new query keeps the previous results on screen until its own arrive
 * (`isPlaceholderData`), so a filter click never blanks the list.
 */
export function useSearch(query: string) {
  return useQuery({ ...browseQueries.search(query), placeholderData: keepPreviousData });
}

export function useGig(id: string) {
  return useQuery(browseQueries.gig(id));
}

export function useGigReviews(id: string, page = 1) {
  return useQuery({ ...browseQueries.gigReviews(id, page), placeholderData: keepPreviousData });
}

export function useSeller(username: string) {
  return useQuery({
    queryKey: browseKeys.seller(username),
    queryFn: ({ signal }) =>
      api<PublicProfile>("GET", `/api/v1/sellers/${encodeURIComponent(username)}`, { auth: false, signal }),
    enabled: username !== "",
  });
}

export function useSellerReviews(username: string, page = 1) {
  return useQuery({
    queryKey: browseKeys.userReviews(username, page),
    queryFn: ({ signal }) =>
      api<ReviewPage>(
        "GET",
        `/api/v1/users/${encodeURIComponent(username)}/reviews?as=seller&page=${page}&limit=10`,
        { auth: false, signal },
      ),
    placeholderData: (previous) => previous,
  });
}

/** One page of the caller's saved gigs. */
export function useFavorites(page: number, enabled = true) {
  return useQuery({
    queryKey: browseKeys.favorites(page),
    queryFn: ({ signal }) =>
      api<{ items: GigCardData[]; page: number; limit: number; total: number }>(
        "GET",
        `/api/v1/gigs/favorites?page=${page}&limit=20`,
        { signal },
      ),
    enabled,
  });
}

/**
 * The ids of the caller's most recently saved gigs (the first 50: the API's largest
 * page), so cards and the gig page can show "Saved"; empty when signed out.
 */
export function useFavoriteIds() {
  const session = useSession();
  const signedIn = session.status === "signed-in";
  const query = useQuery({
    queryKey: browseKeys.favoriteIds,
    queryFn: ({ signal }) =>
      api<{ items: GigCardData[] }>("GET", "/api/v1/gigs/favorites?limit=50", { signal })
        .then((a) => new Set(a.items.map((card) => card.id))),
    enabled: signedIn,
  });
  return { signedIn, ids: query.data ?? new Set<string>(), ready: query.isSuccess };
}

/** Saves (`PUT`) or unsaves (`DELETE`) a gig; both are idempotent. */
export function useToggleFavorite() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, save }: { id: string; save: boolean }) =>
      api<void>(save ? "PUT" : "DELETE", `/api/v1/gigs/${id}/favorite`),
    onSuccess: (_answer, { id, save }) => {
      client.setQueryData<Set<string>>(browseKeys.favoriteIds, (old) => {
        const next = new Set(old ?? []);
        if (save) next.add(id);
        else next.delete(id);
        return next;
      });
      return client.invalidateQueries({ queryKey: ["gigs", "favorites"] });
    },
  });
}
