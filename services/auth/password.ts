/**
 * Password hashing with argon2id (hash-wasm, WebAssembly: no native addon, so
 * no --allow-ffi) in a small pool of workers. Each hash takes ~0.1 s of CPU;
 * on the main thread that would block every other request.
 *
 * The queue in front of the workers is bounded: a login flood beyond what the
 * workers can hash is refused at once (`HasherBusyError`, answered 503 with
 * Retry-After) instead of piling up work whose clients gave up long ago. A job
 * whose request was aborted while it waited is dropped unhashed.
 */

/** Thrown when the hash queue is full. */
export class HasherBusyError extends Error {
  constructor() {
    super("password hashing is saturated");
    this.name = "HasherBusyError";
  }
}

/** Hashes and verifies passwords. */
export interface PasswordHasher {
  hash(password: string, signal?: AbortSignal): Promise<string>;
  verify(password: string, hash: string, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

/** Options of `createPasswordHasher`. */
export interface HasherOptions {
  /** Workers hashing in parallel. Default: one per core but one, at least one. */
  workers?: number;
  /** Jobs allowed to wait per worker before new ones are refused. Default 8 (~0.8 s of work). */
  queuePerWorker?: number;
}

type Job = {
  message: Record<string, unknown>;
  signal?: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
};

/** Starts the worker pool. */
export function createPasswordHasher(options: HasherOptions = {}): PasswordHasher {
  const size = options.workers ?? Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1);
  const maxQueued = size * (options.queuePerWorker ?? 8);
  const queue: Job[] = [];
  const idle: Worker[] = [];
  const running = new Map<Worker, Job>();

  const dispatch = () => {
    while (idle.length && queue.length) {
      const job = queue.shift()!;
      if (job.signal?.aborted) {
        job.reject(new DOMException("The request was aborted.", "AbortError"));
        continue;
      }
      const worker = idle.pop()!;
      running.set(worker, job);
      worker.postMessage({ id: 0, ...job.message });
    }
  };

  for (let i = 0; i < size; i++) {
    const worker = new Worker(new URL("./password_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<{ result?: unknown; error?: string }>) => {
      const job = running.get(worker);
      running.delete(worker);
      idle.push(worker);
      if (event.data.error) job?.reject(new Error(event.data.error));
      else job?.resolve(event.data.result);
      dispatch();
    };
    idle.push(worker);
  }

  const call = (message: Record<string, unknown>, signal?: AbortSignal) =>
    new Promise<unknown>((resolve, reject) => {
      if (queue.length >= maxQueued) return reject(new HasherBusyError());
      queue.push({ message, signal, resolve, reject });
      dispatch();
    });

  return {
    hash: async (password, signal) => (await call({ op: "hash", password }, signal)) as string,
    verify: async (password, hash, signal) =>
      (await call({ op: "verify", password, hash }, signal)) as boolean,
    close: () => {
      for (const worker of [...idle, ...running.keys()]) worker.terminate();
      for (const job of queue.splice(0)) job.reject(new Error("hasher closed"));
    },
  };
}
