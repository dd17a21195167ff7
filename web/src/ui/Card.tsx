import type { HTMLAttributes } from "react";

/** A white surface with a border: forms, lists, panels. */
export function Card({ className = "", ...props }: HTMLAttributes<HTMLDivElement>) {
  return (
    <div {...props} className={`rounded-xl border border-ink-200 bg-white p-6 shadow-sm ${className}`} />
  );
}
