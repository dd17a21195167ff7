import { Suspense } from "react";
import { Outlet } from "react-router";
import { Skeleton } from "../ui/index.ts";
import { Footer } from "./Footer.tsx";
import { Header } from "./Header.tsx";
import { VerifyBanner } from "./VerifyBanner.tsx";

/** Every page: header, the page (a lazy chunk, with a skeleton while it loads), footer. */
export function Layout() {
  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:m-2 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <Header />
      <VerifyBanner />
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-8">
        <Suspense fallback={<Skeleton className="h-64 w-full" />}>
          <Outlet />
        </Suspense>
      </main>
      <Footer />
    </div>
  );
}
