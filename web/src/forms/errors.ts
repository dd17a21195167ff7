/**
 * Turning an API error into what a form shows: field errors next to their fields
 * (by JSON pointer, plus the codes that name one field), and one sentence for the
 * rest that a person can act on (429 → when to retry, offline → try again).
 */
import { FIELD_OF_CODE } from "../api/auth.ts";
import { ApiError } from "../api/client.ts";

export interface FormErrors {
  /** Field errors by pointer (`/email`). */
  fields: Record<string, string>;
  /** The message for the form as a whole, when something is not about one field. */
  form?: string;
}

export function formErrorsOf(error: unknown, fieldNames: readonly string[]): FormErrors {
  if (!(error instanceof ApiError)) {
    return error ? { fields: {}, form: "Something went wrong. Please try again." } : { fields: {} };
  }
  const fields: Record<string, string> = {};
  for (const field of error.fieldErrors) {
    if (fieldNames.includes(field.pointer) && !fields[field.pointer]) {
      fields[field.pointer] = field.detail;
    }
  }
  const byCode = FIELD_OF_CODE[error.code];
  if (byCode && fieldNames.includes(byCode)) fields[byCode] = error.message;
  if (Object.keys(fields).length > 0) return { fields };
  return { fields, form: sentenceOf(error) };
}

/** One sentence for an error not tied to a field. */
export function sentenceOf(error: ApiError): string {
  if (error.status === 429) {
    return error.retryAfter
      ? `Too many attempts. Try again in ${waitOf(error.retryAfter)}.`
      : "Too many attempts. Try again in a little while.";
  }
  if (error.code === "network_error") return error.message;
  if (error.status >= 500) return "The service is having trouble. Please try again in a moment.";
  return error.message;
}

function waitOf(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}
