/**
 * A gig: `/gigs/:id`. Images, the packages side by side (each orders through
 * `/checkout/:gigId?package=`), the seller card (level and rating from the seller's
 * profile, "Contact seller" → `/inbox/new?to=`), reviews with the histogram, the FAQ.
 */
import { useState } from "react";
import { Link, useParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { useSession } from "../../auth/session.tsx";
import { sentenceOf } from "../../forms/errors.ts";
import { Alert, Button, buttonClass, Card, EmptyState, Money, PageTitle, Skeleton } from "../../ui/index.ts";
import { useGig, useGigReviews, useSeller } from "./api.ts";
import { GigImage, LevelBadge, Rating, Reviews, SaveButton } from "./parts.tsx";

export default function GigPage() {
  const { id = "" } = useParams();
  const session = useSession();
  const gig = useGig(id);
  const [reviewPage, setReviewPage] = useState(1);
  const reviews = useGigReviews(id, reviewPage);
  const seller = useSeller(gig.data?.seller.username ?? "");

  if (gig.isPending) {
    return (
      <div className="flex flex-col gap-6" aria-busy="true">
        <Skeleton className="h-9 w-2/3" />
        <Skeleton className="aspect-video w-full max-w-3xl" />
        <div className="grid gap-4 md:grid-cols-3">
          {[0, 1, 2].map((i) => <Skeleton key={i} className="h-64" />)}
        </div>
      </div>
    );
  }
  if (gig.isError) {
    if (gig.error instanceof ApiError && (gig.error.status === 404 || gig.error.status === 400)) {
      return (
        <EmptyState
          title="This service is not available"
          action={<Link to="/search" className={buttonClass("secondary")}>Find other services</Link>}
        >
          It may have been paused or removed by its seller.
        </EmptyState>
      );
    }
    return (
      <div className="flex flex-col items-start gap-3">
        <Alert tone="error">{gig.error instanceof ApiError ? sentenceOf(gig.error) : "The service could not be loaded."}</Alert>
        <Button variant="secondary" onClick={() => gig.refetch()}>Try again</Button>
      </div>
    );
  }

  const data = gig.data;
  const profile = seller.data;
  const own = session.user?.id === data.seller.id;
  return (
    <div className="flex flex-col gap-10">
      <div className="flex flex-col gap-3">
        <PageTitle title={data.title}>{data.title}</PageTitle>
        <div className="flex flex-wrap items-center gap-3">
          <Link to={`/sellers/${data.seller.username}`} className="font-medium text-ink-900 hover:underline">
            {data.seller.displayName}
          </Link>
          <LevelBadge level={data.seller.level} />
          <Rating {...data.rating} />
          <span className="ml-auto"><SaveButton gigId={data.id} title={data.title} /></span>
        </div>
        {own && data.status === "active" && (
          <Alert tone="info">This is your gig: buyers see it like this and order from here.</Alert>
        )}
        {data.status === "paused" && (
          <Alert tone="info">This gig is paused: only you see it, and nobody can order it.</Alert>
        )}
      </div>

      <div className="grid gap-8 lg:grid-cols-[1fr_20rem]">
        <div className="flex flex-col gap-8">
          {data.images.length > 0 && (
            <section aria-label="Images" className="flex flex-col gap-3">
              <GigImage
                src={data.images[0]!}
                alt={`${data.title}: image 1 of ${data.images.length}`}
                className="aspect-video w-full rounded-xl"
              />
              {data.images.length > 1 && (
                <ul className="grid grid-cols-4 gap-2">
                  {data.images.slice(1).map((src, i) => (
                    <li key={src}>
                      <GigImage
                          src={src}
                          alt={`${data.title}: image ${i + 2} of ${data.images.length}`}
                          className="aspect-video w-full rounded-lg"
                        />
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}
          <section aria-labelledby="about-gig" className="flex flex-col gap-2">
            <h2 id="about-gig" className="text-xl font-semibold">About this service</h2>
            <p className="whitespace-pre-line text-ink-900">{data.description}</p>
            {data.tags.length > 0 && (
              <ul aria-label="Tags" className="flex flex-wrap gap-2 pt-2">
                {data.tags.map((tag) => (
                  <li key={tag}>
                    <Link
                      to={`/search?${new URLSearchParams({ q: tag })}`}
                      className="rounded-full bg-ink-100 px-3 py-1 text-sm text-ink-700 hover:bg-ink-200"
                    >
                      {tag}
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>

        <aside aria-label="Seller">
          <Card className="flex flex-col gap-3">
            <h2 className="text-lg font-semibold">About the seller</h2>
            <p className="flex flex-wrap items-center gap-2">
              <Link to={`/sellers/${data.seller.username}`} className="font-semibold text-brand-700 hover:underline">
                {data.seller.displayName}
              </Link>
              <span className="text-sm text-ink-600">@{data.seller.username}</span>
            </p>
            {seller.isPending && <Skeleton className="h-12" />}
            {profile && (
              <>
                <p><LevelBadge level={profile.seller?.level ?? data.seller.level} /></p>
                <Rating average={profile.ratings.asSeller.average} count={profile.ratings.asSeller.count} />
                {profile.seller?.description && (
                  <p className="line-clamp-4 text-sm text-ink-700">{profile.seller.description}</p>
                )}
              </>
            )}
            <Link to={`/sellers/${data.seller.username}`} className={buttonClass("secondary")}>
              View profile
            </Link>
            {!own && (
              <Link
                to={`/inbox/new?${new URLSearchParams({ to: data.seller.username })}`}
                className={buttonClass("secondary")}
              >
                Contact seller
              </Link>
            )}
          </Card>
        </aside>
      </div>

      <section aria-labelledby="packages" className="flex flex-col gap-4">
        <h2 id="packages" className="text-xl font-semibold">Packages</h2>
        <ul className={`grid gap-4 ${data.packages.length === 3 ? "md:grid-cols-3" : data.packages.length === 2 ? "md:grid-cols-2" : ""}`}>
          {data.packages.map((pack) => (
            <li key={pack.tier}>
              <Card className="flex h-full flex-col gap-3">
                <h3 className="text-lg font-semibold">{pack.name}</h3>
                <p className="text-2xl font-bold text-ink-900">
                  <Money amount={pack.price.amount} currency={pack.price.currency} />
                </p>
                <p className="text-sm text-ink-700">{pack.description}</p>
                <ul className="flex flex-col gap-1 text-sm text-ink-900">
                  <li>{pack.deliveryDays === 1 ? "1 day delivery" : `${pack.deliveryDays} days delivery`}</li>
                  <li>{pack.revisions === 1 ? "1 revision" : `${pack.revisions} revisions`}</li>
                  {pack.features.map((feature) => (
                    <li key={feature}><span aria-hidden="true" className="text-brand-700">✓</span> {feature}</li>
                  ))}
                </ul>
                {data.status === "active" && !own && (
                  <Link
                    to={`/checkout/${data.id}?package=${pack.tier}`}
                    className={buttonClass("primary", "mt-auto")}
                  >
                    Order {pack.name}
                  </Link>
                )}
              </Card>
            </li>
          ))}
        </ul>
      </section>

      {data.faq.length > 0 && (
        <section aria-labelledby="faq" className="flex flex-col gap-3">
          <h2 id="faq" className="text-xl font-semibold">Questions and answers</h2>
          <div className="flex flex-col divide-y divide-ink-200 rounded-xl border border-ink-200 bg-white">
            {data.faq.map((entry) => (
              <details key={entry.question} className="group px-4 py-3">
                <summary className="cursor-pointer font-medium text-ink-900">{entry.question}</summary>
                <p className="pt-2 text-ink-700">{entry.answer}</p>
              </details>
            ))}
          </div>
        </section>
      )}

      <section aria-labelledby="reviews" className="flex flex-col gap-4">
        <h2 id="reviews" className="text-xl font-semibold">Reviews</h2>
        {reviews.isPending && <Skeleton className="h-40" />}
        {reviews.isError && (
          <div className="flex flex-col items-start gap-3">
            <Alert tone="error">The reviews could not be loaded.</Alert>
            <Button variant="secondary" onClick={() => reviews.refetch()}>Try again</Button>
          </div>
        )}
        {reviews.data && <Reviews data={reviews.data} onPage={setReviewPage} />}
      </section>
    </div>
  );
}
