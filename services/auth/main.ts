/**
 * Auth service process: its own part of the kit's start-up (shared/service.ts):
 * token lifetimes, the identity-key backfill and the password hasher. Run with
 * `deno serve` (see README.md for the exact permission flags); deploy.ts serves
 * the same handler with `Deno.serve`.
 */
import { env } from "@mp/shared/config";
import { startService } from "@mp/shared/service";
import { createApp } from "./app.ts";
import { backfillIdentityKeys } from "./identity_keys.ts";
import { createPasswordHasher } from "./password.ts";

export default await startService({
  name: "auth",
  env: {
    AUTH_REFRESH_TTL_DAYS: env.positiveInt(30),
    AUTH_VERIFY_TTL_HOURS: env.positiveInt(24),
    AUTH_RESET_TTL_MINUTES: env.positiveInt(60),
  },
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  setup: async ({ sql, log, onClose }) => {
    // Accounts from before migration 002 get their canonical keys before any lookup.
    await backfillIdentityKeys(sql, log);
    const hasher = createPasswordHasher();
    onClose("close password workers", () => hasher.close());
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
