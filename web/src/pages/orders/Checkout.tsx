/**
 * Checkout: `/checkout/:gigId?package=basic|standard|premium`. The buyer picks the
 * package, answers the gig's requirement questions, and places the order with one
 * Idempotency-Key per checkout attempt (a retry after a lost answer gets the same
 * order). The service fee and total are the API's answer; then the payment.
 */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { formErrorsOf, sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, buttonClass, Card, Money, PageTitle, Skeleton } from "../../ui/index.ts";
import { type CheckoutGig, type Order, placeOrder, type Tier, useCheckoutGig } from "./api.ts";
import { PayOrder, TextArea } from "./parts.tsx";

export default function CheckoutPage() {
  return (
    <RequireAuth>
      <Checkout />
    </RequireAuth>
  );
}

function Checkout() {
  const { gigId = "" } = useParams();
  const gig = useCheckoutGig(gigId);
  if (gig.isPending) {
    return (
      <div className="flex flex-col gap-6" aria-busy="true">
        <PageTitle title="Checkout">Checkout</PageTitle>
        <Skeleton className="h-40" />
        <Skeleton className="h-64" />
      </div>
    );
  }
  if (gig.isError) {
    const notFound = gig.error instanceof ApiError && gig.error.status === 404;
    return (
      <div className="flex flex-col items-start gap-4">
        <PageTitle title="Checkout">Checkout</PageTitle>
        <Alert tone="error">
          {notFound
            ? "This gig does not exist or is no longer offered."
            : gig.error instanceof ApiError
            ? sentenceOf(gig.error)
            : "The gig could not be loaded."}
        </Alert>
        {!notFound && <Button variant="secondary" onClick={() => gig.refetch()}>Try again</Button>}
      </div>
    );
  }
  return <CheckoutForm gig={gig.data} />;
}

function CheckoutForm({ gig }: { gig: CheckoutGig }) {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const asked = params.get("package") as Tier | null;
  const chosen = gig.packages.find((p) => p.tier === asked) ?? gig.packages[0]!;
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [missing, setMissing] = useState<Record<string, string>>({});
  // One key per checkout attempt: the same until the answer is known, a new one when the
  // buyer changes what is ordered.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const body = useMemo(() => ({
    gigId: gig.id,
    package: chosen.tier,
    requirements: gig.requirements
      .filter((q) => (answers[q.id] ?? "").trim() !== "")
      .map((q) => ({ questionId: q.id, answer: answers[q.id]!.trim() })),
  }), [gig, chosen.tier, answers]);
  const mutation = useMutation({ mutationFn: () => placeOrder(body, key) });
  const placed: Order | undefined = mutation.data;

  const pointers = gig.requirements.map((_, i) => `/requirements/${i}/answer`);
  const errors = formErrorsOf(mutation.error, ["/package", "/requirements", ...pointers]);
  // The API points at the index of the answer sent; map it back to the question.
  const errorOf = (questionId: string): string | undefined => {
    if (missing[questionId]) return missing[questionId];
    const index = body.requirements.findIndex((a) => a.questionId === questionId);
    return index >= 0 ? errors.fields[`/requirements/${index}/answer`] : undefined;
  };

  function change(update: () => void) {
    update();
    if (!placed) {
      setKey(crypto.randomUUID());
      mutation.reset();
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const problems: Record<string, string> = {};
    for (const q of gig.requirements) {
      const answer = (answers[q.id] ?? "").trim();
      if (q.required && !answer) problems[q.id] = "Please answer this question.";
      else if (answer.length > 5000) problems[q.id] = "At most 5,000 characters.";
    }
    setMissing(problems);
    if (Object.keys(problems).length === 0) mutation.mutate();
  }

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-1">
        <PageTitle title={`Checkout: ${gig.title}`}>Checkout</PageTitle>
        <p className="text-ink-600">
          <Link to={`/gigs/${gig.id}`} className="text-brand-700 underline">{gig.title}</Link>{" "}
          by {gig.seller.displayName}
        </p>
      </div>
      <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
        <form onSubmit={submit} noValidate className="flex flex-col gap-6" aria-label="Order details">
          <Card className="flex flex-col gap-4">
            <fieldset className="flex flex-col gap-3" disabled={!!placed}>
              <legend className="mb-2 text-lg font-semibold">Package</legend>
              <div className="grid gap-3 sm:grid-cols-3">
                {gig.packages.map((p) => (
                  <label
                    key={p.tier}
                    className={`flex cursor-pointer flex-col gap-1 rounded-lg border p-4 ${
                      p.tier === chosen.tier ? "border-brand-700 ring-2 ring-brand-700" : "border-ink-300"
                    }`}
                  >
                    <span className="flex items-center gap-2">
                      <input
                        type="radio"
                        name="package"
                        value={p.tier}
                        checked={p.tier === chosen.tier}
                        onChange={() =>
                          change(() => {
                            const next = new URLSearchParams(params);
                            next.set("package", p.tier);
                            setParams(next, { replace: true });
                          })}
                      />
                      <span className="font-semibold">{p.name}</span>
                    </span>
                    <span className="text-lg font-bold"><Money {...p.price} /></span>
                    <span className="text-sm text-ink-600">
                      {p.deliveryDays} day{p.deliveryDays === 1 ? "" : "s"} delivery ·{" "}
                      {p.revisions} revision{p.revisions === 1 ? "" : "s"}
                    </span>
                  </label>
                ))}
              </div>
              <p className="text-sm text-ink-700">{chosen.description}</p>
              {chosen.features.length > 0 && (
                <ul className="list-inside list-disc text-sm text-ink-700">
                  {chosen.features.map((f) => <li key={f}>{f}</li>)}
                </ul>
              )}
            </fieldset>
          </Card>
          {gig.requirements.length > 0 && (
            <Card className="flex flex-col gap-4">
              <fieldset className="flex flex-col gap-4" disabled={!!placed}>
                <legend className="mb-2 text-lg font-semibold">What the seller needs from you</legend>
                {errors.fields["/requirements"] && (
                  <Alert tone="error">{errors.fields["/requirements"]}</Alert>
                )}
                {gig.requirements.map((q) =>
                  q.type === "choice"
                    ? (
                      <ChoiceQuestion
                        key={q.id}
                        label={q.question + (q.required ? "" : " (optional)")}
                        choices={q.choices ?? []}
                        value={answers[q.id] ?? ""}
                        error={errorOf(q.id)}
                        onChange={(value) => change(() => setAnswers({ ...answers, [q.id]: value }))}
                      />
                    )
                    : (
                      <TextArea
                        key={q.id}
                        label={q.question + (q.required ? "" : " (optional)")}
                        required={q.required}
                        maxLength={5000}
                        value={answers[q.id] ?? ""}
                        error={errorOf(q.id)}
                        onChange={(event) =>
                          change(() => setAnswers({ ...answers, [q.id]: event.target.value }))}
                      />
                    )
                )}
              </fieldset>
            </Card>
          )}
          {errors.form && <Alert tone="error">{errors.form}</Alert>}
          {!placed && (
            <Button type="submit" busy={mutation.isPending} className="self-start">
              Continue to payment
            </Button>
          )}
        </form>
        <aside aria-label="Order summary" className="flex flex-col gap-4">
          <Card className="flex flex-col gap-3">
            <h2 className="text-lg font-semibold">Summary</h2>
            <dl className="flex flex-col gap-2 text-sm">
              <div className="flex justify-between">
                <dt>{chosen.name} package</dt>
                <dd><Money {...(placed?.price ?? chosen.price)} /></dd>
              </div>
              <div className="flex justify-between">
                <dt>Service fee</dt>
                <dd>{placed?.serviceFee ? <Money {...placed.serviceFee} /> : "Calculated next"}</dd>
              </div>
              <div className="flex justify-between border-t border-ink-200 pt-2 text-base font-semibold">
                <dt>Total</dt>
                <dd>{placed ? <Money {...placed.total} /> : "Calculated next"}</dd>
              </div>
            </dl>
            {!placed && (
              <p className="text-sm text-ink-600">
                Your payment is held until you accept the delivery.
              </p>
            )}
          </Card>
          {placed && (
            <Card className="flex flex-col gap-3">
              <h2 className="text-lg font-semibold">Payment</h2>
              <PayOrder order={placed} onPaid={(order) => navigate(`/orders/${order.id}`)} />
              <Link to={`/orders/${placed.id}`} className={buttonClass("ghost", "self-start")}>
                Pay later: see the order
              </Link>
            </Card>
          )}
        </aside>
      </div>
    </div>
  );
}

function ChoiceQuestion(
  { label, choices, value, error, onChange }: {
    label: string;
    choices: string[];
    value: string;
    error?: string;
    onChange: (value: string) => void;
  },
) {
  const id = useMemo(() => `choice-${crypto.randomUUID()}`, []);
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={id} className="text-sm font-medium text-ink-700">{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className="min-h-10 rounded-lg border border-ink-300 bg-white px-3 py-2"
      >
        <option value="">Choose…</option>
        {choices.map((c) => <option key={c} value={c}>{c}</option>)}
      </select>
      {error && <p id={`${id}-error`} className="text-sm text-danger-700">{error}</p>}
    </div>
  );
}
