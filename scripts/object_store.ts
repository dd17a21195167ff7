/**
 * A local S3-compatible object store for `deno task dev`, the fleet and the
 * media tests: `@20minutes/s3rver` (the maintained fork of s3rver) running in
 * this process, storing objects in a folder. It checks SigV4 signatures as S3
 * does, so a presigned PUT with another Content-Type or Content-Length than
 * signed is refused (403 SignatureDoesNotMatch).
 *
 * What it does NOT do, unlike MinIO (docker-compose) and S3: it answers
 * unsigned requests as if they were allowed and has no bucket policies, so
 * `private/` objects are readable (and any object writable) by whoever knows
 * the address. It listens on 127.0.0.1 only, for development and tests.
 *
 * Its key pair is fixed by s3rver (`S3RVER` / `S3RVER`).
 */
import S3rver from "@20minutes/s3rver";

/** s3rver's built-in credentials. */
export const LOCAL_STORE_KEY = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** A running local store. */
export interface LocalObjectStore {
  /** `http://127.0.0.1:<port>`: both the services' and the browser's address here. */
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The folder holding the objects. */
  directory: string;
  /** Stops listening; removes the folder when it was a temporary one. */
  close(): Promise<void>;
}

/** Options of `startLocalObjectStore`. */
export interface LocalObjectStoreOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Where objects are kept; default a new temporary folder, removed on close. */
  directory?: string;
  /** Buckets to create before listening. */
  buckets?: string[];
}

/** Starts s3rver on 127.0.0.1. */
export async function startLocalObjectStore(
  options: LocalObjectStoreOptions = {},
): Promise<LocalObjectStore> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? await Deno.makeTempDir({ prefix: "objects-" });
  const server = new S3rver({
    address: "127.0.0.1",
    port: options.port ?? 0,
    directory,
    silent: true,
    // Path-style only: no bucket is a subdomain of 127.0.0.1.
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const address = await server.run() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    ...LOCAL_STORE_KEY,
    directory,
    async close() {
      await server.close();
      if (temporary) await Deno.remove(directory, { recursive: true }).catch(() => {});
    },
  };
}

if (import.meta.main) {
  const store = await startLocalObjectStore({
    port: Number(Deno.env.get("S3_PORT") ?? 4569),
    directory: Deno.env.get("S3_DIR") ?? ".objects",
  });
  console.log(
    `object store (s3rver) on ${store.url}, key ${store.accessKeyId}, in ${store.directory}`,
  );
}
