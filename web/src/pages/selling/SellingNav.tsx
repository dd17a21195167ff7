/** The seller's pages, as tabs under each page's title. */
import { NavLink } from "react-router";

const LINKS = [
  { to: "/sell/gigs", label: "Gigs" },
  { to: "/sell/balance", label: "Balance" },
  { to: "/sell/payouts", label: "Payouts" },
  { to: "/settings/profile", label: "Profile" },
];

export function SellingNav() {
  return (
    <nav aria-label="Selling" className="flex gap-1 overflow-x-auto border-b border-ink-200">
      {LINKS.map((link) => (
        <NavLink key={link.to} to={link.to} end
          className={({ isActive }) =>
            `-mb-px border-b-2 px-3 py-2 text-sm font-medium ${
              isActive ? "border-brand-700 text-brand-800" : "border-transparent text-ink-600 hover:text-ink-900"
            }`}>
          {link.label}
        </NavLink>
      ))}
    </nav>
  );
}
