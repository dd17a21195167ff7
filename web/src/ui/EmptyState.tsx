import type { ReactNode } from "react";

/** What a list says when it has nothing, with what to do next. */
export function EmptyState(
  { title, children, action }: { title: string; children?: ReactNode; action?: ReactNode },
) {
  return (
    <div className="flex flex-col items-center gap-3 rounded-xl border border-dashed border-ink-300 bg-white px-6 py-12 text-center">
      <p className="text-lg font-semibold text-ink-900">{title}</p>
      {children && <div className="max-w-md text-sm text-ink-600">{children}</div>}
      {action}
    </div>
  );
}
