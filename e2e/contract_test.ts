/**
 * The contract check itself: an answer with a field the document does not name
 * fails, as does a missing or mistyped one and an undocumented status; an
 * extended schema (`allOf` of a component and more fields) accepts both parts;
 * problem answers may carry extension members.
 */
import assert from "node:assert/strict";
import { contractOf } from "./contract.ts";

const document = {
  paths: {
    "/api/v1/things/{id}": {
      get: {
        responses: {
          200: {
            content: { "application/json": { schema: { $ref: "#/components/schemas/Own" } } },
          },
          404: {
            content: {
              "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
            },
          },
        },
      },
    },
    "/api/v1/things/mine": {
      get: {
        responses: {
          200: {
            content: {
              "application/json": {
                schema: { type: "array", items: { $ref: "#/components/schemas/Thing" } },
              },
            },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: "object",
        properties: { id: { type: "string" }, size: { type: ["integer", "null"] } },
        required: ["id", "size"],
      },
      Own: {
        allOf: [{ $ref: "#/components/schemas/Thing" }, {
          type: "object",
          properties: { secret: { type: "string" } },
          required: ["secret"],
        }],
      },
      Problem: {
        type: "object",
        properties: { status: { type: "integer" }, code: { type: "string" } },
        required: ["status", "code"],
        additionalProperties: {},
      },
    },
  },
};

const check = contractOf(document);
const JSON_TYPE = "application/json";

Deno.test("an answer that matches its documented schema, extended or listed, passes", () => {
  assert.equal(
    check("GET", "/api/v1/things/x", 200, JSON_TYPE, { id: "x", size: null, secret: "s" }),
    undefined,
  );
  assert.equal(
    check("GET", "/api/v1/things/mine", 200, JSON_TYPE, [{ id: "a", size: 1 }]),
    undefined,
  );
});

Deno.test("a field the document does not name is drift, named in the message", () => {
  const extra = check("GET", "/api/v1/things/x", 200, JSON_TYPE, {
    id: "x",
    size: 1,
    secret: "s",
    internalNote: "leaked",
  });
  assert.match(extra ?? "", /internalNote/);
  assert.match(
    check("GET", "/api/v1/things/mine", 200, JSON_TYPE, [{ id: "a", size: 1, owner: "b" }]) ?? "",
    /owner/,
  );
});

Deno.test("a missing or mistyped field, or an undocumented status, fails", () => {
  assert.ok(check("GET", "/api/v1/things/x", 200, JSON_TYPE, { id: "x", size: 1 }));
  assert.ok(check("GET", "/api/v1/things/x", 200, JSON_TYPE, { id: 1, size: 1, secret: "s" }));
  assert.match(check("GET", "/api/v1/things/x", 409, JSON_TYPE, {}) ?? "", /not documented/);
});

Deno.test("a literal path wins over a parameter, and problems may carry extension members", () => {
  // /things/mine is an array route, not /things/{id}.
  assert.ok(check("GET", "/api/v1/things/mine", 200, JSON_TYPE, { id: "x", size: 1, secret: "s" }));
  assert.equal(
    check("GET", "/api/v1/things/x", 404, "application/problem+json", {
      status: 404,
      code: "not_found",
      currentStatus: "paid",
    }),
    undefined,
  );
});
