/**
 * Every route of the site. Each page is a lazy chunk (`page(() => import(...))`):
 * the home page's JavaScript carries no other page. A page module's default export
 * is its component.
 *
 * The pages people land on (home, search, a gig) have a loader that starts their
 * first API requests as the navigation begins, in parallel with the page's chunk,
 * into the query cache the page's hooks read. A loader never waits for them: the
 * page draws its skeleton, then the data. (Their chunks are also preloaded by
 * index.html: see vite.config.ts.)
 *
 * Add a page: see web/README.md.
 */
import type { ComponentType } from "react";
import { createBrowserRouter, type LoaderFunctionArgs } from "react-router";
import { categoriesQuery } from "../api/gigs.ts";
import { queryClient } from "../api/queryClient.ts";
import { Layout } from "../layout/Layout.tsx";
import { browseQueries, FEATURED_SEARCH, searchApiQuery } from "../pages/browse/api.ts";
import { RouteError } from "./RouteError.tsx";

/** A lazy route whose module's default export is the page. */
function page(load: () => Promise<{ default: ComponentType }>) {
  return async () => ({ Component: (await load()).default });
}

/**
 * What a prefetching loader returns once it has started its requests: nothing to
 * wait for. prefetchQuery never rejects; a failed request is the page's error state.
 */
const started = (..._requests: Promise<void>[]) => null;
const prefetch = queryClient.prefetchQuery.bind(queryClient);

export const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      {
        index: true,
        loader: () => started(prefetch(browseQueries.search(FEATURED_SEARCH)), prefetch(categoriesQuery)),
        lazy: page(() => import("../pages/Home.tsx")),
      },
      {
        path: "search",
        loader: ({ request }: LoaderFunctionArgs) =>
          started(
            prefetch(browseQueries.search(searchApiQuery(new URL(request.url).searchParams))),
            prefetch(categoriesQuery),
          ),
        lazy: page(() => import("../pages/browse/Search.tsx")),
      },
      {
        path: "gigs/:id",
        loader: ({ params }: LoaderFunctionArgs) =>
          started(
            prefetch(browseQueries.gig(params.id ?? "")),
            prefetch(browseQueries.gigReviews(params.id ?? "", 1)),
          ),
        lazy: page(() => import("../pages/browse/Gig.tsx")),
      },
      { path: "sellers/:username", lazy: page(() => import("../pages/browse/Seller.tsx")) },
      { path: "favorites", lazy: page(() => import("../pages/browse/Favorites.tsx")) },
      { path: "signup", lazy: page(() => import("../pages/SignUp.tsx")) },
      { path: "login", lazy: page(() => import("../pages/LogIn.tsx")) },
      { path: "verify-email", lazy: page(() => import("../pages/VerifyEmail.tsx")) },
      { path: "forgot-password", lazy: page(() => import("../pages/ForgotPassword.tsx")) },
      { path: "reset-password", lazy: page(() => import("../pages/ResetPassword.tsx")) },
      { path: "settings/password", lazy: page(() => import("../pages/ChangePassword.tsx")) },
      { path: "checkout/:gigId", lazy: page(() => import("../pages/orders/Checkout.tsx")) },
      { path: "orders", lazy: page(() => import("../pages/orders/Orders.tsx")) },
      { path: "orders/:id", lazy: page(() => import("../pages/orders/Order.tsx")) },
      { path: "inbox", lazy: page(() => import("../pages/inbox/Inbox.tsx")) },
      { path: "inbox/new", lazy: page(() => import("../pages/inbox/NewConversation.tsx")) },
      { path: "inbox/:conversationId", lazy: page(() => import("../pages/inbox/Conversation.tsx")) },
      { path: "settings/profile", lazy: page(() => import("../pages/selling/ProfileSettings.tsx")) },
      { path: "sell/start", lazy: page(() => import("../pages/selling/BecomeSeller.tsx")) },
      { path: "sell/gigs", lazy: page(() => import("../pages/selling/MyGigs.tsx")) },
      { path: "sell/gigs/new", lazy: page(() => import("../pages/selling/GigEditor.tsx")) },
      { path: "sell/gigs/:id/edit", lazy: page(() => import("../pages/selling/GigEditor.tsx")) },
      { path: "sell/balance", lazy: page(() => import("../pages/selling/Balance.tsx")) },
      { path: "sell/payouts", lazy: page(() => import("../pages/selling/Payouts.tsx")) },
      // The orders service's payout-account onboarding returns to this address.
      { path: "seller/payouts", lazy: page(() => import("../pages/selling/Payouts.tsx")) },
      { path: "*", lazy: page(() => import("../pages/NotFound.tsx")) },
    ],
  },
]);
