/**
 * A stand-in for the gateway, used by fleet_test.ts: it connects to Redis with
 * ioredis (the reason for its bare --allow-env) and reaches an upstream service
 * over HTTP, under the gateway's real permission flags.
 */
import { Redis } from "ioredis";
import { createServiceApp } from "@mp/shared/http";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";

const log = createLogger("gateway");
const redis = new Redis(Deno.env.get("REDIS_URL")!, { lazyConnect: true, maxRetriesPerRequest: 1 });
await redis.connect();
const { app, drain } = createServiceApp({
  log,
  readiness: { redis: async () => (await redis.ping()) === "PONG" },
});
app.get("/probe", async (c) => {
  const upstream = await fetch(`${Deno.env.get("AUTH_URL")}/probe`);
  const refused = async (attempt: () => unknown) => {
    try {
      await attempt();
      return false;
    } catch (error) {
      return error instanceof Deno.errors.NotCapable ||
        error instanceof Deno.errors.PermissionDenied;
    }
  };
  return c.json({
    upstream: await upstream.json(),
    refused: {
      // PostgreSQL: the gateway has no database.
      net: await refused(() => Deno.connect({ hostname: "127.0.0.1", port: 5432 })),
      read: await refused(() => Deno.readTextFile(new URL(import.meta.url))),
    },
  });
});
onShutdown({ log, drain, steps: [{ name: "redis", run: () => redis.quit() }] });

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
