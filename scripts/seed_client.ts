/**
 * The seed's HTTP client of the gateway: JSON in and out, the retries a
 * well-behaved client makes, and signed-in sessions that renew their access
 * token. It never retries a request that may have changed something unless the
 * caller says the request is idempotent.
 *
 * - 429: waits `Retry-After` and tries again, unless the wait is longer than
 *   `maxWaitMs`; then it stops the seed with a message naming the gateway
 *   variable that raises the limit.
 * - 503 (the gateway could not reach a service, or is shutting down: nothing
 *   was done) and, for idempotent requests, other 5xx and network errors: a few
 *   retries with exponential backoff.
 * - Everything else is the caller's to judge.
 */

/** An answer of the gateway. */
export interface Reply {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A failure that stops the seed; its message says what went wrong and what to do. */
export class SeedError extends Error {
  override name = "SeedError";
}

/**
 * A request that may or may not have been carried out (the connection broke
 * after it was sent). Thrown only for requests that are not idempotent.
 */
export class UncertainError extends Error {
  override name = "UncertainError";
}

/** Options of `GatewayClient`. */
export interface ClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** Longest `Retry-After` of a 429 worth waiting for. Default 120 s. */
  maxWaitMs?: number;
  /** Retries of a 5xx or a network error. Default 5. */
  retries?: number;
  /** Deadline of one exchange. Default 30 s. */
  timeoutMs?: number;
  /** Told about every wait, for progress output. */
  onWait?: (event: WaitEvent) => void;
}

/** Why the client is waiting before trying again. */
export interface WaitEvent {
  kind: "rate_limited" | "retry";
  ms: number;
  /** The limit's name for a 429, else the status or error. */
  detail: string;
}

/** Options of one request. */
export interface RequestOptions {
  body?: unknown;
  token?: string;
  /** Safe to repeat after an ambiguous failure (a 5xx or a broken connection). Default true. */
  idempotent?: boolean;
  /** Retries of this request, instead of the client's. */
  retries?: number;
}

// Which gateway variable raises which limit (gateway/README.md).
const LIMIT_VARIABLES: Record<string, string> = {
  "ip": "RATE_LIMIT_PER_MINUTE",
  "signup-ip": "SIGNUP_LIMIT_PER_HOUR",
  "login-ip": "LOGIN_IP_LIMIT_PER_MINUTE",
  "login-failures": "LOGIN_FAILURES_PER_MINUTE",
};

/** A JSON client of the gateway. */
export class GatewayClient {
  readonly baseUrl: string;
  readonly #maxWaitMs: number;
  readonly #retries: number;
  readonly #timeoutMs: number;
  readonly #onWait: (event: WaitEvent) => void;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#maxWaitMs = options.maxWaitMs ?? 120_000;
    this.#retries = options.retries ?? 5;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#onWait = options.onWait ?? (() => {});
  }

  /** Sends one request, with the waits and retries described above. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const idempotent = options.idempotent ?? true;
    const retries = options.retries ?? this.#retries;
    for (let attempt = 0;; attempt++) {
      let reply: Reply;
      try {
        reply = await this.#exchange(method, path, options);
      } catch (error) {
        const cause = (error as Error).message;
        if (!idempotent) throw new UncertainError(`${method} ${path}: ${cause}`);
        if (attempt >= retries) {
          throw new SeedError(
            `${method} ${this.baseUrl}${path} failed ${attempt + 1} times: ${cause}. ` +
              "Is the fleet running (deno task dev) and --gateway right?",
          );
        }
        await this.#wait({ kind: "retry", ms: backoff(attempt), detail: cause });
        continue;
      }
      if (reply.status === 429) {
        const ms = retryAfterMs(reply) ?? 1000;
        const limit = String(reply.body?.limit ?? "unknown");
        if (ms > this.#maxWaitMs) throw new SeedError(rateLimitMessage(limit, ms));
        await this.#wait({ kind: "rate_limited", ms, detail: limit });
        attempt--; // a refusal is not a failure: it does not use up a retry
        continue;
      }
      const retryable = reply.status === 503 || (idempotent && reply.status >= 500);
      if (!retryable) return reply;
      if (attempt >= retries) throw new SeedError(describe(method, path, reply));
      const ms = Math.min(retryAfterMs(reply) ?? backoff(attempt), 30_000);
      await this.#wait({ kind: "retry", ms, detail: String(reply.status) });
    }
  }

  async #exchange(method: string, path: string, options: RequestOptions): Promise<Reply> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch { /* not JSON: keep the text for the error message */ }
    return { status: res.status, headers: res.headers, body };
  }

  async #wait(event: WaitEvent) {
    this.#onWait(event);
    await sleep(event.ms);
  }
}

/** What a signup or login answers, as the seed uses it. */
interface Tokens {
  user: { id: string; email: string; username: string; emailVerified: boolean };
  accessToken: string;
  refreshToken: string;
}

/** A signed-in account. Renews its access token when the gateway answers 401. */
export class Session {
  #tokens: Tokens;

  private constructor(
    readonly client: GatewayClient,
    readonly login: string,
    readonly password: string,
    tokens: Tokens,
  ) {
    this.#tokens = tokens;
  }

  /** The account as auth described it at sign-in. */
  get user(): Tokens["user"] {
    return this.#tokens.user;
  }

  /**
   * Signs up, or logs in when the email or username is taken (409): the seed
   * created that account on an earlier run. `created` says which happened.
   */
  static async open(
    client: GatewayClient,
    account: { email: string; username: string; password: string },
  ): Promise<{ session: Session; created: boolean }> {
    const signup = await client.send("POST", "/api/v1/auth/signup", { body: account });
    if (signup.status === 201) {
      return {
        session: new Session(client, account.username, account.password, signup.body),
        created: true,
      };
    }
    if (signup.status !== 409) {
      throw new SeedError(describe("POST", "/api/v1/auth/signup", signup, account.username));
    }
    const tokens = await logIn(client, account.username, account.password);
    return {
      session: new Session(client, account.username, account.password, tokens),
      created: false,
    };
  }

  /** Logs in to an account that exists (no signup attempt, so no signup limit is spent). */
  static async logIn(client: GatewayClient, login: string, password: string): Promise<Session> {
    return new Session(client, login, password, await logIn(client, login, password));
  }

  /** Sends a request with the access token, renewing it once if it is refused. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const reply = await this.client.send(method, path, {
      ...options,
      token: this.#tokens.accessToken,
    });
    if (reply.status !== 401) return reply;
    // Expired (15 minutes) or revoked: a 401 means nothing was done, so trying again is safe.
    await this.#renew();
    return this.client.send(method, path, { ...options, token: this.#tokens.accessToken });
  }

  async #renew() {
    // Not idempotent: a refresh token is single use. If the answer is lost, log in instead.
    const refreshed = await this.client.send("POST", "/api/v1/auth/refresh", {
      body: { refreshToken: this.#tokens.refreshToken },
      idempotent: false,
    }).catch((error) => {
      if (error instanceof UncertainError) return undefined;
      throw error;
    });
    this.#tokens = refreshed?.status === 200
      ? refreshed.body
      : await logIn(this.client, this.login, this.password);
  }
}

async function logIn(client: GatewayClient, login: string, password: string): Promise<Tokens> {
  const res = await client.send("POST", "/api/v1/auth/login", { body: { login, password } });
  if (res.status === 200) return res.body;
  if (res.status === 401) {
    throw new SeedError(
      `${login} exists but the seed's password does not open it: the account was not made by ` +
        "this seed (or its password was changed). Use another --prefix or --password, or a fresh fleet.",
    );
  }
  throw new SeedError(describe("POST", "/api/v1/auth/login", res, login));
}

/** A one-line description of an unexpected answer, from its problem details. */
export function describe(method: string, path: string, reply: Reply, who?: string): string {
  const body = reply.body;
  let text = `${method} ${path}${who ? ` (${who})` : ""} answered ${reply.status}`;
  if (body && typeof body === "object") {
    if (body.code) text += ` ${body.code}`;
    if (body.detail ?? body.title) text += `: ${body.detail ?? body.title}`;
    if (Array.isArray(body.errors)) {
      text += ` [${
        body.errors.map((e: { pointer?: string; detail?: string; message?: string }) =>
          `${e.pointer ?? ""} ${e.detail ?? e.message ?? ""}`.trim()
        ).join("; ")
      }]`;
    }
  } else if (typeof body === "string" && body) {
    text += `: ${body.slice(0, 300)}`;
  }
  return text;
}

function rateLimitMessage(limit: string, ms: number): string {
  const variable = LIMIT_VARIABLES[limit];
  return `The gateway's "${limit}" rate limit refused the seed for another ${
    Math.ceil(ms / 1000)
  } s, longer than --max-wait. ` +
    (variable
      ? `Start the fleet with a higher ${variable} (e.g. ${variable}=100000 deno task dev) `
      : "Raise that limit ") +
    "or pass a larger --max-wait. Running the seed again continues where it stopped.";
}

function retryAfterMs(reply: Reply): number | undefined {
  const header = reply.headers.get("retry-after");
  const seconds = header !== null && /^\d+$/.test(header.trim())
    ? Number(header)
    : typeof reply.body?.retryAfter === "number"
    ? reply.body.retryAfter
    : undefined;
  return seconds === undefined ? undefined : seconds * 1000;
}

/** 0.5 s, 1 s, 2 s … capped at 8 s, with jitter so parallel workers do not retry in step. */
function backoff(attempt: number): number {
  return Math.min(8000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
