/**
 * End-to-end harness: the real fleet (every process under its real permission
 * flags, started by scripts/fleet.ts), a real SMTP server that receives the
 * mails, and a small HTTP client that talks to the gateway only.
 */
import amqp from "amqplib";
import { Redis } from "ioredis";
import { dropDatabases, type Fleet, type FleetOptions, startFleet } from "../scripts/fleet.ts";
import {
  type CapturedMail,
  PERMISSION_ERROR,
  type SmtpCapture,
  startSmtpCapture,
} from "@mp/shared/testing";
import { type ContractCheck, contractOf } from "./contract.ts";

/** A response as the tests look at it. */
export interface Reply {
  status: number;
  headers: Headers;
  type: string;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A client of the gateway with an optional cookie jar (like a browser) and bearer token. */
export class Client {
  cookies = new Map<string, string>();
  constructor(
    readonly baseUrl: string,
    /** `contract`: every answer is checked against the published document (contract.ts). */
    readonly options: { forwardedFor?: string; contract?: ContractCheck } = {},
  ) {}

  async request(
    method: string,
    path: string,
    init: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined || init.raw !== undefined) {
      headers["content-type"] ??= "application/json";
    }
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (this.cookies.size) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    }
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      if (value === "" || /max-age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch { /* not JSON: keep the text */ }
    const type = res.headers.get("content-type") ?? "";
    const broken = this.options.contract?.(method, path, res.status, type, body);
    if (broken) throw new Error(`answer differs from the API document: ${broken}`);
    return { status: res.status, headers: res.headers, type, body };
  }
}

/** A running fleet with its mail server, for one test file. */
export interface Marketplace {
  fleet: Fleet;
  smtp: SmtpCapture;
  /** The realtime edge's REDIS_PREFIX in this fleet (its keys and adapter channel). */
  redisPrefix: string;
  client(): Client;
  /** Signs a new user up and returns the tokens plus the verification link's token from the mail. */
  signup(name: string, password?: string): Promise<SignedUp>;
  /** The newest mail to `address` whose subject matches. */
  mailTo(address: string, subject: RegExp): Promise<CapturedMail>;
  /** The token of the first `${PUBLIC_URL}/<page>?token=…` link in a mail's text and HTML (both must carry it). */
  linkToken(mail: CapturedMail, page: "verify-email" | "reset-password"): string;
  close(): Promise<void>;
}

/** What `signup` returns. */
export interface SignedUp {
  client: Client;
  user: { id: string; email: string; username: string };
  accessToken: string;
  refreshToken: string;
  password: string;
}

/** Starts the fleet on free ports with a unique exchange and databases, and an SMTP capture. */
export async function startMarketplace(
  name: string,
  options: Partial<FleetOptions> = {},
): Promise<Marketplace> {
  const id = crypto.randomUUID().slice(0, 8);
  const smtp = await startSmtpCapture();
  const prefix = `e2e_${name}_${id}`;
  const exchange = `e2e.${name}.${id}`;
  const redisPrefix = `rt:${prefix}:`;
  let fleet: Fleet;
  try {
    fleet = await startFleet({
      ports: "free",
      smtpUrl: smtp.url,
      exchange,
      databasePrefix: prefix,
      logLevel: "warn",
      ...options,
      env: {
        ...options.env,
        // One client IP runs every test: general limits high, specific ones as the test sets.
        gateway: {
          RATE_LIMIT_PREFIX: `rl:${prefix}:`,
          RATE_LIMIT_PER_MINUTE: "100000",
          ORDER_PLACEMENT_IP_LIMIT_PER_HOUR: "100000",
          ORDER_PLACEMENT_ACCOUNT_LIMIT_PER_HOUR: "100000",
          WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE: "100000",
          ...options.env?.gateway,
        },
        // Fleets of parallel test files share one Redis.
        gigs: { GIGS_REDIS_PREFIX: `gigs:${prefix}:`, ...options.env?.gigs },
        // The edge's keys and adapter channel, and chat's reading of its presence keys.
        realtime: { REDIS_PREFIX: redisPrefix, ...options.env?.realtime },
        chat: {
          CHAT_PRESENCE_KEY_PREFIX: `${redisPrefix}realtime:online:`,
          ...options.env?.chat,
        },
      },
    });
  } catch (error) {
    await smtp.close();
    throw error;
  }
  // Answers of documented routes are checked against the gateway's merged document.
  let contract: ContractCheck | undefined;
  try {
    const published = await fetch(`${fleet.gatewayUrl}/api/v1/openapi.json`);
    if (published.ok) contract = contractOf(await published.json());
    else await published.body?.cancel();
  } catch (error) {
    await fleet.stop();
    await smtp.close();
    throw error;
  }
  const market: Marketplace = {
    fleet,
    smtp,
    redisPrefix,
    client: () => new Client(fleet.gatewayUrl, { contract }),
    async signup(username, password = "correct horse battery") {
      const client = new Client(fleet.gatewayUrl, { contract });
      const res = await client.request("POST", "/api/v1/auth/signup", {
        body: { email: `${username}@example.com`, username, password },
      });
      if (res.status !== 201) {
        throw new Error(`signup ${username}: ${res.status} ${JSON.stringify(res.body)}`);
      }
      return {
        client,
        user: res.body.user,
        accessToken: res.body.accessToken,
        refreshToken: res.body.refreshToken,
        password,
      };
    },
    mailTo: (address, subject) =>
      smtp.waitForMail((mail) => mail.to.includes(address) && subject.test(mail.subject), 20_000),
    linkToken(mail, page) {
      const pattern = new RegExp(`${escape(fleet.publicUrl)}/${page}\\?token=([A-Za-z0-9_-]+)`);
      const inText = mail.text.match(pattern)?.[1];
      const inHtml = mail.html.match(pattern)?.[1];
      if (!inText || inText !== inHtml) {
        throw new Error(`no ${page} link in both parts of "${mail.subject}":\n${mail.text}`);
      }
      return inText;
    },
    async close() {
      await fleet.stop();
      await smtp.close();
      await deleteBrokerObjects(exchange, [
        "auth",
        "notifications",
        "users",
        "gigs",
        "orders",
        "reviews",
        "chat",
        "realtime",
      ]);
      await dropDatabases({ prefix });
      await deleteRedisKeys(redisPrefix);
      assertNoPermissionErrors(fleet);
    },
  };
  return market;
}

/**
 * Fails when a process of the fleet printed a permission error: a flag missing
 * from scripts/processes.ts may surface only as a logged warning (a worker, a
 * background job), which production would meet first.
 */
function assertNoPermissionErrors(fleet: Fleet): void {
  const denied = fleet.names.flatMap((name) => {
    const lines = fleet.logs(name).split("\n").filter((line) => PERMISSION_ERROR.test(line));
    return lines.length === 0 ? [] : [`${name}: ${lines.slice(0, 3).join("\n  ")}`];
  });
  if (denied.length > 0) {
    throw new Error(`permission errors in the fleet's output:\n${denied.join("\n")}`);
  }
}

/** Deletes every Redis key under `prefix`. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379");
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

function escape(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Deletes the queues of `services` (and their dead letters) and the exchanges. */
export async function deleteBrokerObjects(exchange: string, services: string[]): Promise<void> {
  const conn = await amqp.connect(Deno.env.get("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672");
  try {
    const ch = await conn.createChannel();
    ch.on("error", () => {});
    for (const service of services) {
      await ch.deleteQueue(`${exchange}.${service}`).catch(() => {});
      await ch.deleteQueue(`${exchange}.${service}.dlq`).catch(() => {});
    }
    await ch.deleteExchange(exchange).catch(() => {});
    await ch.deleteExchange(`${exchange}.dlx`).catch(() => {});
  } finally {
    await conn.close().catch(() => {});
  }
}

/** One span as an OTLP receiver got it (OTLP/JSON, ids as lowercase hex). */
export interface ReceivedSpan {
  /** `service.name` of the exporting process (the fleet sets each process's name). */
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
}

/** A local OTLP/HTTP receiver taking `http/json` exports, for a fleet started with `tracing`. */
export interface OtlpReceiver {
  /** Base URL to give as the OTLP endpoint (Deno posts to `<url>/v1/traces`). */
  readonly url: string;
  /** Every span received so far. */
  spans(): ReceivedSpan[];
  /** Resolves with the spans once `done(spans)` holds; rejects after `timeoutMs` naming `what`. */
  waitFor(
    what: string,
    done: (spans: ReceivedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/**
 * Starts an OTLP/HTTP receiver on a port the OS picks. It keeps the spans of
 * `/v1/traces` and answers every export (logs and metrics too) with success.
 */
export function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: resolve,
  }, async (request) => {
    const body = await request.text();
    if (new URL(request.url).pathname === "/v1/traces") {
      received.push(...otlpSpans(JSON.parse(body)));
      for (const wake of waiters) wake();
    }
    return Response.json({});
  });
  return listening.then((address) => ({
    url: `http://127.0.0.1:${address.port}`,
    spans: () => [...received],
    async waitFor(what, done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(received)) {
        const left = deadline - Date.now();
        if (left <= 0) {
          const seen = received.map((s) => `${s.service}: ${s.name} (${s.traceId})`);
          throw new Error(`no ${what} within ${timeoutMs} ms; spans:\n${seen.join("\n")}`);
        }
        await new Promise<void>((wake) => {
          const timer = setTimeout(finish, Math.min(left, 1000));
          function finish() {
            clearTimeout(timer);
            waiters.delete(finish);
            wake();
          }
          waiters.add(finish);
        });
      }
      return [...received];
    },
    close: () => server.shutdown(),
  }));
}

// deno-lint-ignore no-explicit-any
function otlpSpans(payload: any): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of payload?.resourceSpans ?? []) {
    const service = resourceSpans.resource?.attributes?.find(
      (a: { key: string }) => a.key === "service.name",
    )?.value?.stringValue ?? "";
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? "",
          name: span.name,
          kind: spanKind(span.kind),
        });
      }
    }
  }
  return spans;
}

const KINDS = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];

// OTLP/JSON gives the kind as its number; tolerate the enum's name too.
function spanKind(kind: unknown): number {
  if (typeof kind === "number") return kind;
  const named = KINDS.indexOf(String(kind).replace(/^SPAN_KIND_/, ""));
  return named >= 0 ? named : Number(kind);
}
