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
 * - Text files (html, js, css, svg, json, map, txt, webmanifest) are sent
 *   `br` or `gzip` as the request's Accept-Encoding allows (br preferred on a
 *   tie), with `Vary: Accept-Encoding`. Each file version (path, size, mtime) is
 *   compressed once, at the highest level, and kept in memory (bounded), so a
 *   rebuild is picked up and no request pays for compressing the same bytes
 *   again; while a version's br copy is being made, clients that take gzip too
 *   get gzip. Every file carries a weak ETag of its size and mtime; a matching
 *   If-None-Match is a 304. Range is ignored (a full 200 is a valid answer).
 *   Why not `hono/compress`: it compresses every response again, per request,
 *   with CompressionStream (gzip or deflate only, no br).
 * - With STRIPE_PUBLISHABLE_KEY, index.html gets
 *   `<meta name="stripe-publishable-key" content="pk_…">` before `</head>` and
 *   the site's CSP allows Stripe.js (see {@link siteCsp}); without it both are
 *   unchanged. A meta tag rather than an API route: index.html is `no-cache`,
 *   so a page always carries the key the gateway has now (never a cached or
 *   build-time one), and checkout needs no extra request or API contract for it.
 */
import { brotliCompress, constants as zlib, gzip } from "node:zlib";
import { promisify } from "node:util";
import type { Context, MiddlewareHandler } from "hono";
import { accepts } from "hono/accepts";
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
 * configured) Stripe.js's script, frames and API are allowed too. With
 * `objectStore` (S3_PUBLIC_URL) its origin may be connected to (uploads are PUT
 * straight to it, downloads fetched from it) and shown as images, http: too
 * (a development store).
 */
export function siteCsp(
  publicUrl: string,
  options: { stripe?: boolean; objectStore?: string } = {},
): string {
  const host = new URL(publicUrl).host;
  const stripe = options.stripe === true;
  const plus = (list: readonly string[]) => stripe ? ` ${list.join(" ")}` : "";
  const store = options.objectStore ? ` ${new URL(options.objectStore).origin}` : "";
  return [
    "default-src 'self'",
    `script-src 'self'${plus(STRIPE_CSP.script)}`,
    "style-src 'self'",
    `connect-src 'self' ws://${host} wss://${host}${store}${plus(STRIPE_CSP.connect)}`,
    ...(stripe ? [`frame-src ${STRIPE_CSP.frame.join(" ")}`] : []),
    `img-src 'self'${store} https: data:`,
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
  /** S3_PUBLIC_URL: the object store pages upload to and show pictures from. */
  objectStoreUrl?: string;
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

/** The encodings the front end's text files are sent with, best first. */
export const ENCODINGS = ["br", "gzip"] as const;
/** A content encoding of {@link ENCODINGS}. */
export type Encoding = (typeof ENCODINGS)[number];

const COMPRESSIBLE = new Set([
  "html",
  "js",
  "mjs",
  "css",
  "svg",
  "json",
  "map",
  "txt",
  "webmanifest",
]);

/** Whether a file is text worth compressing (images and fonts are compressed formats already). */
export function isCompressible(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return dot >= 0 && COMPRESSIBLE.has(name.slice(dot + 1).toLowerCase());
}

/**
 * Accept-Encoding (parsed by hono/accepts) → the encodings of {@link ENCODINGS} the
 * client accepts (q > 0), best first: the highest q, br before gzip on a tie
 * (browsers list gzip first, br is smaller); `*` stands for an encoding not named.
 */
function rankEncodings(list: { type: string; q: number }[]): Encoding[] {
  const q = (name: string) =>
    list.find((a) => a.type.toLowerCase() === name)?.q ?? list.find((a) => a.type === "*")?.q ?? 0;
  return ENCODINGS.filter((encoding) => q(encoding) > 0)
    .sort((a, b) => q(b) - q(a) || ENCODINGS.indexOf(a) - ENCODINGS.indexOf(b));
}

function acceptedEncodings(c: Context): Encoding[] {
  // accepts() answers one string: the ranked list travels in it, comma-joined.
  const ranked = accepts(c, {
    header: "Accept-Encoding",
    supports: [...ENCODINGS],
    default: "",
    match: (list) => rankEncodings(list).join(","),
  }).split(",");
  return ranked.flatMap((name) => ENCODINGS.filter((encoding) => encoding === name));
}

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);
/** Bytes a Response can carry (not a view of a SharedArrayBuffer). */
type Bytes = Uint8Array<ArrayBuffer>;
/** Highest levels: each file version is compressed once (assets are built, not generated). */
const COMPRESS: Record<Encoding, (bytes: Bytes) => Promise<Bytes>> = {
  br: async (bytes) =>
    new Uint8Array(
      await brotli(bytes, {
        params: {
          [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
          [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
          [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
        },
      }),
    ),
  gzip: async (bytes) => new Uint8Array(await gzipped(bytes, { level: zlib.Z_BEST_COMPRESSION })),
};

/** What the compressed copies may hold in total; the oldest go first beyond it. */
const MAX_COMPRESSED_BYTES = 32 * 1024 * 1024;

/**
 * Compressed copies of file versions, each made once (concurrent requests share
 * the one compression). Keyed by encoding, path, size and mtime: a rebuilt file
 * is a new key, and the old copies age out under the byte bound.
 */
class CompressedFiles {
  #entries = new Map<string, Promise<Bytes>>();
  #sizes = new Map<string, number>();
  #bytes = 0;

  get(key: string, make: () => Promise<Bytes>): Promise<Bytes> {
    const cached = this.#entries.get(key);
    if (cached) return cached;
    const entry = make();
    this.#entries.set(key, entry);
    entry.then(
      (bytes) => {
        if (this.#entries.get(key) !== entry) return;
        this.#sizes.set(key, bytes.byteLength);
        this.#bytes += bytes.byteLength;
        for (const [old] of this.#entries) {
          if (this.#bytes <= MAX_COMPRESSED_BYTES || old === key) break;
          this.#drop(old);
        }
      },
      () => {
        // Not kept: the next request tries again.
        if (this.#entries.get(key) === entry) this.#drop(key);
      },
    );
    return entry;
  }

  /** Whether the copy under `key` is made (not only being made). */
  ready(key: string): boolean {
    return this.#sizes.has(key);
  }

  #drop(key: string) {
    this.#entries.delete(key);
    this.#bytes -= this.#sizes.get(key) ?? 0;
    this.#sizes.delete(key);
  }
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
  const csp = siteCsp(options.publicUrl, {
    stripe: key !== undefined,
    objectStore: options.objectStoreUrl,
  });
  const served = new WeakSet<Request>();
  const compressed = new CompressedFiles();
  const headers: MiddlewareHandler = async (c, next) => {
    await secure(c, next);
    if (served.has(c.req.raw)) c.res.headers.set("content-security-policy", csp);
  };
  const serve: MiddlewareHandler = async (c, next) => {
    const path = rawPath(c.req.url);
    if ((c.req.method !== "GET" && c.req.method !== "HEAD") || !isWebPath(path)) return next();
    const response = await answer(c, options.dir, path, key, compressed);
    if (response && response.status < 400) served.add(c.req.raw);
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
  compressed: CompressedFiles,
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
    if (file) {
      const cacheControl = path.startsWith("/assets/") ? IMMUTABLE : NO_CACHE;
      return fileResponse(c, compressed, file, cacheControl);
    }
    // A missing hashed asset is a 404, never the page.
    if (path.startsWith("/assets/") || !wantsPage) return undefined;
  }
  const index = await fileInside(root, "/index.html");
  if (!index) {
    return problem(503, "front_end_not_built", "The web front end has no index.html.");
  }
  return fileResponse(c, compressed, index, NO_CACHE, key);
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

/** A short tag of the publishable key (FNV-1a), so a new key is a new ETag of index.html. */
function keyTag(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

/** If-None-Match against a weak ETag (weak comparison, RFC 9110 13.1.2). */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === bare;
  });
}

/**
 * A file (with `key`: index.html carrying the publishable key), compressed when
 * the client accepts it, with a weak ETag of its version (size, mtime, key).
 */
async function fileResponse(
  c: Context,
  compressed: CompressedFiles,
  file: string,
  cacheControl: string,
  key?: string,
): Promise<Response> {
  const info = await Deno.stat(file);
  const version = `${info.size.toString(36)}-${(info.mtime?.getTime() ?? 0).toString(36)}${
    key === undefined ? "" : `-${keyTag(key)}`
  }`;
  const etag = `W/"${version}"`;
  const headers = new Headers({
    "content-type": contentTypeOf(file),
    "cache-control": cacheControl,
    etag,
  });
  const compressible = isCompressible(file);
  if (compressible) headers.set("vary", "accept-encoding");
  if (notModified(c.req.header("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  const read = async () =>
    key === undefined
      ? await Deno.readFile(file)
      : new TextEncoder().encode(withPublishableKey(await Deno.readTextFile(file), key));
  const [best, next] = compressible ? acceptedEncodings(c) : [];
  const copy = (encoding: Encoding) =>
    compressed.get(`${encoding} ${file} ${version}`, async () => COMPRESS[encoding](await read()));
  // Brotli 11 takes about a second for the main script: until its copy is made, a
  // client that also takes gzip (every browser) gets gzip (milliseconds) instead of waiting.
  let encoding = best;
  if (best === "br" && next === "gzip" && !compressed.ready(`br ${file} ${version}`)) {
    copy("br").catch(() => {}); // kept for the next requests; a failure is retried by them
    encoding = "gzip";
  }
  let body: Bytes | undefined;
  if (encoding) {
    body = await copy(encoding);
    headers.set("content-encoding", encoding);
  } else if (c.req.method !== "HEAD" || key !== undefined) {
    body = await read();
  }
  headers.set("content-length", String(body?.byteLength ?? info.size));
  return new Response(c.req.method === "HEAD" ? null : body, { headers });
}
