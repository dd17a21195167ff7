/** `/orders?role=buyer|seller&status=active|completed|cancelled&page=`: the filters live in the URL. */
import { Link, useSearchParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, Card, EmptyState, Money, PageTitle, RelativeTime, Skeleton } from "../../ui/index.ts";
import { type Party, useOrders } from "./api.ts";
import { StatusBadge } from "./parts.tsx";

const STATUSES = [["", "All"], ["active", "Active"], ["completed", "Completed"], ["cancelled", "Cancelled"]] as const;

export default function OrdersPage() {
  return (
    <RequireAuth>
      <Orders />
    </RequireAuth>
  );
}

function Orders() {
  const [params] = useSearchParams();
  const role: Party = params.get("role") === "seller" ? "seller" : "buyer";
  const status = STATUSES.some(([s]) => s === params.get("status")) ? params.get("status")! : "";
  const page = Math.max(1, Math.min(1000, Number(params.get("page")) || 1));
  const orders = useOrders(role, status, page);

  /** The URL of this list with some filters changed; any change but the page starts at page 1. */
  const link = (changes: { role?: Party; status?: string; page?: string }) => {
    const next = new URLSearchParams({ role: changes.role ?? role });
    const nextStatus = changes.status ?? status;
    if (nextStatus) next.set("status", nextStatus);
    if (changes.page && changes.page !== "1") next.set("page", changes.page);
    return `/orders?${next}`;
  };
  const tab = (active: boolean) =>
    `rounded-lg px-3 py-2 text-sm font-medium ${active ? "bg-brand-700 text-white" : "text-ink-700 hover:bg-ink-100"}`;

  return (
    <div className="flex flex-col gap-6">
      <PageTitle title={role === "buyer" ? "My orders" : "Orders to deliver"}>
        {role === "buyer" ? "My orders" : "Orders to deliver"}
      </PageTitle>
      <nav aria-label="Order side" className="flex flex-wrap gap-2">
        <Link to={link({ role: "buyer" })} className={tab(role === "buyer")} aria-current={role === "buyer" ? "page" : undefined}>
          As buyer
        </Link>
        <Link to={link({ role: "seller" })} className={tab(role === "seller")} aria-current={role === "seller" ? "page" : undefined}>
          As seller
        </Link>
      </nav>
      <nav aria-label="Status filter" className="flex flex-wrap gap-2 border-b border-ink-200 pb-3">
        {STATUSES.map(([value, label]) => (
          <Link
            key={value || "all"}
            to={link({ status: value })}
            className={tab(status === value)}
            aria-current={status === value ? "page" : undefined}
          >
            {label}
          </Link>
        ))}
      </nav>
      {orders.isPending && (
        <div className="flex flex-col gap-3" aria-busy="true">
          {Array.from({ length: 4 }, (_, i) => <Skeleton key={i} className="h-20" />)}
        </div>
      )}
      {orders.isError && (
        <div className="flex flex-col items-start gap-3">
          <Alert tone="error">
            {orders.error instanceof ApiError ? sentenceOf(orders.error) : "The orders could not be loaded."}
          </Alert>
          <Button variant="secondary" onClick={() => orders.refetch()}>Try again</Button>
        </div>
      )}
      {orders.isSuccess && orders.data.items.length === 0 && (
        <EmptyState
          title={status ? "No orders with this status" : "No orders yet"}
          action={role === "buyer"
            ? <Link to="/search" className="text-brand-700 underline">Find a service</Link>
            : undefined}
        >
          {role === "buyer"
            ? "Orders you place appear here."
            : "Orders buyers place on your gigs appear here."}
        </EmptyState>
      )}
      {orders.isSuccess && orders.data.items.length > 0 && (
        <>
          <ul className="flex flex-col gap-3" aria-label="Orders">
            {orders.data.items.map((order) => (
              <li key={order.id}>
                <Card className="flex flex-col gap-2 p-4 sm:flex-row sm:items-center sm:justify-between">
                  <div className="flex min-w-0 flex-col gap-1">
                    <Link to={`/orders/${order.id}`} className="truncate font-semibold text-brand-700 underline">
                      {order.gigTitle}
                    </Link>
                    <p className="text-sm text-ink-600">
                      {order.package === "custom" ? "Custom offer" : `${order.package[0]!.toUpperCase()}${order.package.slice(1)} package`}
                      {" · placed "}
                      <RelativeTime iso={order.createdAt} />
                      {order.dueAt && order.status === "in_progress" && <>{" · due "}<RelativeTime iso={order.dueAt} /></>}
                    </p>
                  </div>
                  <div className="flex items-center gap-3">
                    <StatusBadge status={order.status} late={order.late} />
                    <span className="font-semibold">
                      <Money {...(role === "buyer" ? order.total ?? order.price : order.sellerEarnings ?? order.price)} />
                    </span>
                  </div>
                </Card>
              </li>
            ))}
          </ul>
          {orders.data.total > orders.data.limit && (
            <nav aria-label="Pages" className="flex items-center gap-3">
              {page > 1 && <Link to={link({ page: String(page - 1) })} className="text-brand-700 underline">Previous page</Link>}
              <span className="text-sm text-ink-600">
                Page {page} of {Math.ceil(orders.data.total / orders.data.limit)}
              </span>
              {page * orders.data.limit < orders.data.total && (
                <Link to={link({ page: String(page + 1) })} className="text-brand-700 underline">Next page</Link>
              )}
            </nav>
          )}
        </>
      )}
    </div>
  );
}
