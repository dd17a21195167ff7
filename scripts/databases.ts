/**
 * One PostgreSQL database and one login role per service, created as the
 * superuser named by the standard PG* variables. Each service then connects
 * with its own role and migrates its own database at start-up.
 */
import { connectDb, ensureDatabase } from "@mp/shared/db";
import { adminUrl } from "../shared/testing/database.ts";
import { DATABASE_SERVICES, type ProcessName } from "./processes.ts";

/** Options of `prepareDatabases` and `dropDatabases`. */
export interface DatabaseOptions {
  /** Names are `<prefix>_<service>` for both the database and its role. Default `mp`. */
  prefix?: string;
  /** Services to create a database for. Default: every service that uses one. */
  services?: readonly ProcessName[];
  /**
   * Superuser connection URL. Default: built from PGHOST, PGPORT, PGUSER and
   * PGPASSWORD (127.0.0.1, 5432, postgres, none).
   */
  adminUrl?: string;
  /** Password of each service role. Default `<role>_dev`: this is tooling for local machines and tests. */
  password?: (role: string) => string;
}

const NAME = /^[a-z_][a-z0-9_]*$/;
// Session advisory lock serialising preparations; any constant unused elsewhere.
const PREPARE_LOCK = 727_002;

/** The database (and role) name of a service under a prefix, e.g. `mp_auth`. */
export function databaseName(prefix: string, service: ProcessName): string {
  const name = `${prefix}_${service}`;
  if (!NAME.test(name)) throw new Error(`"${name}" is not a valid database name (use a-z, 0-9, _)`);
  return name;
}

/**
 * Creates, idempotently, a login role and a database owned by it for each
 * service, and returns each service's DATABASE_URL (its own role, on the same
 * server as the superuser URL). Other roles lose the default CONNECT right, so
 * one service cannot open another's database. Running it again only resets each
 * role's password to the expected one.
 */
export async function prepareDatabases(
  options: DatabaseOptions = {},
): Promise<Partial<Record<ProcessName, string>>> {
  const { prefix = "mp", services = DATABASE_SERVICES } = options;
  const admin = connectDb(options.adminUrl ?? adminUrl(), { max: 1 });
  const urls: Partial<Record<ProcessName, string>> = {};
  try {
    // Test files running in parallel may prepare at once; creating roles and
    // databases is not safe to race, so one preparation runs at a time.
    await admin`select pg_advisory_lock(${PREPARE_LOCK})`;
    for (const service of services) {
      const name = databaseName(prefix, service);
      const password = options.password?.(name) ?? `${name}_dev`;
      await ensureDatabase(admin, name, { role: name, password });
      await admin.unsafe(
        `alter role ${name} with login password '${password.replaceAll("'", "''")}'`,
      );
      await admin.unsafe(`revoke connect, temporary on database ${name} from public`);
      await admin.unsafe(`grant connect, temporary on database ${name} to ${name}`);
      const url = new URL(options.adminUrl ?? adminUrl());
      url.username = name;
      url.password = password;
      url.pathname = `/${name}`;
      urls[service] = url.toString();
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  return urls;
}

/** Drops each service's database (closing its connections) and role under `prefix`. For tests. */
export async function dropDatabases(options: DatabaseOptions & { prefix: string }): Promise<void> {
  const { prefix, services = DATABASE_SERVICES } = options;
  const admin = connectDb(options.adminUrl ?? adminUrl(), { max: 1 });
  try {
    for (const service of services) {
      const name = databaseName(prefix, service);
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.unsafe(`drop role if exists ${name}`);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}
