/**
 * Every route of every service, read from the services' own code: each app is
 * built by its real `createApp` with real connections to the fleet's databases,
 * broker and Redis (none of them used: only the routes are read). A route's
 * schemas come from its `apiRoute` declaration (the same one its OpenAPI
 * document is built from), or, for routes still on `shared/validate.ts`, from
 * the schemas its validators carry. A route added later is found here without
 * editing anything.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import { EventBus } from "@mp/shared/bus";
import { connectDb, type Sql } from "@mp/shared/db";
import { createTokenVerifier } from "@mp/shared/jwt";
import { quietLogger } from "@mp/shared/testing";
import type { Validating, ValidationTarget } from "@mp/shared/validate";
import { createApp as authApp } from "../services/auth/app.ts";
import { createApp as chatApp, DEFAULT_LIMITS as CHAT_LIMITS } from "../services/chat/app.ts";
import { createPasswordHasher } from "../services/auth/password.ts";
import { createApp as gigsApp } from "../services/gigs/app.ts";
import { connectRedis } from "@mp/shared/redis";
import { createGigCache } from "../services/gigs/cache.ts";
import { createApp as notificationsApp } from "../services/notifications/app.ts";
import { createApp as ordersApp } from "../services/orders/app.ts";
import { localTestPayments } from "../services/orders/payments.ts";
import { createApp as reviewsApp } from "../services/reviews/app.ts";
import { createApp as usersApp } from "../services/users/app.ts";
import { createApp as mediaApp } from "../services/media/app.ts";
import { ObjectStore } from "../services/media/object_store.ts";
import { DEFAULT_RULES } from "../services/media/purposes.ts";
import type { Fleet, ProcessName } from "../scripts/fleet.ts";

/** One public route of a service and the schemas its validators apply. */
export interface ServiceRoute {
  service: ProcessName;
  method: string;
  /** Hono path, e.g. `/api/v1/orders/:id/deliveries`. */
  path: string;
  schemas: Partial<Record<ValidationTarget, z.ZodType>>;
}

// deno-lint-ignore no-explicit-any
type AnyApp = OpenAPIHono<any, any, any>;

function routesOf(service: ProcessName, app: AnyApp): ServiceRoute[] {
  const found = new Map<string, ServiceRoute>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const { method, path, request } = definition.route;
    const media = request?.body?.content?.["application/json"];
    const json = media && "schema" in media ? media.schema : undefined;
    const schemas: ServiceRoute["schemas"] = {
      ...(json ? { json: json as z.ZodType } : {}),
      ...(request?.query ? { query: request.query as z.ZodType } : {}),
      ...(request?.params ? { param: request.params as z.ZodType } : {}),
    };
    const honoPath = path.replaceAll(/\{(\w+)\}/g, ":$1");
    const upper = method.toUpperCase();
    found.set(`${upper} ${honoPath}`, { service, method: upper, path: honoPath, schemas });
  }
  const declared = new Set(found.keys());
  for (const entry of app.routes) {
    // Middleware (`use`) is registered as ALL; only /api is routed by the gateway.
    if (entry.method === "ALL" || !entry.path.startsWith("/api/")) continue;
    const key = `${entry.method} ${entry.path}`;
    if (declared.has(key)) continue;
    const route = found.get(key) ??
      { service, method: entry.method, path: entry.path, schemas: {} };
    const validation = (entry.handler as Partial<Validating<unknown>>).validation;
    if (validation) route.schemas[validation.target] = validation.schema;
    found.set(key, route);
  }
  return [...found.values()];
}

/** The routes of every service of `fleet`; `close` ends the connections it opened. */
export function serviceRoutes(
  fleet: Fleet,
  options: { redisUrl?: string; amqpUrl?: string } = {},
): { routes: ServiceRoute[]; close(): Promise<void> } {
  const log = quietLogger("route-walk");
  const verifier = createTokenVerifier({
    jwks: fleet.keys.jwks,
    issuer: "marketplace-gateway",
    audience: "marketplace",
  });
  const connections: Sql[] = [];
  const sqlOf = (service: ProcessName) => {
    const sql = connectDb(fleet.databaseUrls[service]!, { max: 1 });
    connections.push(sql);
    return sql;
  };
  const hasher = createPasswordHasher({ workers: 1 });
  const redis = connectRedis(options.redisUrl ?? "redis://127.0.0.1:6379", log, {
    keyPrefix: "route-walk:",
  });
  const store = fleet.objectStore;
  const objects = store &&
    new ObjectStore({
      endpoint: store.url,
      region: "us-east-1",
      bucket: store.bucket ?? "media",
      accessKeyId: store.accessKeyId,
      secretAccessKey: store.secretAccessKey,
    });
  const apps: [ProcessName, AnyApp][] = [
    [
      "auth",
      authApp({
        sql: sqlOf("auth"),
        hasher,
        verifier,
        log,
        lifetimes: { refreshMs: 86_400_000, verifyEmailMs: 3_600_000, resetPasswordMs: 3_600_000 },
      }).app,
    ],
    ["users", usersApp({ sql: sqlOf("users"), verifier, log }).app],
    [
      "gigs",
      gigsApp({
        sql: sqlOf("gigs"),
        cache: createGigCache({ redis, log, detailTtlSeconds: 1, searchTtlSeconds: 1 }),
        verifier,
        log,
      }).app,
    ],
    [
      "orders",
      ordersApp({
        sql: sqlOf("orders"),
        verifier,
        log,
        // The fleet runs orders in local test payment mode too: the same routes.
        payments: localTestPayments(),
        fees: { buyerFeeBps: 0, buyerFeeFixed: 0, commissionBps: 0 },
        settings: { autoCompleteMs: 86_400_000, clearingMs: 86_400_000 },
        publicUrl: fleet.publicUrl,
      }).app,
    ],
    ["reviews", reviewsApp({ sql: sqlOf("reviews"), verifier, log, reviewWindowMs: 1 }).app],
    [
      "chat",
      chatApp({
        sql: sqlOf("chat"),
        verifier,
        log,
        limits: { ...CHAT_LIMITS, mailDelayMs: CHAT_LIMITS.mailDelayMinutes * 60_000 },
      }).app,
    ],
    [
      "notifications",
      notificationsApp({
        sql: sqlOf("notifications"),
        verifier,
        log,
        bus: new EventBus({
          url: options.amqpUrl ?? "amqp://guest:guest@127.0.0.1:5672",
          exchange: fleet.exchange,
          service: "notifications",
          log,
        }),
      }).app,
    ],
    ...(objects
      ? [[
        "media",
        mediaApp({
          sql: sqlOf("media"),
          verifier,
          log,
          objects,
          rules: DEFAULT_RULES,
          uploadUrlSeconds: 60,
          downloadUrlSeconds: 60,
        }).app,
      ] as [ProcessName, AnyApp]]
      : []),
  ];
  return {
    routes: apps.flatMap(([service, app]) => routesOf(service, app)),
    async close() {
      hasher.close();
      redis.disconnect();
      objects?.close();
      await Promise.all(connections.map((sql) => sql.end({ timeout: 1 })));
    },
  };
}
