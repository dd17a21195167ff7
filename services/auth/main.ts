/**
 * Auth service process: its own part of the kit's start-up (shared/service.ts):
 * token lifetimes, the identity-key backfill and the password hasher. Run with
 * `deno serve` (see README.md for the exact permission flags); deploy.ts serves
 * the same handler with `Deno.serve`.
 */
import { z } from "zod";
import { env } from "@mp/shared/config";
import { scrapeGauge } from "@mp/shared/metrics";
import { startService } from "@mp/shared/service";
import { createApp } from "./app.ts";
import { backfillIdentityKeys } from "./identity_keys.ts";
import { createPasswordHasher } from "./password.ts";

// What the hashing governor allows now: below the cap, it is yielding to the rest.
const hashDuty = scrapeGauge(
  "auth_hash_duty_ratio",
  "Share of wall time each password hash worker may spend hashing now",
);

const percent = (fallback: number) => z.coerce.number().int().min(1).max(100).default(fallback);

export default await startService({
  name: "auth",
  env: {
    AUTH_REFRESH_TTL_DAYS: env.positiveInt(30),
    AUTH_VERIFY_TTL_HOURS: env.positiveInt(24),
    AUTH_RESET_TTL_MINUTES: env.positiveInt(60),
    // Cost of new password hashes (README, Secrets): OWASP's argon2id settings
    // start at m=7 MiB t=5; lower memory needs more passes.
    AUTH_ARGON2_MEMORY_KIB: z.coerce.number().int().min(7_168).default(7_168),
    AUTH_ARGON2_ITERATIONS: z.coerce.number().int().min(1).max(10).default(5),
    // How much CPU hashing may take beside everything else (hash_governor.ts).
    AUTH_HASH_MAX_DUTY_PERCENT: percent(25),
    AUTH_HASH_MIN_DUTY_PERCENT: percent(5),
    AUTH_HASH_LAG_LIMIT_MS: env.positiveInt(10),
    AUTH_HASH_MAX_WAIT_MS: env.positiveInt(1_000),
  },
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  setup: async ({ sql, log, onClose, config }) => {
    // Accounts from before migration 002 get their canonical keys before any lookup.
    await backfillIdentityKeys(sql, log);
    const hasher = createPasswordHasher({
      argon2: {
        memoryKiB: config.AUTH_ARGON2_MEMORY_KIB,
        iterations: config.AUTH_ARGON2_ITERATIONS,
      },
      maxWaitMs: config.AUTH_HASH_MAX_WAIT_MS,
      governor: {
        maxDuty: config.AUTH_HASH_MAX_DUTY_PERCENT / 100,
        minDuty: config.AUTH_HASH_MIN_DUTY_PERCENT / 100,
        lagLimitMs: config.AUTH_HASH_LAG_LIMIT_MS,
      },
    });
    const stopGauge = hashDuty.add(() => hasher.state().duty);
    onClose("close password workers", () => {
      stopGauge();
      hasher.close();
    });
    return { hasher };
  },
  createApp: ({ sql, hasher, log, verifier, readiness, config }) =>
    createApp({
      sql,
      hasher,
      log,
      verifier,
      readiness,
      lifetimes: {
        refreshMs: config.AUTH_REFRESH_TTL_DAYS * 86_400_000,
        verifyEmailMs: config.AUTH_VERIFY_TTL_HOURS * 3_600_000,
        resetPasswordMs: config.AUTH_RESET_TTL_MINUTES * 60_000,
      },
    }),
}) satisfies Deno.ServeDefaultExport;
