import { useEffect, useRef, useState } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { useSession } from "../auth/session.tsx";
import { buttonClass } from "../ui/index.ts";
import { SellingLinks, useSellerStatus } from "./SellingLinks.tsx";

/** Log in / sign up links, or the signed-in person's menu (a disclosure). */
export function AccountMenu() {
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [open, setOpen] = useState(false);
  const me = useSellerStatus();
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const close = (event: Event) => {
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !box.current?.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener("keydown", close);
    document.addEventListener("pointerdown", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("pointerdown", close);
    };
  }, [open]);

  if (session.status === "loading") return <div className="h-10 w-32" aria-hidden="true" />;
  if (!session.user) {
    return (
      <nav aria-label="Account" className="flex items-center gap-2">
        <Link to="/login" className={buttonClass("ghost")}>Log in</Link>
        <Link to="/signup" className={buttonClass("primary")}>Sign up</Link>
      </nav>
    );
  }
  return (
    <div ref={box} className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="account-menu"
        onClick={() => setOpen(!open)}
        className={buttonClass("secondary")}
      >
        {me.data?.avatarUrl && (
          <img src={me.data.avatarUrl} alt="" className="-ml-2 size-6 rounded-full bg-ink-100 object-cover" />
        )}
        <span className="sr-only">Account menu of </span>
        {session.user.username}
      </button>
      {open && (
        <nav
          id="account-menu"
          aria-label="Account"
          className="absolute right-0 z-10 mt-2 flex w-56 flex-col rounded-lg border border-ink-200 bg-white p-1 shadow-lg"
        >
          <p className="truncate px-3 py-2 text-sm text-ink-600">{session.user.email}</p>
          <Link to="/orders?role=buyer" className="rounded-md px-3 py-2 text-sm hover:bg-ink-100">
            My orders
          </Link>
          <Link to="/orders?role=seller" className="rounded-md px-3 py-2 text-sm hover:bg-ink-100">
            Orders to deliver
          </Link>
          <Link to="/favorites" className="rounded-md px-3 py-2 text-sm hover:bg-ink-100">
            Saved services
          </Link>
          <SellingLinks />
          <Link to="/settings/password" className="rounded-md px-3 py-2 text-sm hover:bg-ink-100">
            Change password
          </Link>
          <button
            type="button"
            className="rounded-md px-3 py-2 text-left text-sm hover:bg-ink-100"
            onClick={async () => {
              await session.logOut();
              navigate("/");
            }}
          >
            Log out
          </button>
        </nav>
      )}
    </div>
  );
}
