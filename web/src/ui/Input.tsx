import { type InputHTMLAttributes, useId } from "react";

export interface InputProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  /** Shown under the field, tied to it with aria-describedby and aria-invalid. */
  error?: string;
  hint?: string;
}

/** A labelled input with its hint and field error. */
export function Input({ label, error, hint, id, className = "", ...props }: InputProps) {
  const fallback = useId();
  const inputId = id ?? fallback;
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  // The hint gives way to the error: only what is shown describes the field.
  const described = error ? errorId : hint ? hintId : undefined;
  return (
    <div className={`flex flex-col gap-1.5 ${className}`}>
      <label htmlFor={inputId} className="text-sm font-medium text-ink-700">{label}</label>
      <input
        id={inputId}
        {...props}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        className={`min-h-10 rounded-lg border bg-white px-3 py-2 text-base text-ink-900 placeholder:text-ink-500 ${
          error ? "border-danger-600" : "border-ink-300"
        }`}
      />
      {hint && !error && <p id={hintId} className="text-sm text-ink-600">{hint}</p>}
      {error && <p id={errorId} className="text-sm text-danger-700">{error}</p>}
    </div>
  );
}
