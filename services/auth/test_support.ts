/** Builds a real auth app on a fresh database for one test suite. */
import { createTokenVerifier } from "@mp/shared/jwt";
import { outboxMigration } from "@mp/shared/outbox";
import {
  callApp,
  createTestKeys,
  migratedDatabase,
  quietLogger,
  waitFor,
} from "@mp/shared/testing";
import { createApp } from "./app.ts";
import { createPasswordHasher, type HasherOptions } from "./password.ts";

/** `hasher` overrides the password pool's settings (two workers by default). */
export async function authFixture(hasherOptions: HasherOptions = {}) {
  const db = await migratedDatabase("auth", new URL("./migrations/", import.meta.url), [
    outboxMigration,
  ]);
  const keys = await createTestKeys();
  const hasher = createPasswordHasher({ workers: 2, ...hasherOptions });
  const { app } = createApp({
    sql: db.sql,
    hasher,
    log: quietLogger("auth"),
    verifier: createTokenVerifier({
      jwks: keys.jwks,
      issuer: keys.issuer,
      audience: keys.audience,
    }),
    lifetimes: { refreshMs: 86_400_000, verifyEmailMs: 86_400_000, resetPasswordMs: 3_600_000 },
  });

  // Status, type and body only: two answers compare equal whatever their request ids.
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const { status, type, body: answer } = await callApp(app, method, `/api/v1/auth/${path}`, {
      body,
      token,
    });
    return { status, type, body: answer };
  };

  /** Events waiting in the outbox, oldest first. */
  const events = async (type?: string) => {
    const rows = await db.sql<
      { type: string; data: Record<string, string> }[]
    >`select type, data from outbox
      order by seq`;
    return rows.filter((r) => !type || r.type === type);
  };

  /** Waits until the outbox holds `count` events of `type` (work done after answering). */
  const eventsEventually = (type: string, count = 1) =>
    waitFor(async () => {
      const rows = await events(type);
      return rows.length >= count ? rows : undefined;
    }, { what: `${count} ${type} event(s)` });

  const signup = async (name: string, password = "correct horse battery") => {
    const res = await call("POST", "signup", {
      email: `${name}@example.com`,
      username: name,
      password,
    });
    if (res.status !== 201) throw new Error(`signup failed: ${JSON.stringify(res.body)}`);
    const token = await keys.sign({ sub: res.body.user.id, username: name });
    return { ...res.body, accessToken: token, password } as {
      user: { id: string; email: string; username: string; emailVerified: boolean };
      refreshToken: string;
      accessToken: string;
      password: string;
    };
  };

  const counts = async () => {
    const [row] = await db.sql<{ users: number; families: number; outbox: number }[]>`select
      (select count(*)::int from users) as users,
      (select count(*)::int from refresh_families) as families,
      (select count(*)::int from outbox) as outbox`;
    return row;
  };

  return {
    app,
    hasher,
    db,
    keys,
    call,
    events,
    eventsEventually,
    signup,
    counts,
    async close() {
      hasher.close();
      await db.drop();
    },
  };
}
