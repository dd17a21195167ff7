import assert from "node:assert/strict";
import { ensureServers, fleetServers, type Server } from "./infrastructure.ts";
import { freePort } from "./ports.ts";

function redisOn(port: number): Server {
  return fleetServers({ redisUrl: `redis://127.0.0.1:${port}` }).find((s) => s.name === "Redis")!;
}

// Asks the Redis on `port` (started by the test) to stop, over its own protocol.
async function shutdownRedis(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("SHUTDOWN NOSAVE\r\n"));
  await conn.read(new Uint8Array(64)).catch(() => null);
  conn.close();
}

async function ping(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).trim();
  } finally {
    conn.close();
  }
}

Deno.test("servers that answer are left alone", async () => {
  const lines: string[] = [];
  const report = await ensureServers(fleetServers(), (line) => lines.push(line));
  assert.deepEqual(report, { started: [], problem: undefined });
  assert.deepEqual(lines, []);
});

Deno.test("an installed Redis that is not running is started and answers", async () => {
  const port = freePort();
  const lines: string[] = [];
  const report = await ensureServers([redisOn(port)], (line) => lines.push(line));
  try {
    assert.deepEqual(report, { started: ["Redis"], problem: undefined });
    assert.equal(await ping(port), "+PONG");
    assert.match(lines[0], new RegExp(`^Redis is not running on 127.0.0.1:${port}: starting it`));
    // Once up, it is left alone.
    assert.deepEqual(await ensureServers([redisOn(port)]), { started: [], problem: undefined });
  } finally {
    await shutdownRedis(port);
  }
});

Deno.test("what is missing is said in one line: not installed, remote, failed to start", async () => {
  const notInstalled: Server = {
    ...redisOn(freePort()),
    name: "Nothing",
    command: "marketplace-no-such-server",
    aptPackage: "no-such-package",
  };
  // 127.0.0.2 is a loopback address but not one this module starts servers for.
  const remote: Server = { ...redisOn(freePort()), host: "127.0.0.2" };
  const failing: Server = { ...redisOn(freePort()), name: "Failing", start: ["false"] };
  const report = await ensureServers([notInstalled, remote, failing], () => {});
  assert.deepEqual(report.started, []);
  assert.equal(
    report.problem,
    "missing: Nothing is not installed (apt-get install no-such-package); " +
      `Redis at 127.0.0.2:${remote.port} does not answer (not local: not started here); ` +
      `Failing did not start on 127.0.0.1:${failing.port} (\`false\` exited with 1)`,
  );
  assert.doesNotMatch(report.problem!, /\n/);
});

Deno.test("the servers' addresses follow PGHOST/PGPORT, AMQP_URL and REDIS_URL", () => {
  const servers = fleetServers({
    pgHost: "db.example",
    pgPort: "6543",
    amqpUrl: "amqp://u:p@broker.example:5673",
    redisUrl: "redis://cache.example:6380",
  });
  assert.deepEqual(
    servers.map((s) => `${s.name} ${s.host}:${s.port}`),
    ["PostgreSQL db.example:6543", "RabbitMQ broker.example:5673", "Redis cache.example:6380"],
  );
  assert.deepEqual(
    fleetServers().map((s) => `${s.host}:${s.port}`),
    ["127.0.0.1:5432", "127.0.0.1:5672", "127.0.0.1:6379"],
  );
});
