/**
 * /sell/payouts: the payout account (onboarding through the orders API: in the fleet's local
 * test mode its link comes straight back here) and payouts: request one per currency with an
 * Idempotency-Key per attempt, and the recent ones.
 */
import { useState } from "react";
import { useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, Card, EmptyState, Money, PageTitle, RelativeTime, Skeleton } from "../../ui/index.ts";
import { useBalance, useConnectAccount, usePaymentAccount, useRequestPayout } from "./api.ts";
import { SellingNav } from "./SellingNav.tsx";

export default function Payouts() {
  return (
    <RequireAuth>
      <div className="flex flex-col gap-6">
        <PageTitle title="Payouts">Payouts</PageTitle>
        <SellingNav />
        <Account />
        <Withdraw />
      </div>
    </RequireAuth>
  );
}

const message = (error: unknown) =>
  error instanceof ApiError ? sentenceOf(error) : "Something went wrong. Please try again.";

function Account() {
  const [params] = useSearchParams();
  const account = usePaymentAccount();
  const connect = useConnectAccount();
  const [key, setKey] = useState(() => crypto.randomUUID());
  return (
    <Card className="flex flex-col gap-3">
      <h2 className="text-lg font-semibold text-ink-900">Payout account</h2>
      {params.get("onboarding") === "done" && (
        <Alert tone="success">
          You are back from setting up your payout account
          {params.get("local_test_onboarding") ? " (the fleet's local test mode: no real account)" : ""}.
        </Alert>
      )}
      {account.isPending
        ? <Skeleton className="h-10 w-full" />
        : account.isError
        ? <Alert tone="error">{message(account.error)}</Alert>
        : account.data.connected
        ? (
          <p className="text-sm text-ink-700">
            Connected{account.data.provider === "local_test" ? " in local test mode (no real money moves)" : ""}:{" "}
            <span className="font-mono">{account.data.accountId}</span>
          </p>
        )
        : <p className="text-sm text-ink-700">No payout account yet. Connect one to withdraw your earnings.</p>}
      {connect.error && <Alert tone="error">{message(connect.error)}</Alert>}
      {account.data && (
        <div>
          <Button variant="secondary" busy={connect.isPending}
            onClick={() =>
              connect.mutate(key, {
                onSuccess: (answer) => {
                  setKey(crypto.randomUUID());
                  globalThis.location.assign(answer.onboardingUrl);
                },
              })}>
            {account.data.connected ? "Update payout account" : "Set up payout account"}
          </Button>
        </div>
      )}
    </Card>
  );
}

function Withdraw() {
  const balance = useBalance(1);
  const payout = useRequestPayout();
  // One key per attempt: a retry after a lost answer is the same payout, never a second one.
  const [key, setKey] = useState(() => crypto.randomUUID());
  if (balance.isPending) return <Skeleton className="h-48 w-full" />;
  if (balance.isError) {
    return (
      <Alert tone="error">
        {message(balance.error)}{" "}
        <button type="button" className="underline" onClick={() => balance.refetch()}>Try again</button>
      </Alert>
    );
  }
  const available = balance.data.balances.filter((b) => b.available > 0);
  return (
    <>
      <Card className="flex flex-col gap-3">
        <h2 className="text-lg font-semibold text-ink-900">Request a payout</h2>
        {payout.isSuccess && (
          <Alert tone={payout.data.payout.status === "failed" ? "error" : "success"}>
            {payout.data.payout.status === "failed"
              ? `The payout was refused${payout.data.payout.error ? `: ${payout.data.payout.error}` : ""}. The amount is available again.`
              : payout.data.payout.status === "paid"
              ? "The payout is on its way."
              : "The payout is requested; it goes out as soon as the provider answers."}
          </Alert>
        )}
        {payout.error && <Alert tone="error">{message(payout.error)}</Alert>}
        {available.length === 0
          ? <p className="text-sm text-ink-700">Nothing is available to pay out yet.</p>
          : available.map((b) => (
            <div key={b.currency} className="flex flex-wrap items-center gap-3">
              <span className="text-sm text-ink-700">
                Available: <Money amount={b.available} currency={b.currency} />
              </span>
              <Button busy={payout.isPending}
                onClick={() =>
                  payout.mutate({ currency: b.currency, key }, { onSuccess: () => setKey(crypto.randomUUID()) })}>
                Withdraw {b.currency}
              </Button>
            </div>
          ))}
      </Card>
      <section className="flex flex-col gap-3">
        <h2 className="text-lg font-semibold text-ink-900">Recent payouts</h2>
        {balance.data.payouts.length === 0
          ? <EmptyState title="No payouts yet">Payouts you request are listed here with their status.</EmptyState>
          : (
            <ul className="flex flex-col gap-2">
              {balance.data.payouts.map((p) => (
                <li key={p.id} className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-ink-200 bg-white px-4 py-3">
                  <span className="font-semibold"><Money amount={p.amount.amount} currency={p.amount.currency} /></span>
                  <span className="text-sm text-ink-600">
                    {p.status === "paid" ? "Paid" : p.status === "pending" ? "Pending" : `Failed${p.error ? `: ${p.error}` : ""}`}
                    {" · "}
                    <RelativeTime iso={p.createdAt} />
                  </span>
                </li>
              ))}
            </ul>
          )}
      </section>
    </>
  );
}
