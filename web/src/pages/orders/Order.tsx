/**
 * `/orders/:id`: one order as the caller's party sees it: the timeline, the
 * requirements, deliveries, revision requests, extension and cancellation requests
 * with their answers, the actions this party may take now (and only those), and the
 * review form once the order is completed.
 *
 * Freshness: web/src has no socket helper yet, so the realtime edge's `order:updated`
 * is not listened to; the order is refetched when the window regains focus and after
 * every action (the page says so).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { Link, useParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { formErrorsOf, sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, Card, formatMoney, Input, Money, PageTitle, RelativeTime, Skeleton } from "../../ui/index.ts";
import {
  type Order,
  orderActions,
  orderKeys,
  review,
  type TimelineEntry,
  useOrder,
  useOrderAction,
  useOrderReviews,
} from "./api.ts";
import { PayOrder, StatusBadge, TextArea } from "./parts.tsx";
import { type DeliveredFile, DeliveredFiles, DeliveryUploads } from "./DeliveryFiles.tsx";

export default function OrderPage() {
  return (
    <RequireAuth>
      <OrderView />
    </RequireAuth>
  );
}

function errorText(error: unknown, fallback: string): string {
  return error instanceof ApiError ? sentenceOf(error) : fallback;
}

function OrderView() {
  const { id = "" } = useParams();
  const order = useOrder(id);
  if (order.isPending) {
    return (
      <div className="flex flex-col gap-6" aria-busy="true">
        <PageTitle title="Order">Order</PageTitle>
        <Skeleton className="h-32" />
        <Skeleton className="h-64" />
      </div>
    );
  }
  if (order.isError) {
    const notFound = order.error instanceof ApiError &&
      (order.error.status === 404 || order.error.status === 400);
    return (
      <div className="flex flex-col items-start gap-4">
        <PageTitle title="Order">Order</PageTitle>
        <Alert tone="error">
          {notFound ? "There is no such order among yours." : errorText(order.error, "The order could not be loaded.")}
        </Alert>
        {notFound
          ? <Link to="/orders" className="text-brand-700 underline">Your orders</Link>
          : <Button variant="secondary" onClick={() => order.refetch()}>Try again</Button>}
      </div>
    );
  }
  return <OrderDetail order={order.data} />;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/[^a-z]+/g, "-")}`;
  return (
    <section aria-labelledby={id}>
      <Card className="flex flex-col gap-4">
        <h2 id={id} className="text-lg font-semibold">{title}</h2>
        {children}
      </Card>
    </section>
  );
}

function OrderDetail({ order }: { order: Order }) {
  const buyer = order.role === "buyer";
  const working = order.status === "in_progress" || order.status === "in_revision";
  const open = working || order.status === "delivered";
  const pendingCancellation = order.cancellationRequests.find((r) => r.status === "pending");
  const pendingExtension = order.extensionRequests.find((r) => r.status === "pending");

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <p className="text-sm text-ink-600">
          {buyer ? "You bought" : "You sell"} · Order {order.id.slice(0, 8)}
        </p>
        <PageTitle title={`Order: ${order.gigTitle}`}>{order.gigTitle}</PageTitle>
        <div className="flex flex-wrap items-center gap-3 text-sm text-ink-700">
          <StatusBadge status={order.status} late={order.late} />
          {order.dueAt && working && <span>Due <RelativeTime iso={order.dueAt} /></span>}
          {order.autoCompleteAt && order.status === "delivered" && (
            <span>Completes by itself <RelativeTime iso={order.autoCompleteAt} /></span>
          )}
          {order.completedAt && <span>Completed <RelativeTime iso={order.completedAt} /></span>}
          {order.cancelledAt && <span>Cancelled <RelativeTime iso={order.cancelledAt} /></span>}
        </div>
        <p className="text-sm text-ink-600">
          This page refreshes when you come back to it and after each action.
        </p>
      </div>

      <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
        <div className="flex min-w-0 flex-col gap-6">
          {buyer && order.status === "pending_payment" && (
            <Section title="Payment">
              <p className="text-sm text-ink-700">
                The seller starts once you pay <Money {...order.total} />.
              </p>
              <PayOrder order={order} />
            </Section>
          )}

          {pendingCancellation && (
            <CancellationAnswer order={order} request={pendingCancellation} />
          )}
          {pendingExtension && <ExtensionAnswer order={order} request={pendingExtension} />}

          {!buyer && working && <DeliverForm order={order} />}
          {buyer && order.status === "delivered" && <BuyerDecision order={order} />}

          <Section title="Deliveries">
            {order.deliveries.length === 0
              ? <p className="text-sm text-ink-600">Nothing delivered yet.</p>
              : (
                <ol className="flex flex-col gap-4" aria-label="Deliveries">
                  {order.deliveries.map((d, i) => (
                    <li key={d.id} className="flex flex-col gap-1 border-l-4 border-brand-600 pl-3">
                      <p className="text-sm font-semibold">
                        Delivery {i + 1} · <RelativeTime iso={d.deliveredAt} />
                      </p>
                      <p className="whitespace-pre-wrap">{d.message}</p>
                      <DeliveredFiles files={d.mediaFiles ?? []} />
                      {d.files.length > 0 && (
                        <ul className="text-sm">
                          {d.files.map((f) => (
                            <li key={f}>
                              <a href={f} rel="noreferrer noopener" target="_blank" className="break-all text-brand-700 underline">{f}</a>
                            </li>
                          ))}
                        </ul>
                      )}
                    </li>
                  ))}
                </ol>
              )}
            {order.revisionRequests.length > 0 && (
              <div className="flex flex-col gap-2">
                <h3 className="font-semibold">Revision requests</h3>
                <ol className="flex flex-col gap-2" aria-label="Revision requests">
                  {order.revisionRequests.map((r) => (
                    <li key={r.id} className="border-l-4 border-ink-300 pl-3">
                      <p className="text-sm text-ink-600"><RelativeTime iso={r.requestedAt} /></p>
                      <p className="whitespace-pre-wrap">{r.message}</p>
                    </li>
                  ))}
                </ol>
              </div>
            )}
          </Section>

          <Section title="Requirements">
            {order.requirements.length === 0
              ? <p className="text-sm text-ink-600">No questions were asked for this order.</p>
              : (
                <dl className="flex flex-col gap-3">
                  {order.requirements.map((r) => (
                    <div key={r.questionId}>
                      <dt className="text-sm font-medium text-ink-700">{r.question}</dt>
                      <dd className="whitespace-pre-wrap">{r.answer}</dd>
                    </div>
                  ))}
                </dl>
              )}
          </Section>

          {order.status === "completed" && <Reviews order={order} />}

          <Section title="Timeline">
            <ol className="flex flex-col gap-3" aria-label="Timeline">
              {order.timeline.map((entry, i) => (
                <li key={i} className="flex flex-col border-l-2 border-ink-200 pl-3">
                  <span>{describe(entry, order)}</span>
                  <span className="text-sm text-ink-600"><RelativeTime iso={entry.at} /></span>
                </li>
              ))}
            </ol>
          </Section>
        </div>

        <aside className="flex flex-col gap-6" aria-label="Order facts">
          <Card className="flex flex-col gap-3">
            <h2 className="text-lg font-semibold">
              {order.packageDetails.tier === "custom" ? order.packageDetails.name : `${order.packageDetails.name} package`}
            </h2>
            <p className="text-sm text-ink-700">{order.packageDetails.description}</p>
            <dl className="flex flex-col gap-2 text-sm">
              <Row label="Price"><Money {...order.price} /></Row>
              {order.serviceFee && <Row label="Service fee"><Money {...order.serviceFee} /></Row>}
              {buyer && <Row label="Total" strong><Money {...order.total} /></Row>}
              {order.commission && <Row label="Commission"><Money {...order.commission} /></Row>}
              {order.sellerEarnings && <Row label="Your earnings" strong><Money {...order.sellerEarnings} /></Row>}
              <Row label="Delivery">
                {order.deliveryDays + order.extensionDays} days
                {order.extensionDays > 0 && ` (${order.extensionDays} added)`}
              </Row>
              <Row label="Revisions left">{order.revisions.left} of {order.revisions.included}</Row>
              <Row label="Payment">{order.payment.status.replace("_", " ")}</Row>
              {order.payment.refund && (
                <Row label="Refund">
                  <Money amount={order.payment.refund.amount} currency={order.payment.refund.currency} />{" "}
                  ({order.payment.refund.status})
                </Row>
              )}
            </dl>
            {order.cancellation && (
              <p className="text-sm text-ink-700">
                Cancelled by {order.cancellation.by ?? "the system"}
                {order.cancellation.reason ? `: ${order.cancellation.reason}` : "."}
              </p>
            )}
          </Card>
          {!buyer && working && !pendingExtension && <ExtensionForm order={order} />}
          {open && !pendingCancellation && <CancellationForm order={order} />}
          {buyer && (order.status === "pending_payment" || (order.status === "in_progress" && order.late)) && (
            <CancelForm order={order} />
          )}
          <RequestHistory order={order} />
        </aside>
      </div>
    </div>
  );
}

function Row({ label, children, strong }: { label: string; children: ReactNode; strong?: boolean }) {
  return (
    <div className={`flex justify-between gap-3 ${strong ? "font-semibold" : ""}`}>
      <dt>{label}</dt>
      <dd className="text-right">{children}</dd>
    </div>
  );
}

const WHO = { buyer: "The buyer", seller: "The seller", system: "The marketplace" } as const;

/** One sentence per timeline kind (`OrderTimelineEntry.kind`). */
function describe(entry: TimelineEntry, order: Order): string {
  const who = order.role === entry.actor ? "You" : WHO[entry.actor];
  const d = entry.details;
  const money = (value: unknown) => {
    const m = value as { amount?: number; currency?: string } | null | undefined;
    return m && typeof m.amount === "number" && m.currency
      ? formatMoney(m.amount, m.currency)
      : null;
  };
  const reason = typeof d.reason === "string" && d.reason ? `: “${d.reason}”` : "";
  switch (entry.kind) {
    case "placed":
      return d.offerId ? `${who} accepted a custom offer and placed the order.` : `${who} placed the order.`;
    case "paid":
      return "Payment received; the money is held until the order completes.";
    case "payment_failed":
      return `A payment attempt failed${typeof d.error === "string" ? `: ${d.error}` : "."}`;
    case "delivered":
      return `${who} delivered the work.`;
    case "revision_requested":
      return `${who} asked for a revision${typeof d.revisionsLeft === "number" ? ` (${d.revisionsLeft} left)` : ""}.`;
    case "completed":
      return d.by === "auto" ? "The order completed by itself." : `${who} accepted the delivery; the order is complete.`;
    case "cancelled": {
      const refund = money(d.refund);
      const subject = entry.actor === "system" ? "The order was cancelled" : `${who} cancelled the order`;
      return `${subject}${reason}${refund ? ` (${refund} refunded)` : ""}.`;
    }
    case "cancellation_requested":
      return `${who} asked to cancel${reason}.`;
    case "cancellation_accepted":
      return `${who} accepted the cancellation.`;
    case "cancellation_declined":
      return `${who} declined the cancellation.`;
    case "extension_requested":
      return `${who} asked for ${d.days ?? "more"} more day${d.days === 1 ? "" : "s"}${reason}.`;
    case "extension_approved":
      return `${who} approved the extension of ${d.days ?? ""} day${d.days === 1 ? "" : "s"}.`;
    case "extension_declined":
      return `${who} declined the extension.`;
    case "refund_confirmed":
      return `The refund${money(d.refund) ? ` of ${money(d.refund)}` : ""} was confirmed.`;
    case "paid_after_cancellation":
      return "A payment arrived after the cancellation; it is refunded.";
    case "refunded_after_completion":
      return "The payment was refunded after completion.";
    default:
      return `${who}: ${entry.kind.replaceAll("_", " ")}.`;
  }
}

/** The seller's delivery: a message and optional links to the files. */
function DeliverForm({ order }: { order: Order }) {
  const [message, setMessage] = useState("");
  const [files, setFiles] = useState("");
  const [uploads, setUploads] = useState<DeliveredFile[]>([]);
  const action = useOrderAction(order.id, orderActions.deliver(order.id));
  const list = files.split(/\s+/).filter(Boolean);
  const pointers = [
    "/message",
    "/files",
    "/fileMediaIds",
    ...list.map((_, i) => `/files/${i}`),
    ...uploads.map((_, i) => `/fileMediaIds/${i}`),
  ];
  const errors = formErrorsOf(action.error, pointers);
  const fileError = errors.fields["/files"] ?? list.map((_, i) => errors.fields[`/files/${i}`]).find(Boolean);
  const uploadError = errors.fields["/fileMediaIds"] ??
    uploads.map((f, i) => errors.fields[`/fileMediaIds/${i}`] && `${f.name}: ${errors.fields[`/fileMediaIds/${i}`]}`)
      .find(Boolean);
  const [local, setLocal] = useState<string>();
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!message.trim()) return setLocal("Write a message for the buyer.");
    setLocal(undefined);
    action.mutate({ message: message.trim(), files: list, fileMediaIds: uploads.map((f) => f.id) }, {
      onSuccess: () => {
        setMessage("");
        setFiles("");
        setUploads([]);
      },
    });
  }
  return (
    <Section title={order.status === "in_revision" ? "Deliver the revision" : "Deliver your work"}>
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <TextArea
          label="Delivery message"
          value={message}
          maxLength={5000}
          onChange={(e) => setMessage(e.target.value)}
          error={local ?? errors.fields["/message"]}
        />
        <Input
          label="Links to the files (optional)"
          hint="Public https links, separated by spaces."
          value={files}
          onChange={(e) => setFiles(e.target.value)}
          error={fileError}
        />
        <DeliveryUploads files={uploads} setFiles={setUploads} error={uploadError || undefined} />
        <Button type="submit" busy={action.isPending} className="self-start">Deliver</Button>
      </form>
    </Section>
  );
}

/** The buyer's answer to a delivery: accept, or ask for a revision while revisions are left. */
function BuyerDecision({ order }: { order: Order }) {
  const accept = useOrderAction(order.id, orderActions.accept(order.id));
  const revision = useOrderAction(order.id, orderActions.revision(order.id));
  const [message, setMessage] = useState("");
  const [local, setLocal] = useState<string>();
  const errors = formErrorsOf(revision.error, ["/message"]);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!message.trim()) return setLocal("Say what should change.");
    setLocal(undefined);
    revision.mutate({ message: message.trim() }, { onSuccess: () => setMessage("") });
  }
  return (
    <Section title="Review the delivery">
      <p className="text-sm text-ink-700">
        Accepting completes the order and releases the payment to the seller.
      </p>
      {accept.isError && <Alert tone="error">{errorText(accept.error, "Could not accept.")}</Alert>}
      <Button busy={accept.isPending} onClick={() => accept.mutate(undefined)} className="self-start">
        Accept delivery
      </Button>
      {order.revisions.left > 0
        ? (
          <form onSubmit={submit} noValidate className="flex flex-col gap-4 border-t border-ink-200 pt-4">
            {errors.form && <Alert tone="error">{errors.form}</Alert>}
            <TextArea
              label="What should change?"
              hint={`${order.revisions.left} revision${order.revisions.left === 1 ? "" : "s"} left.`}
              value={message}
              maxLength={5000}
              onChange={(e) => setMessage(e.target.value)}
              error={local ?? errors.fields["/message"]}
            />
            <Button type="submit" variant="secondary" busy={revision.isPending} className="self-start">
              Ask for a revision
            </Button>
          </form>
        )
        : <p className="text-sm text-ink-600">No revisions are left in this package.</p>}
    </Section>
  );
}

function ExtensionForm({ order }: { order: Order }) {
  const action = useOrderAction(order.id, orderActions.requestExtension(order.id));
  const [days, setDays] = useState("1");
  const [reason, setReason] = useState("");
  const [local, setLocal] = useState<Record<string, string>>({});
  const errors = formErrorsOf(action.error, ["/days", "/reason"]);
  function submit(event: FormEvent) {
    event.preventDefault();
    const n = Number(days);
    const problems: Record<string, string> = {};
    if (!Number.isInteger(n) || n < 1 || n > 30) problems["/days"] = "Between 1 and 30 days.";
    if (!reason.trim()) problems["/reason"] = "Tell the buyer why.";
    setLocal(problems);
    if (Object.keys(problems).length === 0) {
      action.mutate({ days: n, reason: reason.trim() }, { onSuccess: () => setReason("") });
    }
  }
  return (
    <Card className="flex flex-col gap-3">
      <h2 className="text-lg font-semibold">Need more time?</h2>
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <Input
          label="Extra days"
          type="number"
          min={1}
          max={30}
          value={days}
          onChange={(e) => setDays(e.target.value)}
          error={local["/days"] ?? errors.fields["/days"]}
        />
        <TextArea
          label="Reason for the extension"
          rows={2}
          maxLength={1000}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={local["/reason"] ?? errors.fields["/reason"]}
        />
        <Button type="submit" variant="secondary" busy={action.isPending}>Ask for an extension</Button>
      </form>
    </Card>
  );
}

function CancellationForm({ order }: { order: Order }) {
  const action = useOrderAction(order.id, orderActions.requestCancellation(order.id));
  const [reason, setReason] = useState("");
  const [local, setLocal] = useState<string>();
  const errors = formErrorsOf(action.error, ["/reason"]);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!reason.trim()) return setLocal("Say why you want to cancel.");
    setLocal(undefined);
    action.mutate({ reason: reason.trim() }, { onSuccess: () => setReason("") });
  }
  return (
    <Card className="flex flex-col gap-3">
      <h2 className="text-lg font-semibold">Cancel by agreement</h2>
      <p className="text-sm text-ink-600">
        The {order.role === "buyer" ? "seller" : "buyer"} must agree; the buyer is then refunded.
      </p>
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <TextArea
          label="Reason for cancelling"
          rows={2}
          maxLength={1000}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={local ?? errors.fields["/reason"]}
        />
        <Button type="submit" variant="secondary" busy={action.isPending}>Ask to cancel</Button>
      </form>
    </Card>
  );
}

/** The buyer cancels alone: an unpaid order, or a late one (refunded). */
function CancelForm({ order }: { order: Order }) {
  const action = useOrderAction(order.id, orderActions.cancel(order.id));
  const [reason, setReason] = useState("");
  const errors = formErrorsOf(action.error, ["/reason"]);
  return (
    <Card className="flex flex-col gap-3">
      <h2 className="text-lg font-semibold">
        {order.status === "pending_payment" ? "Cancel this order" : "The order is late"}
      </h2>
      <p className="text-sm text-ink-600">
        {order.status === "pending_payment"
          ? "It is not paid yet; nothing will be charged."
          : "You may cancel it now; the total is refunded."}
      </p>
      <form
        noValidate
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          action.mutate({ reason: reason.trim() });
        }}
      >
        {errors.form && <Alert tone="error">{errors.form}</Alert>}
        <Input
          label="Reason (optional)"
          maxLength={1000}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={errors.fields["/reason"]}
        />
        <Button type="submit" variant="danger" busy={action.isPending}>Cancel order</Button>
      </form>
    </Card>
  );
}

function CancellationAnswer(
  { order, request }: { order: Order; request: Order["cancellationRequests"][number] },
) {
  const action = useOrderAction(order.id, orderActions.answerCancellation(order.id));
  const mine = request.requestedBy === order.role;
  return (
    <Section title="Cancellation request">
      <p>
        {mine ? "You asked" : `The ${request.requestedBy} asked`} to cancel{" "}
        <RelativeTime iso={request.requestedAt} />: “{request.reason}”
      </p>
      {mine
        ? <p className="text-sm text-ink-600">Waiting for the {order.role === "buyer" ? "seller" : "buyer"}’s answer.</p>
        : (
          <div className="flex flex-wrap gap-3">
            {action.isError && <Alert tone="error">{errorText(action.error, "Could not answer.")}</Alert>}
            <Button variant="danger" busy={action.isPending} onClick={() => action.mutate({ requestId: request.id, accept: true })}>
              Agree to cancel
            </Button>
            <Button variant="secondary" disabled={action.isPending} onClick={() => action.mutate({ requestId: request.id, accept: false })}>
              Decline cancellation
            </Button>
          </div>
        )}
    </Section>
  );
}

function ExtensionAnswer(
  { order, request }: { order: Order; request: Order["extensionRequests"][number] },
) {
  const action = useOrderAction(order.id, orderActions.answerExtension(order.id));
  return (
    <Section title="Extension request">
      <p>
        {order.role === "seller" ? "You asked" : "The seller asked"} for {request.days} more day
        {request.days === 1 ? "" : "s"} <RelativeTime iso={request.requestedAt} />: “{request.reason}”
      </p>
      {order.role === "seller"
        ? <p className="text-sm text-ink-600">Waiting for the buyer’s answer.</p>
        : (
          <div className="flex flex-wrap gap-3">
            {action.isError && <Alert tone="error">{errorText(action.error, "Could not answer.")}</Alert>}
            <Button busy={action.isPending} onClick={() => action.mutate({ requestId: request.id, approve: true })}>
              Approve extension
            </Button>
            <Button variant="secondary" disabled={action.isPending} onClick={() => action.mutate({ requestId: request.id, approve: false })}>
              Decline extension
            </Button>
          </div>
        )}
    </Section>
  );
}

/** Answered extension and cancellation requests. */
function RequestHistory({ order }: { order: Order }) {
  const answered = [
    ...order.extensionRequests.filter((r) => r.status !== "pending").map((r) => ({
      id: r.id,
      at: r.answeredAt ?? r.requestedAt,
      text: `Extension of ${r.days} day${r.days === 1 ? "" : "s"} (“${r.reason}”): ${r.status}`,
    })),
    ...order.cancellationRequests.filter((r) => r.status !== "pending").map((r) => ({
      id: r.id,
      at: r.answeredAt ?? r.requestedAt,
      text: `Cancellation asked by the ${r.requestedBy} (“${r.reason}”): ${r.status}`,
    })),
  ];
  if (answered.length === 0) return null;
  return (
    <Card className="flex flex-col gap-3">
      <h2 className="text-lg font-semibold">Answered requests</h2>
      <ul className="flex flex-col gap-2 text-sm">
        {answered.map((r) => (
          <li key={r.id}>
            {r.text} · <RelativeTime iso={r.at} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

function Reviews({ order }: { order: Order }) {
  const reviews = useOrderReviews(order.id, true);
  const client = useQueryClient();
  const [rating, setRating] = useState(0);
  const [comment, setComment] = useState("");
  const [local, setLocal] = useState<Record<string, string>>({});
  const write = useMutation({
    mutationFn: () => review(order.id, { rating, comment: comment.trim() }),
    onSuccess: () => client.invalidateQueries({ queryKey: orderKeys.reviews(order.id) }),
  });
  const errors = formErrorsOf(write.error, ["/rating", "/comment"]);
  const other = order.role === "buyer" ? "seller" : "buyer";
  function submit(event: FormEvent) {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (rating < 1) problems["/rating"] = "Choose 1 to 5 stars.";
    if (!comment.trim()) problems["/comment"] = "Write a few words.";
    setLocal(problems);
    if (Object.keys(problems).length === 0) write.mutate();
  }
  const ratingError = local["/rating"] ?? errors.fields["/rating"];
  return (
    <Section title="Reviews">
      {reviews.isPending && <Skeleton className="h-20" />}
      {reviews.isError && (
        <div className="flex flex-col items-start gap-2">
          <Alert tone="error">{errorText(reviews.error, "The reviews could not be loaded.")}</Alert>
          <Button variant="secondary" onClick={() => reviews.refetch()}>Try again</Button>
        </div>
      )}
      {reviews.isSuccess && (
        <>
          {reviews.data.items.length > 0 && (
            <ul className="flex flex-col gap-3" aria-label="Reviews of this order">
              {reviews.data.items.map((r) => (
                <li key={r.id} className="flex flex-col gap-1">
                  <p className="text-sm font-semibold">
                    {r.direction === "buyer_to_seller" ? "The buyer’s review" : "The seller’s review"} ·{" "}
                    <span aria-label={`${r.rating} out of 5 stars`}>{"★".repeat(r.rating)}{"☆".repeat(5 - r.rating)}</span>
                  </p>
                  <p className="whitespace-pre-wrap">{r.comment}</p>
                </li>
              ))}
            </ul>
          )}
          {reviews.data.canReview
            ? (
              <form onSubmit={submit} noValidate className="flex flex-col gap-4 border-t border-ink-200 pt-4">
                {errors.form && <Alert tone="error">{errors.form}</Alert>}
                <fieldset
                  className="flex flex-col gap-2"
                  aria-invalid={ratingError ? true : undefined}
                  aria-describedby={ratingError ? "rating-error" : undefined}
                >
                  <legend className="text-sm font-medium text-ink-700">Rate the {other}</legend>
                  <div className="flex gap-2">
                    {[1, 2, 3, 4, 5].map((n) => (
                      <label key={n} className="flex items-center gap-1 rounded-lg border border-ink-300 px-3 py-2">
                        <input type="radio" name="rating" value={n} checked={rating === n} onChange={() => setRating(n)} />
                        <span>{n} star{n === 1 ? "" : "s"}</span>
                      </label>
                    ))}
                  </div>
                  {ratingError && <p id="rating-error" className="text-sm text-danger-700">{ratingError}</p>}
                </fieldset>
                <TextArea
                  label="Your review"
                  maxLength={2000}
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                  error={local["/comment"] ?? errors.fields["/comment"]}
                />
                <Button type="submit" busy={write.isPending} className="self-start">Publish review</Button>
              </form>
            )
            : (
              <p className="text-sm text-ink-600">
                {reviews.data.reason === "already_reviewed"
                  ? "You have reviewed this order."
                  : reviews.data.reason === "review_window_closed"
                  ? "The time to review this order has passed."
                  : reviews.data.reason === "order_not_completed"
                  ? "Reviews open in a moment, once the completion has been recorded."
                  : "This order cannot be reviewed."}
              </p>
            )}
        </>
      )}
    </Section>
  );
}
