/**
 * What the gateway tells every page about the site, without an inline script:
 * `<meta>` tags it puts into index.html (gateway/web.ts). index.html is served
 * `no-cache`, so a page always reads what the gateway is configured with now.
 */

/**
 * Stripe's publishable key (`pk_test_…`/`pk_live_…`) when the gateway has
 * STRIPE_PUBLISHABLE_KEY, else null (card payment is then not offered). The Vite
 * dev server serves its own index.html, without the tag: open the site on the
 * gateway's port to try card payment.
 */
export function stripePublishableKey(): string | null {
  const content = document.querySelector<HTMLMetaElement>('meta[name="stripe-publishable-key"]')
    ?.content;
  return content && /^pk_(test|live)_[A-Za-z0-9]+$/.test(content) ? content : null;
}
