/**
 * Checks real answers against the gateway's published OpenAPI document: an
 * answer of a documented route must have a documented status and a body that
 * its schema accepts (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
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

/** A checker for `document`; routes it does not describe pass. */
export function contractOf(document: Document): ContractCheck {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  // deno-lint-ignore no-explicit-any
  (addFormats as any)(ajv);
  ajv.addSchema({ components: document.components }, "doc");
  // A literal segment wins over a parameter (`/gigs/categories` before `/gigs/{id}`),
  // as in the services' routers, whatever order the document lists them in.
  const params = (template: string) => template.match(/\{[^}]+\}/g)?.length ?? 0;
  const routes = Object.entries(document.paths ?? {})
    .sort(([a], [b]) => params(a) - params(b))
    .map(([template, item]) => ({
      pattern: new RegExp(`^${template.replaceAll(/\{[^}]+\}/g, "[^/]+")}$`),
      // deno-lint-ignore no-explicit-any
      item: item as Record<string, any>,
    }));
  const problemAnswer = {
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
  };
  const rewrite = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
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
    const validate = ajv.compile(rewrite(schema) as object);
    if (validate(body)) return undefined;
    return `${method} ${bare} ${status}: ${ajv.errorsText(validate.errors)}`;
  };
}
