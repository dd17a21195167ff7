import assert from "node:assert/strict";
import { request } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { json, rawRequest, startEchoUpstream, startGateway } from "./test_support.ts";
import {
  contentTypeOf,
  fileInside,
  IMMUTABLE,
  isCompressible,
  isWebPath,
  siteCsp,
  STRIPE_CSP,
  withPublishableKey,
} from "./web.ts";

const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
const INDEX = '<!doctype html><script type="module" src="/assets/app-abc123.js"></script>';

/** A request without fetch's transparent decompression: the bytes as the gateway sent them. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<
  { status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array }
> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: new Uint8Array(chunks.flatMap((chunk) => [...chunk])),
        }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const decoder = new TextDecoder();
/** The body decoded by its Content-Encoding, as text. */
function decoded(reply: Awaited<ReturnType<typeof rawGet>>): string {
  const encoding = reply.headers["content-encoding"];
  if (encoding === "br") return decoder.decode(brotliDecompressSync(reply.body));
  if (encoding === "gzip") return decoder.decode(gunzipSync(reply.body));
  assert.equal(encoding, undefined, "only br or gzip");
  return decoder.decode(reply.body);
}

/** A built front end in a temp folder, a secret file next to it, and a gateway serving it. */
async function webGateway(options: { dist?: "missing"; env?: Record<string, string> } = {}) {
  const root = await Deno.makeTempDir({ prefix: "web_test_" });
  const dist = `${root}/dist`;
  if (options.dist !== "missing") {
    await Deno.mkdir(`${dist}/assets`, { recursive: true });
    await Deno.writeTextFile(`${dist}/index.html`, INDEX);
    await Deno.writeTextFile(`${dist}/assets/app-abc123.js`, "console.log('app')");
    await Deno.writeTextFile(`${dist}/assets/app-abc123.css`, "body{}");
    await Deno.writeTextFile(`${dist}/favicon.svg`, "<svg/>");
    await Deno.writeTextFile(`${root}/secret.txt`, "outside the dist folder");
    // A symlink inside the folder that leads out of it must not be followed.
    await Deno.symlink(`${root}/secret.txt`, `${dist}/assets/leak.js`);
  }
  const auth = startEchoUpstream();
  const notifications = startEchoUpstream();
  const gateway = await startGateway({
    env: {
      AUTH_URL: auth.url,
      NOTIFICATIONS_URL: notifications.url,
      WEB_DIST_DIR: dist,
      PUBLIC_URL: "https://market.example",
      ...options.env,
    },
  });
  return {
    gateway,
    auth,
    dist,
    get: (path: string, headers: Record<string, string> = {}) =>
      fetch(`${gateway.url}${path}`, { headers }),
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await auth.close();
      await notifications.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

Deno.test("isWebPath: the API and the gateway's own paths are never the front end's", () => {
  for (const path of ["/", "/login", "/verify-email", "/gigs/abc", "/assets/a.js", "/apix"]) {
    assert.equal(isWebPath(path), true, path);
  }
  for (
    const path of [
      "/api",
      "/api/v1/gigs",
      "/socket.io/",
      "/docs",
      "/docs/init.js",
      "/.well-known/jwks.json",
      "/livez",
      "/readyz",
    ]
  ) {
    assert.equal(isWebPath(path), false, path);
  }
});

Deno.test("siteCsp allows only the site's own scripts and styles and WebSocket to its host", () => {
  const csp = siteCsp("https://market.example");
  assert.match(csp, /(^|; )default-src 'self'(;|$)/);
  assert.match(csp, /(^|; )script-src 'self'(;|$)/);
  assert.match(csp, /(^|; )style-src 'self'(;|$)/);
  assert.match(csp, /(^|; )connect-src 'self' ws:\/\/market\.example wss:\/\/market\.example(;|$)/);
  assert.match(csp, /(^|; )img-src 'self' https: data:(;|$)/);
  assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  // Without a publishable key nothing of Stripe's is allowed, and no frame-src loosens default-src.
  assert.doesNotMatch(csp, /stripe|frame-src/);
});

Deno.test("siteCsp with the object store lets pages upload to it and show its pictures, and nothing else", () => {
  const csp = siteCsp("https://market.example", { objectStore: "http://127.0.0.1:4569/ignored" });
  assert.match(
    csp,
    /(^|; )connect-src 'self' ws:\/\/market\.example wss:\/\/market\.example http:\/\/127\.0\.0\.1:4569(;|$)/,
  );
  assert.match(csp, /(^|; )img-src 'self' http:\/\/127\.0\.0\.1:4569 https: data:(;|$)/);
  // Scripts and styles stay the site's own.
  assert.match(csp, /(^|; )script-src 'self'(;|$)/);
  assert.match(csp, /(^|; )style-src 'self'(;|$)/);
});

Deno.test("siteCsp with Stripe adds Stripe.js's script, frames and API, and nothing else", () => {
  const plain = siteCsp("https://market.example");
  const csp = siteCsp("https://market.example", { stripe: true });
  const directives = (policy: string) =>
    new Map(policy.split("; ").map((part) => [part.split(" ")[0], part.split(" ").slice(1)]));
  const before = directives(plain);
  const after = directives(csp);
  assert.deepEqual(after.get("script-src"), ["'self'", ...STRIPE_CSP.script]);
  assert.deepEqual(after.get("connect-src"), [
    ...before.get("connect-src")!,
    ...STRIPE_CSP.connect,
  ]);
  assert.deepEqual(after.get("frame-src"), [...STRIPE_CSP.frame]);
  assert.ok(after.get("script-src")!.includes("https://js.stripe.com"));
  assert.ok(after.get("frame-src")!.includes("https://hooks.stripe.com"));
  assert.ok(after.get("connect-src")!.includes("https://api.stripe.com"));
  for (const [name, value] of before) {
    if (!["script-src", "connect-src"].includes(name)) {
      assert.deepEqual(after.get(name), value, name);
    }
  }
  assert.deepEqual([...after.keys()].filter((name) => !before.has(name)), ["frame-src"]);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
});

Deno.test("withPublishableKey puts the meta tag before </head>, or at the top without a head", () => {
  const tag = '<meta name="stripe-publishable-key" content="pk_test_abc">';
  assert.equal(
    withPublishableKey("<html><head><title>x</title></head><body></body></html>", "pk_test_abc"),
    `<html><head><title>x</title>${tag}</head><body></body></html>`,
  );
  assert.equal(
    withPublishableKey("<!doctype html><p>x", "pk_test_abc"),
    `<!doctype html>${tag}<p>x`,
  );
  // Only the key's own characters reach the page.
  assert.equal(
    withPublishableKey("", 'pk_test_a"><script>'),
    '<meta name="stripe-publishable-key" content="pk_test_ascript">',
  );
});

Deno.test("with STRIPE_PUBLISHABLE_KEY pages carry the key and the Stripe CSP; the API keeps its own", async () => {
  const key = "pk_test_51abcDEF";
  await using t = await webGateway({ env: { STRIPE_PUBLISHABLE_KEY: key } });
  const stripeCsp = siteCsp("https://market.example", { stripe: true });
  for (const path of ["/", "/orders/abc", "/checkout/gig1?package=basic"]) {
    const res = await t.get(path, HTML);
    assert.equal(res.status, 200, path);
    assert.equal(await res.text(), withPublishableKey(INDEX, key), path);
    assert.equal(res.headers.get("cache-control"), "no-cache", path);
    assert.equal(res.headers.get("content-security-policy"), stripeCsp, path);
    assert.match(stripeCsp, /script-src 'self' https:\/\/js\.stripe\.com/);
  }
  const head = await fetch(`${t.gateway.url}/`, {
    method: "HEAD",
    headers: { "accept-encoding": "identity" },
  });
  assert.equal(head.status, 200);
  assert.equal(
    head.headers.get("content-length"),
    String(new TextEncoder().encode(withPublishableKey(INDEX, key)).byteLength),
  );
  assert.equal(await head.text(), "");
  const js = await t.get("/assets/app-abc123.js");
  assert.equal(await js.text(), "console.log('app')");
  assert.equal(js.headers.get("content-security-policy"), stripeCsp);
  const api = await t.get("/api/v1/nothing-here");
  await api.body?.cancel();
  assert.doesNotMatch(api.headers.get("content-security-policy") ?? "", /stripe/);
});

Deno.test("without STRIPE_PUBLISHABLE_KEY index.html is served as built, under the plain CSP", async () => {
  await using t = await webGateway();
  const res = await t.get("/orders/abc", HTML);
  const body = await res.text();
  assert.equal(body, INDEX);
  assert.doesNotMatch(body, /stripe/);
  assert.equal(res.headers.get("content-security-policy"), siteCsp("https://market.example"));
  assert.doesNotMatch(res.headers.get("content-security-policy") ?? "", /stripe/);
});

Deno.test("contentTypeOf knows the built files' types", () => {
  assert.equal(contentTypeOf("a.js"), "text/javascript; charset=utf-8");
  assert.equal(contentTypeOf("a.CSS"), "text/css; charset=utf-8");
  assert.equal(contentTypeOf("index.html"), "text/html; charset=utf-8");
  assert.equal(contentTypeOf("favicon.svg"), "image/svg+xml");
  assert.equal(contentTypeOf("noext"), "application/octet-stream");
});

Deno.test("hashed assets are served immutable with their type and the site's CSP", async () => {
  await using t = await webGateway();
  const js = await t.get("/assets/app-abc123.js");
  assert.equal(js.status, 200);
  assert.equal(await js.text(), "console.log('app')");
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(js.headers.get("content-security-policy"), siteCsp("https://market.example"));
  assert.equal(js.headers.get("x-content-type-options"), "nosniff");
  const css = await t.get("/assets/app-abc123.css");
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  await css.body?.cancel();
  // A file at the top (no hash in its name) is revalidated.
  const icon = await t.get("/favicon.svg");
  assert.equal(icon.status, 200);
  assert.equal(icon.headers.get("cache-control"), "no-cache");
  assert.equal(await icon.text(), "<svg/>");
  // HEAD: headers only.
  const head = await fetch(`${t.gateway.url}/assets/app-abc123.js`, {
    method: "HEAD",
    headers: { "accept-encoding": "identity" },
  });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String("console.log('app')".length));
  assert.equal(await head.text(), "");
});

Deno.test("every client route that accepts HTML gets index.html, no-cache, with the site's CSP", async () => {
  await using t = await webGateway();
  for (
    const path of [
      "/",
      "/index.html",
      "/verify-email?token=abc",
      "/reset-password?token=abc",
      "/gigs/123/some-title",
      "/settings/password",
    ]
  ) {
    const res = await t.get(path, HTML);
    assert.equal(res.status, 200, path);
    assert.equal(await res.text(), INDEX, path);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
    assert.equal(res.headers.get("cache-control"), "no-cache", path);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.equal(csp, siteCsp("https://market.example"), path);
    assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN", path);
  }
  // `/` is the site whatever the client accepts.
  const plain = await t.get("/");
  assert.equal(plain.status, 200);
  assert.equal(await plain.text(), INDEX);
});

Deno.test("a client route that does not accept HTML, a missing asset and other methods are 404 problems", async () => {
  await using t = await webGateway();
  for (const [path, headers] of [["/login", {}], ["/assets/gone-123.js", HTML]] as const) {
    const res = await t.get(path, headers);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get("content-type"), "application/problem+json", path);
    assert.equal((await json(res)).code, "route_not_found", path);
  }
  const post = await fetch(`${t.gateway.url}/login`, { method: "POST", headers: HTML, body: "x" });
  assert.equal(post.status, 404);
  await post.body?.cancel();
});

Deno.test("the API, /docs, /.well-known and the health paths are unchanged: never index.html, the API's strict CSP", async () => {
  await using t = await webGateway();
  const api = await t.get("/api/v1/auth/me", HTML);
  assert.equal(api.status, 200, "forwarded to auth's echo");
  assert.equal((await json<{ path: string }>(api)).path, "/api/v1/auth/me");
  assert.equal(
    api.headers.get("content-security-policy"),
    "default-src 'none'; frame-ancestors 'none'",
  );
  const unknown = await t.get("/api/v1/nothing", HTML);
  assert.equal(unknown.status, 404);
  assert.equal((await json(unknown)).code, "route_not_found");
  const jwks = await t.get("/.well-known/jwks.json", HTML);
  assert.equal(jwks.status, 200);
  assert.ok(Array.isArray((await json<{ keys: unknown[] }>(jwks)).keys));
  const missing = await t.get("/.well-known/other", HTML);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  for (const path of ["/livez", "/readyz"]) {
    const res = await t.get(path, HTML);
    assert.equal(res.status, 200, path);
    assert.notEqual(await res.text(), INDEX, path);
  }
  const docs = await t.get("/docs", HTML);
  assert.equal(docs.status, 200);
  assert.notEqual(await docs.text(), INDEX);
  const socket = await t.get("/socket.io/?EIO=4&transport=polling", HTML);
  assert.equal(socket.status, 404, "no REALTIME_URL: not the front end either");
  await socket.body?.cancel();
});

Deno.test("no file outside the folder is reachable: dot segments, encodings, backslashes, symlinks", async () => {
  await using t = await webGateway();
  for (
    const path of [
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/assets/..%5c..%5csecret.txt",
      "/assets/leak.js",
    ]
  ) {
    const res = await rawRequest(t.gateway.url, "GET", path, { headers: HTML });
    assert.ok(res.status === 400 || res.status === 404 || res.status === 200, path);
    assert.ok(!res.body.includes("outside the dist folder"), `${path} leaked the file`);
    if (res.status === 200) assert.equal(res.body, INDEX, path);
  }
  // The lookup itself, without the canonical path rule in front of it.
  const root = await Deno.realPath(t.dist);
  for (const path of ["/../secret.txt", "/assets/../../secret.txt", "/assets/leak.js", "/a\\b"]) {
    assert.equal(await fileInside(root, path), undefined, path);
  }
  assert.equal(await fileInside(root, "/assets/app-abc123.js"), `${root}/assets/app-abc123.js`);
});

Deno.test("without a built folder the gateway still serves the API; `/` and pages answer a 503 problem", async () => {
  await using t = await webGateway({ dist: "missing" });
  for (const [path, headers] of [["/", {}], ["/", HTML], ["/login", HTML]] as const) {
    const res = await t.get(path, headers);
    assert.equal(res.status, 503, path);
    assert.equal(res.headers.get("content-type"), "application/problem+json", path);
    const body = await json<{ code: string; detail: string }>(res);
    assert.equal(body.code, "front_end_not_built", path);
    assert.match(body.detail, /not built/);
  }
  const asset = await t.get("/assets/app-abc123.js");
  assert.equal(asset.status, 404);
  await asset.body?.cancel();
  const api = await t.get("/api/v1/auth/me");
  assert.equal(api.status, 200);
  await api.body?.cancel();
});

Deno.test("a rebuilt folder is served without a restart (files are looked up per request)", async () => {
  await using t = await webGateway();
  await Deno.writeTextFile(`${t.dist}/index.html`, "<!doctype html>v2");
  await Deno.writeTextFile(`${t.dist}/assets/app-def456.js`, "v2");
  const page = await t.get("/login", HTML);
  assert.equal(await page.text(), "<!doctype html>v2");
  const asset = await t.get("/assets/app-def456.js");
  assert.equal(await asset.text(), "v2");
});

/** A script big enough that compressing it matters, as Vite would write it. */
const BIG_JS = Array.from(
  { length: 400 },
  (_, i) => `export const value${i} = "${"ab".repeat(i % 7)}";`,
)
  .join("\n");
const CHROME = "gzip, deflate, br, zstd";
/** Vary names Accept-Encoding (CORS appends Origin to it). */
const VARY_ENCODING = /(^|,)\s*accept-encoding\s*(,|$)/i;

Deno.test("isCompressible: text files yes, images and fonts no", () => {
  for (const name of ["a.js", "a.mjs", "a.CSS", "index.html", "icon.svg", "m.json", "a.js.map"]) {
    assert.equal(isCompressible(name), true, name);
  }
  for (const name of ["a.png", "a.woff2", "a.webp", "noext"]) {
    assert.equal(isCompressible(name), false, name);
  }
});

Deno.test("text files are sent br or gzip as Accept-Encoding allows, and decompress to the file", async () => {
  await using t = await webGateway();
  await Deno.writeTextFile(`${t.dist}/assets/big-abc123.js`, BIG_JS);
  const url = `${t.gateway.url}/assets/big-abc123.js`;
  // A client that takes only br waits for the br copy; from then on br is ready for all.
  assert.equal((await rawGet(url, { "accept-encoding": "br" })).headers["content-encoding"], "br");
  const cases: [string | undefined, string | undefined][] = [
    [CHROME, "br"], // br preferred on a tie, whatever the order
    ["gzip", "gzip"],
    ["br;q=0, gzip", "gzip"],
    ["gzip;q=0.5, br;q=0.8", "br"],
    ["br;q=0.4, gzip;q=0.9", "gzip"],
    ["*", "br"],
    ["identity", undefined],
    ["br;q=0, gzip;q=0", undefined],
    ["zstd, deflate", undefined],
    [undefined, undefined],
  ];
  for (const [accept, expected] of cases) {
    const reply = await rawGet(url, accept === undefined ? {} : { "accept-encoding": accept });
    const label = accept ?? "(no Accept-Encoding)";
    assert.equal(reply.status, 200, label);
    assert.equal(reply.headers["content-encoding"], expected, label);
    assert.match(String(reply.headers["vary"]), VARY_ENCODING, label);
    assert.equal(reply.headers["cache-control"], IMMUTABLE, label);
    assert.equal(reply.headers["content-type"], "text/javascript; charset=utf-8", label);
    assert.equal(reply.headers["content-length"], String(reply.body.byteLength), label);
    assert.equal(decoded(reply), BIG_JS, label);
    if (expected) assert.ok(reply.body.byteLength < BIG_JS.length / 3, `${label}: compressed`);
  }
  // CSS, SVG and index.html are compressed too.
  for (const path of ["/assets/app-abc123.css", "/favicon.svg", "/"]) {
    const reply = await rawGet(`${t.gateway.url}${path}`, { "accept-encoding": "br" });
    assert.equal(reply.headers["content-encoding"], "br", path);
  }
  assert.equal(decoded(await rawGet(`${t.gateway.url}/`, { "accept-encoding": "gzip" })), INDEX);
  // An image is not: no encoding, no Vary.
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
  await Deno.writeFile(`${t.dist}/assets/logo-abc123.png`, png);
  const image = await rawGet(`${t.gateway.url}/assets/logo-abc123.png`, {
    "accept-encoding": CHROME,
  });
  assert.equal(image.headers["content-encoding"], undefined);
  assert.doesNotMatch(String(image.headers["vary"]), VARY_ENCODING);
  assert.deepEqual(image.body, png);
});

Deno.test("until a file version's br copy is made, a client that also takes gzip gets gzip, then br", async () => {
  await using t = await webGateway();
  // A script big enough that brotli 11 takes a while.
  const big = Array.from({ length: 20_000 }, (_, i) => `export const v${i} = ${i * 7919 % 10007};`)
    .join("\n");
  await Deno.writeTextFile(`${t.dist}/assets/huge-abc123.js`, big);
  const url = `${t.gateway.url}/assets/huge-abc123.js`;
  const first = await rawGet(url, { "accept-encoding": CHROME });
  assert.equal(first.headers["content-encoding"], "gzip", "the br copy was not made yet");
  assert.equal(decoded(first), big);
  // The br copy was started by that request; it is served once made.
  const deadline = Date.now() + 20_000;
  let later = first;
  while (later.headers["content-encoding"] !== "br" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    later = await rawGet(url, { "accept-encoding": CHROME });
  }
  assert.equal(later.headers["content-encoding"], "br");
  assert.equal(decoded(later), big);
  assert.ok(later.body.byteLength <= first.body.byteLength);
  // The same version has one ETag whatever the encoding (a weak one).
  assert.equal(later.headers["etag"], first.headers["etag"]);
});

Deno.test("HEAD and Range stay right under compression: HEAD's length is the encoded one, Range gets the whole file", async () => {
  await using t = await webGateway();
  await Deno.writeTextFile(`${t.dist}/assets/big-abc123.js`, BIG_JS);
  const url = `${t.gateway.url}/assets/big-abc123.js`;
  const full = await rawGet(url, { "accept-encoding": "br" });
  const head = await rawGet(url, { "accept-encoding": "br" }, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.headers["content-encoding"], "br");
  assert.equal(head.headers["content-length"], String(full.body.byteLength));
  assert.equal(head.body.byteLength, 0);
  const plainHead = await rawGet(url, {}, "HEAD");
  assert.equal(
    plainHead.headers["content-length"],
    String(new TextEncoder().encode(BIG_JS).byteLength),
  );
  assert.equal(plainHead.headers["content-encoding"], undefined);
  // Range is not supported: the whole file, 200, never a slice of compressed bytes.
  for (const accept of ["br", "identity"]) {
    const ranged = await rawGet(url, { "accept-encoding": accept, range: "bytes=0-9" });
    assert.equal(ranged.status, 200, accept);
    assert.equal(ranged.headers["content-range"], undefined, accept);
    assert.equal(decoded(ranged), BIG_JS, accept);
  }
});

Deno.test("with STRIPE_PUBLISHABLE_KEY the compressed index.html carries the key", async () => {
  const key = "pk_test_51abcDEF";
  await using t = await webGateway({ env: { STRIPE_PUBLISHABLE_KEY: key } });
  for (const accept of ["br", "gzip", "identity"]) {
    const reply = await rawGet(`${t.gateway.url}/orders/abc`, {
      ...HTML,
      "accept-encoding": accept,
    });
    assert.equal(reply.status, 200, accept);
    assert.equal(decoded(reply), withPublishableKey(INDEX, key), accept);
    assert.equal(reply.headers["cache-control"], "no-cache", accept);
  }
  const head = await rawGet(`${t.gateway.url}/`, { "accept-encoding": "br" }, "HEAD");
  const get = await rawGet(`${t.gateway.url}/`, { "accept-encoding": "br" });
  assert.equal(head.headers["content-length"], String(get.body.byteLength));
});

Deno.test("ETag: a matching If-None-Match is a 304 without a body; a rebuilt file is a new ETag and new bytes", async () => {
  await using t = await webGateway();
  await Deno.writeTextFile(`${t.dist}/assets/big-abc123.js`, BIG_JS);
  for (const [path, headers] of [["/assets/big-abc123.js", {}], ["/search?q=x", HTML]] as const) {
    const first = await rawGet(`${t.gateway.url}${path}`, { ...headers, "accept-encoding": "br" });
    const etag = String(first.headers["etag"]);
    assert.match(etag, /^W\/"[a-z0-9-]+"$/, path);
    for (const ifNoneMatch of [etag, `"x", ${etag}`, etag.slice(2), "*"]) {
      const again = await t.get(path, { ...headers, "if-none-match": ifNoneMatch });
      assert.equal(again.status, 304, `${path} ${ifNoneMatch}`);
      assert.equal(await again.text(), "");
      assert.equal(again.headers.get("etag"), etag);
      assert.equal(again.headers.get("content-security-policy"), siteCsp("https://market.example"));
    }
    const other = await t.get(path, { ...headers, "if-none-match": 'W/"other"' });
    assert.equal(other.status, 200, path);
    await other.body?.cancel();
  }
  // A rebuild: same path, other bytes. The compressed copy follows the file.
  const etag = (await rawGet(`${t.gateway.url}/assets/big-abc123.js`)).headers["etag"];
  const changed = `${BIG_JS}\nexport const more = 1;`;
  await Deno.writeTextFile(`${t.dist}/assets/big-abc123.js`, changed);
  for (const accept of ["br", "gzip"]) {
    const reply = await rawGet(`${t.gateway.url}/assets/big-abc123.js`, {
      "accept-encoding": accept,
    });
    assert.equal(decoded(reply), changed, accept);
    assert.notEqual(reply.headers["etag"], etag, accept);
  }
  const stale = await t.get("/assets/big-abc123.js", { "if-none-match": String(etag) });
  assert.equal(stale.status, 200);
  assert.equal(await stale.text(), changed);
});

Deno.test("a new publishable key is a new ETag of index.html (a cached page never keeps an old key)", async () => {
  const etags: (string | null)[] = [];
  const envs: Record<string, string>[] = [
    {},
    { STRIPE_PUBLISHABLE_KEY: "pk_test_one" },
    { STRIPE_PUBLISHABLE_KEY: "pk_test_two" },
  ];
  for (const env of envs) {
    await using t = await webGateway({ env });
    // The same built file in each folder: same size, and the same mtime set here.
    await Deno.utime(`${t.dist}/index.html`, 1_700_000_000, 1_700_000_000);
    const res = await t.get("/", HTML);
    await res.body?.cancel();
    etags.push(res.headers.get("etag"));
  }
  assert.equal(new Set(etags).size, 3, etags.join(" "));
});
