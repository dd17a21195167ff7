/**
 * Password hashing with argon2id (hash-wasm, WebAssembly: no native addon, so
 * no --allow-ffi) in a small pool of workers. Each hash takes ~0.1 s of CPU;
 * on the main thread that would block every other request.
 */

/** Hashes and verifies passwords. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  close(): void;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** Starts `size` workers (default 2: one per core of our machines). */
export function createPasswordHasher(size = 2): PasswordHasher {
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let turn = 0;
  const workers = Array.from({ length: size }, () => {
    const worker = new Worker(new URL("./password_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<{ id: number; result?: unknown; error?: string }>) => {
      const { id, result, error } = event.data;
      const waiter = pending.get(id);
      pending.delete(id);
      if (error) waiter?.reject(new Error(error));
      else waiter?.resolve(result);
    };
    return worker;
  });
  const call = (message: Record<string, unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      workers[turn++ % workers.length].postMessage({ id, ...message });
    });
  return {
    hash: async (password) => (await call({ op: "hash", password })) as string,
    verify: async (password, hash) => (await call({ op: "verify", password, hash })) as boolean,
    close: () => workers.forEach((worker) => worker.terminate()),
  };
}
