/** A custom offer shown on its message: the buyer accepts or declines, the seller withdraws. */
import { Link } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { Alert, Button, Money, RelativeTime, Skeleton } from "../../ui/index.ts";
import { useOffer, useOfferAction } from "./api.ts";

const STATUS: Record<string, string> = {
  pending: "Waiting for the buyer",
  accepted: "Accepted",
  declined: "Declined",
  withdrawn: "Withdrawn",
  expired: "Expired",
};

const REFUSED: Record<string, string> = {
  gig_not_found: "the gig no longer exists",
  not_gig_seller: "the gig now belongs to someone else",
  own_gig: "the buyer is the gig's seller",
  gig_paused: "the seller paused the gig",
  currency_mismatch: "the gig is now priced in another currency",
  payment_refused: "the payment provider refused to set up the payment",
};

export function OfferCard({ offerId, me }: { offerId: string; me: string }) {
  const offer = useOffer(offerId);
  const action = useOfferAction(offerId);
  if (offer.isPending) return <Skeleton className="h-40 w-72" />;
  if (offer.isError) return <Alert tone="error">This offer could not be loaded.</Alert>;
  const o = offer.data;
  const buyer = o.buyerId === me;
  const seller = o.sellerId === me;
  return (
    <article
      aria-label="Custom offer"
      className="flex w-full max-w-sm flex-col gap-3 rounded-xl border border-brand-600 bg-white p-4 text-ink-900 shadow-sm"
    >
      <div className="flex items-center justify-between gap-2">
        <h3 className="text-sm font-semibold uppercase tracking-wide text-brand-800">Custom offer</h3>
        <span className="rounded-full bg-ink-100 px-2 text-xs font-medium leading-5 text-ink-700">
          {STATUS[o.status] ?? o.status}
        </span>
      </div>
      <p className="whitespace-pre-wrap text-sm">{o.description}</p>
      <dl className="grid grid-cols-3 gap-2 text-sm">
        <div>
          <dt className="text-ink-600">Price</dt>
          <dd className="font-semibold">
            <Money amount={o.price.amount} currency={o.price.currency} />
          </dd>
        </div>
        <div>
          <dt className="text-ink-600">Delivery</dt>
          <dd className="font-semibold">{o.deliveryDays} {o.deliveryDays === 1 ? "day" : "days"}</dd>
        </div>
        <div>
          <dt className="text-ink-600">Revisions</dt>
          <dd className="font-semibold">{o.revisions}</dd>
        </div>
      </dl>
      {o.status === "pending" && (
        <p className="text-xs text-ink-600">
          Expires <RelativeTime iso={o.expiresAt} />
        </p>
      )}
      {action.isError && (
        <Alert tone="error">
          {action.error instanceof ApiError ? sentenceOf(action.error) : "That did not work."}
        </Alert>
      )}
      {o.status === "pending" && buyer && (
        <div className="flex gap-2">
          <Button busy={action.isPending && action.variables === "accept"} onClick={() => action.mutate("accept")}>
            Accept offer
          </Button>
          <Button
            variant="secondary"
            busy={action.isPending && action.variables === "decline"}
            onClick={() => action.mutate("decline")}
          >
            Decline
          </Button>
        </div>
      )}
      {o.status === "pending" && seller && (
        <Button
          variant="secondary"
          busy={action.isPending}
          onClick={() => action.mutate("withdraw")}
        >
          Withdraw offer
        </Button>
      )}
      {o.status === "accepted" && o.orderId && (
        <Link to={`/orders/${o.orderId}`} className="font-semibold text-brand-700 underline">
          {buyer ? "Go to the order and pay" : "View the order"}
        </Link>
      )}
      {o.status === "accepted" && !o.orderId && !o.orderRejectedReason && (
        <p role="status" className="text-sm text-ink-600">Creating the order…</p>
      )}
      {o.orderRejectedReason && (
        <Alert tone="error">
          No order could be made: {REFUSED[o.orderRejectedReason] ?? o.orderRejectedReason}. Ask the
          seller for a new offer.
        </Alert>
      )}
    </article>
  );
}
