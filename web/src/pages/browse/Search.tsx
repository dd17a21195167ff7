/**
 * Search: `/search?q=&category=&subcategory=&minPrice=&maxPrice=&maxDeliveryDays=&minRating=&sort=&page=`.
 * Every filter lives in the URL with the API's own parameter names (prices in minor
 * units), so a search can be shared and Back undoes a filter; the page sends the URL's
 * parameters to `GET /api/v1/gigs` as they are.
 */
import { type FormEvent, useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { useCategories } from "../../api/gigs.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { Alert, Button, buttonClass, EmptyState, PageTitle } from "../../ui/index.ts";
import { SEARCH_LIMIT, SEARCH_PARAMS, searchApiQuery, useSearch } from "./api.ts";
import { GigGrid, GigGridSkeleton } from "./parts.tsx";

const SORTS = [
  ["relevance", "Best match"],
  ["rating", "Best rated"],
  ["price_asc", "Price: low to high"],
  ["price_desc", "Price: high to low"],
  ["newest", "Newest"],
] as const;
const DELIVERY = [["", "Any time"], ["1", "Within 1 day"], ["3", "Up to 3 days"], ["7", "Up to 7 days"], [
  "14",
  "Up to 14 days",
]] as const;
const RATINGS = [["", "Any rating"], ["4.5", "4.5 and up"], ["4", "4 and up"], ["3", "3 and up"]] as const;
const LIMIT = SEARCH_LIMIT;

const selectClass = "min-h-10 w-full rounded-lg border border-ink-300 bg-white px-3 py-2 text-base";
const inputClass = "min-h-10 w-full rounded-lg border border-ink-300 bg-white px-3 py-2 text-base";

/** Whole currency units typed by a person → the URL's minor units (and back). */
const toMinor = (text: string) => {
  const value = Number(text.replace(",", "."));
  return text.trim() === "" || !Number.isFinite(value) || value < 0 ? "" : String(Math.round(value * 100));
};
const toMajor = (minor: string | null) => (minor ? String(Number(minor) / 100) : "");

export default function Search() {
  const [params, setParams] = useSearchParams();
  const categories = useCategories();
  // The route's loader (routes/router.tsx) started this request with the navigation.
  const apiQuery = searchApiQuery(params);
  const results = useSearch(apiQuery);
  const q = params.get("q") ?? "";
  const page = Number(params.get("page") ?? "1") || 1;

  const [filtersOpen, setFiltersOpen] = useState(false);
  const [minPrice, setMinPrice] = useState(toMajor(params.get("minPrice")));
  const [maxPrice, setMaxPrice] = useState(toMajor(params.get("maxPrice")));
  // Back/forward or a shared link changes the URL: the price fields follow it.
  useEffect(() => {
    setMinPrice(toMajor(params.get("minPrice")));
    setMaxPrice(toMajor(params.get("maxPrice")));
  }, [params]);

  /** A new URL with these parameters changed (empty = removed); any filter resets the page. */
  function update(changes: Record<string, string>, keepPage = false) {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    if (!keepPage && !("page" in changes)) next.delete("page");
    setParams(next);
    if ("page" in changes) window.scrollTo({ top: 0 });
  }

  function applyPrices(event: FormEvent) {
    event.preventDefault();
    update({ minPrice: toMinor(minPrice), maxPrice: toMinor(maxPrice) });
  }

  const nameOf = (slug: string) => {
    for (const category of categories.data ?? []) {
      if (category.slug === slug) return category.name;
      const sub = category.subcategories.find((s) => s.slug === slug);
      if (sub) return sub.name;
    }
    return slug;
  };
  const category = params.get("category") ?? "";
  const subcategory = params.get("subcategory") ?? "";
  const hasFilters = SEARCH_PARAMS.some((name) =>
    name !== "q" && name !== "sort" && name !== "page" && params.get(name)
  );
  const data = results.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / LIMIT)) : 1;
  const corrected = data?.correctedQuery ?? null;

  return (
    <div className="flex flex-col gap-6">
      <PageTitle title={q ? `“${q}”` : "Search"}>
        {q ? <>Results for “{q}”</> : "All services"}
      </PageTitle>

      <div className="grid gap-6 lg:grid-cols-[16rem_1fr]">
        <Button
          variant="secondary"
          className="lg:hidden"
          aria-expanded={filtersOpen}
          aria-controls="search-filters"
          onClick={() => setFiltersOpen(!filtersOpen)}
        >
          {filtersOpen ? "Hide filters" : "Sort and filter"}
        </Button>
        <aside
          id="search-filters"
          aria-label="Filters"
          className={`${filtersOpen ? "flex" : "hidden"} flex-col gap-5 lg:flex`}
        >
          {params.get("seller") && (
            <p className="flex items-center justify-between gap-2 rounded-lg bg-brand-50 px-3 py-2 text-sm text-brand-800">
              <span>
                Seller: <span className="font-semibold">{params.get("seller")}</span>
              </span>
              <button
                type="button"
                className="font-semibold underline"
                onClick={() => update({ seller: "" })}
              >
                Any seller
              </button>
            </p>
          )}
          <div className="flex flex-col gap-1">
            <label htmlFor="sort" className="text-sm font-medium text-ink-900">Sort by</label>
            <select
              id="sort"
              className={selectClass}
              value={params.get("sort") ?? "relevance"}
              onChange={(e) => update({ sort: e.target.value === "relevance" ? "" : e.target.value })}
            >
              {SORTS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>
          </div>

          <nav aria-label="Categories" className="flex flex-col gap-1">
            <h2 className="text-sm font-medium text-ink-900">Category</h2>
            {category && (
              <button
                type="button"
                className="self-start text-sm text-brand-700 hover:underline"
                onClick={() => update({ category: "", subcategory: "" })}
              >
                All categories
              </button>
            )}
            <ul className="flex flex-col gap-0.5">
              {(category
                ? data?.facets.subcategories ?? []
                : data?.facets.categories ?? []).map((bucket) => {
                  const active = bucket.slug === (category ? subcategory : category);
                  return (
                    <li key={bucket.slug}>
                      <button
                        type="button"
                        aria-pressed={active}
                        onClick={() =>
                          update(category
                            ? { subcategory: active ? "" : bucket.slug }
                            : { category: bucket.slug, subcategory: "" })}
                        className={`flex w-full justify-between gap-2 rounded-md px-2 py-1 text-left text-sm hover:bg-ink-100 ${
                          active ? "bg-brand-50 font-semibold text-brand-800" : "text-ink-700"
                        }`}
                      >
                        <span>{nameOf(bucket.slug)}</span>
                        <span className="tabular-nums text-ink-600">{bucket.count}</span>
                      </button>
                    </li>
                  );
                })}
            </ul>
            {category && (
              <p className="text-sm text-ink-700">
                In <span className="font-semibold">{nameOf(category)}</span>
              </p>
            )}
          </nav>

          <form onSubmit={applyPrices} className="flex flex-col gap-2" aria-label="Price">
            <h2 className="text-sm font-medium text-ink-900">Starting price</h2>
            <div className="flex gap-2">
              <div className="flex flex-1 flex-col gap-1">
                <label htmlFor="min-price" className="text-sm text-ink-700">Min price</label>
                <input
                  id="min-price"
                  inputMode="decimal"
                  className={inputClass}
                  value={minPrice}
                  onChange={(e) => setMinPrice(e.target.value)}
                />
              </div>
              <div className="flex flex-1 flex-col gap-1">
                <label htmlFor="max-price" className="text-sm text-ink-700">Max price</label>
                <input
                  id="max-price"
                  inputMode="decimal"
                  className={inputClass}
                  value={maxPrice}
                  onChange={(e) => setMaxPrice(e.target.value)}
                />
              </div>
            </div>
            <p className="text-xs text-ink-600">In each gig's own currency.</p>
            <Button type="submit" variant="secondary">Apply price</Button>
          </form>

          <div className="flex flex-col gap-1">
            <label htmlFor="delivery" className="text-sm font-medium text-ink-900">Delivery time</label>
            <select
              id="delivery"
              className={selectClass}
              value={params.get("maxDeliveryDays") ?? ""}
              onChange={(e) => update({ maxDeliveryDays: e.target.value })}
            >
              {DELIVERY.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>
          </div>

          <div className="flex flex-col gap-1">
            <label htmlFor="rating" className="text-sm font-medium text-ink-900">Rating</label>
            <select
              id="rating"
              className={selectClass}
              value={params.get("minRating") ?? ""}
              onChange={(e) => update({ minRating: e.target.value })}
            >
              {RATINGS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>
          </div>

          {hasFilters && (
            <Button
              variant="ghost"
              onClick={() => setParams(q ? { q, ...(params.get("sort") ? { sort: params.get("sort")! } : {}) } : {})}
            >
              Clear filters
            </Button>
          )}
        </aside>

        <section
          aria-label="Results"
          className="flex flex-col gap-4"
          aria-busy={results.isFetching}
          // The query the shown results answer (none while the previous ones stand in): the
          // web_pages benchmark's "new results painted" even when a filter changes no result.
          data-results-for={results.isPlaceholderData ? "" : apiQuery}
        >
          {data && (
            <p className="text-sm text-ink-700" role="status">
              {data.total === 0
                ? "No services found"
                : `${data.totalExact ? data.total.toLocaleString() : `${data.total.toLocaleString()}+`} ${
                  data.total === 1 ? "service" : "services"
                }`}
            </p>
          )}
          {data && corrected && (
            // The typed keywords found nothing; the gigs service searched its correction instead.
            <p className="text-sm text-ink-700">
              Showing results for <strong>“{corrected}”</strong>. No services matched “{q}”.
            </p>
          )}
          {results.isPending && <GigGridSkeleton />}
          {results.isError && (
            <div className="flex flex-col items-start gap-3">
              <Alert tone="error">
                {results.error instanceof ApiError ? sentenceOf(results.error) : "The search failed."}
              </Alert>
              <Button variant="secondary" onClick={() => results.refetch()}>Try again</Button>
            </div>
          )}
          {data && data.items.length === 0 && (
            <EmptyState
              title="No services match"
              action={hasFilters || q
                ? <Link to="/search" className={buttonClass("secondary")}>See all services</Link>
                : undefined}
            >
              {hasFilters ? "Try fewer filters or a wider price range." : "Try other words, or browse every service."}
            </EmptyState>
          )}
          {data && data.items.length > 0 && (
            // The previous results stay, dimmed, until the new ones arrive: a click paints at once.
            <div className={results.isPlaceholderData ? "opacity-60 transition-opacity" : undefined}>
              <GigGrid gigs={data.items} label="Search results" />
            </div>
          )}
          {data && pages > 1 && (
            <nav aria-label="Pages" className="flex items-center justify-between gap-4">
              <Button variant="secondary" disabled={page <= 1} onClick={() => update({ page: page > 2 ? String(page - 1) : "" }, true)}>
                Previous page
              </Button>
              <span className="text-sm text-ink-700">Page {page} of {pages}</span>
              <Button
                variant="secondary"
                disabled={page >= pages}
                onClick={() => update({ page: String(page + 1) }, true)}
              >
                Next page
              </Button>
            </nav>
          )}
        </section>
      </div>
    </div>
  );
}
