/** Pieces the order pages share: a labelled text area, the status badge, paying an order. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, type TextareaHTMLAttributes, useEffect, useId, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { stripePublishableKey } from "../../api/site.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { Alert, Button, Skeleton } from "../../ui/index.ts";
import { getOrder, type Order, orderKeys, type OrderStatus, payLocalTest, STATUS_LABEL } from "./api.ts";

// Stripe's libraries stay in their own chunk, fetched only when a card form is shown.
const StripePay = lazy(() => import("./StripePay.tsx"));

export interface TextAreaProps extends TextareaHTMLAttributes<HTMLTextAreaElement> {
  label: string;
  error?: string;
  hint?: string;
}

/** A labelled text area with its hint and field error (like `Input`). */
export function TextArea({ label, error, hint, id, className = "", ...props }: TextAreaProps) {
  const fallback = useId();
  const areaId = id ?? fallback;
  const described = error ? `${areaId}-error` : hint ? `${areaId}-hint` : undefined;
  return (
    <div className={`flex flex-col gap-1.5 ${className}`}>
      <label htmlFor={areaId} className="text-sm font-medium text-ink-700">{label}</label>
      <textarea
        id={areaId}
        rows={4}
        {...props}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        className={`rounded-lg border bg-white px-3 py-2 text-base text-ink-900 ${
          error ? "border-danger-600" : "border-ink-300"
        }`}
      />
      {hint && !error && <p id={`${areaId}-hint`} className="text-sm text-ink-600">{hint}</p>}
      {error && <p id={`${areaId}-error`} className="text-sm text-danger-700">{error}</p>}
    </div>
  );
}

const TONE: Record<OrderStatus, string> = {
  pending_payment: "bg-ink-100 text-ink-800",
  in_progress: "bg-brand-50 text-brand-800",
  delivered: "bg-success-50 text-success-700",
  in_revision: "bg-brand-50 text-brand-800",
  completed: "bg-success-50 text-success-700",
  cancelled: "bg-danger-50 text-danger-700",
};

export function StatusBadge({ status, late }: { status: OrderStatus; late?: boolean }) {
  return (
    <span className="inline-flex items-center gap-1.5">
      <span className={`rounded-full px-2.5 py-0.5 text-sm font-medium ${TONE[status]}`}>
        {STATUS_LABEL[status]}
      </span>
      {late && <span className="rounded-full bg-danger-50 px-2.5 py-0.5 text-sm font-medium text-danger-700">Late</span>}
    </span>
  );
}

/**
 * Paying an order that waits for payment. In the fleet's local test payment mode
 * (`payment.provider` is `local_test`) a button makes the test payment through the
 * local-test route; the page says plainly that no money moves. In `stripe` mode,
 * with a publishable key from the gateway, Stripe's Payment Element (StripePay.tsx,
 * loaded lazily); then, or when Stripe sends the buyer back to
 * `/orders/<id>?paid=1`, the order is watched until the webhook marks it paid.
 */
export function PayOrder({ order, onPaid }: { order: Order; onPaid?: (order: Order) => void }) {
  const client = useQueryClient();
  const [params] = useSearchParams();
  // Back from a payment method that redirects (3-D Secure, bank pages): Stripe adds redirect_status.
  const returned = params.get("paid") === "1" && params.get("redirect_status") !== "failed";
  const [confirming, setConfirming] = useState(returned);
  const mutation = useMutation({
    mutationFn: () => payLocalTest(order),
    onSuccess(answer) {
      client.setQueryData(orderKeys.one(order.id), answer.order);
      void client.invalidateQueries({ queryKey: orderKeys.all });
      onPaid?.(answer.order);
    },
  });
  if (order.payment.provider === "local_test") {
    return (
      <div className="flex flex-col gap-3">
        <Alert tone="info">
          <strong>Test payment.</strong> This marketplace runs in local test payment mode: no card
          is asked for and no money moves.
        </Alert>
        {mutation.isError && (
          <Alert tone="error">
            {mutation.error instanceof ApiError ? sentenceOf(mutation.error) : "The payment failed."}
          </Alert>
        )}
        <Button busy={mutation.isPending} onClick={() => mutation.mutate()}>
          Pay with test payment
        </Button>
      </div>
    );
  }
  if (confirming) return <ConfirmingPayment order={order} onPaid={onPaid} />;
  const key = stripePublishableKey();
  if (!key || !order.payment.clientSecret) {
    // Without the key the site's CSP does not allow Stripe.js either; Stripe is never loaded.
    return (
      <Alert tone="info">
        Card payment is not set up on this site yet. Your order is saved and waits for payment.
      </Alert>
    );
  }
  return (
    <div className="flex flex-col gap-3">
      {order.payment.status === "failed" && order.payment.error && (
        <Alert tone="error">The last payment attempt failed: {order.payment.error}</Alert>
      )}
      <Suspense fallback={<Skeleton className="h-24" />}>
        <StripePay order={order} publishableKey={key} onConfirmed={() => setConfirming(true)} />
      </Suspense>
    </div>
  );
}

const CONFIRM_EVERY_MS = 2000;
const CONFIRM_TRIES = 30; // about a minute

/**
 * Stripe took the payment; the order is paid once the orders service has Stripe's
 * webhook. The order page also updates live (realtime edge); this asks the API
 * every 2 s for about a minute as well, then says so and offers to ask again.
 */
export function ConfirmingPayment({ order, onPaid }: { order: Order; onPaid?: (order: Order) => void }) {
  const client = useQueryClient();
  const [round, setRound] = useState(0);
  const [gaveUp, setGaveUp] = useState(false);
  const paid = useRef(onPaid);
  paid.current = onPaid;
  useEffect(() => {
    const controller = new AbortController();
    let tries = 0;
    let timer: ReturnType<typeof setTimeout>;
    const check = async () => {
      tries += 1;
      try {
        const fresh = await getOrder(order.id, controller.signal);
        if (fresh.status !== "pending_payment") {
          client.setQueryData(orderKeys.one(order.id), fresh);
          void client.invalidateQueries({ queryKey: orderKeys.all });
          paid.current?.(fresh);
          return;
        }
      } catch {
        if (controller.signal.aborted) return;
        // Asked again on the next tick.
      }
      if (tries >= CONFIRM_TRIES) setGaveUp(true);
      else timer = setTimeout(check, CONFIRM_EVERY_MS);
    };
    timer = setTimeout(check, CONFIRM_EVERY_MS / 2);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [client, order.id, round]);
  return (
    <div className="flex flex-col gap-3">
      <Alert tone="success">Payment received, confirming…</Alert>
      {gaveUp
        ? (
          <>
            <p className="text-sm text-ink-700">
              Stripe has not confirmed the payment to us yet. This page updates when it does.
            </p>
            <Button
              variant="secondary"
              className="self-start"
              onClick={() => {
                setGaveUp(false);
                setRound((n) => n + 1);
              }}
            >
              Check again
            </Button>
          </>
        )
        : (
          <p className="text-sm text-ink-600">
            The seller starts as soon as Stripe confirms it; this takes a few seconds.
          </p>
        )}
    </div>
  );
}
