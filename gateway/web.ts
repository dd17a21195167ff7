/**
 * The web front end: the gateway serves the built single-page app (web/dist, made
 * by `npm run build` in web/) at `/`.
 *
 * - `/assets/*` are Vite's content-hashed files: cached for a year, immutable.
 * - Other files at the top of the folder (e.g. favicon.svg) are served with
 *   `no-cache` (their names carry no hash).
 * - Every other GET of a client route that accepts HTML (a person opening
 *   `/verify-email?token=…` from a mail, or reloading any page) gets index.html,
 *   `no-cache`, and React Router draws the page. `/` always gets it.
 * - The API and the gateway's own paths (/api, /socket.io/, /docs, /.well-known,
 *   /livez, /readyz) are never the front end's.
 * - Files are looked up per request (a rebuild needs no restart) inside the folder
 *   only: the canonical path rule already refuses dot segments, and the resolved
 *   real path must still lie inside the folder (no symlink leads out). The process
 *   needs `--allow-read` on that folder only.
 * - Without a built folder (or without the permission to read it) the gateway
 *   still serves the API; `/` and client routes answer a 503 problem.
 * - With STRIPE_PUBLISHABLE_KEY, index.html gets
 *   `<meta name="stripe-publishable-key" content="pk_…">` before `</head>` and
 *   the site's CSP allows Stripe.js (see {@link siteCsp}); without it both are
 *   unchanged. A meta tag rather than an API route: index.html is `no-cache`,
 *   so a page always carries the key the gateway has now (never a cached or
 *   build-time one), and checkout needs no extra request or API contract for it.
 */
import type { Context, MiddlewareHandler } from "hono";
import { problem } from "@mp/shared/problem";
import { rawPath } from "./canonical_path.ts";

/** Path prefixes that belong to the gateway and the API, never to the front end. */
export const NOT_WEB_PREFIXES = [
  "/api/",
  "/socket.io/",
  "/docs/",
  "/.well-known/",
] as const;
const NOT_WEB_EXACT = new Set(["/api", "/socket.io", "/docs", "/.well-known", "/livez", "/readyz"]);

/** Whether `path` (raw, canonical) may be a page or a file of the front end. */
export function isWebPath(path: string): boolean {
  if (NOT_WEB_EXACT.has(path)) return false;
  return !NOT_WEB_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/**
 * What Stripe.js (and the Payment Element's iframes) need, per Stripe's
 * documented CSP: its script, its frames (js.stripe.com, 3-D Secure via
 * hooks.stripe.com) and its API. The address autocomplete's Google Maps
 * sources are left out: the site does not use the Address Element.
 */
export const STRIPE_CSP = {
  script: ["https://js.stripe.com", "https://*.js.stripe.com"],
  frame: ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
  connect: ["https://api.stripe.com"],
} as const;

/**
 * The site's content-security policy: scripts, styles and connections to its own
 * origin only (plus WebSocket to the public host, for /socket.io/), images from
 * itself, https: and data:, never framed. With `stripe` (a publishable key is
 * configured) Stripe.js's script, frames and API are allowed too.
 */
export function siteCsp(publicUrl: string, options: { stripe?: boolean } = {}): string {
  const host = new URL(publicUrl).host;
  const stripe = options.stripe === true;
  const plus = (list: readonly string[]) => stripe ? ` ${list.join(" ")}` : "";
  return [
    "default-src 'self'",
    `script-src 'self'${plus(STRIPE_CSP.script)}`,
    "style-src 'self'",
    `connect-src 'self' ws://${host} wss://${host}${plus(STRIPE_CSP.connect)}`,
    ...(stripe ? [`frame-src ${STRIPE_CSP.frame.join(" ")}`] : []),
    "img-src 'self' https: data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  avif: "image/avif",
  gif: "image/gif",
  ico: "image/x-icon",
  woff2: "font/woff2",
  woff: "font/woff",
  txt: "text/plain; charset=utf-8",
  webmanifest: "application/manifest+json",
};

/** The content type for a file name (by its extension). */
export function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return (dot >= 0 && CONTENT_TYPES[name.slice(dot + 1).toLowerCase()]) ||
    "application/octet-stream";
}

export const IMMUTABLE = "public, max-age=31536000, immutable";
export const NO_CACHE = "no-cache";

/** Options of {@link webFrontEnd}. */
export interface WebOptions {
  /** The built folder (WEB_DIST_DIR), absolute or relative to the working directory. */
  dir: string;
  /** PUBLIC_URL: its host is allowed for WebSocket connections in the CSP. */
  publicUrl: string;
  /** STRIPE_PUBLISHABLE_KEY: put in index.html; Stripe.js is allowed by the CSP. */
  stripePublishableKey?: string;
}

/** index.html with the publishable key's meta tag before `</head>` (or at the top). */
export function withPublishableKey(html: string, key: string): string {
  const safe = key.replace(/[^A-Za-z0-9_]/g, ""); // config.ts allows only these already
  const meta = `<meta name="stripe-publishable-key" content="${safe}">`;
  const at = html.search(/<\/head>/i);
  if (at >= 0) return html.slice(0, at) + meta + html.slice(at);
  const doctype = html.match(/^<!doctype[^>]*>/i)?.[0] ?? "";
  return doctype + meta + html.slice(doctype.length);
}

/**
 * The front end's two middlewares. `headers` wraps the gateway's secure headers
 * (install it where they go): a file or page the front end served gets the
 * site's CSP instead of the API's, every other answer (a 404 or 503 problem
 * included) keeps the API's. `serve` is the catch-all: install it after every
 * API route.
 */
export function webFrontEnd(options: WebOptions, secure: MiddlewareHandler) {
  const key = options.stripePublishableKey;
  const csp = siteCsp(options.publicUrl, { stripe: key !== undefined });
  const served = new WeakSet<Request>();
  const headers: MiddlewareHandler = async (c, next) => {
    await secure(c, next);
    if (served.has(c.req.raw)) c.res.headers.set("content-security-policy", csp);
  };
  const serve: MiddlewareHandler = async (c, next) => {
    const path = rawPath(c.req.url);
    if ((c.req.method !== "GET" && c.req.method !== "HEAD") || !isWebPath(path)) return next();
    const response = await answer(c, options.dir, path, key);
    if (response?.ok) served.add(c.req.raw);
    return response ?? next();
  };
  return { headers, serve };
}

/** The answer for a GET of a web path, or undefined to fall through to 404. */
async function answer(
  c: Context,
  dir: string,
  path: string,
  key: string | undefined,
): Promise<Response | undefined> {
  const root = await realDir(dir);
  const wantsPage = path === "/" || acceptsHtml(c.req.header("accept"));
  if (!root) {
    return wantsPage
      ? problem(
        503,
        "front_end_not_built",
        "The web front end is not built: run `npm ci && npm run build` in web/.",
      )
      : undefined;
  }
  if (path !== "/" && path !== "/index.html") {
    const file = await fileInside(root, path);
    if (file) return fileResponse(c, file, path.startsWith("/assets/") ? IMMUTABLE : NO_CACHE);
    // A missing hashed asset is a 404, never the page.
    if (path.startsWith("/assets/") || !wantsPage) return undefined;
  }
  const index = await fileInside(root, "/index.html");
  if (!index) {
    return problem(503, "front_end_not_built", "The web front end has no index.html.");
  }
  if (key === undefined) return fileResponse(c, index, NO_CACHE);
  const page = new TextEncoder().encode(withPublishableKey(await Deno.readTextFile(index), key));
  const headers = {
    "content-type": contentTypeOf(index),
    "cache-control": NO_CACHE,
    "content-length": String(page.byteLength),
  };
  return new Response(c.req.method === "HEAD" ? null : page, { headers });
}

function acceptsHtml(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept);
}

async function realDir(dir: string): Promise<string | undefined> {
  try {
    const real = await Deno.realPath(dir);
    return (await Deno.stat(real)).isDirectory ? real : undefined;
  } catch {
    return undefined; // missing, or not readable under this process's permissions
  }
}

/**
 * The real path of the regular file `path` names inside `root`, or undefined.
 * Refuses dot segments, backslashes, NUL and encoded characters outright, then
 * checks that the resolved real path (symlinks followed) is still inside `root`.
 */
export async function fileInside(root: string, path: string): Promise<string | undefined> {
  const segments = path.split("/").slice(1);
  const safe = segments.length > 0 &&
    segments.every((segment) =>
      segment !== "" && segment !== "." && segment !== ".." && !/[\\\0%:]/.test(segment)
    );
  if (!safe) return undefined;
  try {
    const real = await Deno.realPath(`${root}/${segments.join("/")}`);
    if (!real.startsWith(`${root}/`)) return undefined;
    return (await Deno.stat(real)).isFile ? real : undefined;
  } catch {
    return undefined;
  }
}

async function fileResponse(c: Context, file: string, cacheControl: string): Promise<Response> {
  const headers = { "content-type": contentTypeOf(file), "cache-control": cacheControl };
  if (c.req.method === "HEAD") {
    const { size } = await Deno.stat(file);
    return new Response(null, { headers: { ...headers, "content-length": String(size) } });
  }
  return new Response(await Deno.readFile(file), { headers });
}
