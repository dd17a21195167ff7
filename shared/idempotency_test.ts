import assert from "node:assert/strict";
import { Hono } from "hono";
import { migrate, type Sql, type Tx } from "./db.ts";
import {
  type Committed,
  fingerprintOf,
  IDEMPOTENCY_RETENTION_MS,
  idempotencyMigration,
  idempotentJson,
  type IdempotentRequest,
  runIdempotent,
} from "./idempotency.ts";
import { AppError, problemErrorHandler } from "./problem.ts";
import { pruneIdempotencyRecords, RetentionJob } from "./retention.ts";
import { freshDatabase, quietLogger } from "./testing/mod.ts";

const log = quietLogger();

/** A database with the records table and a `things` table the work writes to. */
async function withDb(prefix: string, fn: (sql: Sql) => Promise<void>) {
  const emptyDir = await Deno.makeTempDir();
  const db = await freshDatabase(prefix);
  try {
    await migrate(db.sql, new URL(`file://${emptyDir}/`), [idempotencyMigration]);
    await db.sql`create table things (id serial primary key, name text not null)`;
    await fn(db.sql);
  } finally {
    await db.drop();
    await Deno.remove(emptyDir);
  }
}

const things = async (sql: Sql) =>
  (await sql<{ name: string }[]>`select name from things order by id`).map((r) => r.name);

const addThing = (name: string) => async (tx: Tx): Promise<Committed> => {
  const [row] = await tx<{ id: number }[]>`insert into things (name) values (${name}) returning id`;
  return { status: 201, body: { id: row.id, name }, headers: { location: `/things/${row.id}` } };
};

async function request(scope: string, key: string, body: unknown): Promise<IdempotentRequest> {
  const route = "POST /things";
  return { scope, key, route, fingerprint: await fingerprintOf(route, body) };
}

Deno.test("runIdempotent() answers a repeated key with the stored answer and runs the work once", async () => {
  await withDb("idem_replay", async (sql) => {
    const first = await runIdempotent(
      sql,
      await request("u1", "k", { n: "a" }),
      addThing("a"),
      log,
    );
    assert.equal(first.replayed, false);
    assert.equal(first.status, 201);
    const again = await runIdempotent(
      sql,
      await request("u1", "k", { n: "a" }),
      addThing("a"),
      log,
    );
    assert.equal(again.replayed, true);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.deepEqual(again.headers, first.headers);
    assert.deepEqual(await things(sql), ["a"]);
  });
});

Deno.test("runIdempotent() refuses the key with another body or route (422) and changes nothing", async () => {
  await withDb("idem_reused", async (sql) => {
    await runIdempotent(sql, await request("u1", "k", { n: "a" }), addThing("a"), log);
    await assert.rejects(
      runIdempotent(sql, await request("u1", "k", { n: "b" }), addThing("b"), log),
      (e: AppError) => e.status === 422 && e.code === "idempotency_key_reused",
    );
    const otherRoute = {
      scope: "u1",
      key: "k",
      route: "POST /others",
      fingerprint: await fingerprintOf("POST /others", { n: "a" }),
    };
    await assert.rejects(
      runIdempotent(sql, otherRoute, addThing("c"), log),
      (e: AppError) => e.status === 422 && e.message.includes("POST /things"),
    );
    assert.deepEqual(await things(sql), ["a"]);
  });
});

Deno.test("runIdempotent() keeps keys of different callers apart", async () => {
  await withDb("idem_scope", async (sql) => {
    await runIdempotent(sql, await request("u1", "k", { n: "a" }), addThing("a"), log);
    const theirs = await runIdempotent(
      sql,
      await request("u2", "k", { n: "a" }),
      addThing("a2"),
      log,
    );
    assert.equal(theirs.replayed, false);
    assert.deepEqual(await things(sql), ["a", "a2"]);
  });
});

Deno.test("runIdempotent() answers 409 while the first request with the key runs, then replays it", async () => {
  await withDb("idem_inflight", async (sql) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow = runIdempotent(sql, await request("u1", "k", { n: "a" }), async (tx) => {
      const answer = await addThing("a")(tx);
      started();
      await gate;
      return answer;
    }, log);
    await running;
    await assert.rejects(
      runIdempotent(sql, await request("u1", "k", { n: "a" }), addThing("a"), log),
      (e: AppError) =>
        e.status === 409 && e.code === "idempotency_key_in_use" &&
        e.headers["retry-after"] === "1",
    );
    release();
    const first = await slow;
    // Once it finished, concurrent retries are all replays (none meets the lock).
    const retries = await Promise.all(
      Array.from(
        { length: 8 },
        async () => runIdempotent(sql, await request("u1", "k", { n: "a" }), addThing("a"), log),
      ),
    );
    for (const again of retries) {
      assert.equal(again.replayed, true);
      assert.deepEqual(again.body, first.body);
    }
    assert.deepEqual(await things(sql), ["a"]);
  });
});

Deno.test("runIdempotent() remembers no failure: the work rolls back and a retry runs again", async () => {
  await withDb("idem_failure", async (sql) => {
    const failing = async (tx: Tx): Promise<Committed> => {
      await addThing("lost")(tx);
      throw new AppError(409, "not_now", "Not now.");
    };
    await assert.rejects(
      runIdempotent(sql, await request("u1", "k", {}), failing, log),
      (e: AppError) => e.code === "not_now",
    );
    assert.deepEqual(await things(sql), []);
    const retried = await runIdempotent(sql, await request("u1", "k", {}), addThing("b"), log);
    assert.equal(retried.replayed, false);
    assert.deepEqual(await things(sql), ["b"]);
  });
});

Deno.test("runIdempotent() stores what an after-commit step refines; if it fails, the committed answer stands", async () => {
  await withDb("idem_after", async (sql) => {
    const refined = await runIdempotent(sql, await request("u1", "k1", {}), async (tx) => ({
      ...await addThing("a")(tx),
      afterCommit: () => Promise.resolve({ status: 201, body: { step: "refined" } }),
    }), log);
    assert.deepEqual(refined.body, { step: "refined" });
    const replay = await runIdempotent(sql, await request("u1", "k1", {}), addThing("x"), log);
    assert.deepEqual(replay.body, { step: "refined" });

    const committed = await runIdempotent(sql, await request("u1", "k2", {}), async (tx) => ({
      ...await addThing("b")(tx),
      afterCommit: () => Promise.reject(new Error("the provider is down")),
    }), log);
    assert.equal(committed.status, 201);
    assert.equal((committed.body as { name: string }).name, "b");
    const replay2 = await runIdempotent(sql, await request("u1", "k2", {}), addThing("y"), log);
    assert.deepEqual(replay2.body, committed.body);
    assert.deepEqual(await things(sql), ["a", "b"]);
  });
});

Deno.test("idempotentJson() replays byte for byte and refuses bad keys with a 400 problem", async () => {
  await withDb("idem_http", async (sql) => {
    const app = new Hono();
    app.onError(problemErrorHandler(log));
    app.post("/things", async (c) => {
      const body = await c.req.json();
      return await idempotentJson(
        c,
        { sql, log, scope: "u1", body, required: c.req.query("required") === "1" },
        addThing(String(body.name)),
      );
    });
    const post = (key: string | null, body: unknown, query = "") =>
      app.request(`/things${query}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(key === null ? {} : { "idempotency-key": key }),
        },
        body: JSON.stringify(body),
      });

    const first = await post("key-1", { name: "a" });
    assert.equal(first.status, 201);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    const firstText = await first.text();
    const again = await post("key-1", { name: "a" });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.headers.get("location"), first.headers.get("location"));
    assert.equal(again.headers.get("content-type"), "application/json");
    assert.equal(await again.text(), firstText);

    for (const bad of ["", "has space", "k".repeat(256), "é"]) {
      const res = await post(bad, { name: "bad" });
      assert.equal(res.status, 400, bad);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.equal((await res.json()).code, "idempotency_key_invalid");
    }
    const missing = await post(null, { name: "bad" }, "?required=1");
    assert.equal(missing.status, 400);
    assert.equal((await missing.json()).code, "idempotency_key_required");
    assert.equal((await post("k".repeat(255), { name: "long" })).status, 201);
    // Without a key (where none is required) the route works as before.
    assert.equal((await post(null, { name: "plain" })).status, 201);
    assert.deepEqual(await things(sql), ["a", "long", "plain"]);
  });
});

Deno.test("records older than the retention are pruned, by the function and by the job", async () => {
  await withDb("idem_prune", async (sql) => {
    await runIdempotent(sql, await request("u1", "old", {}), addThing("a"), log);
    await runIdempotent(sql, await request("u1", "old2", {}), addThing("b"), log);
    await runIdempotent(sql, await request("u1", "new", {}), addThing("c"), log);
    await sql`update idempotency_records set created_at = now() - make_interval(
      secs => ${IDEMPOTENCY_RETENTION_MS / 1000 + 60}) where key like 'old%'`;
    assert.equal(await pruneIdempotencyRecords(sql, { batchSize: 1 }), 2);
    const keys = await sql`select key from idempotency_records`;
    assert.deepEqual(keys.map((r) => r.key), ["new"]);
    await sql`update idempotency_records set created_at = now() - interval '2 days'`;
    const job = new RetentionJob({ sql, log });
    assert.deepEqual(await job.pruneOnce(), { outbox: 0, inbox: 0, idempotency: 1 });
    // A key sent again after its record is gone is a new request.
    const after = await runIdempotent(sql, await request("u1", "old", {}), addThing("d"), log);
    assert.equal(after.replayed, false);
  });
});
