/**
 * The API reference: `GET /api/v1/openapi.json` merges the OpenAPI 3.1
 * documents the services serve at `/openapi.json`, keeping only the paths the
 * route table sends to that service; `GET /docs` is Swagger UI, its script and
 * styles served from the swagger-ui-dist package (no CDN) under a CSP that
 * allows only them and the document.
 */
import type { Context, MiddlewareHandler } from "hono";
import bundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };
import css from "swagger-ui-dist/swagger-ui.css" with { type: "text" };
import type { Logger } from "@mp/shared/log";
import { problem } from "@mp/shared/problem";
import { findRoute, type Upstream } from "./routes.ts";
import { describeGatewaySessions } from "./session_docs.ts";

/** Path of the merged document. */
export const DOCUMENT_PATH = "/api/v1/openapi.json";

// deno-lint-ignore no-explicit-any
type Document = Record<string, any>;

// Swagger UI's CSS draws its icons as data: SVGs; everything else comes from here.
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Marketplace API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `SwaggerUIBundle({ url: "${DOCUMENT_PATH}", dom_id: "#ui", docExpansion: "list",
  deepLinking: true, validatorUrl: null, defaultModelsExpandDepth: 0 });
`;

/**
 * Merges service documents: paths the route table gives to their service, all
 * components; then what the gateway itself changes on auth's routes (session_docs.ts).
 */
export function mergeDocuments(documents: Map<string, Document>): Document {
  const merged: Document = {
    openapi: "3.1.0",
    info: {
      title: "Marketplace API",
      version: "1.0.0",
      description: "Every public route, as the services declare them. Errors are " +
        "`application/problem+json` (RFC 9457); the gateway may also answer 400 " +
        "`path_not_canonical` (a path not in canonical form), 429 " +
        "(rate limits, with `Retry-After`), 413 (body too large) and 502/503/504 " +
        "(a service unreachable or slow).",
    },
    paths: {},
    components: { schemas: {}, securitySchemes: {} },
  };
  for (const [service, document] of documents) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const concrete = path.replaceAll(/\{[^}]+\}/g, "x");
      if (findRoute(concrete)?.service !== service) continue;
      merged.paths[path] = item;
    }
    for (const [kind, entries] of Object.entries(document.components ?? {})) {
      merged.components[kind] = { ...merged.components[kind], ...(entries as Document) };
    }
  }
  return describeGatewaySessions(merged);
}

/** Options of `apiDocs`. */
export interface ApiDocsOptions {
  upstreams: ReadonlyMap<string, Upstream>;
  timeoutMs: number;
  log: Logger;
}

/** Handlers of the merged document and of the docs page and its assets. */
export function apiDocs(options: ApiDocsOptions) {
  const { upstreams, timeoutMs, log } = options;
  let cached: Document | undefined;

  async function fetchDocuments() {
    const documents = new Map<string, Document>();
    await Promise.all([...upstreams.values()].map(async (upstream) => {
      try {
        const res = await fetch(`${upstream.replicas.pick()}/openapi.json`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (res.ok) documents.set(upstream.name, await res.json());
        else await res.body?.cancel();
      } catch (error) {
        log.warn("openapi document unavailable", { upstream: upstream.name, error });
      }
    }));
    return documents;
  }

  const document: MiddlewareHandler = async (c) => {
    if (cached) return c.json(cached);
    const documents = await fetchDocuments();
    if (documents.size === 0) {
      return problem(503, "upstream_unavailable", "No service document could be read.");
    }
    const merged = mergeDocuments(documents);
    // Kept once every service answered; a partial document is served but fetched again.
    if (documents.size === upstreams.size) cached = merged;
    return c.json(merged);
  };

  const asset = (body: string, type: string) => (c: Context) => {
    c.header("content-security-policy", DOCS_CSP);
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    c.header("cache-control", "public, max-age=3600");
    c.header("content-type", type);
    return c.body(body);
  };

  return {
    document,
    page: asset(PAGE, "text/html; charset=utf-8"),
    bundle: asset(bundle, "text/javascript; charset=utf-8"),
    css: asset(css, "text/css; charset=utf-8"),
    init: asset(INIT, "text/javascript; charset=utf-8"),
  };
}
