/** /inbox: the signed-in person's conversations, latest activity first, paged. */
import { Link } from "react-router";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, EmptyState, PageTitle, RelativeTime, Skeleton } from "../../ui/index.ts";
import { useSession } from "../../auth/session.tsx";
import { type Conversation, useConversations } from "./api.ts";
import { PresenceDot } from "./PresenceDot.tsx";

function Row({ conversation, me }: { conversation: Conversation; me: string }) {
  const { otherParty, lastMessage, unreadCount } = conversation;
  const preview = lastMessage
    ? `${lastMessage.senderId === me ? "You: " : ""}${
      lastMessage.kind === "offer" ? `Custom offer: ${lastMessage.body}` : lastMessage.body
    }`
    : "No messages yet";
  return (
    <li>
      <Link
        to={`/inbox/${conversation.id}`}
        className="flex items-center gap-3 px-4 py-3 hover:bg-ink-50"
      >
        <span className="relative flex size-10 shrink-0 items-center justify-center rounded-full bg-brand-100 font-semibold uppercase text-brand-800">
          {otherParty.displayName.slice(0, 1)}
          <PresenceDot userId={otherParty.userId} className="absolute bottom-0 right-0" />
        </span>
        <span className="min-w-0 flex-1">
          <span className="flex items-baseline justify-between gap-2">
            <span className={`truncate ${unreadCount ? "font-bold" : "font-medium"}`}>
              {otherParty.displayName}
            </span>
            <span className="shrink-0 text-xs text-ink-600">
              <RelativeTime iso={conversation.lastActivityAt} />
            </span>
          </span>
          <span className="flex items-center justify-between gap-2">
            <span className={`truncate text-sm ${unreadCount ? "text-ink-900" : "text-ink-600"}`}>
              {preview}
            </span>
            {/* Either side's block: nobody can write in it, which the list should not hide. */}
            {(conversation.blockedByMe || conversation.blockedMe) && (
              <span className="shrink-0 rounded-full bg-ink-100 px-2 text-xs font-medium leading-5 text-ink-700">
                {conversation.blockedByMe ? "Blocked by you" : "Blocked"}
              </span>
            )}
            {unreadCount > 0 && (
              <span className="shrink-0 rounded-full bg-brand-700 px-2 text-xs font-bold leading-5 text-white">
                {unreadCount}
                <span className="sr-only">unread</span>
              </span>
            )}
          </span>
        </span>
      </Link>
    </li>
  );
}

function InboxList() {
  const session = useSession();
  const list = useConversations();
  if (list.isPending) {
    return (
      <div className="flex flex-col gap-2">
        {[0, 1, 2].map((i) => <Skeleton key={i} className="h-16 w-full" />)}
      </div>
    );
  }
  if (list.isError) {
    return (
      <Alert tone="error">
        {list.error instanceof ApiError ? sentenceOf(list.error) : "The inbox could not be loaded."}{" "}
        <button type="button" className="font-semibold underline" onClick={() => list.refetch()}>
          Try again
        </button>
      </Alert>
    );
  }
  const items = list.data.pages.flatMap((page) => page.items);
  if (!items.length) {
    return (
      <EmptyState title="No conversations yet">
        Open a gig and choose “Contact seller” to ask a question before you order.
      </EmptyState>
    );
  }
  return (
    <div className="flex flex-col gap-4">
      <ul
        aria-label="Conversations"
        className="divide-y divide-ink-100 overflow-hidden rounded-xl border border-ink-200 bg-white"
      >
        {items.map((c) => <Row key={c.id} conversation={c} me={session.user?.id ?? ""} />)}
      </ul>
      {list.hasNextPage && (
        <Button
          variant="secondary"
          busy={list.isFetchingNextPage}
          onClick={() => list.fetchNextPage()}
        >
          Older conversations
        </Button>
      )}
    </div>
  );
}

export default function Inbox() {
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-6">
      <PageTitle title="Inbox">Inbox</PageTitle>
      <RequireAuth>
        <InboxList />
      </RequireAuth>
    </div>
  );
}
