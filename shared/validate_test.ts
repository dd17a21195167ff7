import assert from "node:assert/strict";
import { z } from "zod";
import {
  jsonBody,
  MAX_DEPTH,
  parseOrThrow,
  pathParams,
  queryParams,
  textErrors,
} from "./validate.ts";
import { Hono } from "hono";
import { AppError, problemErrorHandler } from "./problem.ts";
import { quietLogger } from "./testing/wait.ts";

function fieldErrors(schema: z.ZodType, value: unknown, prefix = "") {
  try {
    parseOrThrow(schema, value, prefix);
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.status, 400);
    return error.extra.errors as { pointer: string; detail: string }[];
  }
  throw new Error("expected a validation error");
}

Deno.test("parseOrThrow() points at each unknown field of a strict object", () => {
  const errors = fieldErrors(z.strictObject({ a: z.string() }), { a: "x", role: "admin", id: 1 });
  assert.deepEqual(errors.map((e) => e.pointer).sort(), ["/id", "/role"]);
});

Deno.test("parseOrThrow() reports only the type for a value of the wrong type", () => {
  const errors = fieldErrors(z.strictObject({ password: z.string().min(8) }), { password: [] });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].pointer, "/password");
  assert.match(errors[0].detail, /expected string/);
});

Deno.test("parseOrThrow() prefixes query pointers with #", () => {
  const errors = fieldErrors(z.object({ limit: z.coerce.number().max(50) }), { limit: "500" }, "#");
  assert.deepEqual(errors.map((e) => e.pointer), ["#/limit"]);
});

Deno.test("parseOrThrow() refuses NUL, lone surrogates and C1 controls in any string, naming the field", () => {
  // A schema that takes any string: the text rule holds before any schema runs.
  const loose = z.object({ a: z.string(), list: z.array(z.object({ b: z.string() })) });
  for (const bad of ["x\u0000y", "\ud800", "a\udc00", "\u0085", "\u009f", "\u001b[31m"]) {
    const errors = fieldErrors(loose, { a: "ok", list: [{ b: bad }] });
    assert.deepEqual(errors.map((e) => e.pointer), ["/list/0/b"], JSON.stringify(bad));
  }
  assert.deepEqual(fieldErrors(loose, { a: "\u0000" }, "#").map((e) => e.pointer), ["#/a"]);
  // Newline and tab are the multi-line form's only controls; a line refuses them in its schema.
  assert.deepEqual(parseOrThrow(z.object({ a: z.string() }), { a: "one\n\ttwo" }), {
    a: "one\n\ttwo",
  });
});

Deno.test("parseOrThrow() refuses a bad field name and escapes it in the pointer", () => {
  const errors = fieldErrors(z.record(z.string(), z.string()), { "a/\u0000": "x" });
  assert.deepEqual(errors.map((e) => e.pointer), ["/a~1\u0000"]);
});

Deno.test("parseOrThrow() refuses nesting deeper than MAX_DEPTH without overflowing the stack", () => {
  let deep: unknown = "leaf";
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const errors = fieldErrors(z.unknown(), { a: deep });
  assert.equal(errors.length, 1);
  assert.match(errors[0].detail, new RegExp(`deeper than ${MAX_DEPTH}`));
  // Nesting within the limit is left to the schema.
  let shallow: unknown = "leaf";
  for (let i = 0; i < MAX_DEPTH - 1; i++) shallow = [shallow];
  assert.deepEqual(textErrors(shallow), []);
});

Deno.test("jsonBody(), queryParams() and pathParams() carry their schema for route tools", () => {
  const schema = z.strictObject({ a: z.string() });
  assert.deepEqual(jsonBody(schema).validation, { target: "json", schema });
  assert.deepEqual(queryParams(schema).validation, { target: "query", schema });
  assert.deepEqual(pathParams(schema).validation, { target: "param", schema });
});

Deno.test("queryParams() and pathParams() refuse percent-encodings that are not UTF-8, naming the field", async () => {
  const app = new Hono();
  app.onError(problemErrorHandler(quietLogger()));
  app.get(
    "/items/:id",
    pathParams(z.object({ id: z.string() })),
    queryParams(z.object({ q: z.string().optional() })),
    (c) => c.json({ q: c.req.valid("query").q ?? null }),
  );
  // A lone surrogate's bytes (ED A0 80) would otherwise arrive as the literal "%ED%A0%80".
  for (const [url, pointer] of [["/items/x?q=%ED%A0%80", "#/q"], ["/items/%ED%A0%80", "#/id"]]) {
    const res = await app.request(url);
    assert.equal(res.status, 400, url);
    const body = await res.json();
    assert.deepEqual(body.errors.map((e: { pointer: string }) => e.pointer), [pointer], url);
  }
  const nul = await app.request("/items/x?q=a%00b");
  assert.equal(nul.status, 400);
  const ok = await app.request("/items/x?q=caf%C3%A9+au+lait");
  assert.deepEqual(await ok.json(), { q: "café au lait" });
});
