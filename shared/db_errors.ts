/**
 * Which database errors are transient: the connection was lost, or PostgreSQL aborted the
 * transaction so it can be run again. shared/db.ts retries transactions on them; the shared
 * `onError` (problem.ts) answers 503 with `Retry-After` for whatever is left. Kept apart from
 * db.ts so problem.ts (also used by the gateway) does not load the driver.
 *
 * Hand-written (why not npm pg-error-constants or similar): we need a dozen codes and two
 * questions about them, not the whole SQLSTATE catalogue.
 */

// Codes npm:postgres puts on its own connection errors, and Deno's socket errors.
const LOST_CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTCONN",
  // SQLSTATE: the server ended the session or cannot take one right now.
  "57P01", // admin_shutdown (pg_terminate_backend, fast shutdown)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, recovering)
  "53300", // too_many_connections
]);

// SQLSTATE: PostgreSQL rolled the transaction back; running it again may succeed.
const ROLLED_BACK_CODES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** `true` when `err` says the connection to PostgreSQL was lost or could not be made. */
export function isConnectionLoss(err: unknown): boolean {
  const code = codeOf(err);
  // Class 08 is "connection exception".
  return code !== undefined && (LOST_CONNECTION_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code));
}

/** `true` when PostgreSQL rolled the transaction back (serialization failure, deadlock). */
export function isRolledBack(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && ROLLED_BACK_CODES.has(code);
}

/** `true` for any database error that says "try again shortly" rather than "this is a bug". */
export function isTransientDbError(err: unknown): boolean {
  return isConnectionLoss(err) || isRolledBack(err);
}
