/**
 * The API client: JSON in and out, problem+json as a typed {@link ApiError}.
 *
 * Session rules (issue 12):
 * - The access token lives in memory only (this module), never in storage.
 * - The refresh token is the gateway's HttpOnly cookie: `POST /api/v1/auth/refresh`
 *   with an empty body renews the session (cookie in, new access token and cookie out).
 * - One refresh at a time: concurrent callers share the same promise.
 * - A request refreshes first when its token is about to expire, and on a 401 it
 *   refreshes and retries once.
 */

/** One field error of a problem: a JSON pointer (`/email`) and a sentence. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/** An answer that was not 2xx, parsed from problem+json when it is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The problem's stable `code` (e.g. `username_taken`); `network_error` when offline. */
    readonly code: string,
    detail: string,
    readonly fieldErrors: FieldError[] = [],
    /** Seconds from Retry-After (429, 503), when given. */
    readonly retryAfter?: number,
  ) {
    super(detail);
    this.name = "ApiError";
  }

  /** The error of one field, by pointer (`/username`). */
  field(pointer: string): string | undefined {
    return this.fieldErrors.find((error) => error.pointer === pointer)?.detail;
  }
}

/** The session the gateway answers to sign-up, log-in and refresh. */
export interface SessionAnswer {
  user: User;
  accessToken: string;
  accessTokenExpiresAt: string;
}

/** The account, as `/api/v1/auth/*` answers it. */
export interface User {
  id: string;
  email: string;
  username: string;
  country: string | null;
  emailVerified: boolean;
  createdAt: string;
}

type Listener = (session: SessionAnswer | null) => void;

let access: { token: string; expiresAt: number } | null = null;
let refreshing: Promise<SessionAnswer | null> | null = null;
const listeners = new Set<Listener>();

/** Renew this long before the token's expiry, so a request never carries a dying one. */
const EXPIRY_MARGIN_MS = 10_000;

/** Called with every new session (or null when it ends): the session context listens. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * When the token expires by this browser's clock: its lifetime (the token's own
 * `exp − iat`) from now. `accessTokenExpiresAt` is the server's clock; a browser
 * whose clock runs ahead would otherwise see every new token as expired and
 * refresh before each request.
 */
function localExpiry(token: string, serverExpiresAt: string): number {
  try {
    const part = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    const { iat, exp } = JSON.parse(atob(part)) as { iat?: unknown; exp?: unknown };
    if (typeof iat === "number" && typeof exp === "number" && exp > iat) {
      return Date.now() + (exp - iat) * 1000;
    }
  } catch {
    // Not a JWT we can read: fall back to the server's time.
  }
  return Date.parse(serverExpiresAt);
}

/** Keeps a session's access token (in memory only) and tells the listeners. */
export function setSession(session: SessionAnswer | null): void {
  access = session
    ? {
      token: session.accessToken,
      expiresAt: localExpiry(session.accessToken, session.accessTokenExpiresAt),
    }
    : null;
  for (const listener of listeners) listener(session);
}

/**
 * Renews the session through the refresh cookie; null when there is none (or it
 * was refused). Concurrent calls share one request.
 */
export function refreshSession(): Promise<SessionAnswer | null> {
  refreshing ??= (async () => {
    try {
      const session = await send<SessionAnswer>("POST", "/api/v1/auth/refresh", {}, null);
      setSession(session);
      return session;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
        setSession(null);
        return null;
      }
      throw error;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Options of {@link api}. */
export interface RequestOptions {
  /** JSON body. */
  body?: unknown;
  /** Send the access token (refreshing it first if it expired). Default true. */
  auth?: boolean;
  signal?: AbortSignal;
  /** Extra request headers (e.g. `Idempotency-Key`). */
  headers?: Record<string, string>;
}

/** Calls the API; resolves to the parsed JSON (undefined for 204), rejects with ApiError. */
export async function api<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const useAuth = options.auth ?? true;
  if (useAuth && access && access.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) {
    await refreshSession();
  }
  const token = useAuth ? access?.token ?? null : null;
  try {
    return await send<T>(method, path, options.body, token, options.signal, options.headers);
  } catch (error) {
    // One retry after a refresh: the token may have expired on the way.
    if (useAuth && token && error instanceof ApiError && error.status === 401) {
      const renewed = await refreshSession();
      if (renewed) {
        return send<T>(method, path, options.body, renewed.accessToken, options.signal, options.headers);
      }
    }
    throw error;
  }
}

/** Ends the session: the gateway revokes the refresh token and clears its cookie. */
export async function logout(): Promise<void> {
  try {
    await send("POST", "/api/v1/auth/logout", {}, null);
  } finally {
    setSession(null);
  }
}

async function send<T>(
  method: string,
  path: string,
  body: unknown,
  token: string | null,
  signal?: AbortSignal,
  extra: Record<string, string> = {},
): Promise<T> {
  const headers: Record<string, string> = { ...extra, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, "network_error", "The network is unreachable. Check your connection.");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch { /* not JSON */ }
  if (response.ok) return parsed as T;
  throw problemOf(response, parsed);
}

function problemOf(response: Response, body: unknown): ApiError {
  const problem = (typeof body === "object" && body !== null ? body : {}) as Record<
    string,
    unknown
  >;
  const retry = Number(response.headers.get("retry-after"));
  const errors = Array.isArray(problem.errors)
    ? (problem.errors as FieldError[]).filter((e) => typeof e?.pointer === "string")
    : [];
  return new ApiError(
    response.status,
    typeof problem.code === "string" ? problem.code : `http_${response.status}`,
    typeof problem.detail === "string" ? problem.detail : response.statusText || "Request failed.",
    errors,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}
