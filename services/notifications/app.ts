/**
 * HTTP surface of the notifications service: the caller's own in-app
 * notifications (list, mark one read, mark all read) plus `/livez` and `/readyz`.
 * Every route under /api/v1 needs a valid access token, and every query is scoped
 * to the caller, so another user's notification answers 404 exactly like an
 * unknown id.
 */
import { isDbReady, type Sql } from "@mp/shared/db";
import { createServiceApp } from "@mp/shared/http";
import { type AuthVariables, requireAuth, type TokenVerifier } from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import { apiRoute, jsonResponse, serveOpenApi } from "@mp/shared/openapi";
import { errors } from "@mp/shared/problem";
import { z } from "zod";
import { listNotifications, markAllRead, markRead } from "./store.ts";

/** Largest page a client may ask for. */
export const MAX_LIMIT = 50;
/** Deepest page a client may ask for; deeper offsets only cost the database. */
export const MAX_PAGE = 10_000;
const DEFAULT_LIMIT = 20;

/** Dependencies of `createApp`. */
export interface AppDeps {
  sql: Sql;
  verifier: TokenVerifier;
  log: Logger;
  /** The event bus, for readiness. */
  bus: { isConnected(): boolean };
}

// Query values arrive as strings; digits only, so "1e3", " 5" or "-1" are 400 too.
const positiveInt = (max: number) =>
  z.string().regex(/^\d{1,9}$/, "Must be a positive whole number.").transform(Number)
    .pipe(z.number().int().min(1).max(max));

const listQuery = z.strictObject({
  page: positiveInt(MAX_PAGE).optional(),
  limit: positiveInt(MAX_LIMIT).optional(),
  unread: z.enum(["true", "false"]).optional(),
});

const idParam = z.object({ id: z.uuid({ message: "Must be a notification id (UUID)." }) });

const Notification = z.object({
  id: z.uuid(),
  type: z.string().meta({
    description: "What happened, e.g. `welcome`, `order_placed`, `order_delivered`.",
  }),
  title: z.string().meta({ description: "Short headline." }),
  body: z.string().meta({ description: "One or two sentences of plain text." }),
  link: z.string().nullable().meta({
    description: "Path in the web app (`/orders/{orderId}`), or null for account events.",
  }),
  createdAt: z.iso.datetime().meta({ description: "When it was created (UTC)." }),
  readAt: z.iso.datetime().nullable().meta({
    description: "When the caller first marked it read; null while unread.",
  }),
}).openapi("Notification");

const NotificationPage = z.object({
  items: z.array(Notification).meta({ description: "Newest first." }),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int().meta({ description: "How many the filter matches over all pages." }),
  unreadCount: z.number().int().meta({
    description: "The caller's unread notifications, whatever the filter.",
  }),
}).openapi("NotificationPage");

const tags = ["notifications"];

const listRoute = apiRoute({
  method: "get",
  path: "/api/v1/notifications",
  tags,
  summary: "List the caller's in-app notifications",
  bearer: true,
  request: { query: listQuery },
  responses: { 200: jsonResponse(NotificationPage, "One page of notifications.") },
});

const readAllRoute = apiRoute({
  method: "post",
  path: "/api/v1/notifications/read-all",
  tags,
  summary: "Mark every notification of the caller read",
  bearer: true,
  responses: { 204: { description: "Done (also when nothing was unread)." } },
});

const readRoute = apiRoute({
  method: "post",
  path: "/api/v1/notifications/{id}/read",
  tags,
  summary: "Mark one notification read (keeps the first read time)",
  bearer: true,
  problems: [404],
  request: { params: idParam },
  responses: { 204: { description: "Marked read." } },
});

/** The app and its drain (for graceful shutdown). */
export type NotificationsApp = ReturnType<typeof createServiceApp<{ Variables: AuthVariables }>>;

/** Builds the app; `drain` is for graceful shutdown. */
export function createApp(deps: AppDeps): NotificationsApp {
  const { sql, verifier, log, bus } = deps;
  const { app, drain } = createServiceApp<{ Variables: AuthVariables }>({
    log,
    readiness: { database: () => isDbReady(sql), broker: () => bus.isConnected() },
  });

  app.use("/api/v1/*", requireAuth(verifier));

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const page = query.page ?? 1;
    const limit = query.limit ?? DEFAULT_LIMIT;
    const result = await listNotifications(sql, c.get("caller").userId, {
      page,
      limit,
      unreadOnly: query.unread === "true",
    });
    return c.json({
      items: result.items,
      page,
      limit,
      total: result.total,
      unreadCount: result.unreadCount,
    }, 200);
  });

  // Declared before `/:id/read` only for readability: the shapes cannot collide.
  app.openapi(readAllRoute, async (c) => {
    await markAllRead(sql, c.get("caller").userId);
    return c.body(null, 204);
  });

  app.openapi(readRoute, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await markRead(sql, c.get("caller").userId, id))) {
      throw errors.notFound("No such notification.");
    }
    return c.body(null, 204);
  });

  serveOpenApi(app, { title: "Notifications", description: "The caller's in-app notifications." });
  return { app, drain };
}
