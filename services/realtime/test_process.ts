/**
 * The edge as a real process under the flags of README.md ("Permissions"):
 * `deno run`, `--allow-net` naming only its listen address, Redis and the
 * broker, a bare `--allow-env` (the `debug` package enumerates the
 * environment), nothing to read. main_test.ts and presence_test.ts use it.
 */
import { passThrough, startProcess, type TestProcess, waitFor } from "@mp/shared/testing";
import type { Cluster } from "./test_support.ts";

const ROOT = new URL("../../", import.meta.url);

/** The arguments after `deno` that run the edge. */
export function edgeArgs(env: Record<string, string>): string[] {
  const host = env.REALTIME_HOST ?? "127.0.0.1";
  const redis = new URL(env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const amqp = new URL(env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672");
  return [
    "run",
    `--allow-net=${host}:${env.REALTIME_PORT},${redis.hostname}:${
      redis.port || 6379
    },${amqp.hostname}:${amqp.port || 5672}`,
    "--allow-env",
    "services/realtime/main.ts",
  ];
}

/** Starts the edge process on the cluster's Redis prefix and exchange; resolves once ready. */
export async function startEdgeProcess(
  cluster: Cluster,
  overrides: Record<string, string> = {},
): Promise<{ proc: TestProcess; url: string }> {
  const env = cluster.env({ LOG_LEVEL: "warn", ...overrides });
  const proc = startProcess(Deno.execPath(), edgeArgs(env), {
    cwd: ROOT,
    env: { ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]), ...env },
  });
  const url = `http://127.0.0.1:${env.REALTIME_PORT}`;
  try {
    await waitFor(async () => {
      const response = await fetch(`${url}/readyz`);
      await response.body?.cancel();
      return response.status === 200;
    }, { timeoutMs: 30_000, what: "edge process ready" });
  } catch (error) {
    await proc.kill();
    throw error;
  }
  return { proc, url };
}
