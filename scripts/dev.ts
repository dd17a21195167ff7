/**
 * `deno task dev`: the whole fleet on this machine, against the local
 * PostgreSQL, RabbitMQ and Redis.
 *
 * 0. PostgreSQL, RabbitMQ and Redis, each started when it is installed here but not
 *    running (scripts/infrastructure.ts); what is missing is said in one line,
 * 1. the gateway's key pair (kept in .dev/keys.json so sessions survive restarts),
 * 2. one database and login role per service (as the PG* superuser),
 * 3. unless SMTP_URL is set, a mail catcher (SMTP 1025, mails readable on 8025);
 *    the media service's object store: s3rver on 127.0.0.1:4569, objects kept in
 *    .dev/objects (browsers reach it there too: S3_PUBLIC_URL is the same address),
 * 4. every service (chat and the realtime edge included), then the gateway, each a
 *    `deno serve` process (the realtime edge a `deno run` one: Socket.io needs
 *    node:http) with its own least-privilege flags, their logs prefixed on this console;
 * 5. a process that exits unexpectedly is started again with exponential backoff
 *    and jitter (0.5 s doubling to 30 s, reset after 30 s up), logging why it exited;
 * 6. the web front end (web/, served by the gateway at `/`) is built once with npm
 *    when web/dist is missing. For hot reload run `npm run dev --prefix web` next to
 *    this (Vite on http://localhost:5173, /api and /socket.io proxied to the gateway);
 *    after a change to web/ without Vite, `npm run build --prefix web` (no restart needed).
 *
 * Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set (an OTLP/HTTP collector, e.g. the
 * compose profile's, or Jaeger's :4318), every process runs with Deno's
 * OpenTelemetry on and exports there (OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf,
 * the default, or http/json); the banner says where, or that traces are off.
 *
 * Honours GATEWAY_PORT, PUBLIC_URL, SMTP_URL, AMQP_URL, REDIS_URL, EVENTS_EXCHANGE,
 * LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT/PROTOCOL and PGHOST/PGPORT/PGUSER/PGPASSWORD;
 * any other variable a process declares (e.g. AUTH_RESET_TTL_MINUTES, CORS_ORIGINS,
 * SIGNUP_LIMIT_PER_HOUR, STRIPE_SECRET_KEY, BUYER_FEE_BPS) is passed through to it.
 *
 * Payments: without STRIPE_SECRET_KEY (and PAYMENTS_MODE) orders runs in the
 * local test payment mode: no Stripe, no money moves, and a buyer completes a
 * payment with `POST /api/v1/payments/local-test/{orderId}/succeed`. With
 * PAYMENTS_MODE=stripe, STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (and
 * optionally STRIPE_API_URL, e.g. stripe-mock) it talks to Stripe.
 * Ctrl-C (or SIGTERM) stops everything it started.
 */
import {
  DEV_RESTART_POLICY,
  type Fleet,
  type FleetKeys,
  generateKeys,
  isListening,
  type LogLevel,
  PROCESSES,
  startFleet,
} from "./fleet.ts";
import { POSTGRES_DRIVER_ENV } from "../shared/db.ts";
import { ensureServers, fleetServers } from "./infrastructure.ts";
import { ansi, consolePaint } from "./log_format.ts";
import { type MailCatcher, startMailCatcher } from "./mail_catcher.ts";
import { type LocalObjectStore, startLocalObjectStore } from "./object_store.ts";
import {
  LOCAL_TEST_PAYMENTS,
  matchesEnv,
  paymentsMode,
  type ProcessName,
  redact,
  STRIPE_API_URL,
  type TracingTarget,
  upstreamVariable,
} from "./processes.ts";

const DEV_DIR = new URL("../.dev/", import.meta.url);
const LEVELS = ["debug", "info", "warn", "error"];

// Variables the fleet sets itself; everything else a process declares passes through.
// PG* and USER in particular must not: they describe the superuser's connection.
const MANAGED = [
  "DATABASE_URL",
  "AMQP_URL",
  "EVENTS_EXCHANGE",
  "JWT_JWKS",
  "JWT_PRIVATE_JWK",
  "REDIS_URL",
  "PUBLIC_URL",
  "SMTP_URL",
  "LOG_LEVEL",
  // The gateway's upstream URLs (AUTH_URL, ORDERS_URL, …) point at the fleet's own processes.
  ...PROCESSES.map((p) => upstreamVariable(p.name)),
  // Where a `deno run` process listens (REALTIME_HOST, REALTIME_PORT) follows its port here.
  ...PROCESSES.flatMap((p) => p.runs ? [p.runs.hostVariable, p.runs.portVariable] : []),
  ...POSTGRES_DRIVER_ENV,
];

function setting(name: string): string | undefined {
  const value = Deno.env.get(name);
  return value === "" ? undefined : value;
}

function fail(message: string): never {
  console.error(`deno task dev: ${message}`);
  Deno.exit(1);
}

/** Keys from JWT_PRIVATE_JWK/JWT_JWKS if both are set, else from .dev/keys.json, else new ones. */
async function loadKeys(): Promise<FleetKeys> {
  const privateJwk = setting("JWT_PRIVATE_JWK");
  const jwks = setting("JWT_JWKS");
  if (privateJwk && jwks) return { privateJwk, jwks };
  const file = new URL("keys.json", DEV_DIR);
  try {
    const saved = JSON.parse(await Deno.readTextFile(file));
    if (typeof saved.privateJwk === "string" && typeof saved.jwks === "string") return saved;
  } catch {
    // none yet, or unreadable: make new ones
  }
  const keys = await generateKeys();
  await Deno.mkdir(DEV_DIR, { recursive: true });
  await Deno.writeTextFile(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** Variables from this shell that a process declares and the fleet does not set itself. */
function passThrough(): Partial<Record<ProcessName, Record<string, string>>> {
  const shell = Deno.env.toObject();
  const out: Partial<Record<ProcessName, Record<string, string>>> = {};
  for (const spec of PROCESSES) {
    const own = Object.entries(shell).filter(([name, value]) =>
      value !== "" && matchesEnv(name, spec.env) && !matchesEnv(name, MANAGED)
    );
    if (own.length) out[spec.name] = Object.fromEntries(own);
  }
  return out;
}

/**
 * Gives orders `PAYMENTS_MODE=local_test` unless the shell chose a mode or gave
 * Stripe secrets (the rule of `paymentsMode`), and returns the lines that say
 * which mode payments run in.
 */
export function choosePayments(
  env: Partial<Record<ProcessName, Record<string, string>>>,
  publicUrl: string,
): string[] {
  const orders = env.orders ??= {};
  const chosen = orders.PAYMENTS_MODE;
  orders.PAYMENTS_MODE = paymentsMode(orders);
  if (orders.PAYMENTS_MODE === LOCAL_TEST_PAYMENTS) {
    return [
      `LOCAL TEST MODE (${chosen ? "PAYMENTS_MODE=local_test" : "no STRIPE_SECRET_KEY"}): ` +
      "no Stripe, no money moves.",
      "As an order's buyer, complete its payment with " +
      "POST /api/v1/payments/local-test/{orderId}/succeed (see services/orders/README.md).",
    ];
  }
  return [
    `PAYMENTS_MODE=${orders.PAYMENTS_MODE}, Stripe API ${
      redact(orders.STRIPE_API_URL ?? STRIPE_API_URL)
    }.`,
    `Stripe webhooks go to ${publicUrl}/api/v1/payments/stripe/webhook.`,
  ];
}

const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;

/**
 * Where the fleet exports traces: the shell's OTEL_EXPORTER_OTLP_ENDPOINT (an
 * http(s) URL; Deno posts to `<endpoint>/v1/traces`) in the encoding of
 * OTEL_EXPORTER_OTLP_PROTOCOL (default http/protobuf), or nothing (tracing off);
 * and the banner line that says so. Throws for a malformed value.
 */
export function chooseTracing(
  get: (name: string) => string | undefined,
): { target?: TracingTarget; line: string } {
  const endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (!endpoint) return { line: "traces off (set OTEL_EXPORTER_OTLP_ENDPOINT)" };
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, not "${endpoint}"`);
  }
  const protocol = get("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "http/protobuf";
  if (!OTLP_PROTOCOLS.some((known) => known === protocol)) {
    throw new Error(
      `OTEL_EXPORTER_OTLP_PROTOCOL must be ${OTLP_PROTOCOLS.join(" or ")}, not "${protocol}"`,
    );
  }
  return {
    target: { endpoint, protocol: protocol as TracingTarget["protocol"] },
    line: `traces → ${redact(endpoint)} (OTLP ${protocol})`,
  };
}

const WEB_DIR = new URL("../web/", import.meta.url).pathname;

/**
 * Builds web/dist with npm (`npm ci` first when web/node_modules is missing) if it
 * has no index.html. A failure is reported, not fatal: the API still runs and the
 * gateway answers `/` with a 503 saying the front end is not built.
 */
async function ensureWebBuilt(): Promise<void> {
  const built = await Deno.stat(`${WEB_DIR}dist/index.html`).then(() => true, () => false);
  if (built) return;
  const npm = async (...args: string[]) => {
    const { success } = await new Deno.Command("npm", {
      args,
      cwd: WEB_DIR,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!success) throw new Error(`npm ${args.join(" ")} failed`);
  };
  console.log("web/dist is missing: building the web front end once (npm ci && npm run build)…");
  try {
    const installed = await Deno.stat(`${WEB_DIR}node_modules`).then(() => true, () => false);
    if (!installed) await npm("ci", "--no-audit", "--no-fund");
    await npm("run", "build");
  } catch (error) {
    console.error(
      `deno task dev: the web front end was not built (${(error as Error).message}); ` +
        "the API runs, `/` answers 503. Build it with `npm ci && npm run build` in web/.",
    );
  }
}

async function main() {
  const gatewayPort = Number(setting("GATEWAY_PORT") ?? 8000);
  if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65535) {
    fail(`GATEWAY_PORT must be a port number, not "${setting("GATEWAY_PORT")}"`);
  }
  const logLevel = (setting("LOG_LEVEL") ?? "info") as LogLevel;
  if (!LEVELS.includes(logLevel)) fail(`LOG_LEVEL must be one of ${LEVELS.join(", ")}`);
  let tracing: ReturnType<typeof chooseTracing>;
  try {
    tracing = chooseTracing(setting);
  } catch (error) {
    fail((error as Error).message);
  }
  const ports = Object.fromEntries(
    PROCESSES.map((p) => [p.name, p.name === "gateway" ? gatewayPort : p.port]),
  );
  for (const [name, port] of Object.entries(ports)) {
    if (await isListening("127.0.0.1", port)) {
      fail(`port ${port} (${name}) is already in use. Is another \`deno task dev\` running?`);
    }
  }

  const amqpUrl = setting("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672";
  const redisUrl = setting("REDIS_URL") ?? "redis://127.0.0.1:6379";
  const servers = await ensureServers(fleetServers({
    pgHost: setting("PGHOST"),
    pgPort: setting("PGPORT"),
    amqpUrl,
    redisUrl,
  }));
  if (servers.problem) fail(servers.problem);

  await ensureWebBuilt();
  const keys = await loadKeys();
  let catcher: MailCatcher | undefined;
  let smtpUrl = setting("SMTP_URL");
  if (!smtpUrl) {
    try {
      catcher = await startMailCatcher();
    } catch (error) {
      fail(
        `cannot start the mail catcher on ports 1025/8025 (${(error as Error).message}); ` +
          "stop whatever uses them or set SMTP_URL",
      );
    }
    smtpUrl = catcher.smtpUrl;
  }
  let objects: LocalObjectStore | undefined;
  try {
    objects = await startLocalObjectStore({ port: 4569, directory: ".dev/objects" });
  } catch (error) {
    await catcher?.close();
    fail(`cannot start the object store on port 4569 (${(error as Error).message})`);
  }

  let fleet: Fleet | undefined;
  let stopping = false;
  const shutdown = async (signal: Deno.Signal) => {
    if (stopping) {
      console.error(`\nSecond ${signal}: killing everything now.`);
      for (const name of fleet?.names ?? []) await fleet?.kill(name, "SIGKILL");
      Deno.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping the fleet…`);
    await fleet?.stop();
    await catcher?.close();
    await objects?.close();
    console.log("Stopped.");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));

  const publicUrl = setting("PUBLIC_URL") ?? `http://localhost:${gatewayPort}`;
  const env = passThrough();
  const payments = choosePayments(env, publicUrl);
  console.log(
    `Starting the fleet (broker ${redact(amqpUrl)}, Redis ${redact(redisUrl)}, SMTP ${smtpUrl})…`,
  );
  console.log(`Payments: ${payments.join("\n          ")}`);
  try {
    fleet = await startFleet({
      gatewayPort,
      publicUrl,
      amqpUrl,
      redisUrl,
      smtpUrl,
      objectStore: { ...objects, bucket: "media" },
      exchange: setting("EVENTS_EXCHANGE") ?? "marketplace",
      databasePrefix: "mp",
      keys,
      logLevel,
      env,
      output: "console",
      // A process that exits unexpectedly comes back, with backoff (scripts/restart_policy.ts).
      restart: DEV_RESTART_POLICY,
      tracing: tracing.target,
    });
  } catch (error) {
    console.error(`\n${(error as Error).message}`);
    await catcher?.close();
    await objects?.close();
    Deno.exit(1);
  }

  const paint = consolePaint();
  const bold = (text: string) => paint === ansi ? ansi(1, text) : text;
  console.log([
    "",
    bold("The marketplace is running."),
    `  gateway       ${bold(fleet.publicUrl)}  (listening on ${fleet.gatewayUrl})`,
    `  web           ${fleet.publicUrl}/ (hot reload: \`npm run dev --prefix web\`, :5173)`,
    catcher
      ? `  mail catcher  ${bold(catcher.webUrl)}  (SMTP ${catcher.smtpUrl})`
      : `  mail          sent to ${smtpUrl}`,
    `  object store  ${objects.url}  (s3rver, .dev/objects)`,
    ...fleet.names.filter((n) => n !== "gateway").map((n) =>
      `  ${n.padEnd(13)} ${fleet!.urlOf(n)}  (internal)`
    ),
    `  metrics       ${fleet.metricsUrlOf("gateway")} (gateway, not on its public port)`,
    `                and <each service above>/metrics (Prometheus text; README "Operating it")`,
    `  ${tracing.line}`,
    ...payments.map((line, i) => `  ${i === 0 ? "payments" : ""}`.padEnd(16) + line),
    "Press Ctrl-C to stop everything.",
    "",
  ].join("\n"));
}

if (import.meta.main) await main();
