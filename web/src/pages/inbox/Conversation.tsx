/**
 * /inbox/:conversationId: the messages (older pages on demand, what came after the
 * newest one asked again whenever the socket reconnects), live messages, sending
 * with a clientId (a retry sends once), the typing indicator, read receipts (the
 * page marks what it shows read), the other party's presence, custom offers, and
 * blocking (./BlockControls.tsx: the composer stays in place, disabled and saying why).
 */
import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { ApiError } from "../../api/client.ts";
import { useSession } from "../../auth/session.tsx";
import { sentenceOf } from "../../forms/errors.ts";
import { emitTyping, useLiveEvent, usePresence } from "../../realtime/live.tsx";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, Button, PageTitle, RelativeTime, Skeleton } from "../../ui/index.ts";
import { fetchMessages, markRead, type Message, useConversation } from "./api.ts";
import { AttachmentPicker, MessageAttachments, type PickedFile, sendWithFiles } from "./ChatAttachments.tsx";
import { BlockButton, BlockedNotice, sendRefusal } from "./BlockControls.tsx";
import { OfferCard } from "./OfferCard.tsx";
import { OfferForm, useMyActiveGigs } from "./OfferForm.tsx";

const TYPING_EMIT_MS = 2_000;
const TYPING_SHOWN_MS = 4_000;

/** A message on its way: shown at once, replaced by the stored one. */
interface Pending {
  clientId: string;
  body: string;
  files: PickedFile[];
  failed: boolean;
}

/** Adds messages (oldest first, no duplicates by id). */
function merge(list: Message[], more: Message[]): Message[] {
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of more) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) =>
    a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1
  );
}

function Thread({ id }: { id: string }) {
  const me = useSession().user!.id;
  const conversation = useConversation(id);
  const [messages, setMessages] = useState<Message[]>([]);
  const [older, setOlder] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<"loading" | "done" | ApiError>("loading");
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [pending, setPending] = useState<Pending[]>([]);
  const [draft, setDraft] = useState("");
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [sendError, setSendError] = useState<string | null>(null);
  const [typingUntil, setTypingUntil] = useState(0);
  const [seenUpTo, setSeenUpTo] = useState<string | null>(null);
  const lastTypingEmit = useRef(0);
  const readMark = useRef<string | null>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const other = conversation.data?.otherParty;
  const myGigs = useMyActiveGigs();
  const [offering, setOffering] = useState(false);
  const online = usePresence(other?.userId);

  const loadNewest = useCallback(async () => {
    setLoaded("loading");
    try {
      const page = await fetchMessages(id);
      setMessages(page.items);
      setOlder(page.nextCursor);
      setLoaded("done");
    } catch (error) {
      setLoaded(error instanceof ApiError ? error : new ApiError(0, "error", "Failed."));
    }
  }, [id]);

  useEffect(() => {
    setMessages([]);
    setPending([]);
    setSeenUpTo(null);
    readMark.current = null;
    void loadNewest();
  }, [loadNewest]);

  // Back online: ask for what came after the newest message this page has.
  const catchUp = useCallback(async () => {
    let after = messages.at(-1)?.id;
    if (!after) return void loadNewest();
    for (let i = 0; i < 20 && after; i++) {
      const page: { items: Message[]; nextCursor: string | null } = await fetchMessages(id, { after })
        .catch(() => ({ items: [], nextCursor: null }));
      setMessages((list) => merge(list, page.items));
      after = page.nextCursor ?? undefined;
    }
  }, [id, messages, loadNewest]);

  useLiveEvent("connect", () => void catchUp());
  useLiveEvent("message:new", (message) => {
    if (message.conversationId !== id) return;
    setMessages((list) => merge(list, [message]));
    setPending((list) => list.filter((p) => p.clientId !== message.clientId));
    if (message.senderId !== me) setTypingUntil(0);
  });
  useLiveEvent("typing", (event) => {
    if (event.conversationId === id && event.userId !== me) setTypingUntil(Date.now() + TYPING_SHOWN_MS);
  });
  useLiveEvent("message:read", (event) => {
    if (event.conversationId === id && event.readerId !== me) setSeenUpTo(event.upTo);
  });

  // The typing indicator goes away by itself.
  useEffect(() => {
    if (!typingUntil) return;
    const timer = setTimeout(() => setTypingUntil(0), Math.max(0, typingUntil - Date.now()));
    return () => clearTimeout(timer);
  }, [typingUntil]);

  // What this page shows is read: mark up to the newest message of the other party.
  const newestTheirs = [...messages].reverse().find((m) => m.senderId !== me)?.id;
  useEffect(() => {
    if (!newestTheirs || readMark.current === newestTheirs) return;
    const mark = () => {
      if (document.visibilityState !== "visible" || readMark.current === newestTheirs) return;
      readMark.current = newestTheirs;
      markRead(id, newestTheirs).catch(() => {
        readMark.current = null;
      });
    };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => document.removeEventListener("visibilitychange", mark);
  }, [id, newestTheirs]);

  // Follow the newest message.
  const count = messages.length + pending.length;
  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: "end" });
  }, [count]);

  async function loadOlder() {
    if (!older) return;
    setLoadingOlder(true);
    try {
      const page = await fetchMessages(id, { before: older });
      setMessages((list) => merge(list, page.items));
      setOlder(page.nextCursor);
    } finally {
      setLoadingOlder(false);
    }
  }

  async function deliver(item: Pending) {
    setSendError(null);
    try {
      const message = await sendWithFiles(id, item.body, item.clientId, item.files);
      setMessages((list) => merge(list, [message]));
      setPending((list) => list.filter((p) => p.clientId !== item.clientId));
    } catch (error) {
      setPending((list) => list.map((p) => p.clientId === item.clientId ? { ...p, failed: true } : p));
      const refusal = sendRefusal(error, other?.displayName ?? "");
      // A block this page had not heard of: ask again, so the composer says so too.
      if (refusal) void conversation.refetch();
      setSendError(refusal ?? (error instanceof ApiError ? sentenceOf(error) : "The message was not sent."));
    }
  }

  function send(event: FormEvent) {
    event.preventDefault();
    const body = draft.trim();
    if (!body && files.length === 0) return;
    const item = { clientId: crypto.randomUUID(), body, files, failed: false };
    setPending((list) => [...list, item]);
    setDraft("");
    setFiles([]);
    void deliver(item);
  }

  function typed(value: string) {
    setDraft(value);
    const now = Date.now();
    if (value && now - lastTypingEmit.current >= TYPING_EMIT_MS) {
      lastTypingEmit.current = now;
      emitTyping(id);
    }
  }

  if (conversation.isError) {
    return (
      <Alert tone="error">
        {conversation.error instanceof ApiError && conversation.error.status === 404
          ? "This conversation does not exist, or it is not yours."
          : "The conversation could not be loaded."}
      </Alert>
    );
  }
  const name = other?.displayName ?? "";
  const blocked = Boolean(conversation.data?.blockedByMe || conversation.data?.blockedMe);
  const myLast = [...messages].reverse().find((m) => m.senderId === me);
  const seenIndex = seenUpTo ? messages.findIndex((m) => m.id === seenUpTo) : -1;
  const myLastSeen = myLast && seenIndex >= 0 && messages.indexOf(myLast) <= seenIndex;
  const typing = typingUntil > Date.now();

  return (
    <div className="flex flex-col gap-4">
      <div className="flex items-center gap-3">
        <Link to="/inbox" className="text-sm font-medium text-brand-700 hover:underline">
          ← Inbox
        </Link>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle title={name ? `Conversation with ${name}` : "Conversation"}>
          {name || <Skeleton className="h-8 w-40" />}
        </PageTitle>
        {online !== undefined && (
          <span className="flex items-center gap-1 text-sm text-ink-600">
            <span
              aria-hidden="true"
              className={`size-2.5 rounded-full ${online ? "bg-success-700" : "bg-ink-300"}`}
            />
            {online ? "Online" : "Offline"}
          </span>
        )}
        {conversation.data && (
          <div className="ml-auto">
            <BlockButton conversation={conversation.data} />
          </div>
        )}
      </div>
      <section
        aria-label="Messages"
        className="flex min-h-80 flex-col gap-3 rounded-xl border border-ink-200 bg-ink-50 p-3 sm:p-4"
      >
        {older && (
          <Button variant="ghost" busy={loadingOlder} onClick={loadOlder} className="self-center">
            Earlier messages
          </Button>
        )}
        {loaded === "loading" && messages.length === 0 && (
          <div className="flex flex-col gap-3">
            <Skeleton className="h-10 w-2/3" />
            <Skeleton className="h-10 w-1/2 self-end" />
          </div>
        )}
        {loaded instanceof ApiError && (
          <Alert tone="error">
            {sentenceOf(loaded)}{" "}
            <button type="button" className="font-semibold underline" onClick={loadNewest}>Try again</button>
          </Alert>
        )}
        {loaded === "done" && messages.length === 0 && pending.length === 0 && (
          <p className="m-auto text-sm text-ink-600">No messages yet. Say hello.</p>
        )}
        <ol className="flex flex-col gap-2">
          {messages.map((m) => {
            const mine = m.senderId === me;
            return (
              <li key={m.id} className={`flex flex-col ${mine ? "items-end" : "items-start"}`}>
                {m.kind === "offer" && m.offerId
                  ? <OfferCard offerId={m.offerId} me={me} />
                  : (
                    <p
                      className={`max-w-[85%] whitespace-pre-wrap break-words rounded-2xl px-3 py-2 text-base ${
                        mine ? "bg-brand-700 text-white" : "border border-ink-200 bg-white text-ink-900"
                      }`}
                    >
                      <span className="sr-only">{mine ? "You" : name}:{" "}</span>
                      {m.body}
                    </p>
                  )}
                <MessageAttachments attachments={m.attachments ?? []} />
                <span className="mt-0.5 text-xs text-ink-600">
                  <RelativeTime iso={m.createdAt} />
                  {m === myLast && myLastSeen && <span> · Seen</span>}
                </span>
              </li>
            );
          })}
          {pending.map((p) => (
            <li key={p.clientId} className="flex flex-col items-end">
              {/* Full contrast in both states (axe): a refused message reads as one, not faded. */}
              <p
                className={`max-w-[85%] whitespace-pre-wrap break-words rounded-2xl px-3 py-2 text-base ${
                  p.failed ? "border border-danger-600 bg-white text-ink-900" : "bg-brand-700 text-white"
                }`}
              >
                {p.body || p.files.map((f) => f.name).join(", ")}
              </p>
              <span className="mt-0.5 text-xs text-ink-600">
                {p.failed
                  ? (
                    <button
                      type="button"
                      className="font-semibold text-danger-700 underline"
                      onClick={() => {
                        setPending((list) => list.map((q) => q.clientId === p.clientId ? { ...q, failed: false } : q));
                        void deliver(p);
                      }}
                    >
                      Not sent. Retry
                    </button>
                  )
                  : "Sending…"}
              </span>
            </li>
          ))}
        </ol>
        <p role="status" aria-live="polite" className="min-h-5 text-sm italic text-ink-600">
          {typing ? `${name} is typing…` : ""}
        </p>
        <div ref={bottom} />
      </section>
      {sendError && <Alert tone="error">{sendError}</Alert>}
      {blocked && conversation.data && <BlockedNotice id="blocked-notice" conversation={conversation.data} />}
      <form onSubmit={send} noValidate className="flex items-end gap-2">
        <div className="flex-1">
          <label htmlFor="message" className="sr-only">Message</label>
          <textarea
            id="message"
            rows={2}
            maxLength={5000}
            value={draft}
            disabled={blocked || !conversation.data}
            aria-describedby={blocked ? "blocked-notice" : undefined}
            onChange={(event) => typed(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter" && !event.shiftKey) {
                event.preventDefault();
                event.currentTarget.form?.requestSubmit();
              }
            }}
            placeholder={blocked ? "Messaging is off in this conversation" : name ? `Message ${name}` : "Message"}
            className="block w-full resize-y rounded-lg border border-ink-300 bg-white px-3 py-2 text-base disabled:cursor-not-allowed disabled:bg-ink-100 disabled:text-ink-600"
          />
        </div>
        <Button type="submit" disabled={blocked || (!draft.trim() && files.length === 0)}>Send</Button>
      </form>
      <AttachmentPicker files={files} setFiles={setFiles} disabled={blocked || !conversation.data} />
      {!blocked && (myGigs.data?.length ?? 0) > 0 && (
        offering
          ? <OfferForm conversationId={id} gigs={myGigs.data!} onDone={() => setOffering(false)} />
          : (
            <Button variant="secondary" className="self-start" onClick={() => setOffering(true)}>
              Send a custom offer
            </Button>
          )
      )}
    </div>
  );
}

export default function ConversationPage() {
  const { conversationId = "" } = useParams();
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-6">
      <RequireAuth>
        <Thread key={conversationId} id={conversationId} />
      </RequireAuth>
    </div>
  );
}
