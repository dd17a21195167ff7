/** /sell/gigs: the seller's gigs, active and paused, with pause, activate, edit and delete. */
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, buttonClass, EmptyState, Money, PageTitle, Skeleton } from "../../ui/index.ts";
import { type OwnGigCard, useGigAction, useMyGigs } from "./api.ts";
import { SellingNav } from "./SellingNav.tsx";

export default function MyGigs() {
  return (
    <RequireAuth>
      <div className="flex flex-col gap-6">
        <div className="flex flex-wrap items-center justify-between gap-4">
          <PageTitle title="My gigs">My gigs</PageTitle>
          <Link to="/sell/gigs/new" className={buttonClass()}>New gig</Link>
        </div>
        <SellingNav />
        <List />
      </div>
    </RequireAuth>
  );
}

function List() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const gigs = useMyGigs(page);
  const action = useGigAction();
  if (gigs.isPending) return <Skeleton className="h-48 w-full" />;
  if (gigs.isError) {
    return (
      <Alert tone="error">
        {gigs.error instanceof ApiError ? sentenceOf(gigs.error) : "Could not load your gigs."}{" "}
        <button type="button" className="underline" onClick={() => gigs.refetch()}>Try again</button>
      </Alert>
    );
  }
  if (gigs.data.items.length === 0) {
    return (
      <EmptyState title="You have no gigs yet"
        action={<Link to="/sell/gigs/new" className={buttonClass()}>Publish your first gig</Link>}>
        A gig is a service you offer, with up to three packages buyers can order.
      </EmptyState>
    );
  }
  const pages = Math.ceil(gigs.data.total / gigs.data.limit);
  return (
    <div className="flex flex-col gap-4">
      {params.get("saved") && <Alert tone="success">Your gig is saved.</Alert>}
      {action.error && (
        <Alert tone="error">
          {action.error instanceof ApiError ? sentenceOf(action.error) : "That did not work. Please try again."}
        </Alert>
      )}
      <ul className="flex flex-col gap-3">
        {gigs.data.items.map((gig) => <Row key={gig.id} gig={gig} action={action} />)}
      </ul>
      {pages > 1 && (
        <nav aria-label="Pages" className="flex items-center gap-3">
          <Button variant="secondary" disabled={page <= 1} onClick={() => setParams({ page: String(page - 1) })}>
            Previous page
          </Button>
          <span className="text-sm text-ink-600">Page {page} of {pages}</span>
          <Button variant="secondary" disabled={page >= pages} onClick={() => setParams({ page: String(page + 1) })}>
            Next page
          </Button>
        </nav>
      )}
    </div>
  );
}

function Row({ gig, action }: { gig: OwnGigCard; action: ReturnType<typeof useGigAction> }) {
  const [confirming, setConfirming] = useState(false);
  const busy = action.isPending && action.variables?.id === gig.id;
  return (
    <li className="flex flex-col gap-3 rounded-xl border border-ink-200 bg-white p-4 shadow-sm sm:flex-row sm:items-center">
      {gig.image
        ? <img src={gig.image} alt="" className="h-16 w-24 flex-none rounded-md bg-ink-100 object-cover" />
        : <div aria-hidden="true" className="h-16 w-24 flex-none rounded-md bg-ink-100" />}
      <div className="flex min-w-0 flex-1 flex-col gap-1">
        <Link to={`/gigs/${gig.id}`} className="truncate font-semibold text-ink-900 hover:underline">{gig.title}</Link>
        <p className="flex flex-wrap items-center gap-2 text-sm text-ink-600">
          <span
            className={`rounded-full px-2.5 py-0.5 font-medium ${
              gig.status === "active" ? "bg-success-50 text-success-700" : "bg-ink-100 text-ink-800"
            }`}
          >
            {gig.status === "active" ? "Active" : "Paused"}
          </span>
          <span>From <Money amount={gig.startingPrice.amount} currency={gig.startingPrice.currency} /></span>
          <span>
            {gig.rating.count === 0 ? "No reviews yet" : `${gig.rating.average?.toFixed(1)} ★ (${gig.rating.count})`}
          </span>
        </p>
      </div>
      {confirming
        ? (
          <div role="group" aria-label={`Delete ${gig.title}?`} className="flex flex-wrap items-center gap-2">
            <span className="text-sm text-ink-700">Delete this gig for good?</span>
            <Button variant="danger" busy={busy}
              onClick={() => action.mutate({ id: gig.id, action: "delete" }, { onSettled: () => setConfirming(false) })}>
              Yes, delete
            </Button>
            <Button variant="ghost" onClick={() => setConfirming(false)}>Keep it</Button>
          </div>
        )
        : (
          <div className="flex flex-wrap gap-2">
            <Link to={`/sell/gigs/${gig.id}/edit`} className={buttonClass("secondary")}
              aria-label={`Edit ${gig.title}`}>
              Edit
            </Link>
            {gig.status === "active"
              ? (
                <Button variant="secondary" busy={busy} aria-label={`Pause ${gig.title}`}
                  onClick={() => action.mutate({ id: gig.id, action: "pause" })}>
                  Pause
                </Button>
              )
              : (
                <Button variant="secondary" busy={busy} aria-label={`Activate ${gig.title}`}
                  onClick={() => action.mutate({ id: gig.id, action: "activate" })}>
                  Activate
                </Button>
              )}
            <Button variant="ghost" aria-label={`Delete ${gig.title}`} onClick={() => setConfirming(true)}>
              Delete
            </Button>
          </div>
        )}
    </li>
  );
}
