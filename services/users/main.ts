/**
 * Users service process: its own part of the kit's start-up (shared/service.ts).
 * Run with `deno serve` (see README.md for the exact permission flags);
 * deploy.ts serves the same handler with `Deno.serve`.
 */
import { startService } from "@mp/shared/service";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";

export default await startService({
  name: "users",
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  consumes: ({ sql, log }) => createEventHandlers({ sql, log }),
  createApp: ({ sql, log, verifier, readiness }) => createApp({ sql, log, verifier, readiness }),
}) satisfies Deno.ServeDefaultExport;
