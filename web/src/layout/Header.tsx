import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { HeaderLinks } from "../pages/inbox/HeaderLinks.tsx";
import { AccountMenu } from "./AccountMenu.tsx";

/** Site name, the search field (→ /search?q=) and the account menu. */
export function Header() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const current = params.get("q") ?? "";
  const [query, setQuery] = useState(current);
  // The field follows the URL's keywords (Back, a shared link), and stays editable.
  const [shown, setShown] = useState(current);
  if (shown !== current) {
    setShown(current);
    setQuery(current);
  }

  function search(event: FormEvent) {
    event.preventDefault();
    const q = query.trim();
    navigate(q ? `/search?${new URLSearchParams({ q })}` : "/search");
  }

  return (
    <header className="border-b border-ink-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-3 px-4 py-3">
        <Link to="/" className="text-xl font-bold tracking-tight text-brand-700">
          Marketplace
        </Link>
        <form role="search" onSubmit={search} className="order-last w-full sm:order-none sm:flex-1">
          <label htmlFor="site-search" className="sr-only">Search</label>
          <input
            id="site-search"
            type="search"
            name="q"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            placeholder="What do you need done?"
            className="min-h-10 w-full rounded-lg border border-ink-300 bg-ink-50 px-3 py-2 text-base placeholder:text-ink-500"
          />
        </form>
        <div className="ml-auto flex items-center gap-2 sm:ml-0">
          <HeaderLinks />
          <AccountMenu />
        </div>
      </div>
    </header>
  );
}
