/** /sell/balance: pending, available and paid-out money per currency, and the ledger entries. */
import { Link, useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, Card, EmptyState, Money, PageTitle, RelativeTime, Skeleton } from "../../ui/index.ts";
import { type SellerBalance, useBalance } from "./api.ts";
import { SellingNav } from "./SellingNav.tsx";

export default function Balance() {
  return (
    <RequireAuth>
      <div className="flex flex-col gap-6">
        <PageTitle title="Balance">Balance</PageTitle>
        <SellingNav />
        <Content />
      </div>
    </RequireAuth>
  );
}

const KIND: Record<SellerBalance["entries"]["items"][number]["kind"], string> = {
  release: "Order completed: earnings pending",
  clear: "Earnings cleared: now available",
  payout: "Paid out",
  payout_reversal: "Payout refused: available again",
};
const BALANCE = { pending: "Pending", available: "Available", paid_out: "Paid out" } as const;

function Content() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const balance = useBalance(page);
  if (balance.isPending) return <Skeleton className="h-64 w-full" />;
  if (balance.isError) {
    return (
      <Alert tone="error">
        {balance.error instanceof ApiError ? sentenceOf(balance.error) : "Could not load your balance."}{" "}
        <button type="button" className="underline" onClick={() => balance.refetch()}>Try again</button>
      </Alert>
    );
  }
  const { balances, entries } = balance.data;
  const pages = Math.ceil(entries.total / entries.limit);
  return (
    <div className="flex flex-col gap-6">
      {balances.length === 0
        ? (
          <EmptyState title="No earnings yet">
            When a buyer accepts an order of yours, its earnings show here: pending first, then available to
            pay out.
          </EmptyState>
        )
        : balances.map((b) => (
          <section key={b.currency} aria-label={`Balance in ${b.currency}`} className="grid gap-4 sm:grid-cols-3">
            {([["Pending", b.pending], ["Available", b.available], ["Paid out", b.paidOut]] as const).map((
              [label, amount],
            ) => (
              <Card key={label}>
                <p className="text-sm text-ink-600">{label}</p>
                <p className="mt-1 text-2xl font-bold text-ink-900"><Money amount={amount} currency={b.currency} /></p>
              </Card>
            ))}
          </section>
        ))}
      {balances.some((b) => b.available > 0) && (
        <p><Link to="/sell/payouts" className="font-medium text-brand-700 underline">Request a payout</Link></p>
      )}
      <section className="flex flex-col gap-3">
        <h2 className="text-lg font-semibold text-ink-900">Balance movements</h2>
        {entries.items.length === 0
          ? <EmptyState title="No movements yet">Completed orders and payouts will be listed here.</EmptyState>
          : (
            <Card className="overflow-x-auto p-0">
              <table className="w-full text-left text-sm">
                <thead className="border-b border-ink-200 text-ink-600">
                  <tr>
                    <th scope="col" className="px-4 py-2 font-medium">When</th>
                    <th scope="col" className="px-4 py-2 font-medium">What</th>
                    {/* At phone width the balance goes under "What": four columns do not fit 390 px. */}
                    <th scope="col" className="hidden px-4 py-2 font-medium sm:table-cell">Balance</th>
                    <th scope="col" className="px-4 py-2 text-right font-medium">Amount</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.items.map((entry, i) => (
                    <tr key={i} className="border-b border-ink-100 last:border-0">
                      <td className="px-4 py-2 whitespace-nowrap"><RelativeTime iso={entry.at} /></td>
                      <td className="px-4 py-2">
                        {entry.orderId ? <Link className="underline" to={`/orders/${entry.orderId}`}>{KIND[entry.kind]}</Link> : KIND[entry.kind]}
                        <span className="block text-xs text-ink-600 sm:hidden">{BALANCE[entry.balance]}</span>
                      </td>
                      <td className="hidden px-4 py-2 sm:table-cell">{BALANCE[entry.balance]}</td>
                      <td className="px-4 py-2 text-right"><Money amount={entry.amount} currency={entry.currency} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
          )}
        {pages > 1 && (
          <nav aria-label="Pages" className="flex items-center gap-3">
            <Button variant="secondary" disabled={page <= 1} onClick={() => setParams({ page: String(page - 1) })}>Previous page</Button>
            <span className="text-sm text-ink-600">Page {page} of {pages}</span>
            <Button variant="secondary" disabled={page >= pages} onClick={() => setParams({ page: String(page + 1) })}>Next page</Button>
          </nav>
        )}
      </section>
    </div>
  );
}
