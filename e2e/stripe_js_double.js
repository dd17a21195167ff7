/**
 * STAND-IN for Stripe.js (https://js.stripe.com), a third party that cannot be
 * reached from here. e2e/web_stripe_test.ts serves this file in place of
 * `https://js.stripe.com/<release>/stripe.js` through Playwright's
 * `context.route`, so the site's real code (@stripe/stripe-js's loader,
 * @stripe/react-stripe-js, StripePay.tsx) runs unchanged against it, under the
 * site's real CSP.
 *
 * What it implements, only the subset the site calls:
 * - `window.Stripe(publishableKey)` (refuses a key that is not `pk_…`), with
 *   `Stripe.version` set to the release @stripe/stripe-js expects;
 * - `stripe.elements({ clientSecret })` → `elements.create("payment")` →
 *   `element.mount(node)`, which draws a plain labelled "Card number" text
 *   field into the page, and `on`/`off`/`update`/`unmount`/`destroy`
 *   (fires `ready` after mounting);
 * - `stripe.confirmPayment({ elements, confirmParams, redirect })`: an empty
 *   field resolves Stripe's `validation_error`; a number ending in 0002 (Stripe's
 *   decline test card) resolves `{ error: { type: "card_error", code:
 *   "card_declined", message: "Your card was declined." } }`; any other number
 *   resolves `{ paymentIntent: { id, status: "succeeded", client_secret } }`.
 *   Every call is recorded in `window.__stripeJsDouble.confirmations`
 *   (clientSecret, return_url, redirect, card number) for the test to check.
 *
 * What it does NOT do:
 * - no iframe, no Stripe origin: the field is in the page's own DOM, so the
 *   card number is readable by the page (the real Element keeps it in
 *   Stripe's iframe); no styling, validation of numbers, expiry, CVC, postal
 *   code, wallets, Link or other payment methods;
 * - no network at all: it never calls Stripe's API, so the PaymentIntent is
 *   not confirmed anywhere; the test marks it succeeded in the Stripe API
 *   double (services/orders/stripe_double.ts) and delivers the signed webhook;
 * - no 3-D Secure, no redirects (`redirect: "always"` is treated like
 *   "if_required"), no `elements.submit()`, `fetchUpdates`, deferred intents,
 *   `retrievePaymentIntent`, tokens or payment methods (`createToken`,
 *   `createPaymentMethod`, `confirmCardPayment` exist only because
 *   @stripe/react-stripe-js checks for them, and reject);
 * - no fraud signals, no telemetry, no locale or appearance options.
 */
(function () {
  "use strict";
  const record = (globalThis.__stripeJsDouble = { keys: [], confirmations: [] });
  const notHere = (name) => () =>
    Promise.reject(new Error(`${name} is not part of the Stripe.js stand-in`));
  let fieldCount = 0;

  function createPaymentElement(group) {
    const listeners = {};
    let input = null;
    let host = null;
    const fire = (event, payload) => (listeners[event] || []).forEach((fn) => fn(payload));
    const element = {
      mount(target) {
        host = typeof target === "string" ? document.querySelector(target) : target;
        const id = `stripe-js-double-card-${++fieldCount}`;
        const label = document.createElement("label");
        label.htmlFor = id;
        label.textContent = "Card number";
        input = document.createElement("input");
        input.id = id;
        input.type = "text";
        input.inputMode = "numeric";
        input.autocomplete = "cc-number";
        host.replaceChildren(label, input);
        group.field = input;
        setTimeout(() => fire("ready", { elementType: "payment" }), 0);
      },
      on(event, handler) {
        (listeners[event] ||= []).push(handler);
        return element;
      },
      off(event, handler) {
        listeners[event] = (listeners[event] || []).filter((fn) => fn !== handler);
        return element;
      },
      update() {},
      unmount() {
        host?.replaceChildren();
      },
      destroy() {
        host?.replaceChildren();
        if (group.field === input) group.field = null;
      },
    };
    return element;
  }

  function Stripe(publishableKey) {
    if (typeof publishableKey !== "string" || !publishableKey.startsWith("pk_")) {
      throw new Error("Stripe stand-in: a publishable key (pk_…) is required");
    }
    record.keys.push(publishableKey);
    return {
      elements(options) {
        const group = { clientSecret: options && options.clientSecret, field: null };
        return {
          __group: group,
          create(type) {
            if (type !== "payment") throw new Error(`Stripe stand-in: no "${type}" element`);
            return createPaymentElement(group);
          },
          update() {},
          getElement() {
            return null;
          },
        };
      },
      async confirmPayment({ elements, confirmParams, redirect }) {
        const group = elements.__group;
        const card = (group.field ? group.field.value : "").replace(/\s+/g, "");
        record.confirmations.push({
          clientSecret: group.clientSecret,
          returnUrl: confirmParams && confirmParams.return_url,
          redirect,
          card,
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (!card) {
          return {
            error: {
              type: "validation_error",
              code: "incomplete_number",
              message: "Your card number is incomplete.",
            },
          };
        }
        if (card.endsWith("0002")) {
          return {
            error: {
              type: "card_error",
              code: "card_declined",
              message: "Your card was declined.",
            },
          };
        }
        const id = String(group.clientSecret).split("_secret_")[0];
        return {
          paymentIntent: {
            id,
            object: "payment_intent",
            status: "succeeded",
            client_secret: group.clientSecret,
          },
        };
      },
      createToken: notHere("createToken"),
      createPaymentMethod: notHere("createPaymentMethod"),
      confirmCardPayment: notHere("confirmCardPayment"),
      _registerWrapper() {},
      registerAppInfo() {},
    };
  }
  // The release @stripe/stripe-js 10 loads (js.stripe.com/endive/stripe.js).
  Stripe.version = "endive";
  globalThis.Stripe = Stripe;
})();
