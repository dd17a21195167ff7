/**
 * Starting a service is one call: `startService()` reads the configuration,
 * opens the pool, migrates, connects the bus, starts the outbox relay, retention
 * and consumers, builds the app and installs graceful shutdown, always in the
 * same order and with the same step names. A service's `main.ts` says only what
 * is its own:
 *
 * ```ts
 * export default await startService({
 *   name: "reviews",
 *   env: { REVIEW_WINDOW_DAYS: env.positiveInt(30) },
 *   migrations: new URL("./migrations/", import.meta.url),
 *   publishes: true,
 *   consumes: ({ sql, log }) => createEventHandlers({ sql, log }),
 *   createApp: (kit) => createApp({ ...kit, reviewWindowMs: kit.config.REVIEW_WINDOW_DAYS * DAY }),
 * });
 * ```
 *
 * Every service answers `GET /metrics` on its own port (shared/metrics.ts); a
 * consuming service's metrics include its queue's lag and dead-letter depth
 * (shared/queue_metrics.ts).
 *
 * Start-up order: config → pool → migrate → `setup` (own resources) → bus →
 * consumers → outbox relay → retention → `start` (own workers) → app.
 * Shutdown order: drain → stop consuming → own workers → retention → outbox
 * relay → broker → queue-metrics probe → own connections → database.
 */
import type { z } from "zod";
import { EventBus, type EventHandler } from "./bus.ts";
import { ConfigError, loadConfig, serviceEnvShape } from "./config.ts";
import { connectDb, isDbReady, migrate, type Sql } from "./db.ts";
import type { Drain, ReadinessCheck } from "./http.ts";
import { idempotencyMigration } from "./idempotency.ts";
import { inboxMigration } from "./inbox.ts";
import { createTokenVerifier, type TokenVerifier } from "./jwt.ts";
import { onShutdown, type ShutdownStep } from "./lifecycle.ts";
import { createLogger, type Logger } from "./log.ts";
import { startRuntimeMetrics } from "./metrics.ts";
import { outboxMigration, OutboxRelay } from "./outbox.ts";
import { watchQueues } from "./queue_metrics.ts";
import { RetentionJob } from "./retention.ts";

/** The variables the kit itself reads (see `serviceEnvShape`). */
export type KitConfig = z.infer<z.ZodObject<typeof serviceEnvShape>>;

/** What the kit hands to a service's own code. */
export interface ServiceKit<C> {
  config: C;
  log: Logger;
  /** The service's pool. */
  sql: Sql;
  /** The bus (already started in `start` and `createApp`; not yet in `setup`). */
  bus: EventBus;
  /** Verifies the gateway's access tokens (JWT_JWKS, JWT_ISSUER, JWT_AUDIENCE). */
  verifier: TokenVerifier;
  /** `database` and `broker`, for `/readyz`. */
  readiness: Record<string, ReadinessCheck>;
  /** A worker's stop, run on shutdown after the consumers stop (scheduler, mail sender). */
  onStop(name: string, run: ShutdownStep["run"]): void;
  /** A connection's close, run on shutdown after the broker closes, before the database. */
  onClose(name: string, run: ShutdownStep["run"]): void;
}

/** Options of `startService`. `O` is what `setup` returns: the service's own resources. */
export interface ServiceOptions<S extends z.ZodRawShape, C extends KitConfig, O> {
  /** Names the logger and the service's queue. */
  name: string;
  /** The service's own variables, added to `serviceEnvShape` (or use `readConfig`). */
  env?: S;
  /** Reads the whole configuration itself (cross-field rules); throws `ConfigError`. */
  readConfig?: () => C;
  /** The service's `migrations/` folder; `false`: the service has no database. */
  migrations: URL | false;
  /** `false`: the service has no broker (then it neither publishes nor consumes). */
  broker?: false;
  /** Writes events through the outbox: adds its table and runs the relay. */
  publishes?: boolean;
  /** The service's event handlers: adds the inbox table and consumes on its queue. */
  consumes?: (kit: ServiceKit<C> & O) => Record<string, EventHandler>;
  /** Adds the Idempotency-Key table. */
  idempotency?: boolean;
  /** Own resources, after migrating and before the bus (a cache the consumers use). */
  setup?: (kit: ServiceKit<C>) => Promise<O> | O;
  /** Own workers, started after consumers, relay and retention (a scheduler). */
  start?: (kit: ServiceKit<C> & O) => Promise<void> | void;
  /** Builds the app; the kit serves its `fetch` and drains it on shutdown. */
  createApp: (kit: ServiceKit<C> & O) => { app: ServiceHandler; drain: Drain };
}

/** What `deno serve` and `deploy.ts` serve. */
export interface ServiceHandler {
  fetch: (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
}

/**
 * Reads the configuration with `read`; on a `ConfigError` logs one line naming
 * each bad variable and exits with 1 (no stack trace).
 */
export async function configOrExit<C>(name: string, read: () => C | Promise<C>): Promise<C> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger(name).error("invalid configuration", { problems: error.problems });
    Deno.exit(1);
  }
}

/** Starts a service (see the module comment for the order of steps). */
export async function startService<
  S extends z.ZodRawShape = Record<never, never>,
  C extends KitConfig = KitConfig & z.infer<z.ZodObject<S>>,
  O = Record<never, never>,
>(options: ServiceOptions<S, C, O>): Promise<ServiceHandler> {
  const { name } = options;
  const { migrations } = options;
  const hasBroker = options.broker !== false;
  if (!hasBroker && (options.publishes || options.consumes)) {
    throw new Error(`${name}: publishing or consuming events needs the broker`);
  }
  const { config, verifier } = await configOrExit(name, () => {
    const config = options.readConfig?.() ??
      loadConfig(kitShape(migrations !== false, hasBroker, options.env ?? {})) as C;
    return { config, verifier: tokenVerifier(config) };
  });
  const log = createLogger(name, config.LOG_LEVEL);
  // Event-loop delay for GET /metrics (createServiceApp serves it on the service's port).
  startRuntimeMetrics();

  const sql = migrations ? connectDb(config.DATABASE_URL) : undefined;
  if (sql && migrations) {
    const shared = [
      ...(options.publishes ? [outboxMigration] : []),
      ...(options.consumes ? [inboxMigration] : []),
      ...(options.idempotency ? [idempotencyMigration] : []),
    ];
    const applied = await migrate(sql, migrations, shared);
    log.info("migrated", { applied });
  }
  const bus = hasBroker
    ? new EventBus({ url: config.AMQP_URL, exchange: config.EVENTS_EXCHANGE, service: name, log })
    : undefined;

  const workers: ShutdownStep[] = [];
  const connections: ShutdownStep[] = [];
  const readiness: Record<string, ReadinessCheck> = {};
  if (sql) readiness.database = () => isDbReady(sql);
  if (bus) readiness.broker = () => bus.isConnected();
  const base: ServiceKit<C> = {
    config,
    log,
    get sql() {
      return sql ?? absent(name, "database");
    },
    get bus() {
      return bus ?? absent(name, "broker");
    },
    verifier,
    readiness,
    onStop: (name, run) => workers.push({ name, run }),
    onClose: (name, run) => connections.push({ name, run }),
  };
  const kit = Object.defineProperties(
    { ...(await options.setup?.(base)) },
    Object.getOwnPropertyDescriptors(base),
  ) as ServiceKit<C> & O;

  await bus?.start();
  if (bus && options.consumes) await bus.consume(options.consumes(kit));
  // Consumer lag and dead-letter depth for GET /metrics, read from the broker at each
  // scrape on a connection of the probe's own (after consume() declared the queues).
  const stopQueueMetrics = bus && options.consumes
    ? watchQueues({ url: config.AMQP_URL, queue: bus.queue, deadLetterQueue: bus.deadLetterQueue })
    : undefined;
  // The relay has a connection of its own, so its batches never wait behind requests.
  const relayDb = options.publishes ? connectDb(config.DATABASE_URL, { max: 1 }) : undefined;
  const relay = bus && relayDb && new OutboxRelay({ sql: relayDb, bus, log });
  await relay?.start();
  // Prunes whichever of outbox, inbox and idempotency tables the database has.
  const retention = sql && new RetentionJob({ sql, log });
  retention?.start();
  await options.start?.(kit);

  const { app, drain } = options.createApp(kit);
  onShutdown({
    log,
    drain,
    steps: [
      ...(bus && options.consumes
        ? [{ name: "stop consuming", run: () => bus.stopConsuming() }]
        : []),
      ...workers,
      ...(retention ? [{ name: "stop retention job", run: () => retention.stop() }] : []),
      ...(relay
        ? [{
          name: "stop outbox relay",
          run: async () => {
            await relay.stop();
            await relayDb!.end({ timeout: 5 });
          },
        }]
        : []),
      ...(bus ? [{ name: "close broker", run: () => bus.close() }] : []),
      ...(stopQueueMetrics ? [{ name: "stop queue metrics", run: stopQueueMetrics }] : []),
      ...connections,
      ...(sql ? [{ name: "close database", run: () => sql.end({ timeout: 5 }) }] : []),
    ],
  });
  log.info("started", { name });
  return { fetch: (request, info) => app.fetch(request, info) };
}

// The kit's variables a service needs: no DATABASE_URL without a database, no
// AMQP_URL or EVENTS_EXCHANGE without a broker (only named variables are read).
function kitShape(database: boolean, broker: boolean, own: z.ZodRawShape): z.ZodRawShape {
  const { DATABASE_URL, AMQP_URL, EVENTS_EXCHANGE, ...always } = serviceEnvShape;
  return {
    ...always,
    ...(database ? { DATABASE_URL } : {}),
    ...(broker ? { AMQP_URL, EVENTS_EXCHANGE } : {}),
    ...own,
  };
}

function absent(service: string, what: string): never {
  throw new Error(`${service} was started without a ${what} (startService options)`);
}

// A malformed JWT_JWKS is a configuration error like any other.
function tokenVerifier(config: KitConfig): TokenVerifier {
  try {
    return createTokenVerifier({
      jwks: config.JWT_JWKS,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
  } catch (error) {
    throw new ConfigError([`JWT_JWKS: ${error instanceof Error ? error.message : error}`]);
  }
}
