/**
 * Blocking in a conversation (services/chat/README.md "Blocking"): the header's block and
 * unblock button (blocking asks first), the notice that says why nobody can write, and the
 * sentence for a send the API refused because of a block.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, ApiError } from "../../api/client.ts";
import { liveKeys } from "../../realtime/live.tsx";
import { sentenceOf } from "../../forms/errors.ts";
import { Alert, Button } from "../../ui/index.ts";
import type { Conversation } from "./api.ts";

/**
 * Blocks or unblocks the other participant (only the blocker can unblock). Here, not in
 * ./api.ts, whose hooks the header puts in the home page's bundle.
 */
function useBlock(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: "block" | "unblock") =>
      api<{ conversation: Conversation }>("POST", `/api/v1/conversations/${id}/${action}`).then((a) =>
        a.conversation
      ),
    onSuccess: (conversation) => {
      client.setQueryData(liveKeys.conversation(id), conversation);
      void client.invalidateQueries({ queryKey: liveKeys.conversations });
    },
  });
}

/** "Block" (with a confirmation) or "Unblock" the other participant. */
export function BlockButton({ conversation }: { conversation: Conversation }) {
  const block = useBlock(conversation.id);
  const [confirming, setConfirming] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  const name = conversation.otherParty.displayName;

  // After confirming or cancelling, focus goes back to the button, not to the page's start.
  useEffect(() => {
    if (!confirming && refocus.current) {
      refocus.current = false;
      toggle.current?.focus();
    }
  }, [confirming, conversation.blockedByMe]);

  const done = () => {
    refocus.current = true;
    setConfirming(false);
  };

  const error = block.error && (
    <p role="alert" className="text-sm text-danger-700">
      {block.error instanceof ApiError ? sentenceOf(block.error) : "That did not work. Please try again."}
    </p>
  );

  if (conversation.blockedByMe) {
    return (
      <div className="flex flex-col items-end gap-1">
        <Button ref={toggle} variant="secondary" busy={block.isPending} aria-label={`Unblock ${name}`}
          onClick={() => block.mutate("unblock", { onSuccess: done })}>
          Unblock
        </Button>
        {error}
      </div>
    );
  }
  if (confirming) {
    return (
      <div role="group" aria-label={`Block ${name}?`}
        className="flex max-w-md flex-col gap-2 rounded-lg border border-ink-200 bg-white p-3 shadow-sm">
        <p className="text-sm text-ink-700">
          Neither of you will be able to send messages or offers here until you unblock {name}. You can
          still read the conversation.
        </p>
        <div className="flex flex-wrap gap-2">
          <Button variant="danger" busy={block.isPending} autoFocus
            onClick={() => block.mutate("block", { onSuccess: done })}>
            Yes, block
          </Button>
          <Button variant="ghost" onClick={done}>Cancel</Button>
        </div>
        {error}
      </div>
    );
  }
  return (
    <Button ref={toggle} variant="ghost" aria-label={`Block ${name}`}
      onClick={() => {
        block.reset();
        setConfirming(true);
      }}>
      Block
    </Button>
  );
}

/** Why the composer is off: who blocked whom, and what can still be done. */
export function BlockedNotice({ id, conversation }: { id: string; conversation: Conversation }) {
  const name = conversation.otherParty.displayName;
  return (
    <div id={id}>
      <Alert>
        {conversation.blockedByMe
          ? `You blocked ${name}. Neither of you can send messages or offers here until you unblock them.`
          : `${name} has blocked you. You can read this conversation, but you cannot send messages or offers.`}
        {conversation.blockedByMe && conversation.blockedMe && ` ${name} has blocked you too.`}
      </Alert>
    </div>
  );
}

/** The sentence for a message the API refused because of a block, else undefined. */
export function sendRefusal(error: unknown, name: string): string | undefined {
  if (!(error instanceof ApiError) || error.status !== 403) return undefined;
  if (error.code === "blocked") return `Not sent: ${name || "this person"} has blocked you.`;
  if (error.code === "you_blocked") return `Not sent: you blocked ${name || "this person"}. Unblock them to send messages.`;
  return undefined;
}
