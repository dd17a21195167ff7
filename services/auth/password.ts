/**
 * Password hashing with argon2id (hash-wasm, WebAssembly: no native addon, so
 * no --allow-ffi) in a small pool of workers. Each hash takes ~50 ms of CPU;
 * on the main thread that would block every other request.
 *
 * Hashing yields to the rest of the process: a governor (hash_governor.ts)
 * spaces the starts so each worker hashes at most its duty cycle of the wall
 * time, and lowers that cycle while the event loop falls behind. Logins wait
 * in a queue bounded by time: beyond a few jobs per worker, when the work already
 * waiting would take longer than `maxWaitMs` to start at the current duty, a new
 * one is refused at once
 * (`HasherBusyError`, answered 503 with Retry-After) instead of piling up work
 * whose client gave up long ago. A job whose request was aborted while it
 * waited is dropped unhashed.
 */
import { type GovernorOptions, HashGovernor, watchEventLoop } from "./hash_governor.ts";

/** Thrown when the hash queue is full; says when trying again makes sense. */
export class HasherBusyError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super("password hashing is saturated");
    this.name = "HasherBusyError";
  }
}

/** argon2id cost of new hashes (a stored hash carries its own, so old ones keep verifying). */
export interface Argon2Params {
  /** KiB of memory per hash. */
  memoryKiB: number;
  /** Passes over that memory. */
  iterations: number;
}

/**
 * OWASP's m=7 MiB, t=5, p=1 (as strong as its m=19 MiB t=2): in bench/login_flood.ts
 * it gave the most logins per second at a 25 % duty cycle, its hash taking less wall
 * time on this machine than 19 MiB's (less memory traffic).
 */
export const DEFAULT_ARGON2: Argon2Params = { memoryKiB: 7_168, iterations: 5 };

/** What the pool is doing, for tests and metrics. */
export interface HasherState {
  /** Current duty cycle per worker (share of wall time spent hashing). */
  duty: number;
  /** Jobs waiting for a worker. */
  queued: number;
}

/** Hashes and verifies passwords. */
export interface PasswordHasher {
  hash(password: string, signal?: AbortSignal): Promise<string>;
  verify(password: string, hash: string, signal?: AbortSignal): Promise<boolean>;
  state(): HasherState;
  close(): void;
}

/** Options of `createPasswordHasher`. */
export interface HasherOptions {
  /** Workers hashing in parallel. Default: one per core but one, at least one. */
  workers?: number;
  /** Hard cap of jobs waiting per worker, whatever the duty. Default 8. */
  queuePerWorker?: number;
  /** Longest expected wait before a job starts; beyond it, refused. Default 1,000 ms. */
  maxWaitMs?: number;
  /** Cost of new hashes. Default `DEFAULT_ARGON2`. */
  argon2?: Argon2Params;
  /** Duty-cycle governor settings (hash_governor.ts). */
  governor?: GovernorOptions;
}

/**
 * Jobs per worker that are always let in (within the hard cap), whatever the
 * duty cycle: a few people signing in at once on a busy machine wait a few
 * seconds rather than get a 503. Only admission changes; the duty cycle still
 * spaces the hashes, so the rest of the process is protected the same. (On a
 * machine shared with other work the loop lags without any flood, the duty
 * drops to its floor and the time estimate alone refused the second login
 * that had to wait behind a resting worker.)
 */
const ALWAYS_ADMITTED_PER_WORKER = 4;

type Job = {
  message: Record<string, unknown>;
  signal?: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
};

type Slot = { worker: Worker; job?: Job; startedAt: number; busyMs: number; endedAt: number };

/** Starts the worker pool and its governor. */
export function createPasswordHasher(options: HasherOptions = {}): PasswordHasher {
  const size = options.workers ?? Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1);
  const maxQueued = size * (options.queuePerWorker ?? 8);
  const maxWaitMs = options.maxWaitMs ?? 1_000;
  const alwaysAdmitted = size * ALWAYS_ADMITTED_PER_WORKER;
  const argon2 = options.argon2 ?? DEFAULT_ARGON2;
  const governor = new HashGovernor(options.governor);
  const stopWatching = watchEventLoop(
    options.governor?.periodMs ?? 250,
    (lag) => governor.observe(lag),
  );
  const queue: Job[] = [];
  const slots: Slot[] = [];
  // Until a hash has been timed: a guess on the high side, so early floods are refused sooner.
  let meanHashMs = 100;
  let wake: ReturnType<typeof setTimeout> | undefined;

  const dispatch = () => {
    const now = performance.now();
    let nextStart = Infinity;
    for (const slot of slots) {
      if (!queue.length) break;
      if (slot.job) continue;
      const readyAt = slot.endedAt + governor.restMs(slot.busyMs);
      if (readyAt > now) {
        nextStart = Math.min(nextStart, readyAt);
        continue;
      }
      let job = queue.shift();
      while (job?.signal?.aborted) {
        job.reject(new DOMException("The request was aborted.", "AbortError"));
        job = queue.shift();
      }
      if (!job) break;
      slot.job = job;
      slot.startedAt = now;
      slot.worker.postMessage({ id: 0, ...job.message });
    }
    // A resting worker and waiting work: look again when its rest ends.
    if (queue.length && nextStart < Infinity && wake === undefined) {
      wake = setTimeout(() => {
        wake = undefined;
        dispatch();
      }, Math.max(1, nextStart - now));
    }
  };

  for (let i = 0; i < size; i++) {
    const worker = new Worker(new URL("./password_worker.ts", import.meta.url), { type: "module" });
    const slot: Slot = { worker, startedAt: 0, busyMs: 0, endedAt: 0 };
    worker.onmessage = (event: MessageEvent<{ result?: unknown; error?: string }>) => {
      const job = slot.job;
      slot.job = undefined;
      slot.endedAt = performance.now();
      slot.busyMs = slot.endedAt - slot.startedAt;
      meanHashMs = 0.8 * meanHashMs + 0.2 * slot.busyMs;
      if (event.data.error) job?.reject(new Error(event.data.error));
      else job?.resolve(event.data.result);
      dispatch();
    };
    slots.push(slot);
  }

  // Time for the pool to start `jobs` more jobs at the current duty cycle.
  const drainMs = (jobs: number) => jobs * (meanHashMs + governor.restMs(meanHashMs)) / size;

  const call = (message: Record<string, unknown>, signal?: AbortSignal) =>
    new Promise<unknown>((resolve, reject) => {
      const full = queue.length >= maxQueued ||
        (queue.length >= alwaysAdmitted && drainMs(queue.length) > maxWaitMs);
      if (full) {
        const seconds = Math.ceil(drainMs(queue.length + 1) / 1000);
        return reject(new HasherBusyError(Math.min(30, Math.max(1, seconds))));
      }
      queue.push({ message, signal, resolve, reject });
      dispatch();
    });

  return {
    hash: async (password, signal) =>
      (await call({ op: "hash", password, ...argon2 }, signal)) as string,
    verify: async (password, hash, signal) =>
      (await call({ op: "verify", password, hash }, signal)) as boolean,
    state: () => ({ duty: governor.duty, queued: queue.length }),
    close: () => {
      stopWatching();
      clearTimeout(wake);
      for (const slot of slots) slot.worker.terminate();
      for (const job of queue.splice(0)) job.reject(new Error("hasher closed"));
    },
  };
}
