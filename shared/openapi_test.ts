import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { z } from "zod";
import { createServiceApp } from "./http.ts";
import { apiRoute, jsonRequest, jsonResponse, openApiDocument } from "./openapi.ts";
import { quietLogger } from "./testing/mod.ts";
import { line } from "./text.ts";

function testApp() {
  const { app } = createServiceApp({ log: quietLogger("openapi-test") });
  const body = z.strictObject({ name: line(20), count: z.number().int().min(1) });
  const query = z.strictObject({ sort: z.enum(["new", "old"]).optional() });
  const params = z.object({ id: z.uuid() });
  app.openapi(
    apiRoute({
      method: "post",
      path: "/api/v1/things/{id}",
      bearer: true,
      problems: [404],
      request: { params, query, body: jsonRequest(body) },
      responses: { 201: jsonResponse(z.object({ name: z.string() }), "Created.") },
    }),
    (c) => c.json({ name: c.req.valid("json").name }, 201),
  );
  return app;
}

const ID = "5b0e5d0e-3d4c-4a39-9d5e-0c1f7a1b2c3d";

async function post(body: string, type = "application/json", path = `/api/v1/things/${ID}`) {
  const res = await testApp().request(path, {
    method: "POST",
    headers: { "content-type": type },
    body,
  });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
}

const pointers = (body: { errors?: { pointer: string }[] }) =>
  (body.errors ?? []).map((e) => e.pointer);

Deno.test("apiRoute() passes a valid request to the handler with the schema's output", async () => {
  const res = await post(JSON.stringify({ name: "  spaced  ", count: 2 }));
  assert.equal(res.status, 201);
  assert.deepEqual(res.body, { name: "spaced" });
});

Deno.test("apiRoute() answers 415 for a non-JSON body and 400 malformed_json for bad JSON", async () => {
  const text = await post("name=x", "text/plain");
  assert.equal(text.status, 415);
  assert.equal(text.type, "application/problem+json");
  assert.equal(text.body.code, "unsupported_media_type");
  const bad = await post("{ not json");
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, "malformed_json");
});

Deno.test("apiRoute() lists each failing field and each unknown field as a pointer", async () => {
  const res = await post(JSON.stringify({ name: "", count: "2", admin: true }));
  assert.equal(res.status, 400);
  assert.equal(res.body.code, "validation_failed");
  assert.deepEqual(pointers(res.body).sort(), ["/admin", "/count", "/name"]);
  const ok = JSON.stringify({ name: "a", count: 1 });
  const query = await post(ok, undefined, `/api/v1/things/${ID}?sort=up`);
  assert.deepEqual(pointers(query.body), ["#/sort"]);
  const path = await post(ok, undefined, `/api/v1/things/x`);
  assert.deepEqual(pointers(path.body), ["#/id"]);
});

Deno.test("apiRoute() applies the text rule to every string before the schema", async () => {
  const nul = await post(JSON.stringify({ name: "a\u0000b", count: 1 }));
  assert.equal(nul.status, 400);
  assert.deepEqual(pointers(nul.body), ["/name"]);
  const key = await post(JSON.stringify({ name: "a", count: 1, "bad\u0085key": 1 }));
  assert.equal(key.status, 400);
  assert.match(key.body.errors[0].detail, /Field name/);
  const query = await post(
    JSON.stringify({ name: "a", count: 1 }),
    undefined,
    `/api/v1/things/${ID}?sort=%ED%A0%80`,
  );
  assert.deepEqual(pointers(query.body), ["#/sort"]);
});

Deno.test("openApiDocument() is valid OpenAPI 3.1 listing the problem answers and the bearer", async () => {
  const document = openApiDocument(testApp(), { title: "test" });
  const result = await new Validator().validate(JSON.parse(JSON.stringify(document)));
  assert.equal(result.valid, true, JSON.stringify(result.errors));
  const operation = document.paths!["/api/v1/things/{id}"]!.post!;
  assert.deepEqual(Object.keys(operation.responses!).sort(), ["201", "400", "401", "404", "415"]);
  assert.deepEqual(operation.security, [{ bearer: [] }]);
  assert.deepEqual(
    operation.parameters!.map((p) => "name" in p && p.name).sort(),
    ["id", "sort"],
  );
});
