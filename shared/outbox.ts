/**
 * Transactional outbox. A service writes its state change and the event row in
 * one SQL transaction (`enqueueEvent`); `OutboxRelay` publishes unsent rows with
 * publisher confirms and marks them sent. A crash between commit and publish
 * loses nothing: the row waits until a relay (this process after restart, or
 * another replica) sends it. Rows may be published more than once (crash after
 * confirm, before the mark); consumers are idempotent by event id.
 */
import { LOOP_FAILURE_BACKOFF } from "./backoff.ts";
import type { EventBus, EventEnvelope, EventHeaders } from "./bus.ts";
import type { Sql, Tx } from "./db.ts";
import { currentContext, type Logger } from "./log.ts";
import { PollingLoop, type TickResult } from "./loop.ts";
import { watchOutbox } from "./metrics.ts";
import {
  activeTraceparent,
  endSpan,
  type Span,
  SpanKind,
  startSpan,
  traceparentOf,
} from "./tracing.ts";

/**
 * DDL of the outbox table, applied by `migrate()` through its `include` option.
 * v2 adds the index retention prunes by (shared/retention.ts); every statement
 * is idempotent, so a database that recorded v1 gets just that index from v2.
 */
export const outboxMigration = {
  version: "shared/outbox_v2",
  sql: `
    create table if not exists outbox (
      seq bigserial primary key,
      id uuid not null unique,
      type text not null,
      data jsonb not null,
      headers jsonb not null default '{}',
      occurred_at timestamptz not null default now(),
      published_at timestamptz
    );
    create index if not exists outbox_unpublished on outbox (seq) where published_at is null;
    create index if not exists outbox_published_at on outbox (published_at)
      where published_at is not null;
  `,
};

const CHANNEL = "outbox";
const DEFAULT_BATCH_SIZE = 500;
/** Batches of claimed seqs a relay remembers, to ignore the late notifications of their rows. */
const RECENT_BATCHES = 4;

/**
 * The headers an event enqueued now carries: the current request's id and
 * W3C `traceparent`, so the consumer's logs and trace continue the request's.
 * The traceparent is the active span's when Deno traces (`OTEL_DENO`; the
 * request's server span, or a consumer span), else the one of the work context
 * (the caller's header, or the event being handled). For SQL that writes outbox
 * rows itself (chat's one-statement send); `enqueueEvent` uses it too.
 */
export function outboxHeaders(): EventHeaders {
  const context = currentContext();
  const headers: EventHeaders = {};
  if (context?.requestId) headers["x-request-id"] = context.requestId;
  const traceparent = activeTraceparent() ?? context?.traceparent;
  if (traceparent) headers.traceparent = traceparent;
  return headers;
}

/**
 * Records an event in the caller's transaction; it is published after commit.
 * The current request id and traceparent travel with it.
 */
export async function enqueueEvent<T>(tx: Tx, type: string, data: T): Promise<EventEnvelope<T>> {
  const headers = outboxHeaders();
  const envelope: EventEnvelope<T> = {
    id: crypto.randomUUID(),
    type,
    occurredAt: new Date().toISOString(),
    data,
  };
  // One round trip: the NOTIFY (delivered at commit) wakes the relay at once
  // instead of at its next poll; its payload is the row's seq (`OutboxRelay`).
  await tx`with inserted as (
      insert into outbox (id, type, data, headers, occurred_at)
      values (${envelope.id}, ${type}, ${tx.json(data as never)}, ${
    tx.json(headers as never)
  }, ${envelope.occurredAt})
      returning seq)
    select pg_notify(${CHANNEL}, seq::text) from inserted`;
  return envelope;
}

/** Options of `OutboxRelay`. */
export interface OutboxRelayOptions {
  /**
   * A pool of the relay's own (one connection is enough). Sharing the service's
   * request pool makes every batch queue behind request transactions, which
   * under load turns milliseconds of relay latency into seconds.
   */
  sql: Sql;
  bus: EventBus;
  log: Logger;
  /** Rows published per transaction. */
  batchSize?: number;
  /** Poll interval; NOTIFY wakes the relay sooner. */
  pollMs?: number;
}

/**
 * Publishes outbox rows in order of insertion; safe with several replicas (SKIP LOCKED).
 *
 * Woken by the NOTIFY of each row, whose payload is the row's seq. A
 * notification often arrives while the batch that already claimed its row is
 * in flight (the row committed just before the claim), or after it; a wake for
 * each would cost a transaction that finds nothing, nearly one per event when
 * events come one at a time. So the relay remembers the seqs it claimed lately
 * and the ones it heard during a batch: a notification of a row it claimed is
 * ignored, and after a batch it goes again at once only when it heard of a row
 * the batch did not claim (or the batch was full). An empty payload (a writer
 * that does not name its row) always wakes it.
 */
export class OutboxRelay {
  readonly #loop: PollingLoop;
  readonly #batchSize: number;
  #unlisten?: () => Promise<void>;
  #unwatch?: () => void;
  /** `true` while a batch runs: what is heard then is weighed after it. */
  #inBatch = false;
  /** Seqs (or "" for an unnamed row) heard during the batch in progress. */
  readonly #heard = new Set<string>();
  /** Seqs of the rows this relay claimed lately, oldest first (`RECENT_BATCHES` full batches). */
  readonly #claimed = new Set<string>();

  constructor(private readonly options: OutboxRelayOptions) {
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#loop = new PollingLoop({
      tick: () => this.#tick(),
      intervalMs: options.pollMs ?? 1000,
      failureBackoff: LOOP_FAILURE_BACKOFF,
      onError: (error, failures) =>
        options.log.warn("outbox relay failed, retrying", { error, failures }),
    });
  }

  /** Starts the relay loop in the background. */
  async start(): Promise<void> {
    // The outbox gauges (rows waiting, oldest age) read this relay's table at scrape time.
    this.#unwatch ??= watchOutbox(this.options.sql);
    try {
      const { unlisten } = await this.options.sql.listen(
        CHANNEL,
        (payload) => this.#notified(payload),
      );
      this.#unlisten = unlisten;
    } catch (error) {
      this.options.log.warn("outbox listen failed, polling only", { error });
    }
    this.#loop.start();
  }

  /** A row committed (`seq`, or "" when its writer did not say which). */
  #notified(seq: string): void {
    if (seq !== "" && this.#claimed.has(seq)) return; // already on its way
    if (this.#inBatch) this.#heard.add(seq);
    else this.#loop.wake();
  }

  async #tick(): Promise<TickResult> {
    this.#inBatch = true;
    this.#heard.clear();
    try {
      const claimed = await this.#relayBatch();
      for (const seq of claimed) this.#claimed.add(seq);
      for (const seq of this.#claimed) {
        if (this.#claimed.size <= RECENT_BATCHES * this.#batchSize) break;
        this.#claimed.delete(seq);
      }
      // A full batch may have left rows behind; a row heard of and not claimed
      // (committed after the claim looked, or unnamed) is waiting.
      const waiting = claimed.length >= this.#batchSize ||
        [...this.#heard].some((seq) => !this.#claimed.has(seq));
      return waiting ? "busy" : "idle";
    } finally {
      this.#inBatch = false;
    }
  }

  /**
   * Publishes one batch; returns how many rows it sent. The rows are claimed and
   * marked sent in one statement (three round trips a batch: begin, claim,
   * commit, instead of a select and an update). The mark commits only after the
   * broker confirmed every row; a failed publish rolls it back, so the rows wait
   * for the next batch.
   *
   * The mark's commit does not wait for the WAL flush (`synchronous_commit` off
   * for this transaction only; the events' own rows were committed durably by
   * their writers). A mark lost in a crash only publishes its rows again, which
   * at-least-once delivery already allows; waiting for it cost a disk flush per
   * batch, about as many as the writers' own when batches are small, on the disk
   * every writer's commit waits for.
   */
  async relayOnce(): Promise<number> {
    return (await this.#relayBatch()).length;
  }

  /** `relayOnce`, answering the seqs it sent. */
  async #relayBatch(): Promise<string[]> {
    const { sql, bus } = this.options;
    if (!bus.isConnected()) return [];
    return await sql.begin(async (tx) => {
      // Sent with the claim in one write: no round trip of its own.
      const [, claimed] = await Promise.all([
        tx`set local synchronous_commit = off`,
        tx<
          {
            seq: string;
            id: string;
            type: string;
            data: unknown;
            headers: EventHeaders;
            occurred_at: Date;
          }[]
        >`update outbox set published_at = now() where seq in (
            select seq from outbox where published_at is null
            order by seq limit ${this.#batchSize} for update skip locked)
          returning seq, id, type, data, headers, occurred_at`,
      ]);
      if (claimed.length === 0) return [];
      // RETURNING has no order; events leave in the order they were recorded.
      const rows = claimed.toSorted((a, b) => compareSeq(a.seq, b.seq));
      // One PRODUCER span per event, a child of the request that enqueued it; the
      // event leaves with the span's traceparent, so its consumer hangs below the
      // publish. Without tracing the span is a no-op carrying the row's own header.
      const spans: Span[] = [];
      const events = rows.map((row) => {
        const span = publishSpan(row.type, row.id, bus.exchange, row.headers.traceparent);
        spans.push(span);
        const traceparent = traceparentOf(span) ?? row.headers.traceparent;
        return {
          envelope: {
            id: row.id,
            type: row.type,
            occurredAt: row.occurred_at.toISOString(),
            data: row.data,
          },
          headers: traceparent ? { ...row.headers, traceparent } : row.headers,
        };
      });
      try {
        await bus.publish(events);
      } catch (error) {
        for (const span of spans) endSpan(span, error);
        throw error;
      }
      for (const span of spans) endSpan(span);
      return rows.map((row) => row.seq);
    });
  }

  /** Stops the loop after the batch in progress. */
  async stop(): Promise<void> {
    await this.#loop.stop();
    await this.#unlisten?.().catch(() => {});
    this.#unwatch?.();
    this.#unwatch = undefined;
  }
}

/** The span of one event's publish (OpenTelemetry messaging conventions). */
function publishSpan(type: string, id: string, exchange: string, parent?: string): Span {
  return startSpan(`publish ${type}`, {
    kind: SpanKind.PRODUCER,
    remoteParent: parent,
    attributes: {
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "send",
      "messaging.destination.name": exchange,
      "messaging.rabbitmq.destination.routing_key": type,
      "messaging.message.id": id,
    },
  });
}

/** Orders two bigserial values given as decimal strings. */
function compareSeq(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
