/**
 * The fleet for a benchmark that reads the fleet's mail: as `startBenchFleet`
 * (fleet.ts), every process under its real flags on free ports with its own
 * exchange, databases and Redis key prefixes, but mailing to a `MailSink`
 * (arrival times, the catcher's JSON list for `seed()`) instead of a plain
 * capture. `close()` stops it and removes what it created: queues, exchanges,
 * databases and roles, the gateway's rate-limit keys and the gigs caches.
 */
import { Redis } from "ioredis";
import {
  dropDatabases,
  type Fleet,
  type LogLevel,
  PROCESS_NAMES,
  type ProcessName,
  startFleet,
} from "../scripts/fleet.ts";
import { deleteBrokerObjects } from "./fleet.ts";
import { redisUrl } from "./machine.ts";
import { type MailSink, startMailSink } from "./mail_sink.ts";

/** A running fleet with its mail sink. */
export interface MailFleet {
  fleet: Fleet;
  mail: MailSink;
  /** Key prefix of the gigs service's caches (`GIGS_REDIS_PREFIX`). */
  gigsRedisPrefix: string;
  /** The pid of each process, for CPU accounting. */
  pids(): Record<string, number | undefined>;
  close(): Promise<void>;
}

/** Starts the fleet for the benchmark `name`; `env` adds to each process's environment. */
export async function startMailFleet(
  name: string,
  options: { logLevel: LogLevel; env?: Partial<Record<ProcessName, Record<string, string>>> },
): Promise<MailFleet> {
  const id = crypto.randomUUID().slice(0, 8);
  const prefix = `bench_${name}_${id}`;
  const exchange = `bench.${name}.${id}`;
  const redisPrefixes = [`rl:${prefix}:`, `gigs:${prefix}:`];
  const [rateLimitPrefix, gigsRedisPrefix] = redisPrefixes;
  const mail = startMailSink();
  const cleanUp = async () => {
    await mail.close();
    // Each consuming service declared `<exchange>.<service>` (and its .dlq).
    await deleteBrokerObjects(exchange, PROCESS_NAMES.map((s) => `${exchange}.${s}`));
    await dropDatabases({ prefix });
    await deleteRedisKeys(redisPrefixes);
  };
  let fleet: Fleet;
  try {
    fleet = await startFleet({
      ports: "free",
      smtpUrl: mail.smtpUrl,
      exchange,
      databasePrefix: prefix,
      logLevel: options.logLevel,
      env: {
        ...options.env,
        gateway: { RATE_LIMIT_PREFIX: rateLimitPrefix, ...options.env?.gateway },
        gigs: { GIGS_REDIS_PREFIX: gigsRedisPrefix, ...options.env?.gigs },
      },
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return {
    fleet,
    mail,
    gigsRedisPrefix,
    pids: () => Object.fromEntries(fleet.names.map((n) => [n, fleet.pid(n)])),
    async close() {
      await fleet.stop();
      await cleanUp();
    },
  };
}

/** Deletes every Redis key under each of `prefixes`. */
async function deleteRedisKeys(prefixes: readonly string[]) {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    for (const prefix of prefixes) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
}
