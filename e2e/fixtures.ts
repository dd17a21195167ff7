/** Steps many end-to-end journeys share: verifying, becoming a seller, publishing a gig. */
import { waitFor } from "@mp/shared/testing";
import type { Marketplace, SignedUp } from "./support.ts";

// deno-lint-ignore no-explicit-any
export type Json = any;

/** A complete gig body as a seller would post it. */
export function gigBody(title: string, price: number, options: Partial<Json> = {}): Json {
  return {
    title,
    description: `${title}. Hand-made, delivered with source files and unlimited care.`,
    category: "graphics-design",
    subcategory: "logo-design",
    tags: ["logo", "branding"],
    images: ["https://images.example.com/gig.png"],
    packages: [
      {
        tier: "basic",
        name: "Basic",
        description: "One concept",
        price: { amount: price, currency: "USD" },
        deliveryDays: 3,
        revisions: 1,
        features: ["1 concept"],
      },
      {
        tier: "premium",
        name: "Premium",
        description: "Three concepts",
        price: { amount: price * 3, currency: "USD" },
        deliveryDays: 7,
        revisions: 5,
        features: ["3 concepts", "source files"],
      },
    ],
    requirements: [{ question: "What is your brand name?", required: true }],
    faq: [{ question: "Do you do vectors?", answer: "Always." }],
    ...options,
  };
}

/** Follows the link of the verification mail. */
export async function verifyEmail(market: Marketplace, person: SignedUp): Promise<void> {
  const mail = await market.mailTo(person.user.email, /confirm your email/i);
  const res = await person.client.request("POST", "/api/v1/auth/verify-email", {
    body: { token: market.linkToken(mail, "verify-email") },
  });
  if (res.status !== 200) throw new Error(`verify ${person.user.username}: ${res.status}`);
}

/** The seller-profile body of the onboarding form. */
export const sellerBody = {
  description: "Brand designer with ten years of logos for small businesses.",
  skills: ["logo design", "branding"],
  languages: [{ language: "en", level: "native" }],
};

/** Verifies the email and creates the seller profile (waiting for the events to arrive). */
export async function becomeSeller(market: Marketplace, person: SignedUp): Promise<Json> {
  await verifyEmail(market, person);
  const created = await waitFor(async () => {
    const res = await person.client.request("POST", "/api/v1/sellers", {
      token: person.accessToken,
      body: sellerBody,
    });
    return res.status === 201 ? res : undefined; // until user.email_verified reached users
  }, { what: `seller profile of ${person.user.username}` });
  return created.body;
}

/** Publishes a gig once gigs knows the seller (seller.created consumed). */
export async function publishGig(seller: SignedUp, body: Json): Promise<Json> {
  const res = await waitFor(async () => {
    const r = await seller.client.request("POST", "/api/v1/gigs", {
      token: seller.accessToken,
      body,
    });
    return r.status === 403 ? undefined : r;
  }, { what: `gig ${body.title}` });
  if (res.status !== 201) {
    throw new Error(`publish ${body.title}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.gig;
}
