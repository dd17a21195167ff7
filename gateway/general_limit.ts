/**
 * The general per-IP limit, counted in memory and synced to Redis in batches.
 *
 * It applies to every request, so a Redis round trip per request would be most
 * of the gateway's own cost (profiled: ~250 µs of CPU in ioredis and Redis per
 * request, more than the proxying itself). Instead each replica counts locally
 * and, every `syncMs`, adds its counts to the shared Redis counter of the
 * window (INCRBY) and learns the global total back. A client is refused once
 * the global total known here plus what this replica counted since is at the
 * limit. Across replicas a client may exceed the limit by what the others let
 * through within one sync interval; for an abuse ceiling that is fine. The
 * limits that defend accounts (login, signup, forgot-password) stay exact, in
 * rate_limit.ts.
 *
 * Windows are fixed and aligned to the clock (`floor(now / window)`), so every
 * replica counts into the same Redis key. Without Redis it keeps limiting with
 * its own counts (it fails open only on what it cannot see).
 */
import type { Redis } from "ioredis";
import type { Logger } from "@mp/shared/log";
import type { Decision, LimitPolicy } from "./rate_limit.ts";

interface Counter {
  window: number;
  /** The global count of the window as Redis last told us (includes our synced counts). */
  known: number;
  /** Counted here since the last sync. */
  pending: number;
}

/** Local counting with periodic sync; see the module comment. */
export class BatchedLimiter {
  readonly #counters = new Map<string, Counter>();
  readonly #windowMs: number;
  #timer?: ReturnType<typeof setInterval>;
  #syncing?: Promise<void>;
  #lastWarning = 0;

  constructor(
    private readonly options: {
      redis: Redis;
      prefix: string;
      policy: LimitPolicy;
      log: Logger;
      syncMs?: number;
    },
  ) {
    this.#windowMs = options.policy.windowSeconds * 1000;
  }

  /** Starts the periodic sync. */
  start(): void {
    this.#timer = setInterval(() => void this.sync(), this.options.syncMs ?? 200);
  }

  /** Stops the timer and syncs what is still pending. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.sync();
  }

  /** Counts one request of `subject` unless the limit is reached. Synchronous: no I/O. */
  take(subject: string): Decision {
    const now = Date.now();
    const window = Math.floor(now / this.#windowMs);
    let counter = this.#counters.get(subject);
    if (!counter || counter.window !== window) {
      counter = { window, known: 0, pending: 0 };
      this.#counters.set(subject, counter);
    }
    if (counter.known + counter.pending >= this.options.policy.limit) {
      const endsInMs = (window + 1) * this.#windowMs - now;
      return {
        allowed: false,
        reason: "limited",
        retryAfterSeconds: Math.max(1, Math.ceil(endsInMs / 1000)),
      };
    }
    counter.pending++;
    return { allowed: true, counted: true };
  }

  /** Adds the pending counts to Redis and learns the totals. One sync at a time. */
  sync(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => this.#syncing = undefined);
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const current = Math.floor(Date.now() / this.#windowMs);
    const batch: [string, Counter, number][] = [];
    for (const [subject, counter] of this.#counters) {
      // A finished window: nobody asks about it again.
      if (counter.window < current) this.#counters.delete(subject);
      else batch.push([subject, counter, counter.pending]);
    }
    if (batch.length === 0) return;
    const { redis, prefix, policy } = this.options;
    const pipeline = redis.pipeline();
    for (const [subject, counter, amount] of batch) {
      const key = `${prefix}${policy.name}:${subject}:${counter.window}`;
      // Our new counts go in; for subjects without any, we still learn what the
      // other replicas counted.
      if (amount > 0) pipeline.incrby(key, amount).pexpire(key, this.#windowMs * 2);
      else pipeline.get(key);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      let reply = 0;
      for (const [, counter, amount] of batch) {
        const [error, total] = results[reply] ?? [new Error("no reply"), null];
        reply += amount > 0 ? 2 : 1;
        if (error) throw error;
        counter.pending -= amount; // counts taken during the round trip stay pending
        counter.known = Number(total ?? 0);
      }
    } catch (error) {
      // Keep the counts pending: they are sent with the next sync.
      const now = Date.now();
      if (now - this.#lastWarning > 10_000) {
        this.#lastWarning = now;
        this.options.log.warn("rate limit sync failed", {
          limit: policy.name,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
}
