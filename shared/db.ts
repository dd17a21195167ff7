/**
 * PostgreSQL access (npm:postgres) and a deliberately tiny migration runner.
 *
 * The driver is npm postgres 3.4.9 with crash and pool fixes, vendored in vendor/postgres/
 * (PATCHES.md says what and why; deno.json maps `postgres` there). Dropping it once a fixed release
 * exists: map `postgres` back to `npm:postgres@<fixed version>` and delete the folder
 * (vendor/postgres/README.md lists the steps).
 *
 * Every pool from `connectDb` retries a transaction whose connection was lost before its commit,
 * or that PostgreSQL rolled back (serialization failure, deadlock): see `retryTransaction`. So a
 * transaction function must do nothing but SQL (it may run more than once).
 *
 * Why our own runner: what we need is "apply the plain-SQL files in
 * `migrations/` once each, in order, one transaction per file, safe when two
 * replicas start together". That is thirty lines; the well-known runners
 * (node-pg-migrate, postgrator) bring a second driver and, on Deno, write
 * permissions or CLIs we do not want in a service process.
 */
import postgres from "postgres";
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import { isConnectionLoss, isRolledBack } from "./db_errors.ts";

/** A connected pool. */
export type Sql = postgres.Sql;
/** A transaction handle (same query API as `Sql`). */
export type Tx = postgres.TransactionSql;

/**
 * Before a closed connection reconnects, by consecutive failures: 25 ms doubling to 0.5 s, equal
 * jitter. The driver's default grows to 20 s after a burst of failed connections (its count is
 * shared by the pool), longer than the 2 s a service has to serve again after a hiccup.
 */
export const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 25, maxMs: 500, jitter: 0.5 };

/** The options `connectDb` opens a pool with (exported for the driver's regression test). */
export function poolOptions(max = 10): postgres.Options<Record<string, postgres.PostgresType>> {
  return {
    max,
    onnotice: () => {},
    // Keep JSON and dates as the driver gives them; bigints stay strings.
    connect_timeout: 5,
    idle_timeout: 60,
    // The driver counts failures from 1 and takes seconds.
    backoff: (failures: number) => backoffDelay(RECONNECT_BACKOFF, failures - 1) / 1000,
  };
}

/**
 * Opens a pool to `url`. Connections are made lazily, on first query. Its `begin` retries
 * transient failures (`retryTransaction`).
 */
export function connectDb(url: string, options: { max?: number } = {}): Sql {
  const sql = postgres(url, poolOptions(options.max));
  const begin = sql.begin.bind(sql) as (mode: string, fn: (tx: Tx) => unknown) => Promise<unknown>;
  sql.begin =
    ((mode: string | ((tx: Tx) => unknown), fn?: (tx: Tx) => unknown) =>
      typeof mode === "string"
        ? retryTransaction((once) => begin(mode, once), fn!)
        : retryTransaction((once) => begin("", once), mode)) as Sql["begin"];
  return sql;
}

// `sql.end()` was called (shutting down): another try would fail the same way.
function isPoolEnded(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "CONNECTION_ENDED";
}

/** How often and how patiently `retryTransaction` tries again. */
export interface RetryPolicy {
  /** Runs in all, the first included. */
  attempts: number;
  /** Wait before each run again. */
  backoff: BackoffPolicy;
}

/** Four runs at most, 50 ms doubling between them (equal jitter): under 0.4 s of waiting. */
export const TRANSACTION_RETRY: RetryPolicy = {
  attempts: 4,
  backoff: { initialMs: 50, maxMs: 1_000, jitter: 0.5 },
};

/**
 * Runs a transaction, running the whole function again (after 50, 100, 200 ms with jitter,
 * by default) when PostgreSQL rolled it back (serialization failure, deadlock) or the connection
 * was lost before the function had finished: in both cases nothing was committed. A connection
 * lost after the function finished, during COMMIT, is NOT retried: the commit may have happened,
 * so the error reaches the caller (the shared `onError` answers 503 and the client retries,
 * with its Idempotency-Key where the route takes one). `begin` runs one transaction of `fn`.
 */
export async function retryTransaction<T>(
  begin: (fn: (tx: Tx) => Promise<T>) => Promise<unknown>,
  fn: (tx: Tx) => T | Promise<T>,
  policy: RetryPolicy = TRANSACTION_RETRY,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    let finished = false;
    let committed: Tx | undefined;
    try {
      const result = await begin(async (tx) => {
        const result = await fn(tx);
        finished = true;
        committed = tx;
        return result;
      }) as T;
      runCommitHooks(committed);
      return result;
    } catch (err) {
      const safe = isRolledBack(err) || (isConnectionLoss(err) && !finished && !isPoolEnded(err));
      if (!safe || attempt >= policy.attempts) throw err;
      const delay = backoffDelay(policy.backoff, attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

// Hooks of transactions in progress; a rolled-back attempt's are dropped with its handle.
const commitHooks = new WeakMap<Tx, (() => void)[]>();

/**
 * Runs `hook` once `tx` has committed, never if it rolls back or is run again:
 * for counting what a transaction did (metrics). Only transactions begun by a
 * `connectDb` pool run their hooks.
 */
export function afterCommit(tx: Tx, hook: () => void): void {
  const hooks = commitHooks.get(tx);
  if (hooks) hooks.push(hook);
  else commitHooks.set(tx, [hook]);
}

function runCommitHooks(tx: Tx | undefined) {
  const hooks = tx && commitHooks.get(tx);
  if (!hooks) return;
  commitHooks.delete(tx);
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // A counter's failure must not turn a committed transaction into an error.
    }
  }
}

/** `true` when a trivial query answers within a second (readiness probe). */
export async function isDbReady(sql: Sql): Promise<boolean> {
  try {
    await Promise.race([
      sql`select 1`,
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 1000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

// Any constant works; it only has to be the same for every replica of a service.
const MIGRATION_LOCK = 727_001;

/**
 * Applies every `NNN_name.sql` file in `dir` not yet recorded in
 * `schema_migrations`, in file-name order, each in its own transaction. An
 * advisory lock makes concurrent start-ups apply each file exactly once.
 * `include` lists migrations from the shared kit (outbox, inbox) applied first.
 * Returns the versions it applied.
 */
export async function migrate(
  sql: Sql,
  dir: URL,
  include: { version: string; sql: string }[] = [],
): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^\d{3}_[\w-]+\.sql$/.test(entry.name)) files.push(entry.name);
  }
  files.sort();
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists schema_migrations (
      version text primary key, applied_at timestamptz not null default now())`;
    const done = new Set(
      (await tx<{ version: string }[]>`select version from schema_migrations`).map((r) =>
        r.version
      ),
    );
    for (const { version, sql: text } of include) {
      if (done.has(version)) continue;
      await tx.unsafe(text);
      await tx`insert into schema_migrations (version) values (${version})`;
      applied.push(version);
    }
    for (const file of files) {
      if (done.has(file)) continue;
      const text = await Deno.readTextFile(new URL(file, dir));
      await tx.unsafe(text);
      await tx`insert into schema_migrations (version) values (${file})`;
      applied.push(file);
    }
  });
  return applied;
}

/**
 * Creates a database (and, if given, a login role owning it) unless it exists.
 * Used by `deno task dev` and the tests, connected as a superuser; services never
 * call it.
 */
export async function ensureDatabase(
  admin: Sql,
  database: string,
  owner?: { role: string; password: string },
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`bad database name ${database}`);
  if (owner) {
    if (!/^[a-z_][a-z0-9_]*$/.test(owner.role)) throw new Error(`bad role name ${owner.role}`);
    const [role] = await admin`select 1 from pg_roles where rolname = ${owner.role}`;
    if (!role) {
      await admin.unsafe(
        `create role ${owner.role} login password '${owner.password.replaceAll("'", "''")}'`,
      );
    }
  }
  const [db] = await admin`select 1 from pg_database where datname = ${database}`;
  if (!db) {
    await admin.unsafe(
      `create database ${database}${owner ? ` owner ${owner.role}` : ""}`,
    );
  }
}

/**
 * Environment variables npm:postgres reads (as fallbacks) when it builds a pool.
 * A process started with `--allow-env=<list>` must include these, or the driver
 * fails with NotCapable before connecting.
 */
export const POSTGRES_DRIVER_ENV = [
  "PGHOST",
  "PGPORT",
  "PGUSER",
  "PGUSERNAME",
  "PGPASSWORD",
  "PGDATABASE",
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
  // postgres.js looks up `PG<OPTION>` for each option the caller did not set.
  ...[
    "max",
    "ssl",
    "sslnegotiation",
    "idle_timeout",
    "connect_timeout",
    "max_lifetime",
    "max_pipeline",
    "backoff",
    "keep_alive",
    "prepare",
    "debug",
    "fetch_types",
    "publications",
    "target_session_attrs",
  ].map((option) => `PG${option.toUpperCase()}`),
  "USER",
  "USERNAME",
  "LOGNAME",
];
