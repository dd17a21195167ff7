/**
 * A stand-in for a service, used by fleet_test.ts to prove the fleet's spawning
 * and a service's real permission flags: it wires the shared kit as a service
 * does (config, PostgreSQL with migrations, RabbitMQ, health routes, graceful
 * shutdown) and reports which forbidden things it was refused.
 */
import { z } from "zod";
import { EventBus } from "@mp/shared/bus";
import { env, loadConfig } from "@mp/shared/config";
import { connectDb, isDbReady, migrate } from "@mp/shared/db";
import { createServiceApp } from "@mp/shared/http";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";

const config = loadConfig({
  DATABASE_URL: env.url(["postgres", "postgresql"]),
  AMQP_URL: env.url(["amqp", "amqps"]),
  EVENTS_EXCHANGE: z.string().min(1),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});
// The database is named <prefix>_<service>.
const service = new URL(config.DATABASE_URL).pathname.split("_").at(-1) ?? "stand_in";
const log = createLogger(service, config.LOG_LEVEL);
const sql = connectDb(config.DATABASE_URL, { max: 2 });
const applied = await migrate(sql, new URL("./migrations/", import.meta.url));
log.info("migrated", { applied });
const bus = new EventBus({ url: config.AMQP_URL, exchange: config.EVENTS_EXCHANGE, service, log });
await bus.start();

const { app, drain } = createServiceApp({
  log,
  readiness: { database: () => isDbReady(sql), broker: () => bus.isConnected() },
});
app.get("/probe", async (c) => {
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
    service,
    user: (await sql<{ user: string }[]>`select current_user as user`)[0].user,
    refused: {
      env: await refused(() => Deno.env.get("HOME")),
      read: await refused(() => Deno.readTextFile(new URL(import.meta.url))),
      write: await refused(() => Deno.writeTextFile("/tmp/stand_in_probe", "x")),
      // Redis: a server this service has no business with.
      net: await refused(() => Deno.connect({ hostname: "127.0.0.1", port: 6379 })),
      run: await refused(() => new Deno.Command("true").output()),
    },
  });
});

onShutdown({
  log,
  drain,
  steps: [
    { name: "broker", run: () => bus.close() },
    { name: "database", run: () => sql.end({ timeout: 5 }) },
  ],
});

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
