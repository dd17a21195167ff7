/**
 * Helpers shared by this service's tests (not a test file itself). They build
 * real resources: a fresh migrated PostgreSQL database, the real app with the
 * real npm:stripe SDK pointed at the Stripe double, real ES256 tokens, gig
 * events applied by the real consumer handlers, and a controllable clock.
 */
import type { Sql } from "@mp/shared/db";
import { processSpec, serveArgs as fleetServeArgs } from "../../scripts/processes.ts";
import { idempotencyMigration } from "@mp/shared/idempotency";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { outboxMigration } from "@mp/shared/outbox";
import { mediaRefsMigration, mediaUploadedHandler } from "@mp/shared/media_refs";
import {
  callApp,
  createTestKeys,
  envelope,
  freePort,
  migratedDatabase as freshMigrated,
  passThrough,
  quietLogger,
  type TestDatabase,
  type TestKeys,
  type TestRequest,
} from "@mp/shared/testing";
export { deleteQueues, envelope, freePort, type TestResponse } from "@mp/shared/testing";
import { createApp, type OrdersDeps } from "./app.ts";
import { createEventHandlers } from "./events.ts";
import type { FeeSchedule } from "./money.ts";
import { localTestPayments, type Payments, stripePayments } from "./payments.ts";
import { Scheduler } from "./scheduler.ts";
import { startStripeDouble, type StripeDouble, type StripeEventJson } from "./stripe_double.ts";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** A fresh database with this service's schema. */
export function migratedDatabase(prefix: string): Promise<TestDatabase> {
  return freshMigrated(prefix, MIGRATIONS, [
    outboxMigration,
    inboxMigration,
    idempotencyMigration,
    mediaRefsMigration,
  ]);
}

/** Default fees of the tests: 5.5 % + 1.00 to the buyer, 20 % commission. */
export const TEST_FEES: FeeSchedule = { buyerFeeBps: 550, buyerFeeFixed: 100, commissionBps: 2000 };

/** A gig event payload as the gigs service publishes it (`gig.created`/`gig.updated`). */
export function gigData(sellerId: string, overrides: Record<string, unknown> = {}) {
  return {
    gigId: crypto.randomUUID(),
    sellerId,
    title: "I will design a minimalist logo",
    status: "active",
    category: "graphics-design",
    subcategory: "logo-design",
    packages: [
      {
        tier: "basic",
        name: "Basic",
        description: "One concept",
        price: { amount: 2500, currency: "USD" },
        deliveryDays: 3,
        revisions: 1,
        features: ["1 concept"],
      },
      {
        tier: "standard",
        name: "Standard",
        description: "Three concepts",
        price: { amount: 5000, currency: "USD" },
        deliveryDays: 5,
        revisions: 2,
        features: ["3 concepts", "source file"],
      },
    ],
    requirements: [
      {
        id: crypto.randomUUID(),
        question: "What is your brand name?",
        required: true,
        type: "text",
      },
      {
        id: crypto.randomUUID(),
        question: "Which style?",
        required: false,
        type: "choice",
        choices: ["flat", "vintage"],
      },
    ],
    updatedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** A gig as `gigData` makes it. */
export type TestGig = ReturnType<typeof gigData>;

/** A user with a valid access token. */
export interface TestUser {
  userId: string;
  username: string;
  token: string;
}

/** Options of `ordersFixture`. */
export interface FixtureOptions {
  prefix: string;
  mode?: "stripe" | "local_test";
  fees?: FeeSchedule;
  autoCompleteMs?: number;
  clearingMs?: number;
  /** SDK retries per call (0 keeps outage tests quick). */
  maxNetworkRetries?: number;
}

/** The service's app on fresh resources, with a Stripe double and a movable clock. */
export async function ordersFixture(options: FixtureOptions) {
  const log = quietLogger("orders");
  const db = await migratedDatabase(options.prefix);
  const keys = await createTestKeys();
  const stripe = startStripeDouble();
  const payments: Payments = options.mode === "local_test" ? localTestPayments() : stripePayments({
    secretKey: stripe.secretKey,
    webhookSecret: stripe.webhookSecret,
    apiUrl: stripe.url,
    maxNetworkRetries: options.maxNetworkRetries ?? 0,
    timeoutMs: 5_000,
  });
  let offsetMs = 0;
  const clock = {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
  const settings = {
    autoCompleteMs: options.autoCompleteMs ?? 3 * 86_400_000,
    clearingMs: options.clearingMs ?? 14 * 86_400_000,
  };
  const publicUrl = "https://market.example";
  const deps: OrdersDeps = {
    sql: db.sql,
    log,
    payments,
    fees: options.fees ?? TEST_FEES,
    settings,
    publicUrl,
    now: clock.now,
    verifier: createTokenVerifier({
      jwks: keys.jwks,
      issuer: keys.issuer,
      audience: keys.audience,
    }),
  };
  const { app } = createApp(deps);
  const handlers = createEventHandlers({ sql: db.sql, log });

  const call = (method: string, path: string, init: TestRequest = {}) =>
    callApp(app, method, path, init);

  const fixture = {
    db,
    sql: db.sql as Sql,
    app,
    keys: keys as TestKeys,
    stripe: stripe as StripeDouble,
    payments,
    clock,
    settings,
    handlers,
    call,
    /** A user with a token (a fresh id each call). */
    async user(name = "user"): Promise<TestUser> {
      const userId = crypto.randomUUID();
      return { userId, username: name, token: await keys.sign({ sub: userId, username: name }) };
    },
    /** Applies a gig event through the real handler (inbox included). */
    async gigEvent(type: "gig.created" | "gig.updated" | "gig.deleted", data: unknown) {
      const event = envelope(type, data);
      await handlers[type](event, {});
      return event;
    },
    /**
     * A ready file of `owner` as media announces it (`media.uploaded` through the
     * kit's real handler, into the media replica); answers its id.
     */
    async mediaUploaded(
      owner: TestUser,
      purpose: "avatar" | "gig_image" | "delivery" | "chat_attachment",
      name = "work.zip",
    ) {
      const mediaId = crypto.randomUUID();
      await mediaUploadedHandler({ sql: db.sql, log })(
        envelope("media.uploaded", {
          mediaId,
          ownerId: owner.userId,
          purpose,
          contentType: "application/zip",
          size: 12_345,
          name,
          uploadedAt: new Date().toISOString(),
        }),
        {},
      );
      return mediaId;
    },
    /** Publishes an active gig of `seller` into the replica. */
    async seedGig(seller: TestUser, overrides: Record<string, unknown> = {}): Promise<TestGig> {
      const gig = gigData(seller.userId, overrides);
      await fixture.gigEvent("gig.created", gig);
      return gig;
    },
    /** Answers to the gig's required questions. */
    answers(gig: TestGig) {
      return gig.requirements.filter((r) => r.required).map((r) => ({
        questionId: r.id,
        answer: "Acme",
      }));
    },
    /** Places an order; expects 201 and returns the order's body. */
    async order(buyer: TestUser, gig: TestGig, tier = "basic", key = crypto.randomUUID()) {
      const res = await call("POST", "/api/v1/orders", {
        token: buyer.token,
        headers: { "idempotency-key": key },
        body: { gigId: gig.gigId, package: tier, requirements: fixture.answers(gig) },
      });
      if (res.status !== 201) {
        throw new Error(`order failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
      return res.body;
    },
    /** Sends a signed webhook to the service. */
    async webhook(event: StripeEventJson | string, opts?: { timestamp?: number; secret?: string }) {
      const { body, signature } = await stripe.sign(event, opts);
      return await call("POST", "/api/v1/payments/stripe/webhook", {
        body,
        headers: { "stripe-signature": signature, "content-type": "application/json" },
      });
    },
    /** Pays an order the way production does: the buyer pays, Stripe sends the webhook. */
    async pay(order: { id: string; payment: { paymentIntentId: string } }) {
      const res = await fixture.webhook(stripe.succeed(order.payment.paymentIntentId));
      if (res.status !== 200) {
        throw new Error(`webhook failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
      return res;
    },
    /** The order as `user` sees it. */
    async view(user: TestUser, orderId: string) {
      const res = await call("GET", `/api/v1/orders/${orderId}`, { token: user.token });
      if (res.status !== 200) {
        throw new Error(`view failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
      return res.body;
    },
    /** Events waiting in the outbox, oldest first. */
    async events(type?: string) {
      const rows = await db.sql<{ type: string; data: Record<string, unknown> }[]>`
        select type, data from outbox order by seq`;
      return rows.filter((r) => !type || r.type === type);
    },
    /** A snapshot of what tests compare before and after a refused request. */
    async snapshot() {
      const [row] = await db.sql`select
        (select count(*)::int from orders) as orders,
        (select coalesce(jsonb_agg(jsonb_build_array(id, status, payment_status, revisions_used,
          extension_days, due_at) order by id), '[]') from orders) as states,
        (select count(*)::int from ledger_entries) as ledger,
        (select count(*)::int from outbox) as outbox,
        (select count(*)::int from order_timeline) as timeline,
        (select count(*)::int from deliveries) as deliveries,
        (select count(*)::int from extension_requests) as extensions,
        (select count(*)::int from cancellation_requests) as cancellations,
        (select count(*)::int from payouts) as payouts`;
      return row;
    },
    /** Sum of every ledger entry per currency (0 when balanced) and per account type. */
    async ledger() {
      const byAccount = await db.sql<{ account: string; currency: string; balance: string }[]>`
        select account, currency, sum(amount) as balance from ledger_entries
        group by account, currency order by account, currency`;
      const out: Record<string, number> = {};
      let total = 0;
      for (const row of byAccount) {
        out[`${row.account}:${row.currency}`] = Number(row.balance);
        total += Number(row.balance);
      }
      return { accounts: out, total };
    },
    /** A scheduler over this fixture's database and clock. */
    scheduler() {
      const deps = { sql: db.sql, log, now: clock.now };
      return new Scheduler({
        sql: db.sql,
        log,
        transitions: { ...deps, settings },
        settlement: { ...deps, payments, publicUrl },
        pollMs: 50,
      });
    },
    async close() {
      await stripe.close();
      await db.drop();
    },
  };
  return fixture;
}

/** A fixture as `ordersFixture` returns it. */
export type OrdersFixture = Awaited<ReturnType<typeof ordersFixture>>;

// ---------------------------------------------------------------- the real process

/** Variables main.ts may read: the fleet's list (scripts/processes.ts). */
export const PROCESS_ENV_NAMES: readonly string[] = processSpec("orders").env;

/** Where the process listens and what it reaches. */
export interface ProcessTarget {
  port: number;
  databaseUrl: string;
  amqpUrl: string;
  /** The Stripe API base URL (the double's). */
  stripeApiUrl: string;
}

/** `deno` arguments that run main.ts: exactly the fleet's and docker-compose's (scripts/processes.ts). */
export function serveArgs(target: ProcessTarget): string[] {
  return fleetServeArgs(processSpec("orders"), {
    root: new URL("../../", import.meta.url).pathname,
    host: "127.0.0.1",
    ...target,
  });
}

/** A running orders process and its output. */
export interface OrdersProcess {
  base: string;
  port: number;
  /** Lines written so far to stdout and stderr. */
  stdout: string[];
  stderr: string[];
  /** Sends a signal and waits for the exit status. */
  stop(signal: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts main.ts with `serveArgs` flags, a cleared environment (only what the
 * service needs, plus what Deno needs to find its cache) and waits for /readyz.
 */
export async function startOrdersProcess(
  target: Omit<ProcessTarget, "port"> & { port?: number },
  env: Record<string, string>,
): Promise<OrdersProcess> {
  const port = target.port ?? freePort();
  const child = new Deno.Command(Deno.execPath(), {
    cwd: new URL("../../", import.meta.url),
    args: serveArgs({ ...target, port }),
    clearEnv: true,
    env: {
      ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]),
      DATABASE_URL: target.databaseUrl,
      AMQP_URL: target.amqpUrl,
      STRIPE_API_URL: target.stripeApiUrl,
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  // Read continuously: a full pipe would block the child.
  const drained = Promise.all([collect(child.stdout, stdout), collect(child.stderr, stderr)]);
  const base = `http://127.0.0.1:${port}`;
  let exited: Promise<Deno.CommandStatus> | undefined;
  const stop = async (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
    exited ??= child.status;
    const status = await exited;
    await drained;
    return status;
  };
  try {
    await waitForReady(base, child.status);
  } catch (error) {
    await stop("SIGKILL");
    throw new Error(`${error}\n${stderr.join("\n")}`);
  }
  return { base, port, stdout, stderr, stop };
}

async function waitForReady(base: string, status: Promise<Deno.CommandStatus>) {
  let dead = false;
  status.then(() => (dead = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (dead) throw new Error("the orders process exited before it was ready");
    try {
      const response = await fetch(`${base}/readyz`);
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the orders process did not get ready");
}

async function collect(stream: ReadableStream<Uint8Array>, lines: string[]) {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    lines.push(...parts);
  }
  if (rest) lines.push(rest);
}

/**
 * A TCP proxy on 127.0.0.1 in front of `target` that can stop passing bytes
 * in one direction (they are swallowed, never delivered): the way to have a
 * process commit and then lose its acknowledgement, deterministically.
 */
export function startTcpProxy(target: { hostname: string; port: number }) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const held = { toTarget: false, fromTarget: false };
  const pump = async (from: Deno.Conn, to: Deno.Conn, isHeld: () => boolean) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (isHeld()) continue;
        let written = 0;
        while (written < n) written += await to.write(buffer.subarray(written, n));
      }
    } catch {
      // either side closed
    } finally {
      for (const conn of [from, to]) {
        try {
          conn.close();
        } catch { /* closed */ }
        open.delete(conn);
      }
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      try {
        const upstream = await Deno.connect(target);
        open.add(client);
        open.add(upstream);
        pump(client, upstream, () => held.toTarget);
        pump(upstream, client, () => held.fromTarget);
      } catch {
        client.close();
      }
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    /** Swallow bytes from clients to the target (e.g. a consumer's acks to the broker). */
    holdToTarget: () => (held.toTarget = true),
    /** Swallow bytes from the target to clients (e.g. an HTTP response). */
    holdFromTarget: () => (held.fromTarget = true),
    /** Passes bytes again (for connections made from now on, or still open). */
    release() {
      held.toTarget = false;
      held.fromTarget = false;
    },
    /** Closes every proxied connection; held bytes are lost. */
    dropAll() {
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      open.clear();
    },
    async close() {
      listener.close();
      await accepting.catch(() => {});
      this.dropAll();
    },
  };
}
