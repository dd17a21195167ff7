/**
 * Free TCP ports, so tests can run a whole fleet beside `deno task dev` and
 * beside each other (chosen by the test kit: shared/testing/ports.ts says how).
 */
export { freePort, freePorts } from "../shared/testing/ports.ts";

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
