/** The account menu's selling links: the seller's pages, or "Become a seller". */
import { Link } from "react-router";
import { ApiError } from "../api/client.ts";
import { useMe } from "../pages/selling/api.ts";

const item = "rounded-md px-3 py-2 text-sm hover:bg-ink-100";

/**
 * Whether the signed-in person is a seller. The header asks once when the session starts
 * (so opening the menu sends no request); becoming a seller invalidates it.
 */
export function useSellerStatus() {
  return useMe({ staleTime: Infinity });
}

export function SellingLinks() {
  const me = useSellerStatus();
  // A brand-new account's profile follows its registration event: until it exists
  // (404, still retried) the person is certainly not a seller yet.
  const notYet = [me.error, me.failureReason].some((e) => e instanceof ApiError && e.status === 404);
  if (!me.data && !notYet) return null;
  return (
    <>
      {me.data?.isSeller
        ? (
          <>
            <Link to="/sell/gigs" className={item}>My gigs</Link>
            <Link to="/sell/gigs/new" className={item}>New gig</Link>
            <Link to="/sell/balance" className={item}>Balance</Link>
            <Link to="/sell/payouts" className={item}>Payouts</Link>
          </>
        )
        : <Link to="/sell/start" className={item}>Become a seller</Link>}
      <Link to="/settings/profile" className={item}>Profile settings</Link>
    </>
  );
}
