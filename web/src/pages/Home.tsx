import { Link, useLocation } from "react-router";
import { useCategories } from "../api/gigs.ts";
import { ApiError } from "../api/client.ts";
import { useSession } from "../auth/session.tsx";
import { sentenceOf } from "../forms/errors.ts";
import { Alert, Button, buttonClass, Card, EmptyState, Skeleton } from "../ui/index.ts";
import { FEATURED_SEARCH, useSearch } from "./browse/api.ts";
import { GigGrid, GigGridSkeleton } from "./browse/parts.tsx";

export default function Home() {
  const session = useSession();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const categories = useCategories();
  // Both requests were started by the route's loader (routes/router.tsx), beside this chunk.
  const featured = useSearch(FEATURED_SEARCH);
  document.title = "Marketplace: hire freelancers for any job";

  return (
    <div className="flex flex-col gap-10">
      {notice && <Alert tone="success">{notice}</Alert>}
      <section className="flex flex-col gap-4 rounded-2xl bg-brand-700 px-6 py-10 text-white sm:px-10 sm:py-14">
        <h1 className="max-w-2xl text-3xl font-bold tracking-tight sm:text-4xl">
          Find the right freelancer for the job
        </h1>
        <p className="max-w-xl text-lg text-brand-50">
          Fixed prices, clear delivery times, and your payment held until you accept the work.
        </p>
        {!session.user && session.status !== "loading" && (
          <Link to="/signup" className={buttonClass("secondary", "self-start")}>
            Join the marketplace
          </Link>
        )}
      </section>

      <section aria-labelledby="featured" className="flex flex-col gap-4">
        <div className="flex items-baseline justify-between gap-4">
          <h2 id="featured" className="text-xl font-semibold">Featured services</h2>
          <Link to="/search?sort=rating" className="text-sm font-semibold text-brand-700 hover:underline">
            See all
          </Link>
        </div>
        {featured.isPending && <GigGridSkeleton count={3} />}
        {featured.isError && (
          <div className="flex flex-col items-start gap-3">
            <Alert tone="error">The featured services could not be loaded.</Alert>
            <Button variant="secondary" onClick={() => featured.refetch()}>Try again</Button>
          </div>
        )}
        {featured.isSuccess && featured.data.items.length === 0 && (
          <EmptyState
            title="No services yet"
            action={<Link to="/search" className={buttonClass("secondary")}>Browse every service</Link>}
          >
            The best-rated services show here once sellers publish them.
          </EmptyState>
        )}
        {featured.isSuccess && featured.data.items.length > 0 && (
          <GigGrid gigs={featured.data.items} label="Featured services" />
        )}
      </section>

      <section aria-labelledby="categories" className="flex flex-col gap-4">
        <h2 id="categories" className="text-xl font-semibold">Browse by category</h2>
        {categories.isPending && (
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-busy="true">
            {Array.from({ length: 6 }, (_, i) => <Skeleton key={i} className="h-28" />)}
          </div>
        )}
        {categories.isError && (
          <div className="flex flex-col items-start gap-3">
            <Alert tone="error">
              {categories.error instanceof ApiError
                ? sentenceOf(categories.error)
                : "The categories could not be loaded."}
            </Alert>
            <Button variant="secondary" onClick={() => categories.refetch()}>Try again</Button>
          </div>
        )}
        {categories.isSuccess && categories.data.length === 0 && (
          <EmptyState title="No categories yet">The catalogue is being set up.</EmptyState>
        )}
        {categories.isSuccess && categories.data.length > 0 && (
          <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {categories.data.map((category) => (
              <li key={category.slug}>
                <Card className="flex h-full flex-col gap-2">
                  <h3 className="text-lg font-semibold">
                    <Link
                      to={`/search?${new URLSearchParams({ category: category.slug })}`}
                      className="text-ink-900 hover:text-brand-700 hover:underline"
                    >
                      {category.name}
                    </Link>
                  </h3>
                  <p className="text-sm text-ink-600">
                    {category.count === 1 ? "1 service" : `${category.count.toLocaleString()} services`}
                  </p>
                  <p className="text-sm text-ink-600">
                    {category.subcategories.slice(0, 3).map((s) => s.name).join(" · ")}
                  </p>
                </Card>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
