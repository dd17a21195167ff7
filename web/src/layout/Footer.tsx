import { Link } from "react-router";

export function Footer() {
  return (
    <footer className="mt-16 border-t border-ink-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-4 px-4 py-6 text-sm text-ink-600">
        <p>© {new Date().getFullYear()} Marketplace. Payments are held until you accept the work.</p>
        <nav aria-label="Footer" className="flex gap-4">
          <Link to="/" className="hover:text-ink-900">Home</Link>
          <a href="/docs" className="hover:text-ink-900">API</a>
        </nav>
      </div>
    </footer>
  );
}
