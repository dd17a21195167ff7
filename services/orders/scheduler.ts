/**
 * Scheduled work, kept in the database so it survives restarts and runs once
 * however many replicas poll it:
 *
 * - auto-completion of delivered orders whose `auto_complete_at` has passed;
 * - clearing of released earnings whose `clears_at` has passed (pending → available);
 * - retries of refunds and payouts the provider did not take yet.
 *
 * Each unit is claimed inside a transaction with `FOR UPDATE SKIP LOCKED`, so
 * two schedulers never take the same row, and its effect is guarded by state
 * (the order must still be delivered, the clearance not yet cleared) plus the
 * ledger's unique index per (order, kind): even a unit run twice posts once.
 */
import type { Sql } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { PollingLoop } from "@mp/shared/loop";
import { clearPosting } from "./ledger.ts";
import { type SettlementDeps, submitPayout, submitRefund } from "./settlement.ts";
import { claimDueClearances, markCleared } from "./store_clearances.ts";
import { postLedger } from "./store_ledger.ts";
import { claimDueAutoCompletion } from "./store_orders.ts";
import { applyCommand, type TransitionDeps } from "./transitions.ts";

/** Options of `Scheduler`. */
export interface SchedulerOptions {
  sql: Sql;
  log: Logger;
  transitions: TransitionDeps;
  settlement: SettlementDeps;
  /** Pause between rounds when there was nothing to do. */
  pollMs?: number;
  /** Units per kind per round, so one kind cannot starve the others. */
  batch?: number;
}

/** What one round did. */
export interface RoundReport {
  autoCompleted: number;
  cleared: number;
  refundsSubmitted: number;
  payoutsSubmitted: number;
}

/** Polls for due work; `start()` in every replica, `stop()` on shutdown. */
export class Scheduler {
  readonly #loop: PollingLoop;

  constructor(private readonly options: SchedulerOptions) {
    this.#loop = new PollingLoop({
      tick: async () => {
        const report = await this.runOnce();
        return Object.values(report).some((n) => n > 0) ? "busy" : "idle";
      },
      intervalMs: options.pollMs ?? 5_000,
      onError: (error) => options.log.warn("scheduled work failed, retrying", { error }),
    });
  }

  /** Starts polling in the background. */
  start(): void {
    this.#loop.start();
  }

  /** Stops after the round in progress. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** Runs every kind of due work once (also used by tests). */
  async runOnce(): Promise<RoundReport> {
    // Each kind on its own: a failing unit of one kind must not hold up the others.
    return {
      autoCompleted: await this.#guard("auto-complete", () => this.autoComplete()),
      cleared: await this.#guard("clearing", () => this.clear()),
      refundsSubmitted: await this.#guard(
        "refunds",
        () => this.#repeat(() => submitRefund(this.options.settlement)),
      ),
      payoutsSubmitted: await this.#guard(
        "payouts",
        () => this.#repeat(() => submitPayout(this.options.settlement)),
      ),
    };
  }

  async #guard(kind: string, work: () => Promise<number>): Promise<number> {
    try {
      return await work();
    } catch (error) {
      this.options.log.warn("scheduled work failed, retrying next round", { kind, error });
      return 0;
    }
  }

  /** Completes delivered orders whose buyer stayed silent past `AUTO_COMPLETE_DAYS`. */
  async autoComplete(): Promise<number> {
    const { sql, transitions, log } = this.options;
    return await this.#repeat(() =>
      sql.begin(async (tx) => {
        const order = await claimDueAutoCompletion(tx, transitions.now());
        if (!order) return false;
        await applyCommand(tx, transitions, order, "system", {
          command: { type: "auto_complete" },
        });
        log.info("order auto-completed", { orderId: order.id });
        return true;
      })
    );
  }

  /** Moves released earnings past `CLEARING_DAYS` from pending to available. */
  async clear(): Promise<number> {
    const { sql, transitions, batch = 50 } = this.options;
    let total = 0;
    for (;;) {
      const cleared = await sql.begin(async (tx) => {
        const now = transitions.now();
        const due = await claimDueClearances(tx, now, batch);
        for (const c of due) {
          await postLedger(
            tx,
            clearPosting(c.orderId, c.sellerId, c.currency, c.amount),
            now,
          );
          await markCleared(tx, c.orderId, now);
        }
        return due.length;
      });
      total += cleared;
      if (cleared < batch || total >= batch * 10) return total;
    }
  }

  async #repeat(unit: () => Promise<boolean>): Promise<number> {
    const { batch = 50 } = this.options;
    let count = 0;
    while (count < batch && await unit()) count++;
    return count;
  }
}
