/**
 * Configuration of the orders service, read once at start-up (see README.md,
 * "Environment"). Besides the per-variable checks of shared/config.ts, the
 * payment mode has cross-field rules: `stripe` needs a secret key and a webhook
 * secret; `local_test` (no money moves) refuses to start when a Stripe key is
 * set, so a real deployment can never run in it by accident.
 */
import { ConfigError, env, loadConfig, serviceEnvShape } from "@mp/shared/config";
import { z } from "zod";

const DAY_MS = 86_400_000;

/** A non-negative number of days; fractions allowed (tests use seconds' worth). */
const days = (fallback: number) => z.coerce.number().min(0).max(3650).default(fallback);
const bps = (fallback: number) => z.coerce.number().int().min(0).max(10_000).default(fallback);

/** Every variable the service reads, by name (also its `--allow-env` list, with the PG* ones). */
export const CONFIG_SHAPE = {
  // User and database in the URL: npm:postgres would otherwise look for them in
  // PGUSER/PGDATABASE and the OS user, which the permission flags do not allow.
  ...serviceEnvShape,
  PUBLIC_URL: env.url(["http", "https"]).default("http://localhost:8000"),
  PAYMENTS_MODE: z.enum(["stripe", "local_test"]).default("stripe"),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, {
    message: "must be a Stripe secret or restricted key (sk_… or rk_…)",
  }).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_\S+$/, {
    message: "must be a webhook signing secret (whsec_…)",
  }).optional(),
  STRIPE_API_URL: env.url(["http", "https"]).optional(),
  BUYER_FEE_BPS: bps(550),
  BUYER_FEE_FIXED: z.coerce.number().int().min(0).max(100_000).default(100),
  PLATFORM_COMMISSION_BPS: bps(2000),
  AUTO_COMPLETE_DAYS: days(3),
  CLEARING_DAYS: days(14),
  SCHEDULER_POLL_MS: env.positiveInt(5_000),
};

/** The variable names `CONFIG_SHAPE` reads. */
export const CONFIG_NAMES: readonly string[] = Object.keys(CONFIG_SHAPE);

/** Parsed configuration plus derived values. */
export type OrdersConfig = z.infer<z.ZodObject<typeof CONFIG_SHAPE>> & {
  autoCompleteMs: number;
  clearingMs: number;
};

/**
 * Reads and checks the configuration.
 * @throws ConfigError naming each problem.
 */
export function readConfig(
  source?: Record<string, string | undefined>,
): OrdersConfig {
  const config = source === undefined
    ? loadConfig(CONFIG_SHAPE)
    : loadConfig(CONFIG_SHAPE, normalise(source));
  const problems: string[] = [];
  if (config.PAYMENTS_MODE === "stripe") {
    if (!config.STRIPE_SECRET_KEY) {
      problems.push("STRIPE_SECRET_KEY: required when PAYMENTS_MODE is stripe");
    }
    if (!config.STRIPE_WEBHOOK_SECRET) {
      problems.push("STRIPE_WEBHOOK_SECRET: required when PAYMENTS_MODE is stripe");
    }
  } else if (config.STRIPE_SECRET_KEY || config.STRIPE_WEBHOOK_SECRET) {
    problems.push(
      "PAYMENTS_MODE: local_test (no money moves) cannot be used while a Stripe key or webhook secret is set",
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...config,
    autoCompleteMs: Math.round(config.AUTO_COMPLETE_DAYS * DAY_MS),
    clearingMs: Math.round(config.CLEARING_DAYS * DAY_MS),
  };
}

/** `host:port` of the Stripe API the process talks to (for `--allow-net`). */
export function stripeHostPort(apiUrl: string | undefined): string {
  const url = new URL(apiUrl ?? "https://api.stripe.com");
  return `${url.hostname}:${url.port || (url.protocol === "http:" ? 80 : 443)}`;
}

// As loadConfig does for the process environment: an empty variable counts as unset.
function normalise(source: Record<string, string | undefined>) {
  const out: Record<string, string | undefined> = {};
  for (const name of CONFIG_NAMES) out[name] = source[name] === "" ? undefined : source[name];
  return out;
}
