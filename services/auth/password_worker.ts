/**
 * Runs argon2id off the main thread so a burst of logins cannot stall other
 * requests. Messages: `{ id, op: "hash", password }` or
 * `{ id, op: "verify", password, hash }`; answers `{ id, result }` or `{ id, error }`.
 */
import { argon2id, argon2Verify } from "hash-wasm";

// OWASP's minimum for argon2id (m=19 MiB, t=2, p=1).
const PARAMS = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 };

// The worker global, typed by hand: a `lib="deno.worker"` reference would leak
// worker typings into every module type-checked together with this one.
const worker = self as unknown as {
  onmessage: (event: MessageEvent<Request>) => void;
  postMessage(message: unknown): void;
};

type Request =
  | { id: number; op: "hash"; password: string }
  | { id: number; op: "verify"; password: string; hash: string };

worker.onmessage = async (event: MessageEvent<Request>) => {
  const request = event.data;
  try {
    const result = request.op === "hash"
      ? await argon2id({
        ...PARAMS,
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
