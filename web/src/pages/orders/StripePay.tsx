/**
 * Card payment with Stripe's Payment Element, for an order in `stripe` payment
 * mode whose PaymentIntent the orders service created (`payment.clientSecret`).
 *
 * This module is loaded lazily by `PayOrder` (parts.tsx) only when the pay view
 * shows it, so Stripe's libraries are in their own chunk and Stripe.js
 * (https://js.stripe.com, allowed by the site's CSP only when the gateway has a
 * publishable key) is fetched only here, never on other pages.
 *
 * The page never decides that an order is paid: after Stripe confirms the card
 * in the browser, `onConfirmed` hands over to `ConfirmingPayment`, which waits
 * for the orders service (told by Stripe's signed webhook) to say so.
 */
import { Elements, PaymentElement, useElements, useStripe } from "@stripe/react-stripe-js";
import type { Stripe } from "@stripe/stripe-js";
import { loadStripe } from "@stripe/stripe-js/pure";
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Alert, Button, formatMoney, Skeleton } from "../../ui/index.ts";
import type { Order } from "./api.ts";

/** Loads Stripe.js (once; after a failure the next call tries again) and makes the Stripe object. */
async function stripeFor(publishableKey: string): Promise<Stripe> {
  const stripe = await loadStripe(publishableKey);
  if (!stripe) throw new Error("Stripe.js is not available here.");
  return stripe;
}

export default function StripePay(
  { order, publishableKey, onConfirmed }: {
    order: Order;
    publishableKey: string;
    onConfirmed: () => void;
  },
) {
  // One Stripe object per key for the whole session, as Stripe asks; not retried by
  // the query (loadStripe retries once itself): a failure shows the retry button.
  const stripe = useQuery({
    queryKey: ["stripe-js", publishableKey],
    queryFn: () => stripeFor(publishableKey),
    staleTime: Infinity,
    gcTime: Infinity,
    retry: false,
    structuralSharing: false,
    refetchOnWindowFocus: false,
  });
  const clientSecret = order.payment.clientSecret;
  if (stripe.isError) {
    return (
      <div className="flex flex-col gap-3">
        <Alert tone="error">
          The card form could not be loaded: Stripe could not be reached. Your order is saved and
          waits for payment.
        </Alert>
        <Button variant="secondary" className="self-start" onClick={() => void stripe.refetch()}>
          Try loading the card form again
        </Button>
      </div>
    );
  }
  if (stripe.isPending || !clientSecret) {
    return (
      <div className="flex flex-col gap-2" aria-busy="true">
        <p className="text-sm text-ink-600">Loading the card form…</p>
        <Skeleton className="h-24" />
      </div>
    );
  }
  return (
    <Elements stripe={stripe.data} options={{ clientSecret }}>
      <CardForm order={order} onConfirmed={onConfirmed} />
    </Elements>
  );
}

function CardForm({ order, onConfirmed }: { order: Order; onConfirmed: () => void }) {
  const stripe = useStripe();
  const elements = useElements();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const amount = order.payment.amount;

  async function pay(event: FormEvent) {
    event.preventDefault();
    if (!stripe || !elements) return;
    setBusy(true);
    setError(null);
    try {
      const result = await stripe.confirmPayment({
        elements,
        confirmParams: { return_url: `${location.origin}/orders/${order.id}?paid=1` },
        redirect: "if_required",
      });
      if (result.error) {
        setError(result.error.message ?? "The payment failed. Please check the card and try again.");
      } else if (["succeeded", "processing", "requires_capture"].includes(result.paymentIntent.status)) {
        onConfirmed();
      } else {
        setError("The payment was not completed. Please try again.");
      }
    } catch {
      setError("Stripe could not be reached. Please try again.");
    } finally {
      setBusy(false);
    }
  }

  const errorId = `pay-error-${order.id}`;
  return (
    <form noValidate onSubmit={pay} aria-label="Card payment" aria-describedby={error ? errorId : undefined} className="flex flex-col gap-3">
      <PaymentElement
        onLoadError={(event) =>
          setError(event.error.message ?? "The card form could not be loaded. Please reload the page.")}
      />
      {error && (
        <div id={errorId}>
          <Alert tone="error">{error}</Alert>
        </div>
      )}
      <Button type="submit" busy={busy} disabled={!stripe || !elements}>
        Pay {formatMoney(amount.amount, amount.currency)}
      </Button>
      <p className="text-sm text-ink-600">
        Card details go straight to Stripe; this site never sees them. Your payment is held until
        you accept the delivery.
      </p>
    </form>
  );
}
