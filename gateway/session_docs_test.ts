import assert from "node:assert/strict";
import { contractOf } from "../e2e/contract.ts";
import { DOCUMENT_PATH } from "./api_docs.ts";
import { LIMITED_ROUTES } from "./session_docs.ts";
import { json, startAuthContractUpstream, startGateway } from "./test_support.ts";

// deno-lint-ignore no-explicit-any
type Document = Record<string, any>;

const AUTH_ROUTES = [
  "signup",
  "login",
  "refresh",
  "logout",
  "verify-email",
  "resend-verification",
  "forgot-password",
  "reset-password",
  "change-password",
].map((name) => `/api/v1/auth/${name}`);

const problem = {
  description: "A problem.",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const answer = (name: string) => ({
  description: "Auth's answer.",
  content: { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } },
});

/** A document shaped as auth's (docs/CONTRACTS.md), as the contract upstream answers. */
const authDocument: Document = {
  openapi: "3.1.0",
  info: { title: "Auth", version: "1.0.0" },
  paths: Object.fromEntries(AUTH_ROUTES.map((path) => {
    const name = path.split("/").at(-1)!;
    const status = name === "signup" ? "201" : name === "logout" ? "204" : "200";
    const success = ["signup", "login", "refresh"].includes(name)
      ? answer("AuthSession")
      : name === "logout"
      ? { description: "Done." }
      : answer("Message");
    const requestBody = {
      required: true,
      content: {
        "application/json": {
          schema: {
            type: "object",
            properties: { refreshToken: { type: "string" } },
            required: ["refreshToken"],
            additionalProperties: false,
          },
        },
      },
    };
    return [path, { post: { requestBody, responses: { [status]: success, 401: problem } } }];
  })),
  components: {
    schemas: {
      Problem: { type: "object", properties: { status: { type: "integer" } } },
      Message: { type: "object", properties: { message: { type: "string" } } },
      AuthSession: {
        type: "object",
        properties: {
          user: {
            type: "object",
            // What the stand-in auth (test_support.ts) answers: the contract check is
            // closed, so an undocumented field would be drift.
            properties: {
              id: { type: "string" },
              email: { type: "string" },
              username: { type: "string" },
              emailVerified: { type: "boolean" },
              createdAt: { type: "string", format: "date-time" },
            },
            required: ["id", "email", "username", "emailVerified", "createdAt"],
          },
          refreshToken: { type: "string" },
          refreshTokenExpiresAt: { type: "string", format: "date-time" },
        },
        required: ["user", "refreshToken", "refreshTokenExpiresAt"],
      },
    },
  },
};

async function documentedGateway(env: Record<string, string> = {}) {
  const auth = startAuthContractUpstream();
  auth.override.set("/openapi.json", () => Response.json(authDocument));
  const gateway = await startGateway({ env: { AUTH_URL: auth.url, ...env } });
  const document: Document = await json(await fetch(`${gateway.url}${DOCUMENT_PATH}`));
  const post = (path: string, body: unknown = {}) =>
    fetch(`${gateway.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return {
    document,
    post,
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await auth.close();
    },
  };
}

Deno.test("the merged document describes the session the client gets: auth's fields plus the gateway's access token", async () => {
  await using t = await documentedGateway();
  const check = contractOf(t.document);
  const authOnly = contractOf(authDocument);
  for (
    const [path, body] of [
      ["/api/v1/auth/signup", { email: "bob@example.test", username: "bob", password: "pw" }],
      ["/api/v1/auth/login", { login: "alice", password: "right" }],
      ["/api/v1/auth/refresh", { refreshToken: "rt-1" }],
    ] as const
  ) {
    const res = await t.post(path, body);
    assert.ok(res.ok, `${path} ${res.status}`);
    const answer = await json(res);
    const type = res.headers.get("content-type") ?? "";
    assert.equal(check("POST", path, res.status, type, answer), undefined, path);
    // The gateway's fields are required: auth's answer alone would not be a client's session.
    const { accessToken: _, ...withoutAccess } = answer;
    assert.match(
      check("POST", path, res.status, type, withoutAccess) ?? "",
      /accessToken/,
      `${path} without accessToken`,
    );
    // Without the gateway's three fields, what is left is exactly auth's session.
    const { accessTokenExpiresAt: _e, tokenType: _t, ...authFields } = withoutAccess;
    assert.equal(authOnly("POST", path, res.status, type, authFields), undefined);
    assert.match(
      authOnly("POST", path, res.status, type, withoutAccess) ?? "",
      /tokenType|accessTokenExpiresAt/,
    );
  }
  const session = t.document.components.schemas.Session;
  assert.deepEqual(
    session.properties.user,
    authDocument.components.schemas.AuthSession.properties.user,
  );
  assert.equal(
    t.document.components.schemas.AuthSession,
    undefined,
    "auth's own shape is not shown",
  );
});

Deno.test("refresh and logout document the cookie as a stand-in for the body's refreshToken", async () => {
  await using t = await documentedGateway();
  for (const path of ["/api/v1/auth/refresh", "/api/v1/auth/logout"]) {
    const operation = t.document.paths[path].post;
    assert.equal(operation.requestBody.required, false, path);
    assert.deepEqual(operation.requestBody.content["application/json"].schema.required, [], path);
    assert.ok(
      operation.parameters.some((p: Document) => p.in === "cookie" && p.name === "refresh_token"),
      path,
    );
  }
  // Other bodies keep auth's rules.
  assert.deepEqual(
    t.document.paths["/api/v1/auth/signup"].post.requestBody.content["application/json"].schema
      .required,
    ["refreshToken"],
  );
});

Deno.test("429 is documented on exactly the auth routes the gateway rate-limits", async () => {
  // Every auth limit at one request; the general limit and failed logins out of the way.
  await using t = await documentedGateway({
    SIGNUP_LIMIT_PER_HOUR: "1",
    LOGIN_IP_LIMIT_PER_MINUTE: "1",
    FORGOT_IP_LIMIT_PER_HOUR: "1",
    RESEND_VERIFICATION_IP_LIMIT_PER_HOUR: "1",
    CHANGE_PASSWORD_IP_LIMIT_PER_HOUR: "1",
    VERIFY_EMAIL_IP_LIMIT_PER_HOUR: "1",
    RESET_PASSWORD_IP_LIMIT_PER_HOUR: "1",
  });
  const limited: string[] = [];
  for (const path of AUTH_ROUTES) {
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.post(path, { refreshToken: "rt-1" });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    if (statuses.includes(429)) limited.push(path);
    const documented = Boolean(t.document.paths[path].post.responses["429"]);
    assert.equal(documented, statuses.includes(429), `${path}: ${statuses}`);
  }
  assert.deepEqual(limited.sort(), [...LIMITED_ROUTES].sort());
});
