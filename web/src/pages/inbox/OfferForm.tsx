/**
 * A seller's custom offer to the other participant: one of the seller's active
 * gigs, a description, a price in that gig's currency, delivery days, revisions
 * and how long it stays open. Shown only to people with an active gig.
 */
import { type FormEvent, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "../../api/client.ts";
import { formErrorsOf } from "../../forms/errors.ts";
import { Alert, Button, Input } from "../../ui/index.ts";

interface MyGig {
  id: string;
  title: string;
  status: string;
  startingPrice: { amount: number; currency: string };
}

const FIELDS = [
  "/gigId",
  "/description",
  "/price/amount",
  "/deliveryDays",
  "/revisions",
  "/expiresInDays",
] as const;

function fractionDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
    .maximumFractionDigits ?? 2;
}

/** "120.5" in USD → 12050 (exact: no float arithmetic); NaN when it is not a plain amount. */
export function toMinorUnits(text: string, currency: string): number {
  const digits = fractionDigits(currency);
  const match = /^(\d{1,9})(?:[.,](\d*))?$/.exec(text.trim());
  if (!match || (match[2] ?? "").length > digits) return NaN;
  return Number(match[1] + (match[2] ?? "").padEnd(digits, "0"));
}

export function useMyActiveGigs() {
  return useQuery({
    queryKey: ["gigs", "mine", "active"],
    retry: false,
    queryFn: ({ signal }) =>
      api<{ items: MyGig[] }>("GET", "/api/v1/gigs/mine?limit=50", { signal }).then((a) =>
        a.items.filter((g) => g.status === "active")
      ),
  });
}

export function OfferForm(
  { conversationId, gigs, onDone }: { conversationId: string; gigs: MyGig[]; onDone: () => void },
) {
  const [gigId, setGigId] = useState(gigs[0]?.id ?? "");
  const [description, setDescription] = useState("");
  const [price, setPrice] = useState("");
  const [deliveryDays, setDeliveryDays] = useState("3");
  const [revisions, setRevisions] = useState("1");
  const [expiresInDays, setExpiresInDays] = useState("7");
  const [priceError, setPriceError] = useState<string | undefined>();
  const key = useRef(crypto.randomUUID());
  const ids = { gig: useId(), description: useId() };
  const currency = gigs.find((g) => g.id === gigId)?.startingPrice.currency ?? "USD";
  const make = useMutation({
    mutationFn: (body: unknown) =>
      api("POST", `/api/v1/conversations/${conversationId}/offers`, {
        body,
        headers: { "Idempotency-Key": key.current },
      }),
    onSuccess: () => {
      key.current = crypto.randomUUID();
      onDone();
    },
  });
  const errors = formErrorsOf(make.error, FIELDS);

  function submit(event: FormEvent) {
    event.preventDefault();
    const amount = toMinorUnits(price, currency);
    if (!Number.isFinite(amount) || amount <= 0) {
      setPriceError(`Enter a price in ${currency}, like 120 or 120.50.`);
      return;
    }
    setPriceError(undefined);
    make.mutate({
      gigId,
      description,
      price: { amount, currency },
      deliveryDays: Number(deliveryDays),
      revisions: Number(revisions),
      expiresInDays: Number(expiresInDays),
    });
  }

  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label="Custom offer"
      className="flex flex-col gap-4 rounded-xl border border-ink-200 bg-white p-4"
    >
      <h2 className="text-lg font-semibold">Send a custom offer</h2>
      {errors.form && <Alert tone="error">{errors.form}</Alert>}
      <div className="flex flex-col gap-1.5">
        <label htmlFor={ids.gig} className="text-sm font-medium text-ink-700">Gig</label>
        <select
          id={ids.gig}
          value={gigId}
          onChange={(event) => setGigId(event.target.value)}
          className="min-h-10 rounded-lg border border-ink-300 bg-white px-3 py-2 text-base"
        >
          {gigs.map((g) => <option key={g.id} value={g.id}>{g.title}</option>)}
        </select>
        {errors.fields["/gigId"] && <p className="text-sm text-danger-700">{errors.fields["/gigId"]}</p>}
      </div>
      <div className="flex flex-col gap-1.5">
        <label htmlFor={ids.description} className="text-sm font-medium text-ink-700">
          What you will deliver
        </label>
        <textarea
          id={ids.description}
          rows={3}
          maxLength={1500}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
          aria-invalid={errors.fields["/description"] ? true : undefined}
          aria-describedby={errors.fields["/description"] ? `${ids.description}-error` : undefined}
          className={`rounded-lg border bg-white px-3 py-2 text-base ${
            errors.fields["/description"] ? "border-danger-600" : "border-ink-300"
          }`}
        />
        {errors.fields["/description"] && (
          <p id={`${ids.description}-error`} className="text-sm text-danger-700">
            {errors.fields["/description"]}
          </p>
        )}
      </div>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <Input
          label={`Price (${currency})`}
          inputMode="decimal"
          value={price}
          onChange={(event) => setPrice(event.target.value)}
          error={priceError ?? errors.fields["/price/amount"]}
        />
        <Input
          label="Delivery days"
          type="number"
          min={1}
          max={90}
          value={deliveryDays}
          onChange={(event) => setDeliveryDays(event.target.value)}
          error={errors.fields["/deliveryDays"]}
        />
        <Input
          label="Revisions"
          type="number"
          min={0}
          max={20}
          value={revisions}
          onChange={(event) => setRevisions(event.target.value)}
          error={errors.fields["/revisions"]}
        />
        <Input
          label="Open for (days)"
          type="number"
          min={1}
          max={30}
          value={expiresInDays}
          onChange={(event) => setExpiresInDays(event.target.value)}
          error={errors.fields["/expiresInDays"]}
        />
      </div>
      <div className="flex gap-2">
        <Button type="submit" busy={make.isPending}>Send offer</Button>
        <Button variant="ghost" onClick={onDone}>Cancel</Button>
      </div>
    </form>
  );
}
