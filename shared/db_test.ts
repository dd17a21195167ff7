/**
 * connectDb pools on a real PostgreSQL when their connections are terminated (only backends of
 * the test's own database), and the transaction retry: what is retried, what is not.
 */
import assert from "node:assert/strict";
import { connectDb, type Sql, type Tx } from "./db.ts";
import { isConnectionLoss } from "./db_errors.ts";
import { adminUrl, freshDatabase, type TestDatabase } from "./testing/database.ts";

async function withDatabase(fn: (db: TestDatabase, admin: Sql) => Promise<void>) {
  const db = await freshDatabase("db_retry");
  const admin = connectDb(adminUrl(), { max: 1 });
  try {
    await fn(db, admin);
  } finally {
    await admin.end({ timeout: 1 });
    await db.drop();
  }
}

/** Terminates every backend of `database` except the admin's own; returns how many. */
async function terminateAll(admin: Sql, database: string): Promise<number> {
  const rows = await admin`select pg_terminate_backend(pid) from pg_stat_activity
    where datname = ${database} and pid <> pg_backend_pid()`;
  return rows.length;
}

function terminate(admin: Sql, pid: number) {
  return admin`select pg_terminate_backend(${pid})`;
}

/** Resolves when every party has called `wait()`. */
function barrier(parties: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return {
    wait() {
      if (++arrived === parties) open();
      return opened;
    },
  };
}

Deno.test("a connectDb pool whose connections are all terminated mid-query serves again within 2 s", async () => {
  await withDatabase(async (db, admin) => {
    const sql = connectDb(db.url); // a service's pool: 10 connections
    try {
      const inFlight = Array.from({ length: 20 }, () => sql`select pg_sleep(2)`.catch((e) => e));
      // Wait until the pool's ten connections are all busy, then kill them.
      for (let i = 0; i < 100; i++) {
        const [{ n }] = await admin<{ n: number }[]>`select count(*)::int as n
          from pg_stat_activity where datname = ${db.name} and query like '%pg_sleep(2)%'`;
        if (n >= 10) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(await terminateAll(admin, db.name) >= 10);
      const killed = await Promise.all(inFlight);
      assert.ok(killed.some((e) => e instanceof Error && isConnectionLoss(e)));

      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => sql<{ one: number }[]>`select 1 as one`),
      );
      const ms = performance.now() - started;
      assert.deepEqual(answers.map(([row]) => row.one), Array(20).fill(1));
      assert.ok(ms < 2000, `the pool took ${Math.round(ms)} ms to serve again`);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

/** A TCP relay to PostgreSQL on `port`: stands for the database coming back after an outage. */
function relayTo(port: number, target: { hostname: string; port: number }) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const open = new Set<Deno.Conn>();
  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect(target);
      open.add(client).add(server);
      client.readable.pipeTo(server.writable).catch(() => {});
      server.readable.pipeTo(client.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    },
  };
}

Deno.test("a connectDb pool that failed to connect many times connects within 2 s once the database is back", async () => {
  await withDatabase(async (db) => {
    // A free port with nothing listening: the database is "down".
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const target = new URL(db.url);
    const url = new URL(db.url);
    url.port = String(port);
    const sql = connectDb(url.toString());
    let relay: { close(): void } | undefined;
    try {
      // Every connection of the pool fails (connection refused); the driver counts the failures.
      const refused = await Promise.all(
        Array.from({ length: 10 }, () => sql`select 1`.then(() => null, (e) => e)),
      );
      assert.ok(refused.every((e) => isConnectionLoss(e)), String(refused[0]));

      relay = relayTo(port, { hostname: target.hostname, port: Number(target.port || 5432) });
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => sql<{ one: number }[]>`select 1 as one`),
      );
      const ms = performance.now() - started;
      assert.equal(answers.length, 20);
      assert.ok(ms < 2000, `the pool took ${Math.round(ms)} ms to connect again`);
    } finally {
      await sql.end({ timeout: 1 });
      relay?.close();
    }
  });
});

Deno.test("begin() runs a transaction again when its connection is terminated before it finishes, and commits it once", async () => {
  await withDatabase(async (db, admin) => {
    const sql = connectDb(db.url, { max: 2 });
    try {
      await sql`create table notes (body text not null)`;
      let attempts = 0;
      const result = await sql.begin(async (tx) => {
        attempts++;
        await tx`insert into notes (body) values ('once')`;
        if (attempts === 1) {
          const [{ pid }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
          await terminate(admin, pid);
        }
        await tx`select count(*) from notes`;
        return "done";
      });
      assert.equal(result, "done");
      assert.equal(attempts, 2);
      assert.deepEqual([...await sql`select body from notes`], [{ body: "once" }]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

Deno.test("begin() runs a transaction again after a serialization failure", async () => {
  await withDatabase(async (db) => {
    const sql = connectDb(db.url, { max: 2 });
    try {
      await sql`create table seats (n int not null)`;
      const bothRead = barrier(2);
      let attempts = 0;
      // Each takes the next number after reading them all: serializable lets only one win at once.
      const take = () =>
        sql.begin("isolation level serializable", async (tx: Tx) => {
          attempts++;
          const [{ next }] = await tx<
            { next: number }[]
          >`select coalesce(max(n), 0) + 1 as next from seats`;
          if (attempts <= 2) await bothRead.wait();
          await tx`insert into seats (n) values (${next})`;
          return next;
        });
      const taken = await Promise.all([take(), take()]);
      assert.deepEqual(taken.toSorted(), [1, 2]);
      assert.equal(attempts, 3);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

Deno.test("begin() runs a transaction again after a deadlock", async () => {
  await withDatabase(async (db) => {
    const sql = connectDb(db.url, { max: 2 });
    try {
      await sql`create table accounts (id int primary key, balance int not null)`;
      await sql`insert into accounts values (1, 100), (2, 100)`;
      const firstLocks = barrier(2);
      let attempts = 0;
      const move = (from: number, to: number) =>
        sql.begin(async (tx) => {
          attempts++;
          await tx`update accounts set balance = balance - 10 where id = ${from}`;
          if (attempts <= 2) await firstLocks.wait();
          await tx`update accounts set balance = balance + 10 where id = ${to}`;
        });
      await Promise.all([move(1, 2), move(2, 1)]);
      assert.equal(attempts, 3);
      assert.deepEqual(
        [...await sql`select id, balance from accounts order by id`],
        [{ id: 1, balance: 100 }, { id: 2, balance: 100 }],
      );
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

Deno.test("begin() does not run a transaction again when the connection is lost during its COMMIT", async () => {
  await withDatabase(async (db, admin) => {
    const sql = connectDb(db.url, { max: 2 });
    try {
      // A deferred constraint trigger makes COMMIT itself take a while.
      await sql.unsafe(`
        create table notes (body text not null);
        create function slow_commit() returns trigger language plpgsql as
          $$ begin perform pg_sleep(1); return null; end $$;
        create constraint trigger slow after insert on notes
          deferrable initially deferred for each row execute function slow_commit();`);
      let attempts = 0;
      let pid = 0;
      const outcome = sql.begin(async (tx) => {
        attempts++;
        [{ pid }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        await tx`insert into notes (body) values ('maybe')`;
      }).then(() => null, (e: unknown) => e);
      for (let i = 0; i < 100; i++) {
        const [row] = await admin`select 1 from pg_stat_activity
          where pid = ${pid} and query ilike 'commit%' and state = 'active'`;
        if (row) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await terminate(admin, pid);
      const error = await outcome;
      assert.ok(isConnectionLoss(error), String(error));
      assert.equal(attempts, 1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});

Deno.test("begin() does not retry an error that is not transient", async () => {
  await withDatabase(async (db) => {
    const sql = connectDb(db.url, { max: 1 });
    try {
      await sql`create table names (name text primary key)`;
      await sql`insert into names values ('taken')`;
      let attempts = 0;
      await assert.rejects(
        sql.begin(async (tx) => {
          attempts++;
          await tx`insert into names values ('taken')`;
        }),
        (e: { code?: string }) => e.code === "23505",
      );
      assert.equal(attempts, 1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
