/** The catalogue's routes and their TanStack Query hooks. */
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "./client.ts";

export interface Category {
  slug: string;
  name: string;
  count: number;
  subcategories: { slug: string; name: string; count: number }[];
}

/** Query keys: one place, so invalidation matches what was cached. */
export const gigKeys = {
  categories: ["gigs", "categories"] as const,
};

/** Every category, empty ones included (`GET /api/v1/gigs/categories`): the hook's and the loaders' query. */
export const categoriesQuery = queryOptions({
  queryKey: gigKeys.categories,
  queryFn: ({ signal }) =>
    api<{ categories: Category[] }>("GET", "/api/v1/gigs/categories", { auth: false, signal })
      .then((answer) => answer.categories),
  staleTime: 5 * 60_000,
});

export function useCategories() {
  return useQuery(categoriesQuery);
}
