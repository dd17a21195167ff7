/**
 * Checks real answers against the gateway's published OpenAPI document: an
 * answer of a documented route must have a documented status and a body that
 * its schema accepts (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses).
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

// deno-lint-ignore no-explicit-any
type Document = Record<string, any>;

/** Why `body` (answered `status` to `method path`) breaks the document, or undefined. */
export type ContractCheck = (
  method: string,
  path: string,
  status: number,
  type: string,
  body: unknown,
) => string | undefined;

// Documented once in the document's description rather than on every route.
const GATEWAY_STATUSES = new Set([413, 429, 502, 503, 504]);

// The gateway refuses a path spelled otherwise than canonically before any route runs.
const isPathRefusal = (status: number, body: unknown) =>
  status === 400 && (body as { code?: string })?.code === "path_not_canonical";

// deno-lint-ignore no-explicit-any
type Schema = any;

/**
 * The schema with its `$ref`s to components inlined, each `allOf` of objects
 * (what `.extend()` produces) merged into one object, and every object that
 * lists its properties closed to others (`additionalProperties: false` unless
 * it says otherwise): a field the code sends that the document does not name is
 * drift too. The Problem schema says `additionalProperties` itself (problems
 * may carry extension members).
 */
function closed(schema: Schema, components: Document, depth = 0): Schema {
  if (depth > 32) throw new Error("the document's schemas nest deeper than 32 (a cycle?)");
  const walk = (value: Schema) => closed(value, components, depth + 1);
  if (Array.isArray(schema)) return schema.map(walk);
  if (!schema || typeof schema !== "object") return schema;
  const ref = typeof schema.$ref === "string" &&
    schema.$ref.match(/^#\/components\/schemas\/(.+)$/);
  if (ref) {
    const { $ref: _, ...siblings } = schema;
    return walk({ ...components.schemas?.[ref[1]], ...siblings });
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    // Property names are data, not schemas: only their values are walked.
    out[key] = key === "properties"
      ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, walk(v)]))
      : walk(value);
  }
  if (Array.isArray(out.allOf) && out.allOf.every((part: Schema) => part.properties)) {
    const { allOf, ...rest } = out;
    const merged: Schema = {
      ...rest,
      type: "object",
      properties: Object.assign({}, ...allOf.map((part: Schema) => part.properties)),
      required: [...new Set(allOf.flatMap((part: Schema) => part.required ?? []))],
    };
    const open = allOf.find((part: Schema) => part.additionalProperties !== false);
    if (open && "additionalProperties" in open) {
      merged.additionalProperties = open.additionalProperties;
    }
    return { ...merged, additionalProperties: merged.additionalProperties ?? false };
  }
  if (out.properties && !("additionalProperties" in out)) out.additionalProperties = false;
  return out;
}

/** A checker for `document`; routes it does not describe pass. */
export function contractOf(document: Document): ContractCheck {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  // deno-lint-ignore no-explicit-any
  (addFormats as any)(ajv);
  // A literal segment wins over a parameter (`/gigs/categories` before `/gigs/{id}`),
  // as in the services' routers, whatever order the document lists them in.
  const params = (template: string) => template.match(/\{[^}]+\}/g)?.length ?? 0;
  const routes = Object.entries(document.paths ?? {})
    .sort(([a], [b]) => params(a) - params(b))
    .map(([template, item]) => ({
      template,
      pattern: new RegExp(`^${template.replaceAll(/\{[^}]+\}/g, "[^/]+")}$`),
      // deno-lint-ignore no-explicit-any
      item: item as Record<string, any>,
    }));
  // One compiled validator per documented answer, not one per call.
  const compiled = new Map<string, ValidateFunction>();
  const problemAnswer = {
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
  };
  return (method, path, status, type, body) => {
    const bare = path.split("?")[0];
    const route = routes.find((r) => r.pattern.test(bare));
    const operation = route?.item[method.toLowerCase()];
    if (!operation) return undefined;
    // The gateway's own answers (limits, body size, upstream trouble) are problems on any route.
    const response = operation.responses?.[String(status)] ??
      (GATEWAY_STATUSES.has(status) || isPathRefusal(status, body) ? problemAnswer : undefined);
    if (!response) return `${method} ${bare}: status ${status} is not documented`;
    const media = type.split(";")[0].trim();
    const schema = response.content?.[media]?.schema;
    if (!response.content) {
      return body === null || body === ""
        ? undefined
        : `${method} ${bare} ${status}: body not documented`;
    }
    if (!schema) return `${method} ${bare} ${status}: ${media} is not documented`;
    const key = `${method} ${route!.template} ${status} ${media}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(closed(schema, document.components ?? {}));
      compiled.set(key, validate);
    }
    if (validate(body)) return undefined;
    const extra = validate.errors?.map((e) => e.params?.additionalProperty).filter(Boolean);
    const names = extra?.length ? ` (${extra.join(", ")})` : "";
    return `${method} ${bare} ${status}: ${ajv.errorsText(validate.errors)}${names}`;
  };
}
