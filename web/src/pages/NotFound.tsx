import { Link } from "react-router";
import { buttonClass, EmptyState, PageTitle } from "../ui/index.ts";

export default function NotFound() {
  return (
    <div className="flex flex-col gap-6">
      <PageTitle title="Page not found">Page not found</PageTitle>
      <EmptyState
        title="There is nothing at this address"
        action={<Link to="/" className={buttonClass()}>Go to the home page</Link>}
      >
        The link may be old, or the page may have moved.
      </EmptyState>
    </div>
  );
}
