/**
 * The real fleet for a benchmark: every process under its real flags
 * (scripts/fleet.ts) on free ports, with its own exchange, databases, Redis
 * key prefix and a real SMTP server for the notifications service. `close()`
 * stops it and removes everything it created, as the end-to-end tests do.
 */
import amqp from "amqplib";
import { Redis } from "ioredis";
import { startSmtpCapture } from "@mp/shared/testing";
import {
  dropDatabases,
  type Fleet,
  type LogLevel,
  PROCESS_NAMES,
  type ProcessName,
  startFleet,
} from "../scripts/fleet.ts";
import { amqpUrl, redisUrl } from "./machine.ts";

/** A running fleet owned by one benchmark. */
export interface BenchFleet {
  fleet: Fleet;
  /** The pid of each process, for CPU accounting. */
  pids(): Record<string, number | undefined>;
  /** The realtime edge's REDIS_PREFIX (its keys and adapter channel; chat reads presence under it). */
  realtimePrefix: string;
  /** Signs a user up through the gateway; resolves with the access token. */
  signup(username: string, password: string): Promise<{ accessToken: string; userId: string }>;
  close(): Promise<void>;
}

/** Options of `startBenchFleet`. */
export interface BenchFleetOptions {
  logLevel: LogLevel;
  /** Extra environment per process (e.g. raised gateway limits). */
  env?: Partial<Record<ProcessName, Record<string, string>>>;
  /** Start only these processes (default: all). */
  only?: readonly ProcessName[];
}

/** Starts the fleet for the benchmark `name`. */
export async function startBenchFleet(
  name: string,
  options: BenchFleetOptions,
): Promise<BenchFleet> {
  const id = crypto.randomUUID().slice(0, 8);
  const prefix = `bench_${name}_${id}`;
  const exchange = `bench.${name}.${id}`;
  const rateLimitPrefix = `rl:${prefix}:`;
  // The realtime edge's keys and adapter channel, and where chat reads presence.
  const realtimePrefix = `rt:${prefix}:`;
  const smtp = await startSmtpCapture();
  let fleet: Fleet;
  try {
    fleet = await startFleet({
      ports: "free",
      smtpUrl: smtp.url,
      exchange,
      databasePrefix: prefix,
      logLevel: options.logLevel,
      only: options.only,
      env: {
        ...options.env,
        gateway: { RATE_LIMIT_PREFIX: rateLimitPrefix, ...options.env?.gateway },
        realtime: { REDIS_PREFIX: realtimePrefix, ...options.env?.realtime },
        chat: {
          CHAT_PRESENCE_KEY_PREFIX: `${realtimePrefix}realtime:online:`,
          ...options.env?.chat,
        },
      },
    });
  } catch (error) {
    await smtp.close();
    await cleanUp(exchange, prefix, rateLimitPrefix, realtimePrefix);
    throw error;
  }
  return {
    fleet,
    realtimePrefix,
    pids: () => Object.fromEntries(fleet.names.map((n) => [n, fleet.pid(n)])),
    async signup(username, password) {
      const response = await fetch(`${fleet.gatewayUrl}/api/v1/auth/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: `${username}@example.com`, username, password }),
      });
      const body = await response.json();
      if (response.status !== 201) {
        throw new Error(`signup ${username}: ${response.status} ${JSON.stringify(body)}`);
      }
      return { accessToken: body.accessToken, userId: body.user.id };
    },
    async close() {
      await fleet.stop();
      await smtp.close();
      await cleanUp(exchange, prefix, rateLimitPrefix, realtimePrefix);
    },
  };
}

async function cleanUp(
  exchange: string,
  prefix: string,
  rateLimitPrefix: string,
  realtimePrefix: string,
) {
  // Each consuming service declared `<exchange>.<service>` (and its .dlq).
  await deleteBrokerObjects(exchange, PROCESS_NAMES.map((s) => `${exchange}.${s}`));
  await dropDatabases({ prefix });
  await deleteRedisKeys(`${rateLimitPrefix}*`);
  await deleteRedisKeys(`${realtimePrefix}*`);
}

/** Deletes the queues (and their dead-letter queues) and the exchanges of one run. */
export async function deleteBrokerObjects(exchange: string, queues: readonly string[]) {
  const connection = await amqp.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    channel.on("error", () => {});
    for (const queue of queues) {
      await channel.deleteQueue(queue).catch(() => {});
      await channel.deleteQueue(`${queue}.dlq`).catch(() => {});
    }
    await channel.deleteExchange(exchange).catch(() => {});
    await channel.deleteExchange(`${exchange}.dlx`).catch(() => {});
  } finally {
    await connection.close().catch(() => {});
  }
}

async function deleteRedisKeys(pattern: string) {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
