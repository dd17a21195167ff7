import { type ReactNode, useEffect } from "react";

/** The page's h1, which also sets the document title. */
export function PageTitle({ children, title }: { children: ReactNode; title: string }) {
  useEffect(() => {
    document.title = `${title} · Marketplace`;
  }, [title]);
  return <h1 className="text-2xl font-bold tracking-tight text-ink-900">{children}</h1>;
}
