import assert from "node:assert/strict";
import { parse } from "yaml";
import { Redis } from "ioredis";
import { connectDb, POSTGRES_DRIVER_ENV } from "@mp/shared/db";
import { startSmtpCapture, testBus } from "@mp/shared/testing";
import { CONFIG_NAMES as ORDERS_CONFIG_NAMES } from "../services/orders/config.ts";
import { REALTIME_ENV_NAMES } from "../services/realtime/config.ts";
import { MEDIA_ENV_NAMES } from "../services/media/config.ts";
import {
  dropDatabases,
  freePort,
  freePorts,
  hostPort,
  isListening,
  listenEnv,
  paymentsMode,
  prepareDatabases,
  PROCESSES,
  type ProcessName,
  type ProcessSpec,
  processSpec,
  serveArgs,
  startFleet,
} from "./fleet.ts";
import { matchesEnv, metricsEnv, TRACING_ENV, tracingEnv } from "./processes.ts";
import { choosePayments } from "./dev.ts";

const FORBIDDEN =
  /^(-A|--allow-all|--allow-run|--allow-ffi|--allow-write|--allow-sys|--allow-import)(=|$)/;

const local = {
  root: "/repo",
  host: "127.0.0.1",
  databaseUrl: "postgres://mp_auth:pw@127.0.0.1:5432/mp_auth",
  amqpUrl: "amqp://guest:guest@127.0.0.1:5672",
  redisUrl: "redis://127.0.0.1:6379",
  smtpUrl: "smtp://127.0.0.1:1025",
  objectStoreUrl: "http://127.0.0.1:4569",
  upstreams: Object.fromEntries(PROCESSES.map((p) => [p.name, `http://127.0.0.1:${p.port}`])),
};

/** The JSON (ECS) log entries of `text` whose `message` is `message`. */
function logged(text: string, message: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
    .filter((entry) => entry.message === message);
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
    "--v8-flags=--max-semi-space-size=4",
    "--allow-net=127.0.0.1:4001,127.0.0.1:5432,127.0.0.1:5672",
    `--allow-env=DATABASE_URL,AMQP_URL,EVENTS_EXCHANGE,JWT_JWKS,JWT_ISSUER,JWT_AUDIENCE,LOG_LEVEL,${POSTGRES_DRIVER_ENV},` +
    "AUTH_REFRESH_TTL_DAYS,AUTH_VERIFY_TTL_HOURS,AUTH_RESET_TTL_MINUTES,AUTH_ARGON2_MEMORY_KIB," +
    "AUTH_ARGON2_ITERATIONS,AUTH_HASH_MAX_DUTY_PERCENT,AUTH_HASH_MIN_DUTY_PERCENT," +
    "AUTH_HASH_LAG_LIMIT_MS,AUTH_HASH_MAX_WAIT_MS",
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
      "--allow-net=127.0.0.1:8000,127.0.0.1:9100,127.0.0.1:6379,127.0.0.1:4001,127.0.0.1:4002,127.0.0.1:4003,127.0.0.1:4005,127.0.0.1:4006,127.0.0.1:4007,127.0.0.1:4004,127.0.0.1:4008,127.0.0.1:4009",
    ),
  );
  assert.ok(gateway.includes("--allow-env"), "ioredis's debug dependency needs a bare --allow-env");
  assert.deepEqual(
    gateway.filter((arg) => arg.startsWith("--allow-read")),
    ["--allow-read=/repo/web/dist"],
    "the gateway reads the built web front end only",
  );
});

Deno.test("serveArgs() runs orders with its variables, its migrations and, in stripe mode, api.stripe.com:443", () => {
  assert.deepEqual(serveArgs(processSpec("orders"), { ...local, port: 4005 }), [
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    "4005",
    "--v8-flags=--max-semi-space-size=4",
    "--allow-net=127.0.0.1:4005,127.0.0.1:5432,127.0.0.1:5672,api.stripe.com:443",
    `--allow-env=DATABASE_URL,AMQP_URL,EVENTS_EXCHANGE,JWT_JWKS,JWT_ISSUER,JWT_AUDIENCE,LOG_LEVEL,${POSTGRES_DRIVER_ENV},` +
    "PUBLIC_URL,PAYMENTS_MODE,STRIPE_SECRET_KEY,STRIPE_WEBHOOK_SECRET,STRIPE_API_URL," +
    "BUYER_FEE_BPS,BUYER_FEE_FIXED,PLATFORM_COMMISSION_BPS,AUTO_COMPLETE_DAYS,CLEARING_DAYS,SCHEDULER_POLL_MS",
    "--allow-read=/repo/services/orders/migrations",
    "/repo/services/orders/main.ts",
  ]);
});

Deno.test("serveArgs() gives orders the host:port of STRIPE_API_URL, api.stripe.com:443 without it, and no Stripe host in the local test mode", () => {
  const net = (target: { paymentsMode?: string; stripeApiUrl?: string }) =>
    serveArgs(processSpec("orders"), { ...local, port: 4005, ...target })
      .find((arg) => arg.startsWith("--allow-net="));
  const base = "--allow-net=127.0.0.1:4005,127.0.0.1:5432,127.0.0.1:5672";
  assert.equal(net({ paymentsMode: "stripe" }), `${base},api.stripe.com:443`);
  // Unset (or empty) is the service's own default: stripe.
  assert.equal(net({}), `${base},api.stripe.com:443`);
  assert.equal(net({ paymentsMode: "", stripeApiUrl: "" }), `${base},api.stripe.com:443`);
  assert.equal(
    net({ paymentsMode: "stripe", stripeApiUrl: "http://127.0.0.1:12111" }),
    `${base},127.0.0.1:12111`,
  );
  assert.equal(
    net({ paymentsMode: "stripe", stripeApiUrl: "https://stripe-mock.internal/v1" }),
    `${base},stripe-mock.internal:443`,
  );
  assert.equal(net({ paymentsMode: "local_test" }), base);
  assert.equal(net({ paymentsMode: "local_test", stripeApiUrl: "http://127.0.0.1:12111" }), base);
  for (const spec of PROCESSES.filter((p) => !p.uses.stripe)) {
    const args = serveArgs(spec, {
      ...local,
      port: spec.port,
      paymentsMode: "stripe",
      stripeApiUrl: "http://127.0.0.1:12111",
    });
    assert.ok(!args.some((arg) => /stripe|12111/.test(arg)), `${spec.name} gets no Stripe host`);
  }
});

Deno.test("paymentsMode() is PAYMENTS_MODE when set, else stripe with a Stripe secret and local_test without", () => {
  assert.equal(paymentsMode({}), "local_test");
  assert.equal(paymentsMode({ PAYMENTS_MODE: "", STRIPE_SECRET_KEY: "" }), "local_test");
  assert.equal(paymentsMode({ STRIPE_SECRET_KEY: "sk_test_x" }), "stripe");
  assert.equal(paymentsMode({ STRIPE_WEBHOOK_SECRET: "whsec_x" }), "stripe");
  assert.equal(paymentsMode({ PAYMENTS_MODE: "stripe" }), "stripe");
  // A key with local_test is passed on as given: orders refuses to start, naming the conflict.
  assert.equal(
    paymentsMode({ PAYMENTS_MODE: "local_test", STRIPE_SECRET_KEY: "sk_test_x" }),
    "local_test",
  );
});

Deno.test("deno task dev runs payments in the local test mode without a Stripe key and says how to pay", () => {
  const env: Parameters<typeof choosePayments>[0] = {
    gateway: { SIGNUP_LIMIT_PER_HOUR: "100000" },
  };
  const lines = choosePayments(env, "http://localhost:8000");
  assert.equal(env.orders?.PAYMENTS_MODE, "local_test");
  assert.match(lines.join("\n"), /LOCAL TEST MODE .*no money moves/);
  assert.match(lines.join("\n"), /POST \/api\/v1\/payments\/local-test\/\{orderId\}\/succeed/);
  assert.deepEqual(env.gateway, { SIGNUP_LIMIT_PER_HOUR: "100000" });

  const withKey = { orders: { STRIPE_SECRET_KEY: "sk_test_x", STRIPE_WEBHOOK_SECRET: "whsec_x" } };
  const stripeLines = choosePayments(withKey, "https://market.example");
  assert.equal((withKey.orders as Record<string, string>).PAYMENTS_MODE, "stripe");
  assert.match(stripeLines.join("\n"), /https:\/\/api\.stripe\.com/);
  assert.match(
    stripeLines.join("\n"),
    /https:\/\/market\.example\/api\/v1\/payments\/stripe\/webhook/,
  );

  // A mode chosen in the shell is kept, even one orders will refuse (it names the problem).
  const chosen = { orders: { PAYMENTS_MODE: "stripe" } };
  choosePayments(chosen, "http://localhost:8000");
  assert.equal(chosen.orders.PAYMENTS_MODE, "stripe");
});

Deno.test("serveArgs() runs chat under deno serve with its database, the broker and Redis, a bare --allow-env and its migrations", () => {
  assert.deepEqual(serveArgs(processSpec("chat"), { ...local, port: 4004 }), [
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    "4004",
    "--v8-flags=--max-semi-space-size=4",
    "--allow-net=127.0.0.1:4004,127.0.0.1:5432,127.0.0.1:5672,127.0.0.1:6379",
    "--allow-env",
    "--allow-read=/repo/services/chat/migrations",
    "/repo/services/chat/main.ts",
  ]);
  assert.match(processSpec("chat").bareEnvReason ?? "", /debug/);
});

Deno.test("serveArgs() runs the realtime edge under deno run: its listen address, the broker and Redis, nothing to read", () => {
  const spec = processSpec("realtime");
  assert.deepEqual(serveArgs(spec, { ...local, port: 4008 }), [
    "run",
    "--v8-flags=--max-semi-space-size=4",
    "--allow-net=127.0.0.1:4008,127.0.0.1:5672,127.0.0.1:6379",
    "--allow-env",
    "/repo/services/realtime/main.ts",
  ]);
  assert.match(spec.runs?.reason ?? "", /node:http/);
  assert.match(spec.bareEnvReason ?? "", /debug/);
  // It listens where its own variables say; a `deno serve` process is told by flags instead.
  assert.deepEqual(listenEnv(spec, "0.0.0.0", 4108), {
    REALTIME_HOST: "0.0.0.0",
    REALTIME_PORT: "4108",
  });
  assert.deepEqual(listenEnv(processSpec("chat"), "0.0.0.0", 4004), {});
  // A database URL given by mistake grants nothing: the edge has no database.
  const args = serveArgs(spec, { ...local, port: 4008, databaseUrl: "postgres://x@db:5432/x" });
  assert.ok(!args.some((arg) => arg.includes("5432")));
});

Deno.test("the realtime spec allows exactly the variables services/realtime/config.ts reads, and the gateway's lists its upstreams' URLs", () => {
  assert.deepEqual(new Set(processSpec("realtime").env), new Set(REALTIME_ENV_NAMES));
  const gateway = processSpec("gateway");
  for (const upstream of gateway.uses.upstreams ?? []) {
    assert.ok(gateway.env.includes(`${upstream.toUpperCase()}_URL`), upstream);
  }
  assert.deepEqual(
    [...gateway.uses.upstreams ?? []].sort(),
    PROCESSES.filter((p) => p.name !== "gateway").map((p) => p.name).sort(),
  );
});

Deno.test("serveArgs() lets media reach its database, the broker and the object store of S3_ENDPOINT, and nothing else", () => {
  const args = serveArgs(processSpec("media"), { ...local, port: 4009 });
  assert.ok(
    args.includes("--allow-net=127.0.0.1:4009,127.0.0.1:5432,127.0.0.1:5672,127.0.0.1:4569"),
    args.join(" "),
  );
  assert.ok(
    args.includes("--allow-read=/repo/services/media/migrations,/repo/services/media/render"),
  );
  assert.throws(
    () => serveArgs(processSpec("media"), { ...local, port: 4009, objectStoreUrl: undefined }),
    /media needs an object store URL/,
  );
  // Its own variables exactly, npm:postgres's, and the AWS SDK's (AWS_* allowed, never set; the
  // home folder's variables, where it looks for ~/.aws/config, which it may not read).
  assert.deepEqual(
    new Set(processSpec("media").env),
    new Set([
      ...SERVICE_NAMES,
      ...POSTGRES_DRIVER_ENV,
      ...MEDIA_ENV_NAMES,
      "AWS_*",
      "HOME",
      "USERPROFILE",
      "HOMEPATH",
      "HOMEDRIVE",
      "_X_AMZN_TRACE_ID",
    ]),
  );
});

const SERVICE_NAMES = [
  "DATABASE_URL",
  "AMQP_URL",
  "EVENTS_EXCHANGE",
  "JWT_JWKS",
  "JWT_ISSUER",
  "JWT_AUDIENCE",
  "LOG_LEVEL",
];

Deno.test("the orders spec allows exactly the variables services/orders/config.ts reads, plus npm:postgres's", () => {
  assert.deepEqual(
    new Set(processSpec("orders").env),
    new Set([...ORDERS_CONFIG_NAMES, ...POSTGRES_DRIVER_ENV]),
  );
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
  restart?: string;
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
    const target = {
      root: "/app",
      host: "0.0.0.0",
      port: spec.port,
      databaseUrl: env.DATABASE_URL,
      amqpUrl: env.AMQP_URL,
      redisUrl: env.REDIS_URL,
      smtpUrl: env.SMTP_URL,
      objectStoreUrl: env.S3_ENDPOINT,
      stripeApiUrl: env.STRIPE_API_URL,
      upstreams: Object.fromEntries(
        PROCESSES.map((p) => [p.name, gatewayEnv[`${p.name.toUpperCase()}_URL`]]),
      ),
    };
    // PAYMENTS_MODE is chosen in .env, and compose cannot make a flag depend on a
    // variable's value: the command is the Stripe mode's (production), which the
    // default local test mode runs under without ever using the Stripe host.
    const expected = serveArgs(spec, { ...target, paymentsMode: "stripe" });
    assert.deepEqual(service.command, expected, `command of ${spec.name}`);
    if (spec.uses.stripe) {
      assert.equal(env.PAYMENTS_MODE, "local_test", `${spec.name} defaults to the local test mode`);
      const localTest = serveArgs(spec, { ...target, paymentsMode: env.PAYMENTS_MODE });
      // …and differs from the local test mode's command by the Stripe host alone.
      assert.deepEqual(expected.map((arg) => arg.replace(",api.stripe.com:443", "")), localTest);
      assert.notDeepEqual(expected, localTest);
    }
    // Also for a bare --allow-env: every variable given is one the process reads (or,
    // for the tracing variables, one the Deno runtime reads before any permission).
    const unread = Object.keys(env).filter((name) =>
      !matchesEnv(name, spec.env) && !TRACING_ENV.includes(name)
    );
    assert.deepEqual(unread, [], `${spec.name} is given variables it does not read`);
    // A `deno run` process listens where its variables say: the address its --allow-net names.
    const listen = { ...listenEnv(spec, "0.0.0.0", spec.port), ...metricsEnv(spec, "0.0.0.0") };
    assert.deepEqual(
      Object.fromEntries(Object.keys(listen).map((name) => [name, env[name]])),
      listen,
      `listen variables of ${spec.name}`,
    );
    if (spec.uses.database) {
      assert.equal(new URL(env.DATABASE_URL).pathname, `/mp_${spec.name}`);
      assert.equal(new URL(env.DATABASE_URL).username, `mp_${spec.name}`);
    }
  }
});

Deno.test("docker-compose.yml publishes a port only for the gateway and keeps the rest on the internal network, with a way out only for Stripe's client", async () => {
  const compose = await readCompose();
  const published = Object.entries(compose.services).filter(([, s]) => s.ports?.length).map((
    [name],
  ) => name);
  assert.deepEqual(published, ["gateway"]);
  assert.equal(compose.networks.backend.internal, true);
  assert.ok(!compose.networks.egress.internal, "egress reaches the Stripe API");
  const stripeUsers = PROCESSES.filter((p) => p.uses.stripe).map((p) => p.name as string);
  assert.deepEqual(stripeUsers, ["orders"]);
  for (const [name, service] of Object.entries(compose.services)) {
    if (name === "gateway") assert.deepEqual(service.networks, ["backend", "edge"]);
    else if (stripeUsers.includes(name)) {
      assert.deepEqual(service.networks, ["backend", "egress"], `${name} networks`);
    } else assert.deepEqual(service.networks, ["backend"], `${name} networks`);
  }
});

Deno.test("docker-compose.yml health-checks every process and server of the fleet", async () => {
  const compose = await readCompose();
  for (
    const name of [
      ...PROCESSES.map((p) => p.name),
      "postgres",
      "rabbitmq",
      "redis",
      "mailpit",
      "minio",
    ]
  ) {
    assert.ok(compose.services[name]?.healthcheck?.test?.length, `${name} has a health check`);
  }
  for (const spec of PROCESSES) {
    const test = compose.services[spec.name].healthcheck!.test;
    assert.deepEqual(test.slice(-2), ["/app/scripts/healthcheck.ts", String(spec.port)], spec.name);
  }
});

Deno.test("docker-compose.yml gives every process the tracing variables, off by default, exporting to the observability profile's collector", async () => {
  const compose = await readCompose();
  for (const spec of PROCESSES) {
    const env = Object.fromEntries(
      Object.entries(compose.services[spec.name].environment ?? {})
        .filter(([name]) => name.startsWith("OTEL_"))
        .map(([k, v]) => [k, defaults(String(v))]),
    );
    // What the fleet sets with tracing on (processes.ts), but for OTEL_DENO's default.
    const on = tracingEnv(spec.name, { endpoint: "http://otel-collector:4318" });
    assert.deepEqual(env, { ...on, OTEL_DENO: "false" }, `tracing variables of ${spec.name}`);
  }
  assert.deepEqual(compose.services["otel-collector"]?.profiles, ["observability"]);
});

Deno.test("docker-compose.yml restarts every container that stops unexpectedly, as deno task dev does", async () => {
  const compose = await readCompose();
  for (const [name, service] of Object.entries(compose.services)) {
    assert.equal(service.restart, "unless-stopped", name);
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

/** A stand-in with a service's real flags (`--allow-net`, `--allow-env`), reading the stand-in's migrations. */
function standIn(name: ProcessName): ProcessSpec {
  return {
    ...processSpec(name),
    entry: "scripts/testdata/stand_in_service.ts",
    reads: ["scripts/testdata/migrations"],
  };
}

/** Stand-ins with each process's real flags, so the spawning and the permissions are tested today. */
function standIns(): ProcessSpec[] {
  return [standIn("auth"), standIn("notifications"), {
    ...processSpec("gateway"),
    entry: "scripts/testdata/stand_in_gateway.ts",
  }];
}

// The processes the stand-in tests run: without this, startFleet would also
// start the real services (which declare queues the suite's cleanup never sees).
const STAND_INS: ProcessName[] = ["auth", "notifications", "gateway"];

Deno.test("startFleet() runs each process under its real flags; it reaches its servers and nothing else", async () => {
  const prefix = uniquePrefix();
  const bus = testBus("fleet");
  const smtp = await startSmtpCapture();
  const logDir = await Deno.makeTempDir({ prefix: "fleet-test-" });
  try {
    const fleet = await startFleet({
      specs: standIns(),
      only: STAND_INS,
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
      // The gateway is given (and may reach) only the upstreams this fleet runs.
      const gateway = fleet.commandOf("gateway");
      const host = (name: ProcessName) => new URL(fleet.urlOf(name)).host;
      assert.equal(
        gateway.args.find((arg) => arg.startsWith("--allow-net=")),
        `--allow-net=${host("gateway")},${new URL(fleet.metricsUrlOf("gateway")).host},` +
          `127.0.0.1:6379,${host("auth")},${host("notifications")}`,
      );
      assert.deepEqual(Object.keys(gateway.env).filter((name) => name.endsWith("_URL")).sort(), [
        "AUTH_URL",
        "NOTIFICATIONS_URL",
        "PUBLIC_URL",
        "REDIS_URL",
      ]);
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
          only: STAND_INS,
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

Deno.test("startFleet() runs orders in the local test payment mode by default and in stripe mode against STRIPE_API_URL when given", async () => {
  const prefix = uniquePrefix();
  const bus = testBus("fleet");
  const stripeApi = `http://127.0.0.1:${freePort()}`;
  const common = {
    specs: [standIn("orders")],
    only: ["orders"] as ProcessName[],
    ports: "free" as const,
    databasePrefix: prefix,
    exchange: bus.exchange,
    amqpUrl: bus.url,
  };
  const allowNet = (args: string[]) => args.find((arg) => arg.startsWith("--allow-net="))!;
  try {
    const byDefault = await startFleet(common);
    try {
      const { args, env } = byDefault.commandOf("orders");
      assert.equal(env.PAYMENTS_MODE, "local_test");
      assert.equal(env.STRIPE_SECRET_KEY, undefined);
      assert.doesNotMatch(allowNet(args), /stripe/);
      assert.equal(allowNet(args).split(",").length, 3, "listen address, PostgreSQL, RabbitMQ");
    } finally {
      await byDefault.stop();
    }

    const withStripe = await startFleet({
      ...common,
      databaseUrls: byDefault.databaseUrls,
      env: {
        orders: {
          PAYMENTS_MODE: "stripe",
          STRIPE_SECRET_KEY: "sk_test_x",
          STRIPE_WEBHOOK_SECRET: "whsec_x",
          STRIPE_API_URL: stripeApi,
        },
      },
    });
    try {
      const { args, env } = withStripe.commandOf("orders");
      assert.equal(env.PAYMENTS_MODE, "stripe");
      assert.equal(env.STRIPE_API_URL, stripeApi);
      assert.match(allowNet(args), new RegExp(`,${new URL(stripeApi).host}$`));
      assert.ok(args.some((arg) => /^--allow-env=.*,STRIPE_SECRET_KEY,/.test(arg)));
    } finally {
      await withStripe.stop();
    }
  } finally {
    await bus.cleanup();
    await dropDatabases({ prefix });
  }
});

Deno.test("startFleet() runs the real realtime edge under deno run where its variables say, waits for its /readyz and starts it again after a kill", async () => {
  const bus = testBus("fleet");
  const redisPrefix = `${uniquePrefix()}:`;
  bus.own(`${bus.exchange}.realtime`, `${bus.exchange}.realtime.dlq`);
  try {
    const fleet = await startFleet({
      only: ["realtime"],
      ports: "free",
      exchange: bus.exchange,
      amqpUrl: bus.url,
      env: { realtime: { REDIS_PREFIX: redisPrefix } },
    });
    try {
      const { args, env } = fleet.commandOf("realtime");
      const port = new URL(fleet.urlOf("realtime")).port;
      assert.equal(args[0], "run");
      assert.ok(!args.includes("--port"));
      assert.equal(env.REALTIME_HOST, "127.0.0.1");
      assert.equal(env.REALTIME_PORT, port);
      assert.equal(
        args.find((arg) => arg.startsWith("--allow-net=")),
        `--allow-net=127.0.0.1:${port},127.0.0.1:5672,127.0.0.1:6379`,
      );
      const ready = async () => {
        const response = await fetch(`${fleet.urlOf("realtime")}/readyz`);
        return { status: response.status, body: await response.json() };
      };
      assert.deepEqual((await ready()).status, 200);
      const killed = await fleet.kill("realtime", "SIGKILL");
      assert.equal(killed?.signal, "SIGKILL");
      await fleet.start("realtime");
      const again = await ready();
      assert.equal(again.status, 200);
      assert.equal(again.body.status, "ready");
    } finally {
      await fleet.stop();
    }
    assert.equal(logged(fleet.logs("realtime"), "started").length, 2);
  } finally {
    await bus.cleanup();
    const redis = new Redis(Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379");
    try {
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  }
});
