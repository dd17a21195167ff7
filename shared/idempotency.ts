/**
 * `Idempotency-Key` for state-changing POSTs: a retry with the same key gets the
 * first answer (status, body, headers), byte for byte, whatever happened in
 * between, because the answer is written in the SAME transaction as the change.
 * A commit can never lose its answer; a rollback never leaves a key behind.
 *
 * Rules (the API reference in docs/CONTRACTS.md says the same):
 * - a key is 1–255 visible ASCII characters (400 `idempotency_key_invalid`);
 * - a key belongs to one caller in one service; it is bound to the first
 *   request's route (method and path) and body: the same key with another route
 *   or body is a 422 `idempotency_key_reused` (as Stripe does);
 * - a second request with a key whose first is still running is a 409
 *   `idempotency_key_in_use` with `Retry-After: 1`;
 * - only a success is remembered: an error changed nothing, so a retry runs again;
 * - records are pruned after `IDEMPOTENCY_RETENTION_MS` (shared/retention.ts).
 *
 * Why not a library: hono has no idempotency middleware, and the npm ones keep
 * the answer in a cache beside the change (Redis, memory), so a crash between
 * the commit and that write loses it; here both are one SQL transaction.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Sql, Tx } from "./db.ts";
import type { Logger } from "./log.ts";
import { AppError } from "./problem.ts";

/**
 * DDL of the records table, applied by `migrate()` through its `include`
 * option. `body` is the JSON text as sent (jsonb would reorder its keys).
 */
export const idempotencyMigration = {
  version: "shared/idempotency_v1",
  sql: `
    create table if not exists idempotency_records (
      scope text not null,
      key text not null,
      route text not null,
      fingerprint text not null,
      status smallint not null,
      body text not null,
      headers jsonb not null default '{}',
      created_at timestamptz not null default now(),
      primary key (scope, key)
    );
    create index if not exists idempotency_records_created_at
      on idempotency_records (created_at);
  `,
};

/** Longest key accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** A key: 1–255 visible ASCII characters (a UUID is typical). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;
/**
 * Records are kept one day, like Stripe's keys: retries after a timeout or a
 * crash come within minutes. A key used again after that is a new request.
 */
export const IDEMPOTENCY_RETENTION_MS = 86_400_000;

/** An answer: what the client receives, and what a retry receives again. */
export interface Outcome {
  status: ContentfulStatusCode;
  body: unknown;
  /** Headers to repeat on a retry (e.g. `Location`). */
  headers?: Record<string, string>;
}

/** The answer of a change, committed with it. */
export interface Committed extends Outcome {
  /**
   * Runs after the commit (e.g. a payment-provider call); its answer replaces
   * the stored one. If it fails, the committed answer stands and is sent.
   */
  afterCommit?: () => Promise<Outcome>;
}

/** Who sends which key for which request. */
export interface IdempotentRequest {
  /** The caller (user id). */
  scope: string;
  key: string;
  /** `METHOD /path`, for the 422's detail. */
  route: string;
  /** From `fingerprintOf`: route plus body. */
  fingerprint: string;
}

/** An answer, and whether it is a stored one sent again. */
export interface Answer extends Outcome {
  replayed: boolean;
}

// Namespace of the advisory locks that tell a running request from a finished one.
const LOCK_SEED = 727_002;

/** SHA-256 (hex) of a route and a validated body (zod output: keys in schema order). */
export async function fingerprintOf(route: string, body: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify([route, body ?? null]));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The `Idempotency-Key` header, if any.
 * @throws AppError 400 `idempotency_key_invalid` for a malformed key, and
 *   `idempotency_key_required` when `required` and absent.
 */
export function idempotencyKeyOf(c: Context, required = false): string | undefined {
  const key = c.req.header("idempotency-key");
  if (key === undefined) {
    if (!required) return undefined;
    throw new AppError(
      400,
      "idempotency_key_required",
      "Send an Idempotency-Key header (1–255 visible ASCII characters, e.g. a UUID).",
    );
  }
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new AppError(
      400,
      "idempotency_key_invalid",
      `An Idempotency-Key is 1–${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (e.g. a UUID).`,
    );
  }
  return key;
}

interface StoredRow {
  route: string;
  fingerprint: string;
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** The stored answer, if the request is the one the key was first used for. */
function replay(row: StoredRow, request: IdempotentRequest): Answer {
  if (row.fingerprint !== request.fingerprint) {
    throw new AppError(
      422,
      "idempotency_key_reused",
      `This Idempotency-Key was used for another request (${row.route}, or another body); ` +
        "use a new key for a new request.",
    );
  }
  return {
    status: row.status as ContentfulStatusCode,
    body: JSON.parse(row.body),
    headers: row.headers,
    replayed: true,
  };
}

/**
 * Runs `work` in a transaction and, when a key is given, stores its answer in
 * that transaction; a key seen before gets its stored answer without running
 * `work`. Errors thrown by `work` roll everything back and are rethrown.
 * @throws AppError 409 `idempotency_key_in_use`, 422 `idempotency_key_reused`.
 */
export async function runIdempotent(
  sql: Sql,
  request: IdempotentRequest | undefined,
  work: (tx: Tx) => Promise<Committed>,
  log: Logger,
): Promise<Answer> {
  if (request) {
    // A finished key is answered without a transaction, so concurrent retries never meet the lock.
    const [row] = await sql<StoredRow[]>`
      select route, fingerprint, status, body, headers from idempotency_records
      where scope = ${request.scope} and key = ${request.key}`;
    if (row) return replay(row, request);
  }
  const result = await sql.begin(async (tx): Promise<Answer | Committed> => {
    if (request) {
      const lock = `${request.scope}\n${request.key}`;
      // Not waiting: a duplicate of a running request is told so at once.
      const [{ locked }] = await tx<{ locked: boolean }[]>`
        select pg_try_advisory_xact_lock(hashtextextended(${lock}, ${LOCK_SEED})) as locked`;
      if (!locked) {
        throw new AppError(
          409,
          "idempotency_key_in_use",
          "A request with this Idempotency-Key is still running; retry in a moment.",
          {},
          { "retry-after": "1" },
        );
      }
      const [row] = await tx<StoredRow[]>`
        select route, fingerprint, status, body, headers from idempotency_records
        where scope = ${request.scope} and key = ${request.key}`;
      if (row) return replay(row, request);
    }
    const committed = await work(tx);
    if (request) {
      await tx`insert into idempotency_records
        (scope, key, route, fingerprint, status, body, headers)
        values (${request.scope}, ${request.key}, ${request.route}, ${request.fingerprint},
          ${committed.status}, ${JSON.stringify(committed.body)},
          ${tx.json(committed.headers ?? {})})`;
    }
    return committed;
  });
  if ("replayed" in result) return result;
  const { afterCommit, ...committed } = result;
  if (!afterCommit) return { ...committed, replayed: false };
  try {
    const refined = await afterCommit();
    if (request) {
      await sql`update idempotency_records set status = ${refined.status},
          body = ${JSON.stringify(refined.body)}, headers = ${sql.json(refined.headers ?? {})}
        where scope = ${request.scope} and key = ${request.key}`;
    }
    return { ...refined, replayed: false };
  } catch (error) {
    // The change is committed and so is this answer: never a 500 for a saved change.
    log.warn("after-commit step failed; answering with the committed outcome", { error });
    return { ...committed, replayed: false };
  }
}

/** Options of `idempotentJson`. */
export interface IdempotentJsonOptions {
  sql: Sql;
  log: Logger;
  /** The caller (user id): keys of different callers never meet. */
  scope: string;
  /** The validated body (or another canonical form of the request). */
  body: unknown;
  /** Refuse a request without a key (400 `idempotency_key_required`). */
  required?: boolean;
}

/**
 * A route's JSON answer made by `work` in one transaction, under the request's
 * `Idempotency-Key` if it has one (see the module comment). A replayed answer
 * carries `Idempotent-Replayed: true`.
 */
export async function idempotentJson(
  c: Context,
  options: IdempotentJsonOptions,
  work: (tx: Tx) => Promise<Committed>,
): Promise<Response> {
  const key = idempotencyKeyOf(c, options.required);
  let request: IdempotentRequest | undefined;
  if (key !== undefined) {
    const route = `${c.req.method} ${c.req.path}`;
    request = {
      scope: options.scope,
      key,
      route,
      fingerprint: await fingerprintOf(route, options.body),
    };
  }
  const answer = await runIdempotent(options.sql, request, work, options.log);
  const headers: Record<string, string> = {
    ...answer.headers,
    "content-type": "application/json",
  };
  if (answer.replayed) headers["idempotent-replayed"] = "true";
  return c.body(JSON.stringify(answer.body), answer.status, headers);
}
