/**
 * Bounded retention for the shared outbox, inbox and idempotency tables, which
 * otherwise keep every published event, every processed event id and every
 * answer forever (millions of rows a day at the fleet's peak). `RetentionJob`
 * prunes them once soon after start and then every hour; each prune deletes in
 * short batches, one statement (and so one short transaction) each, so it never
 * holds a long lock set. Each walks an index on its timestamp (outbox_v2,
 * inbox_v2, idempotency_v1 migrations), so a prune with nothing to do reads next
 * to nothing however large the table is.
 */
import type { Sql } from "./db.ts";
import { IDEMPOTENCY_RETENTION_MS } from "./idempotency.ts";
import type { Logger } from "./log.ts";
import { PollingLoop } from "./loop.ts";

const DAY_MS = 86_400_000;

/**
 * Published outbox rows are kept 7 days: once published they are needed by
 * nobody (a republish only ever concerns unpublished rows); a week leaves them
 * for looking into an incident.
 */
export const OUTBOX_RETENTION_MS = 7 * DAY_MS;

/**
 * Inbox rows are kept 30 days. An inbox row is what makes a repeated delivery a
 * no-op, so an event id that comes again after its row is pruned is applied a
 * second time. Repeats come from a relay that published a row twice (crash
 * after the confirm, before the mark), from broker redeliveries, from a queue
 * backlog while a consumer is down, and from an operator replaying dead letters
 * (the DLQ keeps them indefinitely). The retention must therefore stay well
 * beyond the longest of those windows; lower it only with that in mind.
 */
export const INBOX_RETENTION_MS = 30 * DAY_MS;

/** Rows deleted per statement. */
export const PRUNE_BATCH_SIZE = 5_000;

/** Options of `pruneOutbox` and `pruneInbox`. */
export interface PruneOptions {
  /** Rows older than this are deleted (outbox: by `published_at`, inbox: by `processed_at`). */
  olderThanMs?: number;
  /** Rows per DELETE statement. */
  batchSize?: number;
  /** Stops between batches once aborted (shutdown); the rest waits for the next prune. */
  signal?: AbortSignal;
}

/**
 * Deletes published outbox rows whose `published_at` is older than
 * `olderThanMs` (default 7 days), in batches. An unpublished row is never
 * deleted, however old. Returns the number of rows deleted; 0 when the database
 * has no outbox table.
 */
export async function pruneOutbox(sql: Sql, options: PruneOptions = {}): Promise<number> {
  const { olderThanMs = OUTBOX_RETENTION_MS } = options;
  return await pruneInBatches(sql, "outbox", options, async (limit) =>
    // `= any(array(…))`, not `in (…)`: the planner then deletes by primary key
    // instead of hash-joining against a scan of the whole table. SKIP LOCKED:
    // replicas pruning at the same time share the work instead of waiting.
    (await sql`delete from outbox where seq = any(array(
        select seq from outbox
        where published_at is not null
          and published_at < now() - make_interval(secs => ${olderThanMs / 1000})
        order by published_at limit ${limit}
        for update skip locked))`).count);
}

/**
 * Deletes inbox rows whose `processed_at` is older than `olderThanMs` (default
 * 30 days; see `INBOX_RETENTION_MS` for why it must stay long), in batches. An
 * event whose row was deleted is accepted again by `handleOnce`: that is the
 * trade-off of bounded retention. Returns the number of rows deleted; 0 when the
 * database has no inbox table.
 */
export async function pruneInbox(sql: Sql, options: PruneOptions = {}): Promise<number> {
  const { olderThanMs = INBOX_RETENTION_MS } = options;
  return await pruneInBatches(
    sql,
    "inbox",
    options,
    async (limit) =>
      (await sql`delete from inbox where event_id = any(array(
        select event_id from inbox
        where processed_at < now() - make_interval(secs => ${olderThanMs / 1000})
        order by processed_at limit ${limit}
        for update skip locked))`).count,
  );
}

/**
 * Deletes idempotency records older than `olderThanMs` (default one day, see
 * `IDEMPOTENCY_RETENTION_MS`), in batches: a key sent again after that is a new
 * request. Returns the number of rows deleted; 0 when the database has no such
 * table.
 */
export async function pruneIdempotencyRecords(
  sql: Sql,
  options: PruneOptions = {},
): Promise<number> {
  const { olderThanMs = IDEMPOTENCY_RETENTION_MS } = options;
  return await pruneInBatches(
    sql,
    "idempotency_records",
    options,
    async (limit) =>
      (await sql`delete from idempotency_records where (scope, key) in (
        select scope, key from idempotency_records
        where created_at < now() - make_interval(secs => ${olderThanMs / 1000})
        order by created_at limit ${limit}
        for update skip locked)`).count,
  );
}

async function pruneInBatches(
  sql: Sql,
  table: string,
  { batchSize = PRUNE_BATCH_SIZE, signal }: PruneOptions,
  deleteBatch: (limit: number) => Promise<number>,
): Promise<number> {
  // A service without an outbox (or inbox) has nothing to prune there.
  const [{ present }] = await sql<{ present: boolean }[]>`
    select to_regclass(${table}) is not null as present`;
  if (!present) return 0;
  let total = 0;
  while (!signal?.aborted) {
    const deleted = await deleteBatch(batchSize);
    total += deleted;
    // A short batch means nothing older is left (or another replica took it).
    if (deleted < batchSize) break;
  }
  return total;
}

/** Options of `RetentionJob`. */
export interface RetentionJobOptions {
  /** The service's pool: a prune is a few short statements an hour. */
  sql: Sql;
  log: Logger;
  /** Default `OUTBOX_RETENTION_MS` (7 days). */
  outboxRetentionMs?: number;
  /** Default `INBOX_RETENTION_MS` (30 days). */
  inboxRetentionMs?: number;
  /** Default `IDEMPOTENCY_RETENTION_MS` (1 day). */
  idempotencyRetentionMs?: number;
  /** Default `PRUNE_BATCH_SIZE`. */
  batchSize?: number;
  /** Between prunes; default one hour. */
  intervalMs?: number;
  /** Before the first prune, so it stays off the start-up path; default 30 s. */
  firstDelayMs?: number;
}

/** Rows removed by one prune. */
export interface PruneReport {
  outbox: number;
  inbox: number;
  idempotency: number;
}

/**
 * Prunes the outbox, inbox and idempotency tables (whichever the database has) soon after
 * `start()` and then every `intervalMs`. A failed prune is logged and retried at
 * the next interval. `start()` in every replica, `stop()` on shutdown before the
 * pool closes.
 */
export class RetentionJob {
  readonly #loop: PollingLoop;

  constructor(private readonly options: RetentionJobOptions) {
    const { log } = options;
    this.#loop = new PollingLoop({
      tick: async (signal) => {
        const removed = await this.pruneOnce(signal);
        if (removed.outbox + removed.inbox + removed.idempotency > 0) {
          log.info("retention pruned old rows", { ...removed });
        }
        return "idle";
      },
      intervalMs: options.intervalMs ?? 3_600_000,
      firstDelayMs: options.firstDelayMs ?? 30_000,
      onError: (error) =>
        log.warn("retention prune failed, retrying at the next interval", { error }),
    });
  }

  /** Starts the loop in the background. */
  start(): void {
    this.#loop.start();
  }

  /**
   * Prunes every table once (also used by tests); once `signal` is aborted each
   * table stops after its current batch.
   */
  async pruneOnce(signal?: AbortSignal): Promise<PruneReport> {
    const { sql, outboxRetentionMs, inboxRetentionMs, idempotencyRetentionMs, batchSize } =
      this.options;
    return {
      outbox: await pruneOutbox(sql, { olderThanMs: outboxRetentionMs, batchSize, signal }),
      inbox: await pruneInbox(sql, { olderThanMs: inboxRetentionMs, batchSize, signal }),
      idempotency: await pruneIdempotencyRecords(sql, {
        olderThanMs: idempotencyRetentionMs,
        batchSize,
        signal,
      }),
    };
  }

  /** Stops the loop; a prune in progress ends after its current batch, and is awaited. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }
}
