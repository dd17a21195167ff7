import assert from "node:assert/strict";
import { findRoute } from "./routes.ts";

Deno.test("findRoute() sends each public path to the service that owns it", () => {
  const cases: [string, string | undefined][] = [
    ["/api/v1/auth/login", "auth"],
    ["/api/v1/notifications", "notifications"],
    ["/api/v1/users/me", "users"],
    ["/api/v1/users/ada", "users"],
    ["/api/v1/users/ada/reviews", "reviews"],
    ["/api/v1/sellers", "users"],
    ["/api/v1/sellers/me", "users"],
    ["/api/v1/sellers/me/balance", "orders"],
    ["/api/v1/sellers/me/payouts", "orders"],
    ["/api/v1/sellers/me/payment-account/link", "orders"],
    ["/api/v1/sellers/me/balances", "users"],
    ["/api/v1/gigs", "gigs"],
    ["/api/v1/gigs/8c1f/reviews", "reviews"],
    ["/api/v1/gigs/8c1f/favorite", "gigs"],
    ["/api/v1/orders", "orders"],
    ["/api/v1/orders/o1/deliver", "orders"],
    ["/api/v1/orders/o1/reviews", "reviews"],
    ["/api/v1/orders/o1/reviews/extra", "orders"],
    ["/api/v1/payments/stripe/webhook", "orders"],
    ["/api/v1/reviews/r1/reply", "reviews"],
    ["/api/v1/conversations", "chat"],
    ["/api/v1/conversations/unread-count", "chat"],
    ["/api/v1/conversations/c1/messages", "chat"],
    ["/api/v1/conversations/c1/offers", "chat"],
    ["/api/v1/offers/o1/accept", "chat"],
    ["/api/v1/offersx", undefined],
    ["/api/v1/uploads", "media"],
    ["/api/v1/uploads/u1/complete", "media"],
    ["/api/v1/media/m1", "media"],
    ["/api/v1/mediax", undefined],
    ["/socket.io/", undefined],
    ["/api/v1/authx", undefined],
    ["/api/v1/users/a/b/reviews", "users"],
    ["/api/v2/auth/login", undefined],
  ];
  for (const [path, service] of cases) assert.equal(findRoute(path)?.service, service, path);
});
