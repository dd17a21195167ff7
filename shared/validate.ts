/**
 * Request validation with zod, answering 400 problem+json that lists every
 * failing field as a JSON pointer. Schemas for bodies should be `z.strictObject`
 * so unknown fields (mass assignment) are rejected rather than dropped.
 *
 * Before any schema runs, every string (and object key) of the body, query or
 * path must keep the text rule of `text.ts`, so no field of any schema can let
 * NUL, a lone surrogate or a control character through to the database.
 */
import { routePath } from "hono/route";
import { validator } from "hono/validator";
import type { z } from "zod";
import { AppError, errors, type FieldError } from "./problem.ts";
import { textProblem } from "./text.ts";

/** Deepest nesting of arrays and objects a request may have; no schema of ours goes near it. */
export const MAX_DEPTH = 32;

const escapePointer = (key: string | number) =>
  String(key).replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * Field errors for every string or key of `value` that breaks the text rule
 * (multi-line form; single-line fields refuse more in their schema), and for
 * nesting deeper than `MAX_DEPTH`. Iterative, so no input can overflow the stack.
 */
export function textErrors(value: unknown, prefix = ""): FieldError[] {
  const found: FieldError[] = [];
  const stack: { value: unknown; pointer: string; depth: number }[] = [
    { value, pointer: prefix, depth: 0 },
  ];
  while (stack.length > 0 && found.length < 20) {
    const item = stack.pop()!;
    if (typeof item.value === "string") {
      const problem = textProblem(item.value, true);
      if (problem) found.push({ pointer: item.pointer || "/", detail: problem });
      continue;
    }
    if (item.value === null || typeof item.value !== "object") continue;
    if (item.depth >= MAX_DEPTH) {
      found.push({
        pointer: item.pointer || "/",
        detail: `Must not nest deeper than ${MAX_DEPTH}.`,
      });
      continue;
    }
    for (const [key, child] of Object.entries(item.value)) {
      const pointer = `${item.pointer}/${escapePointer(key)}`;
      const keyProblem = textProblem(key, false);
      if (keyProblem) found.push({ pointer, detail: `Field name: ${keyProblem}` });
      else stack.push({ value: child, pointer, depth: item.depth + 1 });
    }
  }
  return found;
}

/** Field errors (JSON pointers under `prefix`) for a zod error. */
export function toFieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  // zod 4 may add length checks on a value of the wrong type (an array for a
  // string); once the type is wrong, that is the only thing worth saying.
  const wrongType = new Set(
    error.issues.filter((i) => i.code === "invalid_type").map((i) => i.path.join("/")),
  );
  const issues = error.issues.filter((i) =>
    i.code === "invalid_type" || !wrongType.has(i.path.join("/"))
  );
  return issues.map((issue) => {
    // Unknown keys are reported on the object; point at each offending key instead.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        pointer: `${prefix}/${[...issue.path, key].join("/")}`,
        detail: "Unknown field.",
      }));
    }
    return [{ pointer: `${prefix}/${issue.path.join("/")}`, detail: issue.message }];
  }).flat();
}

/** Validates a value against a schema or throws a 400 validation problem. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = "",
): z.infer<S> {
  const badText = textErrors(value, prefix);
  if (badText.length > 0) throw errors.validation(badText);
  const result = schema.safeParse(value);
  if (!result.success) throw errors.validation(toFieldErrors(result.error, prefix));
  return result.data;
}

/** Where a validator reads: Hono's validation targets used here. */
export type ValidationTarget = "json" | "query" | "param";

/**
 * A validating middleware that carries its schema, so tools (the route-walking
 * test, docs) can read each route's fields from `app.routes` without a second
 * declaration.
 */
export type Validating<M> = M & {
  validation: { target: ValidationTarget; schema: z.ZodType };
};

const describe = <M extends object>(
  middleware: M,
  target: ValidationTarget,
  schema: z.ZodType,
): Validating<M> => Object.assign(middleware, { validation: { target, schema } });

/** A JSON media type (`application/json`, `application/*+json`), parameters allowed. */
export const JSON_CONTENT_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * Validates a JSON body. Answers 415 for a non-JSON content type, 400
 * `malformed_json` for unparsable JSON (Hono's validator parses first and throws;
 * `problemErrorHandler` names that case), 400 with field errors for a body the
 * schema rejects.
 */
export const jsonBody = <S extends z.ZodType>(schema: S) =>
  describe(
    validator("json", (value, c) => {
      if (!JSON_CONTENT_TYPE.test(c.req.header("content-type") ?? "")) {
        throw new AppError(415, "unsupported_media_type", "The body must be application/json.");
      }
      return parseOrThrow(schema, value) as z.infer<S>;
    }),
    "json",
    schema,
  );

const decodes = (raw: string) => {
  try {
    decodeURIComponent(raw);
    return true;
  } catch {
    return false;
  }
};
const NOT_UTF8 = "Must be percent-encoded UTF-8 text.";

/**
 * Refuses a query whose percent-encoding is not UTF-8: Hono keeps it (e.g. the
 * bytes of a lone surrogate, %ED%A0%80) as literal text, which is not text.
 */
export function throwOnBadQueryEncoding(url: string) {
  const search = new URL(url).search.slice(1);
  const bad = search.split("&").filter((pair) => pair && !decodes(pair.replaceAll("+", " ")));
  if (bad.length > 0) {
    throw errors.validation(bad.map((pair) => {
      const name = pair.split("=")[0];
      return {
        pointer: `#/${escapePointer(decodes(name) ? decodeURIComponent(name) : name)}`,
        detail: NOT_UTF8,
      };
    }));
  }
}

/** Refuses path parameters whose percent-encoding is not UTF-8. */
export function throwOnBadPathEncoding(url: string, routePath: string) {
  const segments = new URL(url).pathname.split("/");
  const bad = routePath.split("/").flatMap((part, i) =>
    part.startsWith(":") && segments[i] !== undefined && !decodes(segments[i])
      ? [{ pointer: `#/${part.slice(1).replace(/\{.*$/, "")}`, detail: NOT_UTF8 }]
      : []
  );
  if (bad.length > 0) throw errors.validation(bad);
}

/** Validates the query string (`#/name` pointers). */
export const queryParams = <S extends z.ZodType>(schema: S) =>
  describe(
    validator("query", (value, c) => {
      throwOnBadQueryEncoding(c.req.url);
      return parseOrThrow(schema, value, "#") as z.infer<S>;
    }),
    "query",
    schema,
  );

/** Validates path parameters (`#/name` pointers). */
export const pathParams = <S extends z.ZodType>(schema: S) =>
  describe(
    validator("param", (value, c) => {
      throwOnBadPathEncoding(c.req.url, routePath(c));
      return parseOrThrow(schema, value, "#") as z.infer<S>;
    }),
    "param",
    schema,
  );
