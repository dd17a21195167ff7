/**
 * PostgreSQL access (npm:postgres) and a deliberately tiny migration runner.
 *
 * Why our own runner: what we need is "apply the plain-SQL files in
 * `migrations/` once each, in order, one transaction per file, safe when two
 * replicas start together". That is thirty lines; the well-known runners
 * (node-pg-migrate, postgrator) bring a second driver and, on Deno, write
 * permissions or CLIs we do not want in a service process.
 */
import postgres from "postgres";

/** A connected pool. */
export type Sql = postgres.Sql;
/** A transaction handle (same query API as `Sql`). */
export type Tx = postgres.TransactionSql;

/** Opens a pool to `url`. Connections are made lazily, on first query. */
export function connectDb(url: string, options: { max?: number } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Keep JSON and dates as the driver gives them; bigints stay strings.
    connect_timeout: 5,
    idle_timeout: 60,
  });
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
