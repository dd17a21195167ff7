import assert from "node:assert/strict";
import { MAX_PATH_LENGTH, pathProblem, rawPath } from "./canonical_path.ts";
import { nonCanonicalSpellings } from "./test_support.ts";

Deno.test("pathProblem() accepts canonical paths, non-ASCII UTF-8 escapes included", () => {
  for (
    const path of [
      "/",
      "/api/v1/auth/login",
      "/api/v1/users/ada_lovelace/reviews",
      "/api/v1/orders/0b7f4a1e-4c3e-4a55-9d2e-1f3a5b7c9d0e/deliveries",
      "/api/v1/users/%C3%A9mile",
      "/api/v1/gigs/a-b.c~d!$&'()*+,=:@",
      `/${"a".repeat(MAX_PATH_LENGTH - 1)}`,
    ]
  ) {
    assert.equal(pathProblem(path), undefined, path);
  }
});

Deno.test("pathProblem() refuses dot segments, encoded dots and slashes, //, ;params, backslashes, ASCII escapes, long paths", () => {
  for (const route of ["/api/v1/auth/login", "/api/v1/auth/resend-verification"]) {
    for (const path of nonCanonicalSpellings(route)) {
      assert.equal(typeof pathProblem(path), "string", path);
    }
  }
  for (
    const path of [
      "",
      "api/v1",
      "/a%",
      "/a%4",
      "/a%GG",
      "/a%c3%a9", // lower-case hex: the canonical form is %C3%A9
      "/a%C3", // a cut UTF-8 sequence
      "/a%C3x%A9", // split by a plain character
      "/a%C2%85", // C1 control (NEL)
      "/a b",
      "/a\tb",
      '/a"b',
      "/a<b>",
      "/a{b}",
      "/a|b",
      "/a^b",
      "/a`b",
      "/é",
    ]
  ) {
    assert.equal(typeof pathProblem(path), "string", JSON.stringify(path));
  }
});

Deno.test("rawPath() keeps the path exactly as sent, without the query", () => {
  assert.equal(rawPath("http://h:1/api/v1/auth/./login?x=/y"), "/api/v1/auth/./login");
  assert.equal(rawPath("http://h/api/v1/auth/%2e/login"), "/api/v1/auth/%2e/login");
  assert.equal(rawPath("http://h/a\\b#frag"), "/a\\b");
  assert.equal(rawPath("http://h"), "/");
  // Every canonical path survives the URL parser unchanged, so forwarding by URL is the same path.
  const canonical = "/api/v1/gigs/a-b.c~d!$&'()*+,=:@/%C3%A9";
  assert.equal(new URL(`http://h${canonical}`).pathname, canonical);
});

Deno.test("pathProblem() accepts exactly /socket.io/ with a trailing slash, and nothing else", () => {
  assert.equal(pathProblem("/socket.io/"), undefined);
  for (
    const path of [
      "/socket.io//",
      "//socket.io/",
      "/socket.io/./",
      "/socket.io/../",
      "/socket.io/x/",
      "/socket.io/%2e/",
      "/SOCKET.IO/",
      "/socket.i%6F/",
      "/socket.io/;",
      "/api/v1/gigs/",
      "/api/v1/conversations/",
    ]
  ) {
    assert.equal(typeof pathProblem(path), "string", path);
  }
});
