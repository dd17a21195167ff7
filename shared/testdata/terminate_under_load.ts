/**
 * Fault scenario for the PostgreSQL driver, run as its own process by postgres_driver_test.ts:
 * eight workers run small and large (> 1 KiB, written at once) writes, two in transactions and
 * six as single queries, through a pool of four
 * while every backend of the database is terminated again and again; then it measures how long
 * the pool takes to serve every connection again. Prints one JSON line on stdout: transactions
 * that succeeded, error codes of those that failed, uncaught errors, workers whose query never
 * settled (`hung`) and the recovery time.
 *
 * Usage: terminate_under_load.ts <patched|unpatched> <database url> <seconds> [survive]
 * `unpatched` is the registry's npm:postgres 3.4.9; `survive` counts uncaught errors instead of
 * dying of them, to see what the pool does afterwards.
 */
import { poolOptions } from "../db.ts";

const [driver, url, seconds = "3", survive] = Deno.args;
// Both copies have the same API; the vendored one's types stand for both.
const postgres: typeof import("postgres").default = driver === "unpatched"
  ? (await import("postgres-unpatched")).default as unknown as typeof import("postgres").default
  : (await import("postgres")).default;

const uncaught: string[] = [];
if (survive === "survive") {
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    uncaught.push(String(event.error?.message ?? event.message));
  });
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    uncaught.push(String(event.reason?.message ?? event.reason));
  });
}

const MAX = 4;
const sql = postgres(url, poolOptions(MAX));
const admin = postgres(url, { max: 1, onnotice: () => {} });
const database = new URL(url).pathname.slice(1);
await sql`create table if not exists notes (id serial primary key, body text not null)`;

let stop = false;
let ok = 0;
const codes: Record<string, number> = {};
const big = "x".repeat(4000);

async function worker(index: number) {
  while (!stop) {
    const body = index % 2 ? big : `small ${index}`;
    try {
      if (index < 2) {
        await sql.begin(async (tx) => {
          await tx`insert into notes (body) values (${body})`;
          await tx`select count(*) from notes where body = ${body}`;
        });
      } else {
        // Outside a transaction queries share (pipeline on) the pool's connections.
        await sql`insert into notes (body) values (${body})`;
        await sql`select count(*) from notes where body = ${body}`;
      }
      ok++;
    } catch (err) {
      const code = String((err as { code?: string }).code ?? (err as Error).name);
      codes[code] = (codes[code] ?? 0) + 1;
    }
  }
}

async function terminator() {
  while (!stop) {
    await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 70));
    // Only this database's backends, never the admin's own.
    await admin`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = ${database} and pid <> pg_backend_pid()`.catch(() => {});
  }
}

const running = [...Array.from({ length: 8 }, (_, i) => worker(i)), terminator()];
await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
stop = true;
// A worker still waiting 10 s later holds a query that will never settle.
let hung = 0;
const finishing = running.map((work) => work.then(() => true));
let deadline: ReturnType<typeof setTimeout> | undefined;
const settled = await Promise.race([
  Promise.all(finishing),
  new Promise<null>((resolve) => deadline = setTimeout(() => resolve(null), 10_000)),
]);
clearTimeout(deadline);
if (settled === null) {
  const done = await Promise.all(finishing.map((f) => Promise.race([f, Promise.resolve(false)])));
  hung = done.filter((d) => !d).length;
}

// Recovered = a round of 2×MAX concurrent queries (every connection used) all answer within 2 s.
const started = performance.now();
let recoveredMs: number | null = null;
while (performance.now() - started < 10_000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.all(Array.from({ length: 2 * MAX }, () => sql`select pg_sleep(0.01), 1 as one`)),
      new Promise((_, reject) => timer = setTimeout(() => reject(new Error("slow")), 2000)),
    ]);
    recoveredMs = Math.round(performance.now() - started);
    break;
  } catch {
    // try again until 10 s have passed
  } finally {
    clearTimeout(timer);
  }
}
console.log(JSON.stringify({ ok, codes, uncaught, hung, recoveredMs }));
await Promise.all([sql.end({ timeout: 1 }), admin.end({ timeout: 1 })]);
// Hung queries would keep the process alive.
Deno.exit(0);
