/**
 * The processes of the fleet and exactly how each one is run.
 *
 * This table is the single source of truth for the command line of every
 * process: `deno task dev`, the end-to-end tests (both through `startFleet`) and
 * docker-compose.yml (checked against it by `fleet_test.ts`) all use the flags
 * computed here. Services run under `deno serve`, except the realtime edge,
 * which owns its node:http listener and runs under `deno run` (`runs`). Each
 * process gets least privilege: `--allow-net` lists its own
 * listen address and the host:port of each server it talks to, `--allow-env`
 * lists the variables it reads, `--allow-read` only its migrations folder (and
 * worker modules). Never `-A`, `--allow-run`, `--allow-ffi`, `--allow-write` or
 * `--allow-sys`.
 */
import { POSTGRES_DRIVER_ENV } from "../shared/db.ts";

/** Name of a process of the fleet. */
export type ProcessName =
  | "gateway"
  | "auth"
  | "users"
  | "gigs"
  | "orders"
  | "reviews"
  | "notifications"
  | "chat"
  | "realtime"
  | "media";

/**
 * A process that owns its listener and so runs under `deno run` rather than
 * `deno serve` (the realtime edge: Socket.io attaches to a node:http server).
 * It is told where to listen through two of its variables.
 */
export interface RunListener {
  /** The variable holding its listen host (e.g. `REALTIME_HOST`). */
  hostVariable: string;
  /** The variable holding its listen port (e.g. `REALTIME_PORT`). */
  portVariable: string;
  /** Why it cannot run under `deno serve`. */
  reason: string;
}

/**
 * A second listener a process opens itself for `GET /metrics`: the gateway's,
 * whose main port is public. Its host and port come from two of its variables.
 */
export interface MetricsListener {
  hostVariable: string;
  portVariable: string;
  /** Port in development and in docker-compose (tests choose a free one). */
  port: number;
}

/** How one process is run and what it talks to. */
export interface ProcessSpec {
  name: ProcessName;
  /**
   * Entry module, relative to the repository root. Under `deno serve` its
   * default export is `{ fetch }`; with `runs` it listens itself.
   */
  entry: string;
  /**
   * Set for a process run with `deno run` (it listens on the host and port of
   * these variables); unset, it runs under `deno serve --host --port`.
   */
  runs?: RunListener;
  /** Listen port in development and in docker-compose (tests choose free ports). */
  port: number;
  /**
   * Set when `GET /metrics` is not on `port` but on a listener of its own (the
   * gateway); unset, the process answers it on `port`.
   */
  metrics?: MetricsListener;
  /**
   * Paths it reads at run time, relative to the root: its migrations folder (read
   * by the migration runner at start-up) and any module it loads into a Worker
   * (Deno checks read permission for those). They become `--allow-read`.
   */
  reads?: readonly string[];
  /** Servers it connects to; each becomes a host:port in `--allow-net`. */
  uses: {
    database?: boolean;
    broker?: boolean;
    redis?: boolean;
    smtp?: boolean;
    /**
     * The Stripe API (orders): `api.stripe.com:443`, or the host:port of
     * `STRIPE_API_URL` when given; nothing in the local test payment mode
     * (`PAYMENTS_MODE=local_test`), which never contacts Stripe.
     */
    stripe?: boolean;
    /** An S3-compatible object store (media): the host:port of `S3_ENDPOINT`. */
    objectStore?: boolean;
    /** Other processes it forwards HTTP to (only the gateway does). */
    upstreams?: ProcessName[];
  };
  /**
   * Variables it reads. They become `--allow-env=<names>` (a trailing `*` is a
   * prefix wildcard, which Deno supports) and say which variables `deno task dev`
   * passes through from the developer's shell.
   */
  env: readonly string[];
  /** Set when a dependency forces a bare `--allow-env`; says why. */
  bareEnvReason?: string;
}

const SERVICE_ENV = [
  "DATABASE_URL",
  "AMQP_URL",
  "EVENTS_EXCHANGE",
  "JWT_JWKS",
  "JWT_ISSUER",
  "JWT_AUDIENCE",
  "LOG_LEVEL",
  // npm:postgres falls back to PG* (and USER) variables for every setting the URL
  // does not carry, reading them through process.env; Deno refuses each read
  // that is not allowed. The fleet starts processes with a cleared environment,
  // so these are allowed but unset.
  ...POSTGRES_DRIVER_ENV,
];

/** Every process of the fleet, services first, the gateway last (the order they start in). */
export const PROCESSES: readonly ProcessSpec[] = [
  {
    name: "auth",
    entry: "services/auth/main.ts",
    port: 4001,
    // The password hasher runs argon2id in Workers loaded from password_worker.ts.
    reads: ["services/auth/migrations", "services/auth/password_worker.ts"],
    uses: { database: true, broker: true },
    env: [
      ...SERVICE_ENV,
      "AUTH_REFRESH_TTL_DAYS",
      "AUTH_VERIFY_TTL_HOURS",
      "AUTH_RESET_TTL_MINUTES",
      "AUTH_ARGON2_MEMORY_KIB",
      "AUTH_ARGON2_ITERATIONS",
      "AUTH_HASH_MAX_DUTY_PERCENT",
      "AUTH_HASH_MIN_DUTY_PERCENT",
      "AUTH_HASH_LAG_LIMIT_MS",
      "AUTH_HASH_MAX_WAIT_MS",
    ],
  },
  {
    name: "users",
    entry: "services/users/main.ts",
    port: 4002,
    reads: ["services/users/migrations"],
    uses: { database: true, broker: true },
    env: SERVICE_ENV,
  },
  {
    name: "gigs",
    entry: "services/gigs/main.ts",
    port: 4003,
    reads: ["services/gigs/migrations"],
    uses: { database: true, broker: true, redis: true },
    env: [
      ...SERVICE_ENV,
      "REDIS_URL",
      "GIGS_REDIS_PREFIX",
      "GIGS_DETAIL_CACHE_TTL_SECONDS",
      "GIGS_SEARCH_CACHE_TTL_SECONDS",
    ],
    bareEnvReason:
      "ioredis depends on `debug`, which enumerates the whole environment at import time",
  },
  {
    name: "orders",
    entry: "services/orders/main.ts",
    port: 4005,
    reads: ["services/orders/migrations"],
    uses: { database: true, broker: true, stripe: true },
    // services/orders/config.ts (CONFIG_NAMES); fleet_test.ts checks the two agree.
    env: [
      ...SERVICE_ENV,
      "PUBLIC_URL",
      "PAYMENTS_MODE",
      "STRIPE_SECRET_KEY",
      "STRIPE_WEBHOOK_SECRET",
      "STRIPE_API_URL",
      "BUYER_FEE_BPS",
      "BUYER_FEE_FIXED",
      "PLATFORM_COMMISSION_BPS",
      "AUTO_COMPLETE_DAYS",
      "CLEARING_DAYS",
      "SCHEDULER_POLL_MS",
    ],
  },
  {
    name: "reviews",
    entry: "services/reviews/main.ts",
    port: 4006,
    reads: ["services/reviews/migrations"],
    uses: { database: true, broker: true },
    env: [...SERVICE_ENV, "REVIEW_WINDOW_DAYS"],
  },
  {
    name: "notifications",
    entry: "services/notifications/main.ts",
    port: 4007,
    reads: ["services/notifications/migrations"],
    uses: { database: true, broker: true, smtp: true },
    env: [...SERVICE_ENV, "SMTP_URL", "MAIL_FROM", "PUBLIC_URL", "MAIL_SEND_CONCURRENCY"],
  },
  {
    name: "chat",
    entry: "services/chat/main.ts",
    port: 4004,
    reads: ["services/chat/migrations"],
    // Redis only to read the realtime edge's presence keys (unread reminders).
    uses: { database: true, broker: true, redis: true },
    // services/chat/main.ts (README "Configuration"); fleet_test.ts checks main_test's list agrees.
    env: [
      ...SERVICE_ENV,
      "REDIS_URL",
      "CHAT_PRESENCE_KEY_PREFIX",
      "CHAT_MESSAGES_PER_MINUTE",
      "CHAT_PAGE_MAX",
      "CHAT_ATTACHMENTS_MAX",
      "CHAT_ATTACHMENT_MAX_BYTES",
      "CHAT_MAIL_DELAY_MINUTES",
      "CHAT_REMINDER_POLL_MS",
      "CHAT_OFFER_EXPIRY_POLL_MS",
    ],
    bareEnvReason:
      "ioredis depends on `debug`, which enumerates the whole environment at import time",
  },
  {
    name: "realtime",
    entry: "services/realtime/main.ts",
    port: 4008,
    runs: {
      hostVariable: "REALTIME_HOST",
      portVariable: "REALTIME_PORT",
      reason: "Socket.io attaches to a node:http server (its request and upgrade events), " +
        "which a `deno serve` fetch handler does not have",
    },
    // No database and nothing to read (the client bundle is not served).
    uses: { broker: true, redis: true },
    // services/realtime/config.ts (REALTIME_ENV_NAMES); fleet_test.ts checks the two agree.
    env: [
      "REALTIME_HOST",
      "REALTIME_PORT",
      "REDIS_URL",
      "REDIS_PREFIX",
      "AMQP_URL",
      "EVENTS_EXCHANGE",
      "JWT_JWKS",
      "JWT_ISSUER",
      "JWT_AUDIENCE",
      "LOG_LEVEL",
      "TYPING_THROTTLE_MS",
      "PRESENCE_GRACE_MS",
      "PRESENCE_TTL_MS",
      "REALTIME_MAX_FRAME_BYTES",
    ],
    bareEnvReason: "socket.io, engine.io, the Redis adapter and ioredis depend on `debug`, " +
      "which enumerates the whole environment at import time",
  },
  {
    name: "media",
    entry: "services/media/main.ts",
    port: 4009,
    // Its migrations, and the variant Web Worker's modules (Deno checks read access to a
    // worker's own module files; services/media/render/).
    reads: ["services/media/migrations", "services/media/render"],
    uses: { database: true, broker: true, objectStore: true },
    // services/media/config.ts (MEDIA_ENV_NAMES); fleet_test.ts checks the two agree.
    env: [
      ...SERVICE_ENV,
      "S3_ENDPOINT",
      "S3_PUBLIC_URL",
      "PUBLIC_URL",
      "CORS_ORIGINS",
      "S3_REGION",
      "S3_BUCKET",
      "S3_ACCESS_KEY_ID",
      "S3_SECRET_ACCESS_KEY",
      "MEDIA_UPLOAD_URL_SECONDS",
      "MEDIA_DOWNLOAD_URL_SECONDS",
      "MEDIA_PENDING_HOURS",
      "MEDIA_IMAGE_TYPES",
      "MEDIA_AVATAR_MAX_BYTES",
      "MEDIA_GIG_IMAGE_MAX_BYTES",
      "MEDIA_DELIVERY_MAX_BYTES",
      "MEDIA_CHAT_ATTACHMENT_MAX_BYTES",
      // The AWS SDK looks for its own settings (AWS_REGION, AWS_PROFILE, …) in the
      // environment even when the client is configured in full; they are allowed but unset.
      "AWS_*",
      // …and for ~/.aws/config through these (reading the file itself is refused: no --allow-read).
      "HOME",
      "USERPROFILE",
      "HOMEPATH",
      "HOMEDRIVE",
      // The recursion-detection middleware forwards a Lambda trace id when one is set.
      "_X_AMZN_TRACE_ID",
    ],
  },
  {
    name: "gateway",
    entry: "gateway/main.ts",
    port: 8000,
    metrics: {
      hostVariable: "GATEWAY_METRICS_HOST",
      portVariable: "GATEWAY_METRICS_PORT",
      port: 9100,
    },
    // The built web front end it serves at `/` (WEB_DIST_DIR; gateway/web.ts).
    reads: ["web/dist"],
    uses: {
      redis: true,
      upstreams: [
        "auth",
        "users",
        "gigs",
        "orders",
        "reviews",
        "notifications",
        "chat",
        "realtime",
        "media",
      ],
    },
    env: [
      "JWT_PRIVATE_JWK",
      "JWT_ISSUER",
      "JWT_AUDIENCE",
      "REDIS_URL",
      "AUTH_URL",
      "NOTIFICATIONS_URL",
      "USERS_URL",
      "GIGS_URL",
      "ORDERS_URL",
      "REVIEWS_URL",
      "CHAT_URL",
      "REALTIME_URL",
      "MEDIA_URL",
      "PUBLIC_URL",
      "CORS_ORIGINS",
      "BODY_LIMIT_BYTES",
      "UPSTREAM_TIMEOUT_MS",
      "TRUST_PROXY",
      "COOKIE_SECURE",
      "RATE_LIMIT_PREFIX",
      "RATE_LIMIT_PER_MINUTE",
      "RATE_LIMIT_SYNC_MS",
      "SIGNUP_LIMIT_PER_HOUR",
      "LOGIN_IP_LIMIT_PER_MINUTE",
      "LOGIN_FAILURES_PER_MINUTE",
      "FORGOT_IP_LIMIT_PER_HOUR",
      "FORGOT_EMAIL_LIMIT_PER_HOUR",
      "SIGNUP_EMAIL_LIMIT_PER_HOUR",
      "RESEND_VERIFICATION_IP_LIMIT_PER_HOUR",
      "RESEND_VERIFICATION_ACCOUNT_LIMIT_PER_HOUR",
      "CHANGE_PASSWORD_IP_LIMIT_PER_HOUR",
      "CHANGE_PASSWORD_ACCOUNT_LIMIT_PER_HOUR",
      "VERIFY_EMAIL_IP_LIMIT_PER_HOUR",
      "RESET_PASSWORD_IP_LIMIT_PER_HOUR",
      "ORDER_PLACEMENT_IP_LIMIT_PER_HOUR",
      "ORDER_PLACEMENT_ACCOUNT_LIMIT_PER_HOUR",
      "WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE",
      "WEBSOCKET_MAX_FRAME_BYTES",
      "WEB_DIST_DIR",
      "STRIPE_PUBLISHABLE_KEY",
      // The object store's public address: pages upload to it (the site's CSP names it).
      "S3_PUBLIC_URL",
      "LOG_LEVEL",
      "GATEWAY_METRICS_HOST",
      "GATEWAY_METRICS_PORT",
    ],
    bareEnvReason:
      "ioredis depends on `debug`, which enumerates the whole environment at import time",
  },
];

/**
 * Variables Deno's built-in OpenTelemetry reads. The runtime reads them itself
 * at start-up, before any permission applies, and exports over its own client:
 * a traced process needs neither `--allow-env` for them nor `--allow-net` for
 * the collector, so they are not part of any spec's `env` list.
 */
export const TRACING_ENV: readonly string[] = [
  "OTEL_DENO",
  "OTEL_SERVICE_NAME",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
];

/** How a traced process exports: an OTLP/HTTP collector and the encoding it takes. */
export interface TracingTarget {
  /** Base URL of the collector's OTLP/HTTP receiver (Deno posts to `<url>/v1/traces`). */
  endpoint: string;
  /** Default `http/protobuf` (Deno's default; an OpenTelemetry collector takes both). */
  protocol?: "http/protobuf" | "http/json";
}

/**
 * The variables that turn Deno's OpenTelemetry on for one process, naming its
 * spans after the process (`service.name`). Empty without a target.
 */
export function tracingEnv(name: ProcessName, target?: TracingTarget): Record<string, string> {
  if (!target) return {};
  return {
    OTEL_DENO: "true",
    OTEL_SERVICE_NAME: name,
    OTEL_EXPORTER_OTLP_ENDPOINT: target.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: target.protocol ?? "http/protobuf",
  };
}

/** The spec of one process; throws for an unknown name. */
export function processSpec(name: string): ProcessSpec {
  const spec = PROCESSES.find((p) => p.name === name);
  if (!spec) throw new Error(`unknown process "${name}" (known: ${PROCESS_NAMES.join(", ")})`);
  return spec;
}

/** Names of every process, in start order. */
export const PROCESS_NAMES: readonly ProcessName[] = PROCESSES.map((p) => p.name);

/** Processes that own a PostgreSQL database. */
export const DATABASE_SERVICES: readonly ProcessName[] = PROCESSES
  .filter((p) => p.uses.database).map((p) => p.name);

/**
 * The variables that tell a `deno run` process where to listen (empty for a
 * `deno serve` one, which gets `--host` and `--port`). The fleet and
 * docker-compose give it these.
 */
export function listenEnv(spec: ProcessSpec, host: string, port: number): Record<string, string> {
  return spec.runs
    ? { [spec.runs.hostVariable]: host, [spec.runs.portVariable]: String(port) }
    : {};
}

/**
 * The variables that tell a process with a `metrics` listener where to open it
 * (empty for the others, which answer `GET /metrics` on their own port).
 */
export function metricsEnv(
  spec: ProcessSpec,
  host: string,
  port = spec.metrics?.port,
): Record<string, string> {
  return spec.metrics
    ? { [spec.metrics.hostVariable]: host, [spec.metrics.portVariable]: String(port) }
    : {};
}

/** Upstream variable the gateway reads for each service it forwards to. */
export function upstreamVariable(name: ProcessName): string {
  return `${name.toUpperCase()}_URL`;
}

/** The payment mode in which orders moves no money and never contacts Stripe. */
export const LOCAL_TEST_PAYMENTS = "local_test";

/** The Stripe API when `STRIPE_API_URL` is not given. */
export const STRIPE_API_URL = "https://api.stripe.com";

/**
 * The payment mode a process that uses Stripe runs in, given its environment:
 * `PAYMENTS_MODE` when set; otherwise `stripe` if a Stripe secret key or webhook
 * secret is given, else `local_test`. So the fleet (tests, `deno task dev`)
 * runs without Stripe by default, and a real key is never paired with the test
 * mode (orders would refuse to start). Empty values count as unset, as in
 * shared/config.ts.
 */
export function paymentsMode(env: Record<string, string | undefined>): string {
  if (env.PAYMENTS_MODE) return env.PAYMENTS_MODE;
  return env.STRIPE_SECRET_KEY || env.STRIPE_WEBHOOK_SECRET ? "stripe" : LOCAL_TEST_PAYMENTS;
}

const DEFAULT_PORTS: Record<string, number> = {
  "postgres:": 5432,
  "postgresql:": 5432,
  "amqp:": 5672,
  "amqps:": 5671,
  "redis:": 6379,
  "rediss:": 6379,
  "smtp:": 25,
  "smtps:": 465,
  "http:": 80,
  "https:": 443,
};

/** `host:port` of a server URL (the form `--allow-net` takes), filling in the scheme's default port. */
export function hostPort(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol];
  if (!parsed.hostname || !port) throw new Error(`cannot tell host and port of ${redact(url)}`);
  return `${parsed.hostname}:${port}`;
}

/** A URL with its password replaced by `***`, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparsable URL>";
  }
}

/**
 * V8 flags of every process. `--max-semi-space-size` (MiB) bounds the young
 * generation: V8 otherwise grows it in steps under steady load up to 16 MiB per
 * semi-space (about 48 MiB held in all), so RSS kept creeping for minutes after
 * the load levelled off (the gateway held 39 → 81 MiB of heap for about 20 MiB
 * live in the soak benchmark). At 4 MiB a scavenge still takes well under a
 * millisecond for a service's short-lived request garbage.
 */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** Where one process listens and the servers it reaches: the inputs of `serveArgs`. */
export interface ServeTarget {
  /** Repository root as an absolute path (`/app` in the container). */
  root: string;
  /** Listen host (127.0.0.1 locally, 0.0.0.0 in a container). */
  host: string;
  /** Listen port. */
  port: number;
  /** Port of its `metrics` listener, if it has one. Default: the spec's. */
  metricsPort?: number;
  /** The process's own DATABASE_URL, for processes that use a database. */
  databaseUrl?: string;
  amqpUrl?: string;
  redisUrl?: string;
  smtpUrl?: string;
  /**
   * `PAYMENTS_MODE` of a process that uses Stripe. Unset (or empty) means
   * `stripe`, the service's own default; `local_test` grants no Stripe host.
   */
  paymentsMode?: string;
  /** `STRIPE_API_URL` of a process that uses Stripe. Default `https://api.stripe.com`. */
  stripeApiUrl?: string;
  /** `S3_ENDPOINT` of a process that uses the object store. */
  objectStoreUrl?: string;
  /** Base URL of each upstream process, for the gateway. */
  upstreams?: Partial<Record<ProcessName, string>>;
  /** Variables given beyond the spec's list (added to `--allow-env`). */
  extraEnv?: readonly string[];
}

/**
 * The arguments after `deno` that run one process:
 * `serve --host H --port P --v8-flags=... --allow-net=... --allow-env[=...] [--allow-read=...] <entry>`,
 * or for a process with `runs`, `run --v8-flags=... --allow-net=... --allow-env[=...] [--allow-read=...] <entry>`
 * (it listens on H:P from the variables of `listenEnv`, which its `--allow-net` names).
 * Throws when a server the process needs has no URL.
 */
export function serveArgs(spec: ProcessSpec, target: ServeTarget): string[] {
  const need = (url: string | undefined, what: string) => {
    if (!url) throw new Error(`${spec.name} needs ${what}`);
    return hostPort(url);
  };
  const net = [`${target.host}:${target.port}`];
  if (spec.metrics) net.push(`${target.host}:${target.metricsPort ?? spec.metrics.port}`);
  if (spec.uses.database) net.push(need(target.databaseUrl, "a database URL"));
  if (spec.uses.broker) net.push(need(target.amqpUrl, "an AMQP URL"));
  if (spec.uses.redis) net.push(need(target.redisUrl, "a Redis URL"));
  if (spec.uses.smtp) net.push(need(target.smtpUrl, "an SMTP URL"));
  if (spec.uses.objectStore) net.push(need(target.objectStoreUrl, "an object store URL"));
  if (spec.uses.stripe && target.paymentsMode !== LOCAL_TEST_PAYMENTS) {
    net.push(hostPort(target.stripeApiUrl || STRIPE_API_URL));
  }
  for (const upstream of spec.uses.upstreams ?? []) {
    net.push(need(target.upstreams?.[upstream], `the URL of ${upstream}`));
  }
  const env = spec.bareEnvReason
    ? "--allow-env"
    : `--allow-env=${unique([...spec.env, ...(target.extraEnv ?? [])]).join(",")}`;
  const root = target.root.replace(/\/+$/, "");
  const args = [
    ...(spec.runs ? ["run"] : ["serve", "--host", target.host, "--port", String(target.port)]),
    `--v8-flags=${V8_FLAGS.join(",")}`,
    `--allow-net=${unique(net).join(",")}`,
    env,
  ];
  if (spec.reads?.length) {
    args.push(`--allow-read=${spec.reads.map((path) => `${root}/${path}`).join(",")}`);
  }
  args.push(`${root}/${spec.entry}`);
  return args;
}

/** `true` when `name` is one of `patterns` (exact, or a `PREFIX*` wildcard). */
export function matchesEnv(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : p === name);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
