/**
 * The shared onError with a real PostgreSQL: a route whose database connection is terminated
 * mid-request answers 503 with Retry-After and a problem body, never a 500. Only the test's own
 * backends are terminated.
 */
import assert from "node:assert/strict";
import { connectDb, type Sql } from "./db.ts";
import { createServiceApp } from "./http.ts";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";
import { adminUrl, freshDatabase } from "./testing/database.ts";
import { quietLogger, waitFor } from "./testing/wait.ts";

async function withApp(
  fn: (
    app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> },
    terminateRunning: (pattern: string) => Promise<void>,
    sql: Sql,
  ) => Promise<void>,
) {
  const db = await freshDatabase("problem_db");
  const admin = connectDb(adminUrl(), { max: 1 });
  const sql = connectDb(db.url, { max: 2 });
  try {
    await sql.unsafe(`
      create table notes (body text not null);
      create function slow_commit() returns trigger language plpgsql as
        $$ begin perform pg_sleep(1); return null; end $$;
      create constraint trigger slow after insert on notes
        deferrable initially deferred for each row execute function slow_commit();`);
    const { app } = createServiceApp({ log: quietLogger() });
    app.get("/slow", async (c) => c.json(await sql`select pg_sleep(3) as slept`));
    app.post("/notes", async (c) => {
      await sql.begin((tx) => tx`insert into notes (body) values ('maybe')`);
      return c.json({ saved: true }, 201);
    });
    app.get("/broken", async (c) => c.json(await sql`select * from missing_table`));
    // Waits until a statement matching `pattern` runs, then terminates its backend.
    const terminateRunning = async (pattern: string) => {
      const pid = await waitFor(async () => {
        const [row] = await admin<{ pid: number }[]>`select pid from pg_stat_activity
          where datname = ${db.name} and state = 'active' and query ilike ${pattern}`;
        return row?.pid;
      }, { what: `a backend running ${pattern}` });
      await admin`select pg_terminate_backend(${pid})`;
    };
    await fn(app, terminateRunning, sql);
  } finally {
    await sql.end({ timeout: 1 });
    await admin.end({ timeout: 1 });
    await db.drop();
  }
}

async function assertUnavailable(response: Response) {
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("content-type"), PROBLEM_CONTENT_TYPE);
  assert.equal(response.headers.get("retry-after"), "1");
  const body = await response.json();
  assert.equal(body.code, "unavailable");
  assert.equal(body.status, 503);
}

Deno.test("a route whose query loses its database connection answers 503 with Retry-After", async () => {
  await withApp(async (app, terminateRunning) => {
    const response = app.request("/slow");
    await terminateRunning("%pg_sleep(3)%");
    await assertUnavailable(await response);
  });
});

Deno.test("a route whose COMMIT loses its database connection answers 503, and the pool serves the next request", async () => {
  await withApp(async (app, terminateRunning, sql) => {
    const response = app.request("/notes", { method: "POST" });
    await terminateRunning("commit%");
    await assertUnavailable(await response);
    // The same route works again on the recovered pool.
    assert.equal((await app.request("/notes", { method: "POST" })).status, 201);
    assert.ok((await sql`select count(*)::int as n from notes`)[0].n >= 1);
  });
});

Deno.test("a database error that is a bug stays a 500", async () => {
  await withApp(async (app) => {
    const response = await app.request("/broken");
    assert.equal(response.status, 500);
    assert.equal((await response.json()).code, "internal_error");
  });
});
