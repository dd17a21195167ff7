/** Pieces the order pages share: a labelled text area, the status badge, the test payment. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type TextareaHTMLAttributes, useId } from "react";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { Alert, Button } from "../../ui/index.ts";
import { type Order, orderKeys, type OrderStatus, payLocalTest, STATUS_LABEL } from "./api.ts";

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
 * local-test route; the page says plainly that no money moves.
 */
export function PayOrder({ order, onPaid }: { order: Order; onPaid?: (order: Order) => void }) {
  const client = useQueryClient();
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
  // Stripe Elements is not built into the site yet (it would need a publishable key and
  // js.stripe.com in the site's CSP); Stripe is never loaded.
  return (
    <Alert tone="info">
      Card payment is not available on this site yet. Your order is saved and waits for payment.
    </Alert>
  );
}
