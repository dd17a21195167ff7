/**
 * `deno task dev` on a machine whose servers are installed but stopped: the step
 * that starts them (scripts/infrastructure.ts) brings up the real PostgreSQL,
 * RabbitMQ and Redis of this machine. A fault test because it stops all three.
 */
import assert from "node:assert/strict";
import { ensureServers, fleetServers } from "../../scripts/infrastructure.ts";
import { isListening } from "../../scripts/ports.ts";

async function run(program: string, ...args: string[]) {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${program} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function waitClosed(port: number) {
  for (let i = 0; i < 240 && await isListening("127.0.0.1", port); i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.equal(await isListening("127.0.0.1", port), false, `port ${port} still open`);
}

async function stopAll() {
  const [version] = [...Deno.readDirSync("/etc/postgresql")].map((e) => e.name);
  await run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop");
  await run("rabbitmqctl", "stop"); // the whole node, not only the app
  const redis = await Deno.connect({ hostname: "127.0.0.1", port: 6379 });
  await redis.write(new TextEncoder().encode("SHUTDOWN NOSAVE\r\n"));
  await redis.read(new Uint8Array(64)).catch(() => null);
  redis.close();
  for (const port of [5432, 5672, 6379]) await waitClosed(port);
}

Deno.test({
  name: "stopped PostgreSQL, RabbitMQ and Redis are started again by the dev step",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await stopAll();
    const lines: string[] = [];
    try {
      const report = await ensureServers(fleetServers(), (line) => lines.push(line));
      assert.deepEqual(report, {
        started: ["PostgreSQL", "RabbitMQ", "Redis"],
        problem: undefined,
      });
      assert.equal(lines.length, 3);
      for (const port of [5432, 5672, 6379]) assert.ok(await isListening("127.0.0.1", port));
      // The broker accepts work, not only connections.
      await run("rabbitmqctl", "await_startup");
      await run("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "select 1");
    } finally {
      // Whatever failed above, the tests after this one need the servers back.
      await ensureServers(fleetServers(), () => {});
    }
  },
});
