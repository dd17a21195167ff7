/**
 * Every route of the site. Each page is a lazy chunk (`page(() => import(...))`):
 * the home page's JavaScript carries no other page. A page module's default export
 * is its component.
 *
 * Add a page: see web/README.md.
 */
import type { ComponentType } from "react";
import { createBrowserRouter } from "react-router";
import { Layout } from "../layout/Layout.tsx";
import { RouteError } from "./RouteError.tsx";

/** A lazy route whose module's default export is the page. */
function page(load: () => Promise<{ default: ComponentType }>) {
  return async () => ({ Component: (await load()).default });
}

export const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, lazy: page(() => import("../pages/Home.tsx")) },
      { path: "search", lazy: page(() => import("../pages/browse/Search.tsx")) },
      { path: "gigs/:id", lazy: page(() => import("../pages/browse/Gig.tsx")) },
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
