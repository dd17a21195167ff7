import assert from "node:assert/strict";
import { z } from "zod";
import { parseOrThrow } from "./validate.ts";
import { AppError } from "./problem.ts";

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
