/** The caller's saved gigs: `/favorites?page=`. */
import { Link, useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, buttonClass, EmptyState, PageTitle } from "../../ui/index.ts";
import { useFavorites } from "./api.ts";
import { GigGrid, GigGridSkeleton } from "./parts.tsx";

function SavedGigs() {
  const [params, setParams] = useSearchParams();
  const page = Number(params.get("page") ?? "1") || 1;
  const favorites = useFavorites(page);
  const data = favorites.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / data.limit)) : 1;
  return (
    <div className="flex flex-col gap-6">
      <PageTitle title="Saved services">Saved services</PageTitle>
      {favorites.isPending && <GigGridSkeleton count={3} />}
      {favorites.isError && (
        <div className="flex flex-col items-start gap-3">
          <Alert tone="error">
            {favorites.error instanceof ApiError ? sentenceOf(favorites.error) : "Your saved services could not be loaded."}
          </Alert>
          <Button variant="secondary" onClick={() => favorites.refetch()}>Try again</Button>
        </div>
      )}
      {data && data.items.length === 0 && (
        <EmptyState
          title="Nothing saved yet"
          action={<Link to="/search" className={buttonClass("primary")}>Find services</Link>}
        >
          Press “Save” on a service to keep it here for later.
        </EmptyState>
      )}
      {data && data.items.length > 0 && <GigGrid gigs={data.items} label="Saved services" />}
      {pages > 1 && (
        <nav aria-label="Pages" className="flex items-center justify-between gap-4">
          <Button
            variant="secondary"
            disabled={page <= 1}
            onClick={() => setParams(page > 2 ? { page: String(page - 1) } : {})}
          >
            Previous page
          </Button>
          <span className="text-sm text-ink-700">Page {page} of {pages}</span>
          <Button variant="secondary" disabled={page >= pages} onClick={() => setParams({ page: String(page + 1) })}>
            Next page
          </Button>
        </nav>
      )}
    </div>
  );
}

export default function Favorites() {
  return (
    <RequireAuth>
      <SavedGigs />
    </RequireAuth>
  );
}
