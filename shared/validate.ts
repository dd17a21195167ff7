/**
 * Request validation with zod, answering 400 problem+json that lists every
 * failing field as a JSON pointer. Schemas for bodies should be `z.strictObject`
 * so unknown fields (mass assignment) are rejected rather than dropped.
 */
import { validator } from "hono/validator";
import type { z } from "zod";
import { AppError, errors, type FieldError } from "./problem.ts";

function toFieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
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
  const result = schema.safeParse(value);
  if (!result.success) throw errors.validation(toFieldErrors(result.error, prefix));
  return result.data;
}

/**
 * Validates a JSON body. Answers 415 for a non-JSON content type, 400
 * `malformed_json` for unparsable JSON (Hono's validator parses first and throws;
 * `problemErrorHandler` names that case), 400 with field errors for a body the
 * schema rejects.
 */
export const jsonBody = <S extends z.ZodType>(schema: S) =>
  validator("json", (value, c) => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
      throw new AppError(415, "unsupported_media_type", "The body must be application/json.");
    }
    return parseOrThrow(schema, value) as z.infer<S>;
  });

/** Validates the query string (`#/name` pointers). */
export const queryParams = <S extends z.ZodType>(schema: S) =>
  validator("query", (value) => parseOrThrow(schema, value, "#") as z.infer<S>);

/** Validates path parameters (`#/name` pointers). */
export const pathParams = <S extends z.ZodType>(schema: S) =>
  validator("param", (value) => parseOrThrow(schema, value, "#") as z.infer<S>);
