/**
 * startService() as the processes run it: every service under its real
 * flags (scripts/processes.ts). A bad variable is one clean line and exit 1; a
 * good start logs the migrated versions.
 */
import assert from "node:assert/strict";
import { processSpec, serveArgs } from "../scripts/processes.ts";
import {
  createTestKeys,
  freePort,
  freshDatabase,
  passThrough,
  startProcess,
  testBus,
  waitFor,
} from "./testing/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DENO_ENV = passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]);

const args = (name: string, env: Record<string, string>, port: number) =>
  serveArgs(processSpec(name), {
    root: ROOT,
    host: "127.0.0.1",
    port,
    databaseUrl: env.DATABASE_URL ?? "postgres://u@127.0.0.1:5432/none",
    amqpUrl: env.AMQP_URL ?? "amqp://127.0.0.1:5672",
    redisUrl: "redis://127.0.0.1:6379",
    smtpUrl: "smtp://127.0.0.1:2525",
  });

const start = (name: string, env: Record<string, string>, port: number) =>
  startProcess(Deno.execPath(), args(name, env, port), { cwd: ROOT, env: { ...env, ...DENO_ENV } });

for (const name of ["auth", "users", "gigs", "orders", "reviews", "notifications"]) {
  Deno.test(`${name}: a bad variable stops start-up with one line naming it, exit code 1, no stack`, async () => {
    // DATABASE_URL names no user and no database; JWT_JWKS is missing.
    const env = { DATABASE_URL: "postgres://127.0.0.1:5432/", ...DENO_ENV };
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: args(name, env, freePort()),
      cwd: ROOT,
      clearEnv: true,
      env,
      stdin: "null",
    }).output();
    const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assert.equal(code, 1, output);
    const lines = output.trim().split("\n");
    assert.equal(lines.length, 1, output);
    const line = JSON.parse(lines[0]);
    assert.equal(line.message, "invalid configuration");
    const problems: string[] = line.problems;
    assert.ok(problems.some((p) => p.startsWith("DATABASE_URL:")), output);
    assert.ok(problems.some((p) => p.startsWith("JWT_JWKS:")), output);
  });
}

for (const name of ["users", "auth"]) {
  Deno.test(`${name}: start-up logs 'migrated' with the versions it applied, a second start none; SIGTERM exits 0`, async () => {
    const db = await freshDatabase(`kit_${name}`);
    const broker = testBus(`kit_${name}`);
    const keys = await createTestKeys();
    const env = {
      DATABASE_URL: db.url,
      AMQP_URL: broker.url,
      EVENTS_EXCHANGE: broker.exchange,
      JWT_JWKS: JSON.stringify(keys.jwks),
    };
    const migratedLine = async () => {
      const port = freePort();
      const proc = start(name, env, port);
      try {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
          timeoutMs: 30_000,
          what: `${name} ready`,
        });
        // Exit code 0 and no permission error: every shutdown step ran under the flags.
        const { stdout, stderr } = await proc.stop();
        const line = (stdout + stderr).split("\n").find((l) => l.includes('"message":"migrated"'));
        assert.ok(line, stdout + stderr);
        return JSON.parse(line);
      } finally {
        await proc.kill();
      }
    };
    try {
      const first = await migratedLine();
      assert.ok(first.applied.includes("001_init.sql"), JSON.stringify(first));
      assert.ok(first.applied.includes("shared/outbox_v2"), JSON.stringify(first));
      assert.deepEqual((await migratedLine()).applied, []);
    } finally {
      broker.own(`${broker.exchange}.${name}`, `${broker.exchange}.${name}.dlq`);
      await broker.cleanup();
      await db.drop();
    }
  });
}
