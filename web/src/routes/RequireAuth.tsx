import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useSession } from "../auth/session.tsx";
import { Skeleton } from "../ui/index.ts";

/** Renders its page for a signed-in person; sends anyone else to log in and back. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.status === "loading") return <Skeleton className="h-64 w-full" />;
  if (!session.user) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?${new URLSearchParams({ next })}`} replace />;
  }
  return children;
}
