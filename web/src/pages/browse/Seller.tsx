/** A seller's public profile: `/sellers/:username` (about, skills, languages, gigs, reviews). */
import { useState } from "react";
import { Link, useParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { Alert, Button, buttonClass, Card, EmptyState, PageTitle, RelativeTime, Skeleton } from "../../ui/index.ts";
import { type PublicProfile, useSearch, useSeller, useSellerReviews } from "./api.ts";
import { GigGrid, GigGridSkeleton, LevelBadge, Rating, Reviews } from "./parts.tsx";

const LANGUAGE_LEVELS: Record<string, string> = {
  basic: "Basic",
  conversational: "Conversational",
  fluent: "Fluent",
  native: "Native or bilingual",
};

function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames(undefined, { type: "language" }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/**
 * The public seller profile also carries these lists (services/users/README.md), which
 * `PublicProfile` in ./api.ts does not name yet.
 */
type SellerDetails = NonNullable<PublicProfile["seller"]> & {
  education?: { institution: string; degree: string; field: string | null; graduationYear: number | null }[];
  certifications?: { name: string; issuer: string; year: number }[];
  portfolio?: { title: string; url: string; description: string | null }[];
};

export default function Seller() {
  const { username = "" } = useParams();
  const profile = useSeller(username);
  const gigs = useSearch(new URLSearchParams({ seller: username, sort: "rating", limit: "12" }).toString());
  const [reviewPage, setReviewPage] = useState(1);
  const reviews = useSellerReviews(username, reviewPage);

  if (profile.isPending) {
    return (
      <div className="flex flex-col gap-6" aria-busy="true">
        <Skeleton className="h-9 w-1/3" />
        <Skeleton className="h-40" />
        <GigGridSkeleton count={3} />
      </div>
    );
  }
  if (profile.isError) {
    if (profile.error instanceof ApiError && (profile.error.status === 404 || profile.error.status === 400)) {
      return (
        <EmptyState
          title="No such seller"
          action={<Link to="/search" className={buttonClass("secondary")}>Find services</Link>}
        >
          There is no seller called “{username}”.
        </EmptyState>
      );
    }
    return (
      <div className="flex flex-col items-start gap-3">
        <Alert tone="error">
          {profile.error instanceof ApiError ? sentenceOf(profile.error) : "The profile could not be loaded."}
        </Alert>
        <Button variant="secondary" onClick={() => profile.refetch()}>Try again</Button>
      </div>
    );
  }

  const data = profile.data;
  const seller = data.seller as SellerDetails | undefined;
  return (
    <div className="flex flex-col gap-10">
      <div className="flex flex-col gap-6 md:flex-row md:items-start">
        <div className="flex items-center gap-4">
          {data.avatarUrl
            ? <img src={data.avatarUrl} alt="" className="size-20 rounded-full bg-ink-100 object-cover" />
            : (
              <span
                aria-hidden="true"
                className="flex size-20 items-center justify-center rounded-full bg-brand-100 text-3xl font-bold text-brand-800"
              >
                {data.displayName.slice(0, 1).toUpperCase()}
              </span>
            )}
          <div className="flex flex-col gap-1">
            <PageTitle title={data.displayName}>{data.displayName}</PageTitle>
            <p className="text-sm text-ink-600">@{data.username}</p>
            <div className="flex flex-wrap items-center gap-3">
              <LevelBadge level={seller?.level} />
              <Rating average={data.ratings.asSeller.average} count={data.ratings.asSeller.count} />
            </div>
            <p className="text-sm text-ink-600">
              {seller ? <>Selling since <RelativeTime iso={seller.sellerSince} /></> : <>Member since <RelativeTime iso={data.memberSince} /></>}
              {data.country && <> · {new Intl.DisplayNames(undefined, { type: "region" }).of(data.country)}</>}
            </p>
          </div>
        </div>
      </div>

      <div className="grid gap-6 md:grid-cols-[1fr_18rem]">
        <section aria-labelledby="about" className="flex flex-col gap-2">
          <h2 id="about" className="text-xl font-semibold">About</h2>
          <p className="whitespace-pre-line text-ink-900">{seller?.description || data.bio || "No description yet."}</p>
          {seller?.portfolio && seller.portfolio.length > 0 && (
            <section aria-labelledby="portfolio" className="mt-4 flex flex-col gap-2">
              <h3 id="portfolio" className="text-lg font-semibold">Portfolio</h3>
              <ul className="grid gap-3 sm:grid-cols-2">
                {seller.portfolio.map((item) => (
                  <li key={item.url} className="rounded-lg border border-ink-200 bg-white p-3">
                    <a href={item.url} rel="noopener noreferrer nofollow" target="_blank"
                      className="font-semibold text-brand-700 hover:underline">
                      {item.title}
                      <span className="sr-only"> (opens in a new tab)</span>
                    </a>
                    {item.description && <p className="mt-1 text-sm text-ink-600">{item.description}</p>}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </section>
        <Card className="flex flex-col gap-4">
          <section aria-labelledby="skills" className="flex flex-col gap-2">
            <h2 id="skills" className="text-base font-semibold">Skills</h2>
            {seller && seller.skills.length > 0
              ? (
                <ul className="flex flex-wrap gap-2">
                  {seller.skills.map((skill) => (
                    <li key={skill} className="rounded-full bg-ink-100 px-3 py-1 text-sm text-ink-700">{skill}</li>
                  ))}
                </ul>
              )
              : <p className="text-sm text-ink-600">None listed.</p>}
          </section>
          <section aria-labelledby="languages" className="flex flex-col gap-2">
            <h2 id="languages" className="text-base font-semibold">Languages</h2>
            {seller && seller.languages.length > 0
              ? (
                <ul className="flex flex-col gap-1 text-sm">
                  {seller.languages.map((l) => (
                    <li key={l.language}>
                      {languageName(l.language)} <span className="text-ink-600">· {LANGUAGE_LEVELS[l.level] ?? l.level}</span>
                    </li>
                  ))}
                </ul>
              )
              : data.languages.length > 0
              ? <p className="text-sm">{data.languages.map(languageName).join(", ")}</p>
              : <p className="text-sm text-ink-600">None listed.</p>}
          </section>
          {seller?.education && seller.education.length > 0 && (
            <section aria-labelledby="education" className="flex flex-col gap-2">
              <h2 id="education" className="text-base font-semibold">Education</h2>
              <ul className="flex flex-col gap-1 text-sm">
                {seller.education.map((e, i) => (
                  <li key={i}>
                    {e.degree}
                    {e.field && <>, {e.field}</>}
                    <span className="text-ink-600"> · {e.institution}{e.graduationYear && <>, {e.graduationYear}</>}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
          {seller?.certifications && seller.certifications.length > 0 && (
            <section aria-labelledby="certifications" className="flex flex-col gap-2">
              <h2 id="certifications" className="text-base font-semibold">Certifications</h2>
              <ul className="flex flex-col gap-1 text-sm">
                {seller.certifications.map((c, i) => (
                  <li key={i}>{c.name} <span className="text-ink-600">· {c.issuer}, {c.year}</span></li>
                ))}
              </ul>
            </section>
          )}
        </Card>
      </div>

      <section aria-labelledby="gigs" className="flex flex-col gap-4">
        <h2 id="gigs" className="text-xl font-semibold">Services by {data.displayName}</h2>
        {gigs.isPending && <GigGridSkeleton count={3} />}
        {gigs.isError && (
          <div className="flex flex-col items-start gap-3">
            <Alert tone="error">The services could not be loaded.</Alert>
            <Button variant="secondary" onClick={() => gigs.refetch()}>Try again</Button>
          </div>
        )}
        {gigs.data && gigs.data.items.length === 0 && (
          <EmptyState title="No services yet">{data.displayName} has no active service right now.</EmptyState>
        )}
        {gigs.data && gigs.data.items.length > 0 && (
          <GigGrid gigs={gigs.data.items} label={`Services by ${data.displayName}`} />
        )}
        {gigs.data && gigs.data.total > gigs.data.items.length && (
          <Link
            to={`/search?${new URLSearchParams({ seller: data.username })}`}
            className="text-sm font-semibold text-brand-700 hover:underline"
          >
            All {gigs.data.total} services
          </Link>
        )}
      </section>

      <section aria-labelledby="seller-reviews" className="flex flex-col gap-4">
        <h2 id="seller-reviews" className="text-xl font-semibold">Reviews from buyers</h2>
        {reviews.isPending && <Skeleton className="h-40" />}
        {reviews.isError && (
          <div className="flex flex-col items-start gap-3">
            <Alert tone="error">The reviews could not be loaded.</Alert>
            <Button variant="secondary" onClick={() => reviews.refetch()}>Try again</Button>
          </div>
        )}
        {reviews.data && (
          <Reviews data={reviews.data} onPage={setReviewPage} showGig />
        )}
      </section>
    </div>
  );
}
