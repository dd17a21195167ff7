import assert from "node:assert/strict";
import { parse } from "yaml";
import { connectDb, POSTGRES_DRIVER_ENV } from "@mp/shared/db";
import { startSmtpCapture, testBus } from "@mp/shared/testing";
import {
  dropDatabases,
  freePorts,
  hostPort,
  isListening,
  prepareDatabases,
  PROCESSES,
  type ProcessSpec,
  processSpec,
  serveArgs,
  startFleet,
} from "./fleet.ts";
import { matchesEnv } from "./processes.ts";

const FORBIDDEN =
  /^(-A|--allow-all|--allow-run|--allow-ffi|--allow-write|--allow-sys|--allow-import)(=|$)/;

const local = {
  root: "/repo",
  host: "127.0.0.1",
  databaseUrl: "postgres://mp_auth:pw@127.0.0.1:5432/mp_auth",
  amqpUrl: "amqp://guest:guest@127.0.0.1:5672",
  redisUrl: "redis://127.0.0.1:6379",
  smtpUrl: "smtp://127.0.0.1:1025",
  upstreams: Object.fromEntries(PROCESSES.map((p) => [p.name, `http://127.0.0.1:${p.port}`])),
};

/** The JSON log entries of `text` whose `msg` is `msg`. */
function logged(text: string, msg: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === msg);
}

function uniquePrefix(): string {
  return `t_fleet_${crypto.randomUUID().slice(0, 8)}`;
}

Deno.test("serveArgs() lets auth reach only its listen address, its database and the broker", () => {
  assert.deepEqual(serveArgs(processSpec("auth"), { ...local, port: 4001 }), [
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    "4001",
    "--allow-net=127.0.0.1:4001,127.0.0.1:5432,127.0.0.1:5672",
    `--allow-env=DATABASE_URL,AMQP_URL,EVENTS_EXCHANGE,JWT_JWKS,JWT_ISSUER,JWT_AUDIENCE,LOG_LEVEL,${POSTGRES_DRIVER_ENV},` +
    "AUTH_REFRESH_TTL_DAYS,AUTH_VERIFY_TTL_HOURS,AUTH_RESET_TTL_MINUTES",
    "--allow-read=/repo/services/auth/migrations,/repo/services/auth/password_worker.ts",
    "/repo/services/auth/main.ts",
  ]);
});

Deno.test("serveArgs() gives notifications its SMTP server and the gateway Redis and its upstreams", () => {
  const notifications = serveArgs(processSpec("notifications"), { ...local, port: 4007 });
  assert.ok(
    notifications.includes(
      "--allow-net=127.0.0.1:4007,127.0.0.1:5432,127.0.0.1:5672,127.0.0.1:1025",
    ),
  );
  const gateway = serveArgs(processSpec("gateway"), { ...local, port: 8000 });
  assert.ok(
    gateway.includes(
      "--allow-net=127.0.0.1:8000,127.0.0.1:6379,127.0.0.1:4001,127.0.0.1:4002,127.0.0.1:4003,127.0.0.1:4006,127.0.0.1:4007",
    ),
  );
  assert.ok(gateway.includes("--allow-env"), "ioredis's debug dependency needs a bare --allow-env");
  assert.ok(!gateway.some((arg) => arg.startsWith("--allow-read")), "the gateway reads no files");
});

Deno.test("serveArgs() never grants -A, --allow-run, --allow-ffi, --allow-write or --allow-sys", () => {
  for (const spec of PROCESSES) {
    const args = serveArgs(spec, { ...local, port: spec.port, extraEnv: ["EXTRA"] });
    assert.deepEqual(args.filter((arg) => FORBIDDEN.test(arg)), [], spec.name);
    assert.equal(args.filter((arg) => arg.startsWith("--allow-net=")).length, 1);
  }
});

Deno.test("serveArgs() adds extra variables to --allow-env", () => {
  const args = serveArgs(processSpec("auth"), {
    ...local,
    port: 4001,
    extraEnv: ["AUTH_TEST_KNOB"],
  });
  assert.match(args.find((a) => a.startsWith("--allow-env="))!, /,AUTH_TEST_KNOB$/);
});

Deno.test("serveArgs() refuses to build a command when a server the process uses has no URL", () => {
  assert.throws(
    () => serveArgs(processSpec("notifications"), { ...local, port: 4007, smtpUrl: undefined }),
    /notifications needs an SMTP URL/,
  );
  assert.throws(
    () => serveArgs(processSpec("gateway"), { ...local, port: 8000, upstreams: {} }),
    /gateway needs the URL of auth/,
  );
});

Deno.test("hostPort() fills in each scheme's default port and never echoes a password", () => {
  assert.equal(hostPort("postgres://u:p@db.internal/x"), "db.internal:5432");
  assert.equal(hostPort("amqp://guest:guest@rabbitmq"), "rabbitmq:5672");
  assert.equal(hostPort("redis://127.0.0.1"), "127.0.0.1:6379");
  assert.equal(hostPort("smtp://mail:2525"), "mail:2525");
  assert.equal(hostPort("http://auth:4001/x"), "auth:4001");
  assert.throws(
    () => hostPort("mystery://u:secret@h/x"),
    (error: Error) => !error.message.includes("secret"),
  );
});

// ---------------------------------------------------------------------------
// docker-compose.yml must run every process exactly as processes.ts says.

type ComposeService = {
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  networks?: string[];
  healthcheck?: { test: string[] };
  profiles?: string[];
};
type Compose = {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean }>;
};

async function readCompose(): Promise<Compose> {
  const text = await Deno.readTextFile(new URL("../docker-compose.yml", import.meta.url));
  return parse(text, { merge: true }) as Compose;
}

/** Resolves `${NAME:-default}` to its default, as docker-compose does with an empty environment. */
function defaults(value: string): string {
  return value.replace(/\$\{\w+:-([^}]*)\}/g, "$1");
}

Deno.test("docker-compose.yml runs each process with the flags processes.ts computes from its environment", async () => {
  const compose = await readCompose();
  const gatewayEnv = compose.services.gateway.environment ?? {};
  for (const spec of PROCESSES) {
    const service = compose.services[spec.name];
    assert.ok(service, `docker-compose.yml has no service ${spec.name}`);
    const env = Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([k, v]) => [k, defaults(String(v))]),
    );
    const expected = serveArgs(spec, {
      root: "/app",
      host: "0.0.0.0",
      port: spec.port,
      databaseUrl: env.DATABASE_URL,
      amqpUrl: env.AMQP_URL,
      redisUrl: env.REDIS_URL,
      smtpUrl: env.SMTP_URL,
      upstreams: Object.fromEntries(
        PROCESSES.map((p) => [p.name, gatewayEnv[`${p.name.toUpperCase()}_URL`]]),
      ),
    });
    assert.deepEqual(service.command, expected, `command of ${spec.name}`);
    if (!spec.bareEnvReason) {
      const unread = Object.keys(env).filter((name) => !matchesEnv(name, spec.env));
      assert.deepEqual(unread, [], `${spec.name} is given variables outside its --allow-env`);
    }
    if (spec.uses.database) {
      assert.equal(new URL(env.DATABASE_URL).pathname, `/mp_${spec.name}`);
      assert.equal(new URL(env.DATABASE_URL).username, `mp_${spec.name}`);
    }
  }
});

Deno.test("docker-compose.yml publishes a port only for the gateway and keeps the rest on the internal network", async () => {
  const compose = await readCompose();
  const published = Object.entries(compose.services).filter(([, s]) => s.ports?.length).map((
    [name],
  ) => name);
  assert.deepEqual(published, ["gateway"]);
  assert.equal(compose.networks.backend.internal, true);
  for (const [name, service] of Object.entries(compose.services)) {
    if (name === "gateway") assert.deepEqual(service.networks, ["backend", "edge"]);
    else assert.deepEqual(service.networks, ["backend"], `${name} networks`);
  }
});

Deno.test("docker-compose.yml health-checks every process and server of the fleet", async () => {
  const compose = await readCompose();
  for (
    const name of [...PROCESSES.map((p) => p.name), "postgres", "rabbitmq", "redis", "mailpit"]
  ) {
    assert.ok(compose.services[name]?.healthcheck?.test?.length, `${name} has a health check`);
  }
  for (const spec of PROCESSES) {
    const test = compose.services[spec.name].healthcheck!.test;
    assert.deepEqual(test.slice(-2), ["/app/scripts/healthcheck.ts", String(spec.port)], spec.name);
  }
});

Deno.test("the postgres init script creates the database of every service that has one", async () => {
  const script = await Deno.readTextFile(
    new URL("../infra/postgres/init-services.sh", import.meta.url),
  );
  for (const spec of PROCESSES.filter((p) => p.uses.database)) {
    assert.match(script, new RegExp(`^create_service_database ${spec.name} `, "m"));
  }
});

// ---------------------------------------------------------------------------
// Databases and processes, for real.

Deno.test("prepareDatabases() gives each service its own role and database, idempotently, closed to the others", async () => {
  const prefix = uniquePrefix();
  try {
    const [first, second] = await Promise.all([
      prepareDatabases({ prefix }),
      prepareDatabases({ prefix }),
    ]);
    assert.deepEqual(first, second);
    const auth = connectDb(first.auth!, { max: 1 });
    try {
      const [row] = await auth`select current_user as "user", current_database() as db`;
      assert.deepEqual({ ...row }, { user: `${prefix}_auth`, db: `${prefix}_auth` });
      await auth`create table owned_by_auth (id int)`;
    } finally {
      await auth.end();
    }
    const trespasser = connectDb(
      first.auth!.replace(`/${prefix}_auth`, `/${prefix}_notifications`),
      { max: 1 },
    );
    try {
      await assert.rejects(() => trespasser`select 1`, /permission denied for database/);
    } finally {
      await trespasser.end();
    }
  } finally {
    await dropDatabases({ prefix });
  }
});

/** Stand-ins with each process's real flags, so the spawning and the permissions are tested today. */
function standIns(): ProcessSpec[] {
  const service = (name: "auth" | "notifications") => ({
    ...processSpec(name),
    entry: "scripts/testdata/stand_in_service.ts",
    reads: ["scripts/testdata/migrations"],
  });
  return [service("auth"), service("notifications"), {
    ...processSpec("gateway"),
    entry: "scripts/testdata/stand_in_gateway.ts",
  }];
}

Deno.test("startFleet() runs each process under its real flags; it reaches its servers and nothing else", async () => {
  const prefix = uniquePrefix();
  const bus = testBus("fleet");
  const smtp = await startSmtpCapture();
  const logDir = await Deno.makeTempDir({ prefix: "fleet-test-" });
  try {
    const fleet = await startFleet({
      specs: standIns(),
      ports: "free",
      databasePrefix: prefix,
      exchange: bus.exchange,
      amqpUrl: bus.url,
      smtpUrl: smtp.url,
      output: "files",
      logDir,
    });
    try {
      const response = await fetch(`${fleet.gatewayUrl}/probe`);
      assert.equal(response.status, 200);
      const probe = await response.json();
      assert.deepEqual(probe, {
        upstream: {
          service: "auth",
          user: `${prefix}_auth`,
          refused: { env: true, read: true, write: true, net: true, run: true },
        },
        refused: { net: true, read: true },
      });
      assert.deepEqual(logged(fleet.logs("auth"), "migrated")[0]?.applied, ["001_probe.sql"]);
      assert.equal(
        logged(await Deno.readTextFile(fleet.logFile("notifications")!), "migrated").length,
        1,
      );

      // A crash, then a start with the same flags and environment.
      const before = fleet.pid("auth");
      const killed = await fleet.kill("auth", "SIGKILL");
      assert.equal(killed?.signal, "SIGKILL");
      assert.equal(fleet.pid("auth"), undefined);
      await fleet.start("auth");
      assert.notEqual(fleet.pid("auth"), before);
      assert.equal((await (await fetch(`${fleet.urlOf("auth")}/readyz`)).json()).status, "ready");

      const notifications = fleet.pid("notifications");
      await fleet.restart("notifications");
      assert.notEqual(fleet.pid("notifications"), notifications);
    } finally {
      await fleet.stop();
    }
    for (const name of fleet.names) assert.equal(fleet.pid(name), undefined);
    // SIGTERM let each process shut down gracefully.
    assert.equal(logged(fleet.logs("gateway"), "stopped").length, 1);
    // auth was killed (no goodbye), then stopped; notifications was restarted, then stopped.
    assert.equal(logged(fleet.logs("auth"), "stopped").length, 1);
    assert.equal(logged(fleet.logs("notifications"), "stopped").length, 2);
  } finally {
    await smtp.close();
    await bus.cleanup();
    await dropDatabases({ prefix });
    await Deno.remove(logDir, { recursive: true });
  }
});

Deno.test("startFleet() names a process that cannot start, shows its log and stops the others", async () => {
  const prefix = uniquePrefix();
  const bus = testBus("fleet");
  const [auth, notifications, gateway] = freePorts(3);
  const specs = standIns();
  specs[0] = { ...specs[0], entry: "scripts/testdata/crashing_service.ts" };
  try {
    await assert.rejects(
      () =>
        startFleet({
          specs,
          ports: { auth, notifications, gateway },
          databasePrefix: prefix,
          exchange: bus.exchange,
          amqpUrl: bus.url,
          smtpUrl: "smtp://127.0.0.1:1",
        }),
      (error: Error) => {
        assert.match(error.message, /^auth exited \(code 1\) before it was ready/);
        assert.match(error.message, /cannot start \(on purpose\)/);
        return true;
      },
    );
    assert.equal(await isListening("127.0.0.1", notifications), false);
    assert.equal(await isListening("127.0.0.1", gateway), false);
  } finally {
    await bus.cleanup();
    await dropDatabases({ prefix });
  }
});
