/** Pieces the browse pages share: gig cards, stars, the save control, reviews. */
import { memo, useState } from "react";
import { Link } from "react-router";
import { Button, EmptyState, formatMoney, RelativeTime, Skeleton } from "../../ui/index.ts";
import { type GigCardData, type RatingSummary, type ReviewPage, useFavoriteIds, useToggleFavorite } from "./api.ts";

const LEVELS: Record<string, string> = {
  new: "New seller",
  level_1: "Level 1",
  level_2: "Level 2",
  top_rated: "Top rated",
};

export function levelName(level: string | null | undefined): string | null {
  return level ? LEVELS[level] ?? level : null;
}

export function LevelBadge({ level }: { level: string | null | undefined }) {
  const name = levelName(level);
  if (!name) return null;
  return (
    <span className="rounded-full bg-brand-50 px-2 py-0.5 text-xs font-semibold text-brand-800">
      {name}
    </span>
  );
}

/** "★ 4.8 (12)" or "No reviews yet". */
export function Rating({ average, count }: { average: number | null; count: number }) {
  if (average === null || count === 0) return <span className="text-sm text-ink-600">No reviews yet</span>;
  return (
    <span className="text-sm text-ink-700">
      <span aria-hidden="true" className="text-brand-600">★</span>{" "}
      <span className="font-semibold text-ink-900">{average.toFixed(1)}</span>
      <span className="sr-only">out of 5 stars,</span> ({count === 1 ? "1 review" : `${count} reviews`})
    </span>
  );
}

/** Save/unsave for a signed-in person; nothing when signed out. */
export function SaveButton({ gigId, title, compact }: { gigId: string; title: string; compact?: boolean }) {
  const favorites = useFavoriteIds();
  const toggle = useToggleFavorite();
  if (!favorites.signedIn || !favorites.ready) return null;
  const saved = favorites.ids.has(gigId);
  return (
    <Button
      variant="secondary"
      aria-pressed={saved}
      aria-label={compact ? `${saved ? "Saved" : "Save"}: ${title}` : undefined}
      busy={toggle.isPending}
      onClick={() => toggle.mutate({ id: gigId, save: !saved })}
      className={compact ? "min-h-9 px-3 py-1" : ""}
    >
      <span aria-hidden="true" className={saved ? "text-danger-600" : "text-ink-500"}>{saved ? "♥" : "♡"}</span>
      {saved ? "Saved" : "Save"}
    </Button>
  );
}

/** A gig's picture; an image that fails to load (or none) leaves a quiet grey panel. */
export function GigImage({ src, alt, className = "" }: { src: string | null; alt: string; className?: string }) {
  const [failed, setFailed] = useState(false);
  if (!src || failed) {
    return <div aria-hidden="true" className={`bg-gradient-to-br from-brand-50 to-ink-100 ${className}`} />;
  }
  return (
    <img src={src} alt={alt} loading="lazy" onError={() => setFailed(true)} className={`bg-ink-100 object-cover ${className}`} />
  );
}

export function GigCard({ gig }: { gig: GigCardData }) {
  return (
    <article className="flex h-full flex-col gap-3 overflow-hidden rounded-xl border border-ink-200 bg-white shadow-sm">
      <GigImage src={gig.image} alt="" className="aspect-video w-full" />
      <div className="flex flex-1 flex-col gap-2 px-4 pb-4">
        <p className="flex flex-wrap items-center gap-2 text-sm text-ink-700">
          <Link to={`/sellers/${gig.seller.username}`} className="font-medium hover:underline">
            {gig.seller.displayName}
          </Link>
          <LevelBadge level={gig.seller.level} />
        </p>
        <h3 className="text-base font-semibold leading-snug">
          <Link to={`/gigs/${gig.id}`} className="text-ink-900 hover:text-brand-700 hover:underline">
            {gig.title}
          </Link>
        </h3>
        <Rating {...gig.rating} />
        <div className="mt-auto flex items-center justify-between gap-2 pt-2">
          <p className="text-sm text-ink-700">
            From{" "}
            <span className="text-base font-semibold text-ink-900 tabular-nums">
              {formatMoney(gig.startingPrice.amount, gig.startingPrice.currency)}
            </span>
          </p>
          <SaveButton gigId={gig.id} title={gig.title} compact />
        </div>
      </div>
    </article>
  );
}

/**
 * A grid of gig cards. Memoised: a filter click re-renders the search page at once
 * while the previous results (the same array) stay on screen, and redrawing their
 * cards then would only delay that paint.
 */
export const GigGrid = memo(function GigGrid({ gigs, label }: { gigs: GigCardData[]; label: string }) {
  return (
    <ul aria-label={label} className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
      {gigs.map((gig) => <li key={gig.id}><GigCard gig={gig} /></li>)}
    </ul>
  );
});

export function GigGridSkeleton({ count = 6 }: { count?: number }) {
  return (
    <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-busy="true">
      {Array.from({ length: count }, (_, i) => <Skeleton key={i} className="h-72" />)}
    </div>
  );
}

/** Bar widths in tenths, spelled out so Tailwind generates them (no style attribute: CSP). */
const BAR_WIDTHS = [
  "w-0",
  "w-[10%]",
  "w-[20%]",
  "w-[30%]",
  "w-[40%]",
  "w-[50%]",
  "w-[60%]",
  "w-[70%]",
  "w-[80%]",
  "w-[90%]",
  "w-full",
];

/** The count of each star rating as bars. */
export function Histogram({ summary }: { summary: RatingSummary }) {
  return (
    <dl aria-label="Ratings" className="flex w-full max-w-md flex-col gap-1">
      {(["5", "4", "3", "2", "1"] as const).map((stars) => {
        const count = summary.histogram[stars];
        const share = summary.count ? count / summary.count : 0;
        return (
          <div key={stars} className="flex items-center gap-3 text-sm">
            <dt className="w-14 shrink-0 text-ink-700">{stars} star{stars === "1" ? "" : "s"}</dt>
            <dd className="flex flex-1 items-center gap-3">
              <meter min={0} max={1} value={share} aria-label={`${stars} star${stars === "1" ? "" : "s"}`} className="sr-only" />
              <span aria-hidden="true" className="h-2 w-full max-w-64 overflow-hidden rounded-full bg-ink-200">
                <span className={`block h-2 rounded-full bg-brand-600 ${BAR_WIDTHS[Math.round(share * 10)]}`} />
              </span>
              <span className="w-8 text-right tabular-nums text-ink-700">{count}</span>
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

export function Reviews({ data, showGig, onPage }: {
  data: ReviewPage;
  showGig?: boolean;
  /** Turns the page of reviews (kept by the caller). */
  onPage?: (page: number) => void;
}) {
  const { summary, items, total, page, limit } = data;
  if (summary.count === 0) {
    return <EmptyState title="No reviews yet">Reviews appear here once buyers complete orders.</EmptyState>;
  }
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-center sm:gap-10">
        <p className="flex flex-col">
          <span className="text-4xl font-bold text-ink-900">{summary.average?.toFixed(1)}</span>
          <span className="text-sm text-ink-600">
            out of 5 · {summary.count === 1 ? "1 review" : `${summary.count} reviews`}
          </span>
        </p>
        <Histogram summary={summary} />
      </div>
      <ul aria-label="Reviews" className="flex flex-col divide-y divide-ink-200">
        {items.map((review) => (
          <li key={review.id} className="flex flex-col gap-1 py-4">
            <p className="flex flex-wrap items-center gap-x-3 text-sm">
              <span className="font-semibold text-ink-900">{review.reviewer.username ?? "A buyer"}</span>
              <span role="img" className="text-brand-700" aria-label={`${review.rating} out of 5 stars`}>
                {"★".repeat(review.rating)}
                <span className="text-ink-300">{"★".repeat(5 - review.rating)}</span>
              </span>
              <span className="text-ink-600"><RelativeTime iso={review.createdAt} /></span>
            </p>
            {showGig && review.gigTitle && (
              <p className="text-sm text-ink-600">
                On <Link to={`/gigs/${review.gigId}`} className="text-brand-700 hover:underline">{review.gigTitle}</Link>
              </p>
            )}
            <p className="text-ink-900">{review.comment}</p>
            {review.reply && (
              <p className="mt-2 border-l-2 border-ink-200 pl-3 text-sm text-ink-700">
                <span className="font-semibold">Seller's reply:</span> {review.reply.text}
              </p>
            )}
          </li>
        ))}
      </ul>
      {onPage && total > limit && (
        <nav aria-label="Review pages" className="flex items-center justify-between gap-4">
          <Button variant="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
            Newer reviews
          </Button>
          <span className="text-sm text-ink-700">Page {page} of {Math.ceil(total / limit)}</span>
          <Button variant="secondary" disabled={page * limit >= total} onClick={() => onPage(page + 1)}>
            Older reviews
          </Button>
        </nav>
      )}
    </div>
  );
}
