/**
 * A modest, steady load through the gateway, as clients make it: order
 * journeys (place → pay → deliver → accept → review) started at a fixed rate,
 * and reads (gig, order, profile, search) beside them. Used by the fault tests
 * (e2e/faults/) and the memory soak (bench/soak.ts).
 *
 * Every POST carries an Idempotency-Key and is retried with the same key after
 * a 502/503/504 or a dropped connection, as a careful client would; every
 * answer is counted by route and status, a 500 is kept with its body, and
 * each acknowledged (2xx) change is recorded so `checkExactlyOnce` can find it
 * in the databases afterwards.
 */
import postgres from "postgres";
import { waitFor } from "@mp/shared/testing";
import { becomeSeller, gigBody, type Json, publishGig } from "../fixtures.ts";
import type { Marketplace, SignedUp } from "../support.ts";

/** Who and what the load works with. */
export interface LoadWorld {
  gatewayUrl: string;
  seller: SignedUp;
  buyers: SignedUp[];
  gig: { id: string; questionId: string };
}

/** A seller with a gig that orders already knows, and `buyers` buyers. */
export async function prepareWorld(
  market: Marketplace,
  buyers = 3,
  tag = crypto.randomUUID().slice(0, 6),
): Promise<LoadWorld> {
  const seller = await market.signup(`seller_${tag}`);
  const people: SignedUp[] = [];
  for (let i = 0; i < buyers; i++) people.push(await market.signup(`buyer${i}_${tag}`));
  await becomeSeller(market, seller);
  const gig = await publishGig(seller, gigBody(`Steady logo design ${tag}`, 2500));
  const world = {
    gatewayUrl: market.fleet.gatewayUrl,
    seller,
    buyers: people,
    gig: { id: gig.id, questionId: gig.requirements[0].id },
  };
  // Orders learns the gig from gig.created.
  await waitFor(async () => {
    const res = await people[0].client.request("GET", `/api/v1/gigs/${gig.id}`);
    return res.status === 200;
  }, { what: "the gig" });
  return world;
}

/** One answer as the load saw it (after its retries). */
interface Sent {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** Acknowledged changes of one journey. */
export interface JourneyRecord {
  /** Index of its buyer in `world.buyers`. */
  buyer: number;
  orderId?: string;
  paid?: boolean;
  deliveryId?: string;
  accepted?: boolean;
  reviewId?: string;
  /** The step it stopped at, if it did not finish. */
  failedAt?: string;
}

const RETRYABLE = new Set([502, 503, 504]);
const MAX_ATTEMPTS = 8;

/** Runs journeys and reads at fixed rates until `stop()`. */
export class SteadyLoad {
  /** `route status` → count, over every answer (retries included). */
  readonly statuses = new Map<string, number>();
  /** Every 500 (or other non-retryable 5xx) with its route and body. */
  readonly serverErrors: { route: string; status: number; body: unknown }[] = [];
  readonly journeys: JourneyRecord[] = [];
  /** Times of answers per route kind, for recovery measurements. */
  readonly lastOk = new Map<string, number>();
  #timers: ReturnType<typeof setInterval>[] = [];
  #inFlight = new Set<Promise<unknown>>();
  #next = 0;

  constructor(
    readonly world: LoadWorld,
    readonly rates: { journeysPerSecond: number; readsPerSecond: number },
  ) {}

  /** Starts both loops. */
  start(): void {
    // Each tick starts every task that is due by now, so the rate holds even when a
    // busy event loop fires the timer late (a timer per task at 150/s did not:
    // it delivered about a third of that).
    const every = (perSecond: number, run: () => Promise<unknown>) => {
      const started = performance.now();
      let sent = 0;
      return setInterval(() => {
        const due = Math.floor(((performance.now() - started) / 1000) * perSecond);
        for (; sent < due; sent++) {
          const task = run().catch((error) => this.#count("client", String(error).slice(0, 80)));
          this.#inFlight.add(task);
          task.finally(() => this.#inFlight.delete(task));
        }
      }, Math.min(20, 1000 / perSecond));
    };
    this.#timers.push(every(this.rates.journeysPerSecond, () => this.journey()));
    this.#timers.push(every(this.rates.readsPerSecond, () => this.read()));
  }

  /** Stops starting work and waits for what is in flight. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Refreshes every party's tokens (access tokens last 15 minutes; a longer run
   * calls this every few minutes). Mutates the `SignedUp`s of the world.
   */
  async refreshTokens(): Promise<void> {
    for (const party of [this.world.seller, ...this.world.buyers]) {
      const reply = await this.send("auth.refresh", undefined, "POST", "/api/v1/auth/refresh", {
        refreshToken: party.refreshToken,
      });
      if (reply.status !== 200) throw new Error(`refresh: ${reply.status}`);
      party.accessToken = reply.body.accessToken;
      party.refreshToken = reply.body.refreshToken;
    }
  }

  /** Answers counted, e.g. `{ "orders.place 201": 40, … }`. */
  summary(): Record<string, number> {
    return Object.fromEntries([...this.statuses].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** One order journey; its acknowledged steps are recorded as they happen. */
  async journey(): Promise<JourneyRecord> {
    const { world } = this;
    const record: JourneyRecord = { buyer: this.#next++ % world.buyers.length };
    this.journeys.push(record);
    const buyer = world.buyers[record.buyer];
    const seller = world.seller;
    const placed = await this.send("orders.place", buyer, "POST", "/api/v1/orders", {
      gigId: world.gig.id,
      package: "basic",
      requirements: [{ questionId: world.gig.questionId, answer: "Steady Ltd" }],
    });
    if (placed.status !== 201) return fail(record, "place");
    record.orderId = placed.body.id as string;
    const id = record.orderId;
    const paid = await this.send(
      "orders.pay",
      buyer,
      "POST",
      `/api/v1/payments/local-test/${id}/succeed`,
    );
    if (paid.status !== 200) return fail(record, "pay");
    record.paid = true;
    const delivered = await this.send(
      "orders.deliver",
      seller,
      "POST",
      `/api/v1/orders/${id}/deliveries`,
      {
        message: "Here it is",
      },
    );
    if (delivered.status !== 201) return fail(record, "deliver");
    record.deliveryId = delivered.body.deliveryId;
    const accepted = await this.send("orders.accept", buyer, "POST", `/api/v1/orders/${id}/accept`);
    if (accepted.status !== 200) return fail(record, "accept");
    record.accepted = true;
    // Reviews learns the completion from order.completed: 409 until then.
    const deadline = Date.now() + 30_000;
    let reviewed: Sent;
    do {
      // A 409 is a final answer: the next try is a new request with a new key.
      reviewed = await this.send("reviews.create", buyer, "POST", `/api/v1/orders/${id}/reviews`, {
        rating: 5,
        comment: "Steady work.",
      });
      if (reviewed.status !== 409 || reviewed.body?.code !== "order_not_completed") break;
      await sleep(300);
    } while (Date.now() < deadline);
    if (reviewed.status !== 201) return fail(record, "review");
    record.reviewId = reviewed.body.id;
    return record;
  }

  /** One read, in turn: a gig, an order, a profile, a search. */
  async read(): Promise<void> {
    const { world } = this;
    const last = this.journeys.findLast((j) => j.orderId);
    const order = last?.orderId;
    const buyer = world.buyers[last?.buyer ?? 0];
    const reads: [string, string][] = [
      ["gigs.detail", `/api/v1/gigs/${world.gig.id}`],
      ["users.profile", `/api/v1/users/${world.seller.user.username}`],
      ["gigs.search", `/api/v1/gigs?q=logo&limit=5`],
      ["orders.list", "/api/v1/orders?role=buyer"],
    ];
    if (order) reads.push(["orders.detail", `/api/v1/orders/${order}`]);
    const [route, path] = reads[this.#next++ % reads.length];
    // A reader does not insist: one attempt, so a slow service is not sent more while it is slow.
    await this.send(route, route.startsWith("orders") ? buyer : undefined, "GET", path, undefined, {
      attempts: 1,
    });
  }

  /**
   * Sends one request, retrying a 502/503/504 or a dropped connection with
   * the same Idempotency-Key (honouring Retry-After up to 2 s, else backing off)
   * up to `attempts` times.
   */
  async send(
    route: string,
    who: SignedUp | undefined,
    method: string,
    path: string,
    body?: unknown,
    { key = crypto.randomUUID(), attempts = MAX_ATTEMPTS } = {},
  ): Promise<Sent> {
    let last: Sent = { status: 0, body: null };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const headers: Record<string, string> = method === "POST" ? { "idempotency-key": key } : {};
        const reply = await (who?.client ?? this.world.buyers[0].client).request(method, path, {
          token: who?.accessToken,
          body,
          headers,
        });
        last = { status: reply.status, body: reply.body };
        this.#count(route, String(reply.status));
        if (reply.status >= 500 && !RETRYABLE.has(reply.status)) {
          this.serverErrors.push({ route, status: reply.status, body: reply.body });
        }
        if (!RETRYABLE.has(reply.status)) {
          if (reply.status < 400) this.lastOk.set(route, Date.now());
          return last;
        }
        if (attempt === attempts) break;
        const after = Number(reply.headers.get("retry-after"));
        await sleep(after > 0 ? Math.min(2_000, after * 1000) : backoff(attempt));
      } catch (error) {
        this.#count(route, "network");
        last = { status: 0, body: String(error) };
        if (attempt < attempts) await sleep(backoff(attempt));
      }
    }
    return last;
  }

  #count(route: string, status: string): void {
    const key = `${route} ${status}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }
}

function fail(record: JourneyRecord, step: string): JourneyRecord {
  record.failedAt = step;
  return record;
}

/** 200 ms doubling to 3.2 s, a random half taken off (so retries do not come in waves). */
function backoff(attempt: number): number {
  const base = Math.min(3_200, 200 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * base / 2;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * What the databases hold for the load's buyers compared with what the load
 * was told: every acknowledged change present exactly once, nothing the
 * clients were not told about. Returns the differences (empty when all hold).
 */
export async function checkExactlyOnce(
  databaseUrls: { orders: string; reviews: string },
  load: SteadyLoad,
): Promise<string[]> {
  const problems: string[] = [];
  const orders = postgres(databaseUrls.orders, { max: 1, onnotice: () => {} });
  const reviews = postgres(databaseUrls.reviews, { max: 1, onnotice: () => {} });
  try {
    const buyerIds = load.world.buyers.map((b) => b.user.id);
    const acked = load.journeys.filter((j) => j.orderId);
    const ackedIds = new Set(acked.map((j) => j.orderId!));
    const stored: { id: string; status: string }[] = await orders`
      select id, status from orders where buyer_id = any(${buyerIds})`;
    const storedIds = new Set(stored.map((o) => o.id));
    for (const id of ackedIds) {
      if (!storedIds.has(id)) problems.push(`order ${id} acknowledged, not stored`);
    }
    for (const id of storedIds) {
      if (!ackedIds.has(id)) problems.push(`order ${id} stored, never acknowledged`);
    }

    const ids = [...storedIds];
    const timeline: { order_id: string; to_status: string; n: number }[] = await orders`
      select order_id, to_status, count(*)::int as n from order_timeline
      where order_id = any(${ids}) group by order_id, to_status`;
    const deliveries: { order_id: string; id: string }[] = await orders`
      select order_id, id from deliveries where order_id = any(${ids})`;
    const storedReviews: { order_id: string; id: string }[] = await reviews`
      select order_id, id from reviews where order_id = any(${ids})`;
    const transitions = (id: string, to: string) =>
      timeline.find((t) => t.order_id === id && t.to_status === to)?.n ?? 0;
    for (const j of acked) {
      const id = j.orderId!;
      const paidTimes = transitions(id, "in_progress");
      if (j.paid ? paidTimes !== 1 : paidTimes > 1) {
        problems.push(`order ${id}: paid ${paidTimes}×`);
      }
      const mine = deliveries.filter((d) => d.order_id === id);
      if (j.deliveryId ? mine.length !== 1 || mine[0].id !== j.deliveryId : mine.length !== 0) {
        problems.push(
          `order ${id}: ${mine.length} deliveries stored, acknowledged ${j.deliveryId ?? "none"}`,
        );
      }
      const completed = transitions(id, "completed");
      if (j.accepted ? completed !== 1 : completed !== 0) {
        problems.push(`order ${id}: completed ${completed}×, acknowledged ${!!j.accepted}`);
      }
      const review = storedReviews.filter((r) => r.order_id === id);
      if (j.reviewId ? review.length !== 1 : review.length !== 0) {
        problems.push(
          `order ${id}: ${review.length} reviews stored, acknowledged ${j.reviewId ?? "none"}`,
        );
      }
    }
  } finally {
    await orders.end();
    await reviews.end();
  }
  return problems;
}

export type { Json };
