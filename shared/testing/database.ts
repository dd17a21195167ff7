import { connectDb, migrate, type Sql } from "../db.ts";

/** A database created for one test suite, dropped by `drop()`. */
export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

/** The superuser connection URL from PG* variables (defaults: postgres@127.0.0.1:5432). */
export function adminUrl(database = "postgres"): string {
  const host = Deno.env.get("PGHOST") ?? "127.0.0.1";
  const port = Deno.env.get("PGPORT") ?? "5432";
  const user = Deno.env.get("PGUSER") ?? "postgres";
  const password = Deno.env.get("PGPASSWORD");
  const auth = password
    ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}`
    : encodeURIComponent(user);
  return `postgres://${auth}@${host.startsWith("/") ? "localhost" : host}:${port}/${database}`;
}

/** Creates an empty database named `t_<prefix>_<random>` and connects to it. */
export async function freshDatabase(prefix: string): Promise<TestDatabase> {
  const name = `t_${prefix.replace(/\W/g, "_")}_${crypto.randomUUID().slice(0, 8)}`.toLowerCase();
  const admin = connectDb(adminUrl(), { max: 1 });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = adminUrl(name);
  const sql = connectDb(url, { max: 5 });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      const admin = connectDb(adminUrl(), { max: 1 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A fresh database with a service's schema: the kit's tables in `include`, then `migrations/`. */
export async function migratedDatabase(
  prefix: string,
  migrations: URL,
  include: { version: string; sql: string }[] = [],
): Promise<TestDatabase> {
  const db = await freshDatabase(prefix);
  await migrate(db.sql, migrations, include);
  return db;
}
