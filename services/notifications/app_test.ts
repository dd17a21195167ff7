/**
 * The HTTP routes through `app.request()`, against a real PostgreSQL database and
 * real ES256 tokens: listing, paging, read state, other users' ids, bad queries
 * and bad tokens, health.
 */
import assert from "node:assert/strict";
import { EventBus } from "@mp/shared/bus";
import { connectDb, type Sql } from "@mp/shared/db";
import { createTokenVerifier } from "@mp/shared/jwt";
import { PROBLEM_CONTENT_TYPE } from "@mp/shared/problem";
import { createTestKeys, quietLogger, testBus, type TestKeys } from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { migratedDatabase } from "./test_support.ts";

const log = quietLogger("notifications");
const connected = { isConnected: () => true };

/** Adds `count` notifications for `userId`, one minute apart, `n0` the newest. */
async function seed(sql: Sql, userId: string, count: number, read = 0): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    insert into notifications (user_id, event_id, type, title, body, link, created_at, read_at)
    select ${userId}, gen_random_uuid(), 'welcome', 'n' || i, 'body ' || i, null,
      now() - i * interval '1 minute',
      case when i >= ${count - read} then now() end
    from generate_series(0, ${count - 1}) as i
    order by i
    returning id`;
  return rows.map((r) => r.id);
}

async function readAt(sql: Sql, id: string): Promise<Date | null> {
  const [row] = await sql<
    { read_at: Date | null }[]
  >`select read_at from notifications where id = ${id}`;
  return row.read_at;
}

async function assertProblem(response: Response, status: number, code?: string) {
  assert.equal(response.status, status);
  assert.equal(response.headers.get("content-type"), PROBLEM_CONTENT_TYPE);
  const body = await response.json();
  assert.equal(body.status, status);
  if (code) assert.equal(body.code, code);
  return body;
}

function base64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function setup(prefix: string) {
  const db = await migratedDatabase(prefix);
  const keys = await createTestKeys();
  const verifier = createTokenVerifier({
    jwks: keys.jwks,
    issuer: keys.issuer,
    audience: keys.audience,
  });
  const { app } = createApp({ sql: db.sql, verifier, log, bus: connected });
  const alice = { id: crypto.randomUUID(), username: "alice" };
  const bob = { id: crypto.randomUUID(), username: "bob" };
  const token = (user: { id: string; username: string }) =>
    keys.sign({ sub: user.id, username: user.username });
  const auth = async (user: { id: string; username: string }) => ({
    authorization: `Bearer ${await token(user)}`,
  });
  return { db, keys, app, alice, bob, token, auth };
}

Deno.test("GET /api/v1/notifications pages the caller's notifications newest first with total and unreadCount", async () => {
  const { db, app, alice, bob, auth } = await setup("notif_list");
  try {
    await seed(db.sql, alice.id, 25, 5);
    await seed(db.sql, bob.id, 3);
    const get = async (query: string) => {
      const response = await app.request(`/api/v1/notifications${query}`, {
        headers: await auth(alice),
      });
      assert.equal(response.status, 200);
      return await response.json();
    };

    const first = await get("?page=1&limit=10");
    assert.deepEqual(
      first.items.map((n: { title: string }) => n.title),
      Array.from({ length: 10 }, (_, i) => `n${i}`),
    );
    assert.deepEqual({ ...first, items: undefined }, {
      items: undefined,
      page: 1,
      limit: 10,
      total: 25,
      unreadCount: 20,
    });
    assert.deepEqual(Object.keys(first.items[0]).sort(), [
      "body",
      "createdAt",
      "id",
      "link",
      "readAt",
      "title",
      "type",
    ]);
    assert.equal(first.items[0].readAt, null);
    assert.ok(!Number.isNaN(Date.parse(first.items[0].createdAt)));

    const third = await get("?page=3&limit=10");
    assert.deepEqual(third.items.map((n: { title: string }) => n.title), [
      "n20",
      "n21",
      "n22",
      "n23",
      "n24",
    ]);
    assert.ok(third.items.every((n: { readAt: string | null }) => n.readAt !== null));
    assert.deepEqual((await get("?page=4&limit=10")).items, []);

    const defaults = await get("");
    assert.equal(defaults.page, 1);
    assert.equal(defaults.limit, 20);
    assert.equal(defaults.items.length, 20);
    assert.equal((await get("?limit=50")).items.length, 25);

    const unread = await get("?unread=true&limit=50");
    assert.equal(unread.items.length, 20);
    assert.equal(unread.total, 20);
    assert.ok(unread.items.every((n: { readAt: string | null }) => n.readAt === null));
    assert.equal((await get("?unread=false")).total, 25);
  } finally {
    await db.drop();
  }
});

Deno.test("POST /api/v1/notifications/:id/read marks the caller's notification read once; others' ids are 404 and unchanged", async () => {
  const { db, app, alice, bob, auth } = await setup("notif_read");
  try {
    const [mine] = await seed(db.sql, alice.id, 2);
    const [theirs] = await seed(db.sql, bob.id, 1);
    const post = async (path: string) =>
      await app.request(`/api/v1/notifications/${path}`, {
        method: "POST",
        headers: await auth(alice),
      });

    const response = await post(`${mine}/read`);
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    const first = await readAt(db.sql, mine);
    assert.ok(first);
    // Marking again succeeds and keeps the first read time.
    assert.equal((await post(`${mine}/read`)).status, 204);
    assert.deepEqual(await readAt(db.sql, mine), first);
    const list = await (await app.request("/api/v1/notifications", { headers: await auth(alice) }))
      .json();
    assert.equal(list.unreadCount, 1);

    await assertProblem(await post(`${theirs}/read`), 404, "not_found");
    assert.equal(await readAt(db.sql, theirs), null);
    await assertProblem(await post(`${crypto.randomUUID()}/read`), 404, "not_found");

    for (const bad of ["not-a-uuid", "1", "' or 1=1 --", "%00"]) {
      const body = await assertProblem(
        await post(`${encodeURIComponent(bad)}/read`),
        400,
        "validation_failed",
      );
      assert.equal(body.errors[0].pointer, "#/id");
    }
  } finally {
    await db.drop();
  }
});

Deno.test("POST /api/v1/notifications/read-all marks only the caller's notifications read", async () => {
  const { db, app, alice, bob, auth } = await setup("notif_read_all");
  try {
    await seed(db.sql, alice.id, 4, 1);
    await seed(db.sql, bob.id, 3);
    const response = await app.request("/api/v1/notifications/read-all", {
      method: "POST",
      headers: await auth(alice),
    });
    assert.equal(response.status, 204);
    const [counts] = await db.sql`select
      (select count(*)::int from notifications where user_id = ${alice.id} and read_at is null) as alice,
      (select count(*)::int from notifications where user_id = ${bob.id} and read_at is null) as bob`;
    assert.deepEqual({ ...counts }, { alice: 0, bob: 3 });
    // Nothing left to mark is still a success.
    const again = await app.request("/api/v1/notifications/read-all", {
      method: "POST",
      headers: await auth(alice),
    });
    assert.equal(again.status, 204);
  } finally {
    await db.drop();
  }
});

Deno.test("GET /api/v1/notifications answers 400 problem+json for over-cap, non-numeric or unknown query values", async () => {
  const { db, app, alice, auth } = await setup("notif_query");
  try {
    await seed(db.sql, alice.id, 1);
    const cases: [string, string][] = [
      ["limit=10000", "#/limit"],
      ["limit=51", "#/limit"],
      ["limit=0", "#/limit"],
      ["limit=-1", "#/limit"],
      ["limit=abc", "#/limit"],
      ["limit=1e1", "#/limit"],
      ["limit=", "#/limit"],
      ["limit=5&limit=6", "#/limit"],
      ["page=0", "#/page"],
      ["page=1.5", "#/page"],
      ["page=99999999999999999999", "#/page"],
      ["unread=yes", "#/unread"],
      ["sort=oldest", "#/sort"],
    ];
    for (const [query, pointer] of cases) {
      const response = await app.request(`/api/v1/notifications?${query}`, {
        headers: await auth(alice),
      });
      const body = await assertProblem(response, 400, "validation_failed");
      assert.ok(
        body.errors.some((e: { pointer: string }) => e.pointer === pointer),
        `${query}: ${JSON.stringify(body.errors)}`,
      );
    }
  } finally {
    await db.drop();
  }
});

/** Tokens that must all be refused, built from real keys. */
async function badTokens(
  keys: TestKeys,
  user: { id: string; username: string },
): Promise<Record<string, string>> {
  const claims = { sub: user.id, username: user.username };
  const good = await keys.sign(claims);
  const [header, payload, signature] = good.split(".");
  const now = Math.floor(Date.now() / 1000);
  const stranger = await createTestKeys();
  return {
    "a payload claiming another user": `${header}.${
      base64url({
        ...JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/"))),
        sub: crypto.randomUUID(),
      })
    }.${signature}`,
    "a flipped signature": `${header}.${payload}.${signature.slice(0, -4)}${
      signature.endsWith("AAAA") ? "BBBB" : "AAAA"
    }`,
    "an expired token": await keys.sign(claims, { expiresIn: now - 120 }),
    "the wrong audience": await keys.sign(claims, { audience: "another-api" }),
    "the wrong typ": await keys.sign(claims, { typ: "JWT" }),
    "an unknown kid": await keys.sign(claims, { kid: crypto.randomUUID() }),
    "another issuer's key": await stranger.sign(claims, { kid: keys.kid }),
    "alg none": `${base64url({ alg: "none", typ: "at+jwt", kid: keys.kid })}.${
      base64url({ ...claims, iss: keys.issuer, aud: keys.audience, iat: now, exp: now + 600 })
    }.`,
    "no username claim": await keys.sign({ sub: user.id } as typeof claims),
    "garbage": "not.a.jwt",
  };
}

Deno.test("every /api/v1 route answers 401 problem+json to a missing or bad token and changes nothing", async () => {
  const { db, app, keys, alice } = await setup("notif_tokens");
  try {
    const [id] = await seed(db.sql, alice.id, 1);
    const routes: [string, string][] = [
      ["GET", "/api/v1/notifications"],
      ["POST", `/api/v1/notifications/${id}/read`],
      ["POST", "/api/v1/notifications/read-all"],
    ];
    const headers: Record<string, Record<string, string>> = {
      "no Authorization header": {},
      "a non-Bearer scheme": { authorization: `Basic ${btoa("alice:secret")}` },
      "an empty bearer": { authorization: "Bearer " },
    };
    for (const [name, token] of Object.entries(await badTokens(keys, alice))) {
      headers[name] = { authorization: `Bearer ${token}` };
    }
    for (const [method, path] of routes) {
      for (const [name, header] of Object.entries(headers)) {
        const response = await app.request(path, { method, headers: header });
        assert.equal(response.status, 401, `${method} ${path} with ${name}`);
        await assertProblem(response, 401, "unauthorized");
      }
    }
    assert.equal(await readAt(db.sql, id), null);
  } finally {
    await db.drop();
  }
});

Deno.test("/livez is 200; /readyz is 200 with database and broker up, 503 problem when either is down", async () => {
  const db = await migratedDatabase("notif_health");
  const broker = testBus("notif_health");
  const bus = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "notifications",
    log,
  });
  const deadDb = connectDb("postgres://postgres@127.0.0.1:1/nowhere", { max: 1 });
  try {
    await bus.start();
    const keys = await createTestKeys();
    const verifier = createTokenVerifier({
      jwks: keys.jwks,
      issuer: keys.issuer,
      audience: keys.audience,
    });
    const up = createApp({ sql: db.sql, verifier, log, bus }).app;
    assert.equal((await up.request("/livez")).status, 200);
    const ready = await up.request("/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual((await ready.json()).checks, { database: true, broker: true });

    const noDb = createApp({ sql: deadDb, verifier, log, bus }).app;
    const body = await assertProblem(await noDb.request("/readyz"), 503, "not_ready");
    assert.deepEqual(body.checks, { database: false, broker: true });

    await bus.close();
    const noBroker = createApp({ sql: db.sql, verifier, log, bus }).app;
    const body2 = await assertProblem(await noBroker.request("/readyz"), 503, "not_ready");
    assert.deepEqual(body2.checks, { database: true, broker: false });
    // Liveness does not depend on either.
    assert.equal((await noBroker.request("/livez")).status, 200);
  } finally {
    await bus.close();
    await deadDb.end({ timeout: 1 });
    await broker.cleanup();
    await db.drop();
  }
});

Deno.test("an unknown route or method answers 404 problem+json", async () => {
  const { db, app, alice, auth } = await setup("notif_routes");
  try {
    await assertProblem(await app.request("/api/v1/nope", { headers: await auth(alice) }), 404);
    await assertProblem(
      await app.request("/api/v1/notifications", { method: "DELETE", headers: await auth(alice) }),
      404,
    );
  } finally {
    await db.drop();
  }
});
