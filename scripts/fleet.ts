/**
 * Runs the fleet: the gateway and every service as separate processes, each
 * under `deno serve` (the realtime edge under `deno run`, told where to listen
 * by its variables) with its own least-privilege flags (computed in
 * processes.ts), against real PostgreSQL, RabbitMQ, Redis and SMTP servers.
 * Used by `deno task dev` and by the end-to-end tests.
 *
 * ```ts
 * const smtp = await startSmtpCapture();
 * await using fleet = await startFleet({ ports: "free", smtpUrl: smtp.url, exchange: bus.exchange, databasePrefix: "e2e_x" });
 * await fetch(`${fleet.gatewayUrl}/api/v1/auth/signup`, ...);
 * ```
 */
import { prepareDatabases } from "./databases.ts";
import { type FleetKeys, generateKeys } from "./keys.ts";
import { consolePaint, type Paint } from "./log_format.ts";
import { type LocalObjectStore, startLocalObjectStore } from "./object_store.ts";
import { freePorts } from "./ports.ts";
import {
  listenEnv,
  matchesEnv,
  metricsEnv,
  paymentsMode,
  PROCESSES,
  type ProcessName,
  type ProcessSpec,
  serveArgs,
  tracingEnv,
  type TracingTarget,
  upstreamVariable,
} from "./processes.ts";
import type { RestartPolicy } from "./restart_policy.ts";
import { type LogOutput, ManagedProcess } from "./supervisor.ts";

export {
  databaseName,
  type DatabaseOptions,
  dropDatabases,
  prepareDatabases,
} from "./databases.ts";
export { type FleetKeys, generateKeys } from "./keys.ts";
export { DEV_RESTART_POLICY, type RestartPolicy } from "./restart_policy.ts";
export { freePort, freePorts, isListening } from "./ports.ts";
export {
  hostPort,
  listenEnv,
  LOCAL_TEST_PAYMENTS,
  metricsEnv,
  paymentsMode,
  PROCESS_NAMES,
  PROCESSES,
  type ProcessName,
  type ProcessSpec,
  processSpec,
  serveArgs,
  TRACING_ENV,
  tracingEnv,
  type TracingTarget,
} from "./processes.ts";

/** Log level given to every process. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Options of `startFleet`. Every one has a default for a developer machine. */
export interface FleetOptions {
  /** Host every process listens on. Default `127.0.0.1`. */
  host?: string;
  /** The gateway's port. Default 8000 (or the free port chosen when `ports` is "free"). */
  gatewayPort?: number;
  /** Ports of the processes, or `"free"` for unused ports (tests). Default: each spec's port. */
  ports?: Partial<Record<ProcessName, number>> | "free";
  /** Public base URL (mail links, CORS). Default `http://localhost:<gateway port>`. */
  publicUrl?: string;
  /** Default `amqp://guest:guest@127.0.0.1:5672`. */
  amqpUrl?: string;
  /** Default `redis://127.0.0.1:6379`. */
  redisUrl?: string;
  /** Where notifications sends mail; required when notifications runs. */
  smtpUrl?: string;
  /**
   * The S3-compatible store of the media service. Default, when media runs: a
   * local s3rver started in this process on a free port (scripts/object_store.ts),
   * with its objects in a temporary folder, stopped with the fleet.
   */
  objectStore?: FleetObjectStore;
  /** The events exchange (tests pass a unique one). Default `marketplace`. */
  exchange?: string;
  /** Databases and roles are `<prefix>_<service>`, created by `prepareDatabases`. Default `mp`. */
  databasePrefix?: string;
  /** Each service's DATABASE_URL, when the databases are already prepared (skips `prepareDatabases`). */
  databaseUrls?: Partial<Record<ProcessName, string>>;
  /** The gateway's key pair. Default: a fresh one. */
  keys?: FleetKeys;
  /** LOG_LEVEL of every process. Default `info`. */
  logLevel?: LogLevel;
  /**
   * Extra environment per process (e.g. `{ auth: { AUTH_RESET_TTL_MINUTES: "1" } }`).
   * Names outside the process's declared list are added to its `--allow-env`.
   *
   * Payments: without `PAYMENTS_MODE` and Stripe secrets in `env.orders`, orders
   * runs with `PAYMENTS_MODE=local_test` (no Stripe, no money moves; its
   * `--allow-net` names no Stripe host). For Stripe mode pass
   * `{ orders: { PAYMENTS_MODE: "stripe", STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_URL? } }`:
   * its `--allow-net` then names the host:port of `STRIPE_API_URL` (e.g. a local
   * double), or `api.stripe.com:443` without it.
   */
  env?: Partial<Record<ProcessName, Record<string, string>>>;
  /**
   * Start only these processes. Default: all. The gateway is given the URLs of
   * these only (and `--allow-net` for them), so it neither routes to nor waits
   * for a service that is not running: its routes answer 404.
   */
  only?: readonly ProcessName[];
  /**
   * Where output goes besides the in-memory buffer that `logs()` returns:
   * `"memory"` (default: nothing else), `"console"` (prefixed, coloured lines)
   * or `"files"` (`<logDir>/<name>.log`).
   */
  output?: "memory" | "console" | "files";
  /** Folder for `"files"` output. Default: a new temporary folder. */
  logDir?: string;
  /** Colours for `"console"` output. Default: ANSI on a terminal unless NO_COLOR. */
  paint?: Paint;
  /** How long each process may take to answer 200 on /readyz. Default 60 s. */
  readyTimeoutMs?: number;
  /** How long a process may take to exit after SIGTERM before SIGKILL. Default 15 s. */
  stopDeadlineMs?: number;
  /**
   * Start a process again whenever it exits without `stop`/`restart` asking it to
   * (a crash, a kill -9), with this backoff. Default: none (tests restart by hand).
   */
  restart?: RestartPolicy;
  /**
   * Turns on Deno's OpenTelemetry in every process (`OTEL_DENO=true`, each
   * process's name as `OTEL_SERVICE_NAME`), exporting over OTLP/HTTP to this
   * collector. Default: off.
   */
  tracing?: TracingTarget;
  /** Replaces process specs (same names), e.g. to run a stand-in entry. For the fleet's own tests. */
  specs?: readonly ProcessSpec[];
}

/** Where the media service finds its object store. */
export interface FleetObjectStore {
  /** `S3_ENDPOINT`: the services' address of the store. */
  url: string;
  /** `S3_PUBLIC_URL`: the browsers' address; default `url`. */
  publicUrl?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Default `media`. */
  bucket?: string;
}

/** A running fleet. */
export interface Fleet {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:8000`. */
  readonly gatewayUrl: string;
  readonly publicUrl: string;
  readonly exchange: string;
  readonly keys: FleetKeys;
  /** Each service's DATABASE_URL (its own role). */
  readonly databaseUrls: Partial<Record<ProcessName, string>>;
  /** Names of the processes this fleet runs. */
  readonly names: readonly ProcessName[];
  /** The media service's object store (when media runs). */
  readonly objectStore?: FleetObjectStore;
  /** Base URL of a process (`http://host:port`). */
  urlOf(name: ProcessName): string;
  /** Where a process answers `GET /metrics` (the gateway: its metrics listener, not its port). */
  metricsUrlOf(name: ProcessName): string;
  /** Process id while it runs, else undefined. */
  pid(name: ProcessName): number | undefined;
  /** How many times the restart policy has started a process again. */
  restarts(name: ProcessName): number;
  /** What a process printed (kept across restarts, last 5,000 lines). */
  logs(name: ProcessName): string;
  /** The log file of a process under `output: "files"`. */
  logFile(name: ProcessName): string | undefined;
  /** The exact command line (after `deno`) and environment of a process. */
  commandOf(name: ProcessName): { args: string[]; env: Record<string, string> };
  /** Starts a stopped process with the same flags and environment; resolves when ready. */
  start(name: ProcessName): Promise<void>;
  /** Stops a process (SIGTERM, SIGKILL after the deadline) and starts it again. */
  restart(name: ProcessName): Promise<void>;
  /**
   * Sends a signal (default SIGKILL). For SIGKILL, SIGTERM, SIGINT and SIGQUIT
   * resolves once the process has exited, with its status; otherwise at once.
   */
  kill(name: ProcessName, signal?: Deno.Signal): Promise<Deno.CommandStatus | undefined>;
  /** Stops every process (SIGTERM, SIGKILL after the deadline) and waits for them. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The repository root (absolute path, no trailing slash). */
export const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/+$/, "");

// Variables the Deno runtime itself needs in a child (cache folder, CA store,
// npm registry); the child's code still reads only what --allow-env lets it.
const RUNTIME_ENV = [
  "HOME",
  "PATH",
  "TMPDIR",
  "TZ",
  "LANG",
  "LC_*",
  "DENO_*",
  "NPM_CONFIG_*",
  "npm_config_*",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "XDG_CACHE_HOME",
];

const TERMINATING: Deno.Signal[] = ["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT"];

/**
 * Prepares the databases (unless `databaseUrls` is given), then starts every
 * service, waits until each answers 200 on /readyz, then starts the gateway
 * likewise. If any process fails to become ready, everything started is
 * stopped and the error names the process and shows the tail of its log.
 */
export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const specs = PROCESSES.map((spec) => options.specs?.find((s) => s.name === spec.name) ?? spec);
  const names = specs.map((s) => s.name).filter((name) =>
    !options.only || options.only.includes(name)
  );
  const host = options.host ?? "127.0.0.1";
  const { ports, metricsPorts } = choosePorts(specs, options);
  const urlOf = (name: ProcessName) => `http://${host}:${ports[name]}`;
  const metricsUrlOf = (name: ProcessName) =>
    `http://${host}:${metricsPorts.get(name) ?? ports[name]}/metrics`;
  const publicUrl = options.publicUrl ?? `http://localhost:${ports.gateway}`;
  const amqpUrl = options.amqpUrl ?? "amqp://guest:guest@127.0.0.1:5672";
  const redisUrl = options.redisUrl ?? "redis://127.0.0.1:6379";
  const exchange = options.exchange ?? "marketplace";
  const keys = options.keys ?? await generateKeys();
  const needsDatabase = specs.filter((s) => s.uses.database && names.includes(s.name)).map((s) =>
    s.name
  );
  const databaseUrls = options.databaseUrls ??
    (needsDatabase.length
      ? await prepareDatabases({ prefix: options.databasePrefix ?? "mp", services: needsDatabase })
      : {});
  const logDir = options.output === "files"
    ? options.logDir ?? await Deno.makeTempDir({ prefix: "fleet-logs-" })
    : undefined;
  if (logDir) await Deno.mkdir(logDir, { recursive: true });

  // Values the fleet knows; each process receives those its spec lists.
  const known: Record<string, string> = {
    AMQP_URL: amqpUrl,
    EVENTS_EXCHANGE: exchange,
    JWT_JWKS: keys.jwks,
    JWT_PRIVATE_JWK: keys.privateJwk,
    REDIS_URL: redisUrl,
    PUBLIC_URL: publicUrl,
    LOG_LEVEL: options.logLevel ?? "info",
  };
  if (options.smtpUrl) known.SMTP_URL = options.smtpUrl;
  // The media service's store: the one given, or a local s3rver owned by this fleet.
  let localStore: LocalObjectStore | undefined;
  let objectStore = options.objectStore;
  if (!objectStore && names.includes("media")) {
    localStore = await startLocalObjectStore();
    objectStore = { ...localStore, bucket: "media" };
  }
  if (objectStore) {
    Object.assign(known, {
      S3_ENDPOINT: objectStore.url,
      S3_PUBLIC_URL: objectStore.publicUrl ?? objectStore.url,
      S3_BUCKET: objectStore.bucket ?? "media",
      S3_ACCESS_KEY_ID: objectStore.accessKeyId,
      S3_SECRET_ACCESS_KEY: objectStore.secretAccessKey,
    });
  }
  for (const name of names) known[upstreamVariable(name)] = urlOf(name);
  const runtime = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) => matchesEnv(name, RUNTIME_ENV)),
  );

  const processes = new Map<ProcessName, ManagedProcess>();
  for (const spec of specs.filter((s) => names.includes(s.name))) {
    const extra = options.env?.[spec.name] ?? {};
    const own: Record<string, string> = {};
    for (const [name, value] of Object.entries(known)) {
      if (matchesEnv(name, spec.env)) own[name] = value;
    }
    if (spec.uses.database) {
      const url = databaseUrls[spec.name];
      if (!url) throw new Error(`no DATABASE_URL for ${spec.name}`);
      own.DATABASE_URL = url;
    }
    // A `deno run` process (the realtime edge) listens where its variables say.
    const env = {
      ...own,
      ...extra,
      ...listenEnv(spec, host, ports[spec.name]),
      ...metricsEnv(spec, host, metricsPorts.get(spec.name)),
    };
    // Without Stripe secrets, orders runs in the local test payment mode.
    if (spec.uses.stripe && !env.PAYMENTS_MODE) env.PAYMENTS_MODE = paymentsMode(env);
    // The gateway forwards only to the processes of this fleet.
    const upstreams = spec.uses.upstreams?.filter((name) => names.includes(name));
    const args = serveArgs(upstreams ? { ...spec, uses: { ...spec.uses, upstreams } } : spec, {
      root: ROOT,
      host,
      port: ports[spec.name],
      metricsPort: metricsPorts.get(spec.name),
      databaseUrl: own.DATABASE_URL,
      amqpUrl,
      redisUrl,
      smtpUrl: options.smtpUrl,
      objectStoreUrl: env.S3_ENDPOINT,
      paymentsMode: env.PAYMENTS_MODE,
      stripeApiUrl: env.STRIPE_API_URL,
      upstreams: Object.fromEntries(names.map((name) => [name, urlOf(name)])),
      extraEnv: Object.keys(extra).filter((name) => !matchesEnv(name, spec.env)),
    });
    const output: LogOutput = options.output === "console"
      ? { kind: "console", paint: options.paint ?? consolePaint() }
      : logDir
      ? { kind: "file", path: `${logDir}/${spec.name}.log` }
      : { kind: "memory" };
    processes.set(
      spec.name,
      new ManagedProcess(
        {
          name: spec.name,
          args,
          // NO_COLOR keeps Deno's own messages free of escape codes in logs. The
          // tracing variables are read by the runtime, not the code: no --allow-env.
          env: { ...runtime, NO_COLOR: "1", ...env, ...tracingEnv(spec.name, options.tracing) },
          cwd: ROOT,
          readyUrl: `${urlOf(spec.name)}/readyz`,
        },
        output,
        options.restart,
      ),
    );
  }

  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const stopDeadlineMs = options.stopDeadlineMs ?? 15_000;
  const get = (name: ProcessName) => {
    const process = processes.get(name);
    if (!process) {
      throw new Error(`${name} is not part of this fleet (running: ${names.join(", ")})`);
    }
    return process;
  };
  const start = async (name: ProcessName) => {
    const process = get(name);
    process.spawn();
    await process.waitReady(readyTimeoutMs);
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      // The gateway first, so no request reaches a service that is going away.
      const gateway = processes.get("gateway");
      if (gateway) await gateway.stop(stopDeadlineMs);
      await Promise.all([...processes.values()].map((p) => p.stop(stopDeadlineMs)));
      for (const process of processes.values()) process.close();
      await localStore?.close();
      localStore = undefined;
    })().finally(() => stopping = undefined);

  try {
    // Services in parallel, then the gateway, whose readiness may depend on them.
    await Promise.all(names.filter((n) => n !== "gateway").map(start));
    if (names.includes("gateway")) await start("gateway");
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    gatewayUrl: urlOf("gateway"),
    publicUrl,
    exchange,
    keys,
    databaseUrls,
    names,
    objectStore,
    urlOf,
    metricsUrlOf: (name) => {
      get(name); // throws for a process outside this fleet
      return metricsUrlOf(name);
    },
    pid: (name) => get(name).pid,
    restarts: (name) => get(name).restarts,
    logs: (name) => get(name).logs(),
    logFile: (name) => (logDir && processes.has(name) ? `${logDir}/${name}.log` : undefined),
    commandOf: (name) => ({ args: [...get(name).plan.args], env: { ...get(name).plan.env } }),
    start,
    async restart(name) {
      await get(name).stop(stopDeadlineMs);
      await start(name);
    },
    async kill(name, signal = "SIGKILL") {
      const process = get(name);
      process.signal(signal);
      if (!TERMINATING.includes(signal)) return undefined;
      const status = await process.exited();
      await process.drained();
      return status;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

// Each process's port, and the port of each `metrics` listener (the gateway's).
function choosePorts(
  specs: readonly ProcessSpec[],
  options: FleetOptions,
): { ports: Record<ProcessName, number>; metricsPorts: Map<ProcessName, number> } {
  const ports = {} as Record<ProcessName, number>;
  const metricsPorts = new Map<ProcessName, number>();
  const listeners = specs.filter((spec) => spec.metrics);
  if (options.ports === "free") {
    // All at once, so no two of them are the same port.
    const free = freePorts(specs.length + listeners.length, options.host ?? "127.0.0.1");
    specs.forEach((spec, i) => ports[spec.name] = free[i]);
    listeners.forEach((spec, i) => metricsPorts.set(spec.name, free[specs.length + i]));
  } else {
    for (const spec of specs) ports[spec.name] = options.ports?.[spec.name] ?? spec.port;
    for (const spec of listeners) metricsPorts.set(spec.name, spec.metrics!.port);
  }
  if (options.gatewayPort !== undefined) ports.gateway = options.gatewayPort;
  return { ports, metricsPorts };
}
