/**
 * The app's one TanStack Query client, in its own module so that route loaders
 * (routes/router.tsx) can start a page's first requests while its chunk loads,
 * into the same cache the page's hooks then read.
 */
import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "./client.ts";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      // A 4xx will not get better by asking again; the network or a 5xx may.
      retry: (failures, error) =>
        failures < 2 && !(error instanceof ApiError && error.status < 500),
    },
  },
});
