/**
 * Load generators.
 *
 * `openLoop` is the open model: request i is due at `start + i / rate`, sent
 * at that time whether or not earlier requests have been answered, and its
 * latency is measured from that intended time. A closed loop (send, wait for
 * the answer, send the next) lets a slow server slow the client down: the
 * requests that would have arrived while it stalled are never sent, so the
 * stall shows up as one slow sample instead of many ("coordinated omission")
 * and the percentiles look far better than what users would see. Measuring
 * from the intended time also charges any lateness of the generator itself to
 * the result, never in its favour; the lag is reported so it can be judged.
 *
 * `closedLoop` is for maximum throughput only (how many per second can N
 * clients get through), where waiting for each answer is the point.
 */
import { summarize, type Summary } from "./stats.ts";

/** What a request resolved to: an HTTP status, or the name of the error it threw. */
export type Outcome = number | string;

/** Sends request number `i` and resolves once the whole answer has been read. */
export type Send = (i: number) => Promise<Outcome>;

/** Everything recorded about one run of a load generator. */
export interface LoadResult {
  /** Requests sent. */
  sent: number;
  /** Wall time from the first send to the last answer. */
  elapsedMs: number;
  /** Latency of each request in ms, in send order. */
  latencies: number[];
  /** Outcome of each request, in send order. */
  outcomes: Outcome[];
  /** How late each request was sent relative to its intended time (open loop only). */
  lags: number[];
}

/** `true` for a 2xx status. */
export const isOk = (outcome: Outcome): boolean =>
  typeof outcome === "number" && outcome >= 200 && outcome < 300;

/** Summary of the latencies of the requests whose outcome passes `ok` (default: 2xx). */
export function okSummary(result: LoadResult, ok: (o: Outcome) => boolean = isOk): Summary {
  return summarize(result.latencies.filter((_, i) => ok(result.outcomes[i])));
}

/** How many requests ended with each outcome, e.g. `{ "200": 3998, "504": 2 }`. */
export function outcomeCounts(result: LoadResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of result.outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

/** Requests that did not pass `ok`. */
export function failures(result: LoadResult, ok: (o: Outcome) => boolean = isOk): number {
  return result.outcomes.filter((o) => !ok(o)).length;
}

/** The requests of a run whose index passes `keep` (e.g. one path of an interleaved run). */
export function selectRequests(result: LoadResult, keep: (i: number) => boolean): LoadResult {
  const indices = result.outcomes.map((_, i) => i).filter(keep);
  return {
    sent: indices.length,
    elapsedMs: result.elapsedMs,
    latencies: indices.map((i) => result.latencies[i]),
    outcomes: indices.map((i) => result.outcomes[i]),
    lags: indices.map((i) => result.lags[i]).filter((lag) => lag !== undefined),
  };
}

// setTimeout fires up to about a millisecond late on Deno; waking this much
// early and sending at once keeps the lag near zero. A request sent early is
// measured from its real send time (see `openLoop`), so this never flatters.
const TIMER_SLACK_MS = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(send: Send, i: number): Promise<Outcome> {
  try {
    return await send(i);
  } catch (error) {
    return error instanceof Error ? error.name : "error";
  }
}

/**
 * Sends `rate` requests per second for `durationMs` (open model, see above).
 * Latency of request i = answer time − min(intended time, actual send time).
 * Resolves once every request has been answered.
 */
export async function openLoop(
  options: { rate: number; durationMs: number; send: Send },
): Promise<LoadResult> {
  const { rate, durationMs, send } = options;
  const interval = 1000 / rate;
  const total = Math.max(1, Math.round(durationMs / interval));
  const latencies = new Array<number>(total);
  const outcomes = new Array<Outcome>(total);
  const lags = new Array<number>(total);
  const inFlight: Promise<void>[] = [];
  const origin = performance.now() + TIMER_SLACK_MS;
  for (let i = 0; i < total; i++) {
    const intended = origin + i * interval;
    const wait = intended - performance.now() - TIMER_SLACK_MS;
    if (wait > 0) await sleep(wait);
    const sentAt = performance.now();
    const from = Math.min(sentAt, intended);
    lags[i] = sentAt - intended;
    inFlight.push(
      settle(send, i).then((outcome) => {
        latencies[i] = performance.now() - from;
        outcomes[i] = outcome;
      }),
    );
  }
  await Promise.all(inFlight);
  return { sent: total, elapsedMs: performance.now() - origin, latencies, outcomes, lags };
}

/**
 * `concurrency` clients each send a request, wait for the answer, and send the
 * next, for `durationMs` (a request in progress at the end is awaited and
 * counted). Latency is measured from each request's send time.
 */
export async function closedLoop(
  options: { concurrency: number; durationMs: number; send: Send },
): Promise<LoadResult> {
  const { concurrency, durationMs, send } = options;
  const latencies: number[] = [];
  const outcomes: Outcome[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      const at = performance.now();
      const outcome = await settle(send, next++);
      latencies.push(performance.now() - at);
      outcomes.push(outcome);
    }
  }));
  return {
    sent: outcomes.length,
    elapsedMs: performance.now() - started,
    latencies,
    outcomes,
    lags: [],
  };
}

/**
 * A `Send` for one HTTP request; the body is read to the end (as a client
 * would, and so the connection can be reused).
 */
export function httpSend(url: string, init: RequestInit = {}): Send {
  return async () => {
    const response = await fetch(url, init);
    await response.arrayBuffer();
    return response.status;
  };
}
