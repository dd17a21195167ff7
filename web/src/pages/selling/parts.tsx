/** Pieces the selling pages share: a labelled text area and select, the form's error summary. */
import { type SelectHTMLAttributes, type TextareaHTMLAttributes, useId } from "react";
import { Alert } from "../../ui/index.ts";

interface FieldProps {
  label: string;
  error?: string;
  hint?: string;
}

function described(id: string, { error, hint }: FieldProps) {
  return error ? `${id}-error` : hint ? `${id}-hint` : undefined;
}

function Help({ id, error, hint }: FieldProps & { id: string }) {
  return (
    <>
      {hint && !error && <p id={`${id}-hint`} className="text-sm text-ink-600">{hint}</p>}
      {error && <p id={`${id}-error`} className="text-sm text-danger-700">{error}</p>}
    </>
  );
}

/** A labelled text area with its hint and field error (like `Input`). */
export function TextArea(
  { label, error, hint, id, className = "", ...props }:
    & FieldProps
    & TextareaHTMLAttributes<HTMLTextAreaElement>,
) {
  const fallback = useId();
  const areaId = id ?? fallback;
  return (
    <div className={`flex flex-col gap-1.5 ${className}`}>
      <label htmlFor={areaId} className="text-sm font-medium text-ink-700">{label}</label>
      <textarea
        id={areaId}
        rows={4}
        {...props}
        aria-invalid={error ? true : undefined}
        aria-describedby={described(areaId, { label, error, hint })}
        className={`rounded-lg border bg-white px-3 py-2 text-base text-ink-900 ${
          error ? "border-danger-600" : "border-ink-300"
        }`}
      />
      <Help id={areaId} label={label} error={error} hint={hint} />
    </div>
  );
}

/** A labelled select with its hint and field error. */
export function Select(
  { label, error, hint, id, className = "", children, ...props }:
    & FieldProps
    & SelectHTMLAttributes<HTMLSelectElement>,
) {
  const fallback = useId();
  const selectId = id ?? fallback;
  return (
    <div className={`flex flex-col gap-1.5 ${className}`}>
      <label htmlFor={selectId} className="text-sm font-medium text-ink-700">{label}</label>
      <select
        id={selectId}
        {...props}
        aria-invalid={error ? true : undefined}
        aria-describedby={described(selectId, { label, error, hint })}
        className={`min-h-10 rounded-lg border bg-white px-3 py-2 text-base text-ink-900 ${
          error ? "border-danger-600" : "border-ink-300"
        }`}
      >
        {children}
      </select>
      <Help id={selectId} label={label} error={error} hint={hint} />
    </div>
  );
}

/**
 * The form's own message: the answer's sentence, or, when fields were refused, a pointer
 * to them plus any refusal this form has no field for (so nothing the API said is lost).
 */
export function FormAlert(
  { errors, shown }: { errors: { fields: Record<string, string>; form?: string }; shown: string[] },
) {
  if (errors.form) return <Alert tone="error">{errors.form}</Alert>;
  const pointers = Object.keys(errors.fields);
  if (pointers.length === 0) return null;
  const rest = pointers.filter((p) => !shown.includes(p));
  return (
    <Alert tone="error">
      Please correct the fields marked below.
      {rest.length > 0 && (
        <ul className="mt-1 list-disc pl-5">
          {rest.map((p) => <li key={p}>{`${p.slice(1).replaceAll("/", " › ") || "Form"}: ${errors.fields[p]}`}</li>)}
        </ul>
      )}
    </Alert>
  );
}

/** Lines of a text area as a list (blank lines dropped). */
export const linesOf = (text: string) => text.split("\n").map((l) => l.trim()).filter(Boolean);
/** Comma-separated words as a list. */
export const wordsOf = (text: string) => text.split(",").map((w) => w.trim()).filter(Boolean);
