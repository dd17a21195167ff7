import { Link, useRouteError } from "react-router";
import { buttonClass } from "../ui/index.ts";

/** Shown when a page failed to load or render (e.g. its chunk could not be fetched). */
export function RouteError() {
  const error = useRouteError();
  console.error(error);
  return (
    <main className="mx-auto flex max-w-lg flex-col items-start gap-4 px-4 py-16">
      <h1 className="text-2xl font-bold">This page could not be shown</h1>
      <p className="text-ink-600">
        Check your connection and try again. If it keeps happening, come back in a little while.
      </p>
      <div className="flex gap-2">
        <button type="button" className={buttonClass()} onClick={() => location.reload()}>
          Try again
        </button>
        <Link to="/" className={buttonClass("secondary")}>Home</Link>
      </div>
    </main>
  );
}
