import { usePresence } from "../../realtime/live.tsx";

/** A green dot while the edge says `userId` is online; nothing when offline or not told. */
export function PresenceDot({ userId, className = "" }: { userId: string; className?: string }) {
  const online = usePresence(userId);
  if (!online) return null;
  return (
    <span
      role="img"
      aria-label="Online"
      className={`size-3 rounded-full border-2 border-white bg-success-700 ${className}`}
    />
  );
}
