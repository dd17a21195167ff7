/**
 * The edge's variables (shared/config.ts: only these are read, each validated;
 * a bad one stops start-up naming it). No DATABASE_URL: the edge has no database.
 */
import { env, loadConfig, serviceEnvShape } from "@mp/shared/config";
import { z } from "zod";

const { AMQP_URL, EVENTS_EXCHANGE, JWT_JWKS, JWT_ISSUER, JWT_AUDIENCE, LOG_LEVEL } =
  serviceEnvShape;

/** Every variable with its default (README.md, "Configuration"). */
export const realtimeEnv = {
  REALTIME_HOST: z.string().min(1).default("127.0.0.1"),
  REALTIME_PORT: env.port(4008),
  REDIS_URL: env.url(["redis", "rediss"]).default("redis://127.0.0.1:6379"),
  REDIS_PREFIX: z.string().regex(/^[\w.:-]{0,64}$/).default(""),
  AMQP_URL,
  EVENTS_EXCHANGE,
  JWT_JWKS,
  JWT_ISSUER,
  JWT_AUDIENCE,
  LOG_LEVEL,
  TYPING_THROTTLE_MS: env.positiveInt(1000),
  PRESENCE_GRACE_MS: env.positiveInt(5000),
  PRESENCE_TTL_MS: z.coerce.number().int().min(300).default(30_000),
  REALTIME_MAX_FRAME_BYTES: z.coerce.number().int().min(1024).default(16 * 1024),
};

/** The validated configuration. */
export type RealtimeConfig = z.infer<z.ZodObject<typeof realtimeEnv>>;

/** Names of the variables read, for `--allow-env` lists and tests. */
export const REALTIME_ENV_NAMES = Object.keys(realtimeEnv);

/** Reads the configuration from `env` (default: the process environment). */
export function readConfig(env?: Record<string, string | undefined>): RealtimeConfig {
  return loadConfig(realtimeEnv, env);
}
