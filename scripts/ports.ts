/**
 * Free TCP ports, so tests can run a whole fleet beside `deno task dev` and
 * beside each other.
 */

/**
 * Returns `count` distinct ports that were free on `hostname` a moment ago. All
 * listeners stay open until every port is chosen, so the ports differ; another
 * program could still take one before it is used, which is rare enough for tests.
 */
export function freePorts(count: number, hostname = "127.0.0.1"): number[] {
  const listeners = Array.from({ length: count }, () => Deno.listen({ hostname, port: 0 }));
  try {
    return listeners.map((l) => (l.addr as Deno.NetAddr).port);
  } finally {
    for (const listener of listeners) listener.close();
  }
}

/** One free TCP port on `hostname`. */
export function freePort(hostname = "127.0.0.1"): number {
  return freePorts(1, hostname)[0];
}

/** `true` when something accepts TCP connections on `hostname:port`. */
export async function isListening(hostname: string, port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}
