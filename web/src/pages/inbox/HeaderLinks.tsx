/**
 * The signed-in header's live part: the inbox link with its unread count and the
 * notification bell (count and a dropdown of the latest). Rendering it opens the
 * session's socket (useRealtimeConnection).
 */
import { useEffect, useRef, useState } from "react";
import { Link, useLocation } from "react-router";
import { useSession } from "../../auth/session.tsx";
import { useRealtimeConnection } from "../../realtime/live.tsx";
import { RelativeTime } from "../../ui/index.ts";
import { useNotifications, useReadAllNotifications, useUnreadMessages } from "./api.ts";

function Badge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span
      aria-hidden="true"
      className="absolute -right-1 -top-1 min-w-5 rounded-full bg-danger-700 px-1 text-center text-xs font-bold leading-5 text-white"
    >
      {count > 99 ? "99+" : count}
    </span>
  );
}

export function HeaderLinks() {
  const session = useSession();
  useRealtimeConnection();
  const signedIn = session.status === "signed-in";
  const unread = useUnreadMessages(signedIn);
  const notifications = useNotifications(signedIn);
  const readAll = useReadAllNotifications();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const location = useLocation();

  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const close = (event: Event) => {
      if (
        event instanceof KeyboardEvent
          ? event.key === "Escape"
          : !box.current?.contains(event.target as Node)
      ) setOpen(false);
    };
    document.addEventListener("keydown", close);
    document.addEventListener("pointerdown", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("pointerdown", close);
    };
  }, [open]);

  if (!signedIn) return null;
  const messages = unread.data?.unreadCount ?? 0;
  const count = notifications.data?.unreadCount ?? 0;
  const iconClass =
    "relative inline-flex size-10 items-center justify-center rounded-lg text-ink-700 hover:bg-ink-100";
  return (
    <div className="flex items-center gap-1">
      <Link
        to="/inbox"
        className={iconClass}
        aria-label={messages ? `Inbox, ${messages} unread` : "Inbox"}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" className="size-6" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path d="M4 5h16v11H8l-4 4z" strokeLinejoin="round" />
        </svg>
        <Badge count={messages} />
      </Link>
      <div ref={box} className="relative">
        <button
          type="button"
          className={iconClass}
          aria-expanded={open}
          aria-controls="notification-list"
          aria-label={count ? `Notifications, ${count} unread` : "Notifications"}
          onClick={() => setOpen(!open)}
        >
          <svg aria-hidden="true" viewBox="0 0 24 24" className="size-6" fill="none" stroke="currentColor" strokeWidth="1.8">
            <path d="M6 16V11a6 6 0 1 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0" strokeLinejoin="round" />
          </svg>
          <Badge count={count} />
        </button>
        {open && (
          <section
            id="notification-list"
            aria-label="Notifications"
            className="fixed inset-x-4 top-16 z-20 rounded-lg border border-ink-200 bg-white shadow-lg sm:absolute sm:inset-x-auto sm:right-0 sm:top-full sm:mt-2 sm:w-80"
          >
            <div className="flex items-center justify-between border-b border-ink-200 px-3 py-2">
              <h2 className="text-sm font-semibold">Notifications</h2>
              {count > 0 && (
                <button
                  type="button"
                  className="text-sm font-medium text-brand-700 hover:underline"
                  onClick={() => readAll.mutate()}
                >
                  Mark all read
                </button>
              )}
            </div>
            {notifications.isError
              ? <p className="p-3 text-sm text-danger-700">Notifications could not be loaded.</p>
              : notifications.data?.items.length
              ? (
                <ul className="max-h-96 divide-y divide-ink-100 overflow-y-auto">
                  {notifications.data.items.map((n) => {
                    const content = (
                      <>
                        <span className={`block text-sm ${n.readAt ? "" : "font-semibold"}`}>{n.title}</span>
                        <span className="block text-sm text-ink-600">{n.body}</span>
                        <span className="block text-xs text-ink-600">
                          <RelativeTime iso={n.createdAt} />
                        </span>
                      </>
                    );
                    return (
                      <li key={n.id}>
                        {n.link
                          ? <Link to={n.link} className="block px-3 py-2 hover:bg-ink-50">{content}</Link>
                          : <div className="px-3 py-2">{content}</div>}
                      </li>
                    );
                  })}
                </ul>
              )
              : <p className="p-3 text-sm text-ink-600">No notifications yet.</p>}
          </section>
        )}
      </div>
    </div>
  );
}
