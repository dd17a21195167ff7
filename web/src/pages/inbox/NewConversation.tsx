/** /inbox/new?to=<username>: starts the conversation with that person (or opens the existing one). */
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../api/client.ts";
import { sentenceOf } from "../../forms/errors.ts";
import { liveKeys } from "../../realtime/live.tsx";
import { RequireAuth } from "../../routes/RequireAuth.tsx";
import { Alert, PageTitle, Skeleton } from "../../ui/index.ts";
import { startConversation } from "./api.ts";

function Start({ to }: { to: string }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    startConversation(to)
      .then((conversation) => {
        client.setQueryData(liveKeys.conversation(conversation.id), conversation);
        void client.invalidateQueries({ queryKey: liveKeys.conversations });
        navigate(`/inbox/${conversation.id}`, { replace: true });
      })
      .catch((e) => {
        setError(
          e instanceof ApiError && e.code === "user_not_found"
            ? `There is nobody called “${to}”.`
            : e instanceof ApiError && e.code === "cannot_message_self"
            ? "This is you: you cannot message yourself."
            : e instanceof ApiError
            ? sentenceOf(e)
            : "The conversation could not be started.",
        );
      });
  }, [to, navigate, client]);
  if (error) {
    return (
      <Alert tone="error">
        {error} <Link to="/inbox" className="font-semibold underline">Go to the inbox</Link>
      </Alert>
    );
  }
  return <Skeleton className="h-64 w-full" />;
}

export default function NewConversation() {
  const [params] = useSearchParams();
  const to = params.get("to")?.trim() ?? "";
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-6">
      <PageTitle title="New conversation">{to ? `Contact ${to}` : "New conversation"}</PageTitle>
      <RequireAuth>
        {to ? <Start to={to} /> : <Alert tone="error">Choose whom to contact from their gig or profile.</Alert>}
      </RequireAuth>
    </div>
  );
}
