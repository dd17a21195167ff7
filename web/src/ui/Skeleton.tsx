/** A grey placeholder while data loads; decorative, so hidden from screen readers. */
export function Skeleton({ className = "" }: { className?: string }) {
  return <div aria-hidden="true" className={`animate-pulse rounded-lg bg-ink-200 ${className}`} />;
}
