/**
 * What the gateway changes in auth's routes, for the merged document: the
 * document describes what a client receives, and on these routes that is not
 * auth's answer as is (app.ts, sessions.ts).
 *
 * One source per fact: auth's document says what auth answers (`AuthSession`,
 * true for auth's own callers and tests); this file says only what the gateway
 * adds to it: the access token (`issueTokens`), the refresh-token cookie, the
 * cookie as a stand-in for the body's `refreshToken`, and its rate limits. The
 * client's `Session` is built from auth's schema plus these fields, so a field
 * auth changes is changed here too.
 */
import { z } from "zod";
import { ACCESS_TOKEN_ALG } from "@mp/shared/jwt";
import { ACCESS_TOKEN_TTL_SECONDS } from "./keys.ts";
import { REFRESH_COOKIE, REFRESH_COOKIE_PATH } from "./sessions.ts";

// deno-lint-ignore no-explicit-any
type Document = Record<string, any>;

const AUTH = "/api/v1/auth";

/** Routes whose 2xx answer the gateway turns into a `Session` (`issueTokens`), and that status. */
export const SESSION_ROUTES: Readonly<Record<string, string>> = {
  [`${AUTH}/signup`]: "201",
  [`${AUTH}/login`]: "200",
  [`${AUTH}/refresh`]: "200",
};

/** Routes whose `refreshToken` may come from the cookie instead (`withRefreshToken`). */
export const COOKIE_ROUTES: readonly string[] = [`${AUTH}/refresh`, `${AUTH}/logout`];

/** Auth routes the gateway rate-limits (app.ts: `limitBy` / `limitSuccessesBy`). */
export const LIMITED_ROUTES: readonly string[] = [
  "signup",
  "login",
  "forgot-password",
  "resend-verification",
  "change-password",
  "verify-email",
  "reset-password",
].map((name) => `${AUTH}/${name}`);

// The fields of auth's answer that `issueTokens` passes on.
const FROM_AUTH = ["user", "refreshToken", "refreshTokenExpiresAt"];

/** What the gateway adds to auth's session answer (`issueTokens`). */
const GatewayTokens = z.object({
  accessToken: z.string().meta({
    description: `Signed JWT (${ACCESS_TOKEN_ALG}) for \`Authorization: Bearer\`; valid ` +
      `${ACCESS_TOKEN_TTL_SECONDS / 60} minutes. Its keys are at \`GET /.well-known/jwks.json\`.`,
  }),
  accessTokenExpiresAt: z.iso.datetime().meta({
    description: "When the access token expires (ISO 8601); refresh before then.",
  }),
  tokenType: z.literal("Bearer"),
});

const COOKIE_TEXT = `The refresh token also comes as the \`${REFRESH_COOKIE}\` cookie ` +
  `(HttpOnly, SameSite=Strict, Path=${REFRESH_COOKIE_PATH}) for browsers.`;

const setCookie = (description: string) => ({
  "Set-Cookie": { description, schema: { type: "string" } },
});

const problemAnswer = (description: string, headers: Document = {}) => ({
  description,
  headers,
  content: {
    "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
  },
});

const tooMany = problemAnswer(
  "`rate_limited`: too many attempts from this address or for this account.",
  {
    "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } },
  },
);

const SCHEMAS = "#/components/schemas/";
const nameOf = (schema: Document | undefined): string | undefined =>
  typeof schema?.$ref === "string" && schema.$ref.startsWith(SCHEMAS)
    ? schema.$ref.slice(SCHEMAS.length)
    : undefined;
const resolve = (document: Document, schema: Document | undefined): Document | undefined => {
  const name = nameOf(schema);
  return name === undefined ? schema : document.components?.schemas?.[name];
};

/** The client's session: auth's answer with the gateway's access token. */
function sessionSchema(auth: Document): Document {
  const gateway = z.toJSONSchema(GatewayTokens) as Document;
  const own = (name: string) => auth.properties?.[name];
  return {
    type: "object",
    description: "A signed-in session, as the gateway answers it. " + COOKIE_TEXT,
    properties: {
      user: own("user"),
      ...gateway.properties,
      refreshToken: own("refreshToken"),
      refreshTokenExpiresAt: own("refreshTokenExpiresAt"),
    },
    required: [...FROM_AUTH.filter((name) => auth.required?.includes(name)), ...gateway.required],
  };
}

/**
 * The merged document with auth's operations as the client gets them through
 * the gateway (a new document; `merged` is not changed). Operations auth did
 * not document are left alone.
 */
export function describeGatewaySessions(merged: Document): Document {
  const document = structuredClone(merged);
  const paths = document.paths ?? {};
  const schemas = document.components.schemas;
  const replaced = new Set<string>();
  for (const [path, status] of Object.entries(SESSION_ROUTES)) {
    const answer = paths[path]?.post?.responses?.[status];
    const media = answer?.content?.["application/json"];
    const auth = resolve(document, media?.schema);
    if (!auth) continue;
    const name = nameOf(media.schema);
    if (name) replaced.add(name);
    schemas.Session ??= sessionSchema(auth);
    media.schema = { $ref: `${SCHEMAS}Session` };
    answer.headers = { ...answer.headers, ...setCookie(`Sets the \`${REFRESH_COOKIE}\` cookie.`) };
  }
  for (const path of COOKIE_ROUTES) {
    const operation = paths[path]?.post;
    const media = operation?.requestBody?.content?.["application/json"];
    const body = resolve(document, media?.schema);
    if (!body) continue;
    const required = (body.required ?? []).filter((n: string) => n !== "refreshToken");
    media.schema = { ...body, required };
    operation.requestBody = {
      ...operation.requestBody,
      required: false,
      description: `Optional: \`refreshToken\` is taken from the \`${REFRESH_COOKIE}\` ` +
        "cookie when the body has none.",
    };
    operation.parameters = [
      ...(operation.parameters ?? []),
      {
        name: REFRESH_COOKIE,
        in: "cookie",
        required: false,
        schema: { type: "string" },
        description: "The refresh token, for browsers (the body's `refreshToken` wins).",
      },
    ];
    // Logout clears the cookie whatever auth answered; refresh when auth refused the token.
    const clearing = operation.responses?.[path === `${AUTH}/logout` ? "204" : "401"];
    if (clearing) {
      clearing.headers = {
        ...clearing.headers,
        ...setCookie(`Clears the \`${REFRESH_COOKIE}\` cookie.`),
      };
    }
  }
  for (const path of LIMITED_ROUTES) {
    const responses = paths[path]?.post?.responses;
    if (responses) responses["429"] = tooMany;
  }
  // Auth's answer is what the gateway reads, not what a client sees: dropped when unused.
  const text = JSON.stringify(document.paths);
  for (const name of replaced) {
    if (!text.includes(`"${SCHEMAS}${name}"`)) delete schemas[name];
  }
  return document;
}
