import assert from "node:assert/strict";
import { PROBLEM_CONTENT_TYPE } from "../problem.ts";

/** A response read in full. */
export interface TestResponse {
  status: number;
  type: string;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** What a request sends: a body (a string is sent as it is, else as JSON), a bearer token, headers. */
export interface TestRequest {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

/**
 * Calls an app in-process (`app.request`) as the gateway would and reads the
 * answer: JSON when it parses, else the text.
 */
export async function callApp(
  app: { request(path: string, init: RequestInit): Response | Promise<Response> },
  method: string,
  path: string,
  { body, token, headers = {} }: TestRequest = {},
): Promise<TestResponse> {
  const sent: Record<string, string> = {};
  if (body !== undefined) sent["content-type"] = "application/json";
  Object.assign(sent, headers);
  if (token) sent.authorization = `Bearer ${token}`;
  const response = await app.request(path, {
    method,
    headers: sent,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    headers: response.headers,
    body: parsed,
  };
}

/**
 * Asserts a problem+json answer (RFC 9457, shared/problem.ts) with `status`,
 * and with `code` when given; the message shows the body that was received.
 */
export function assertProblem(answer: TestResponse, status: number, code?: string): void {
  const seen = JSON.stringify(answer.body);
  assert.equal(answer.status, status, seen);
  assert.equal(answer.type, PROBLEM_CONTENT_TYPE, seen);
  assert.equal(answer.body.status, status, seen);
  assert.equal(typeof answer.body.code, "string", seen);
  if (code) assert.equal(answer.body.code, code, seen);
}
