/**
 * Runs argon2id off the main thread so a burst of logins cannot stall other
 * requests. Messages: `{ id, op: "hash", password, memoryKiB, iterations }` or
 * `{ id, op: "verify", password, hash }` (a stored hash names its own cost);
 * answers `{ id, result }` or `{ id, error }`.
 */
import { argon2id, argon2Verify } from "hash-wasm";

// The worker global, typed by hand: a `lib="deno.worker"` reference would leak
// worker typings into every module type-checked together with this one.
const worker = self as unknown as {
  onmessage: (event: MessageEvent<Request>) => void;
  postMessage(message: unknown): void;
};

type Request =
  | { id: number; op: "hash"; password: string; memoryKiB: number; iterations: number }
  | { id: number; op: "verify"; password: string; hash: string };

worker.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  try {
    const result = request.op === "hash"
      ? await argon2id({
        memorySize: request.memoryKiB,
        iterations: request.iterations,
        parallelism: 1,
        hashLength: 32,
        password: request.password,
        salt: crypto.getRandomValues(new Uint8Array(16)),
        outputType: "encoded",
      })
      : await argon2Verify({ password: request.password, hash: request.hash });
    worker.postMessage({ id: request.id, result });
  } catch (error) {
    worker.postMessage({ id: request.id, error: String(error) });
  }
};
