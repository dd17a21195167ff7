/**
 * Users service process: its own part of the kit's start-up (shared/service.ts).
 * Run with `deno serve` (see README.md for the exact permission flags);
 * deploy.ts serves the same handler with `Deno.serve`.
 */
import { startService } from "@mp/shared/service";
import { migrateMediaRefs } from "@mp/shared/media_refs";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";

export default await startService({
  name: "users",
  migrations: new URL("./migrations/", import.meta.url),
  // The replica of avatars the users uploaded (shared/media_refs.ts), from media.uploaded.
  setup: ({ sql }) => migrateMediaRefs(sql, new URL("./migrations/", import.meta.url)),
  publishes: true,
  consumes: ({ sql, log }) => createEventHandlers({ sql, log }),
  createApp: ({ sql, log, verifier, readiness }) => createApp({ sql, log, verifier, readiness }),
}) satisfies Deno.ServeDefaultExport;
