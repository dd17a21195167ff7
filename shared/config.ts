/**
 * Validated configuration, read once at start-up.
 *
 * A service describes its variables as a zod object keyed by variable name; a
 * missing or malformed variable stops start-up with a message naming it.
 */
import { z } from "zod";

/** Thrown when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses `env` (by default the process environment) against `shape`.
 * Only the variables named in `shape` are read, so a process can be started with
 * `--allow-env=<those names>`.
 *
 * @throws {ConfigError} naming every missing or invalid variable.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = readEnv(Object.keys(shape)),
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
  );
}

function readEnv(names: string[]): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = Deno.env.get(name);
    // An empty variable counts as unset, so `FOO=` falls back to the default.
    values[name] = value === "" ? undefined : value;
  }
  return values;
}

/** Reusable field types for config schemas. */
export const env = {
  /** A TCP port number. */
  port: (fallback?: number) => {
    const port = z.coerce.number().int().min(1).max(65535);
    return fallback === undefined ? port : port.default(fallback);
  },
  /** An absolute URL with one of the given schemes. */
  url: (schemes: string[]) =>
    z.string().url().refine(
      (value) => schemes.includes(new URL(value).protocol.replace(":", "")),
      { message: `must be a ${schemes.join(" or ")} URL` },
    ),
  /** A positive integer (durations, counts). */
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  /** "true"/"false"/"1"/"0". */
  flag: (fallback: boolean) =>
    z.enum(["true", "false", "1", "0"]).default(fallback ? "true" : "false")
      .transform((value) => value === "true" || value === "1"),
};

/**
 * The variables every service reads: its own database, the broker, the events
 * exchange, the gateway's public keys and the log level. Spread it into a
 * service's shape: `loadConfig({ ...serviceEnvShape, MY_VAR: … })`.
 */
export const serviceEnvShape = {
  // The service's own login role and database: both must be in the URL, or
  // npm:postgres would fall back to PGUSER/PGDATABASE and the OS user name.
  DATABASE_URL: env.url(["postgres", "postgresql"]).refine((value) => {
    const url = new URL(value);
    return url.username !== "" && url.pathname.length > 1;
  }, { message: "must name the user and the database" }),
  AMQP_URL: env.url(["amqp", "amqps"]).default("amqp://guest:guest@127.0.0.1:5672"),
  EVENTS_EXCHANGE: z.string().min(1).default("marketplace"),
  JWT_JWKS: z.string().min(1),
  JWT_ISSUER: z.string().min(1).default("marketplace-gateway"),
  JWT_AUDIENCE: z.string().min(1).default("marketplace"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
};
