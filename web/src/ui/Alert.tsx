import type { ReactNode } from "react";

const TONES = {
  error: "border-danger-600 bg-danger-50 text-danger-700",
  success: "border-success-700 bg-success-50 text-success-700",
  info: "border-brand-600 bg-brand-50 text-brand-800",
} as const;

/** A message for the whole page or form; errors are announced (role="alert"). */
export function Alert({ tone = "info", children }: { tone?: keyof typeof TONES; children: ReactNode }) {
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={`rounded-lg border-l-4 px-4 py-3 text-sm ${TONES[tone]}`}
    >
      {children}
    </div>
  );
}
