/**
 * Routes that validate and describe themselves: `apiRoute` declares a route for
 * `@hono/zod-openapi` (body, query, path, responses, bearer) and adds the
 * kit's checks that run before the schemas, so the behaviour stays that of
 * `validate.ts`: 415 for a non-JSON body, 400 `malformed_json`, the text rule
 * on every string, then 400 with `errors[].pointer` per failing field.
 * `serveOpenApi` publishes the service's OpenAPI 3.1 document.
 */
import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Hook } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { z } from "zod";
import { AppError, errors, PROBLEM_CONTENT_TYPE } from "./problem.ts";
import {
  JSON_CONTENT_TYPE,
  textErrors,
  throwOnBadPathEncoding,
  throwOnBadQueryEncoding,
  toFieldErrors,
} from "./validate.ts";

/** The body of every error answer (RFC 9457), as `shared/problem.ts` builds it. */
export const ProblemSchema = z.object({
  type: z.string().meta({ description: "Always `about:blank`." }),
  title: z.string().meta({ description: "The HTTP status phrase." }),
  status: z.number().int().meta({ description: "The HTTP status code." }),
  code: z.string().meta({
    description: "Stable machine-readable code, e.g. `validation_failed`, `not_found`.",
  }),
  detail: z.string().meta({ description: "What went wrong, for a person." }),
  errors: z.array(z.object({
    pointer: z.string().meta({
      description: "JSON pointer to the field: `/name` in the body, `#/name` in query or path.",
    }),
    detail: z.string(),
  })).optional().meta({ description: "Each failing field (400 `validation_failed` only)." }),
}).passthrough().openapi("Problem");

const PROBLEM_TEXT: Record<number, string> = {
  400: "Invalid input: `malformed_json`, or `validation_failed` with `errors[]`.",
  401: "Missing, invalid or expired access token.",
  403: "The caller may not do this.",
  404: "Not found (or not the caller's).",
  409: "The current state does not allow it.",
  413: "The body is too large.",
  415: "The body is not `application/json`.",
  422: "The request is well-formed but cannot be carried out.",
  429: "Too many requests.",
  502: "A payment provider failed.",
  503: "A dependency is unavailable; retry later.",
};

/** A documented problem answer for `status`. */
export const problemResponse = (status: number, description = PROBLEM_TEXT[status]) => ({
  description: description ?? "Error.",
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

/** A documented JSON answer. */
export const jsonResponse = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body. */
export const jsonRequest = <S extends z.ZodType>(schema: S, description?: string) => ({
  required: true as const,
  ...(description ? { description } : {}),
  content: { "application/json": { schema } },
});

type Request = RouteConfig["request"];

const jsonSchemaOf = (request: Request) => {
  const media = request?.body?.content?.["application/json"];
  return media && "schema" in media ? media.schema : undefined;
};

// Hono's query value: one string per name, an array when repeated.
const queryValue = (queries: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(queries).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));

/**
 * The checks that run before a route's schemas: content type, JSON syntax, the
 * text rule and percent-encoding. The schemas then run in `@hono/zod-openapi`'s
 * validators, whose failures `validationHook` turns into field errors.
 */
function guard(request: Request): MiddlewareHandler {
  return async (c, next) => {
    if (request?.params) {
      throwOnBadPathEncoding(c.req.url, routePath(c));
      const bad = textErrors(c.req.param(), "#");
      if (bad.length > 0) throw errors.validation(bad);
    }
    if (request?.query) {
      throwOnBadQueryEncoding(c.req.url);
      const bad = textErrors(queryValue(c.req.queries()), "#");
      if (bad.length > 0) throw errors.validation(bad);
    }
    if (jsonSchemaOf(request)) {
      if (!JSON_CONTENT_TYPE.test(c.req.header("content-type") ?? "")) {
        throw new AppError(415, "unsupported_media_type", "The body must be application/json.");
      }
      let body: unknown;
      try {
        body = await c.req.json(); // cached: the validator reads the same value
      } catch {
        throw new AppError(400, "malformed_json", "The body is not valid JSON.");
      }
      const bad = textErrors(body);
      if (bad.length > 0) throw errors.validation(bad);
    }
    await next();
  };
}

/** `defaultHook` of every service app: a schema failure is a 400 listing each field. */
// deno-lint-ignore no-explicit-any
export const validationHook: Hook<unknown, any, any, unknown> = (result) => {
  if (!result.success) {
    throw errors.validation(toFieldErrors(result.error, result.target === "json" ? "" : "#"));
  }
};

/** What `apiRoute` adds to `createRoute`'s configuration. */
export interface ApiRouteOptions {
  /** The route needs `Authorization: Bearer <access token>` (documents 401). */
  bearer?: boolean;
  /** Problem statuses the route itself answers (400/401/415 are added when they apply). */
  problems?: number[];
}

/**
 * `createRoute` plus the kit: the checks before the schemas, the bearer
 * requirement and the problem answers the route can give, so the document
 * lists every status.
 */
export function apiRoute<R extends RouteConfig>(config: R & ApiRouteOptions): R {
  const { bearer, problems = [], ...route } = config;
  const validates = Boolean(route.request?.body || route.request?.query || route.request?.params);
  const statuses = new Set([
    ...(validates ? [400] : []),
    ...(bearer ? [401] : []),
    ...(jsonSchemaOf(route.request) ? [415] : []),
    ...problems,
  ]);
  const own = route.middleware ? [route.middleware].flat() : [];
  return createRoute({
    ...route,
    ...(bearer ? { security: [{ bearer: [] }] } : {}),
    middleware: [guard(route.request), ...own],
    responses: {
      ...route.responses,
      ...Object.fromEntries([...statuses].sort().map((s) => [s, problemResponse(s)])),
    },
  } as unknown as R);
}

/** Description of a service for its document. */
export interface DocumentInfo {
  title: string;
  version?: string;
  description?: string;
}

// deno-lint-ignore no-explicit-any
type AnyOpenAPIHono = OpenAPIHono<any, any, any>;

/** Builds the service's OpenAPI 3.1 document from its routes. */
export function openApiDocument(app: AnyOpenAPIHono, info: DocumentInfo) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from `POST /api/v1/auth/login` or `/refresh`.",
  });
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { version: "1.0.0", ...info },
  });
}

/** Serves the service's OpenAPI 3.1 document at `GET /openapi.json` (built once). */
export function serveOpenApi(app: AnyOpenAPIHono, info: DocumentInfo): void {
  let document: unknown;
  app.get("/openapi.json", (c) => c.json(document ??= openApiDocument(app, info)));
}

/**
 * Lets an `apiRoute` handler return a Response built outside Hono's typed
 * `c.json` (e.g. `idempotentJson`'s stored or fresh answer). The handler type of
 * `@hono/zod-openapi` accepts only typed answers once a route documents its
 * bodies; the body still has to match the document, which the end-to-end
 * contract check (e2e/contract.ts) verifies on every real answer.
 */
export const untypedAnswer = (response: Response): never => response as never;
