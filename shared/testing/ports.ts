/**
 * Free TCP ports for servers a test starts later (a whole fleet beside `deno task
 * dev`, and test files beside each other).
 *
 * Why not "listen on port 0 and close": the kernel hands out port 0 from the
 * ephemeral range (32768–60999 here), the same range it takes the local ports of
 * outgoing connections from. In the seconds between choosing a port and the
 * server binding it, one of the many connections a test opens (PostgreSQL, Redis,
 * RabbitMQ, upstreams) could take that port as its own, and the server then dies
 * of AddrInUse (a CI run lost the gateway's metrics listener that way). So ports
 * are drawn from below that range, where no outgoing connection goes, and each is
 * reserved for a while by an exclusively created file, so two test workers
 * choosing at the same moment never get the same one.
 */

/** The range ports are drawn from: above the well-known services, below the ephemeral ports. */
const LOWEST = 20_000;
const HIGHEST = 32_000;
/** How long a chosen port stays reserved for the test that chose it (long enough to start a fleet). */
const RESERVED_FOR_MS = 5 * 60_000;
const RESERVATIONS = `${Deno.env.get("TMPDIR") ?? "/tmp"}/marketplace-test-ports`;

/**
 * Returns `count` distinct ports on `hostname` that were free a moment ago and
 * that no other test has chosen in the last few minutes.
 */
export function freePorts(count: number, hostname = "127.0.0.1"): number[] {
  Deno.mkdirSync(RESERVATIONS, { recursive: true });
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 10_000) throw new Error(`no ${count} free ports in ${LOWEST}–${HIGHEST}`);
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST));
    if (!ports.includes(port) && reserve(port) && isFree(hostname, port)) ports.push(port);
  }
  return ports;
}

/** One free TCP port on `hostname` (see {@link freePorts}). */
export function freePort(hostname = "127.0.0.1"): number {
  return freePorts(1, hostname)[0];
}

// Claims a port by creating its file; a reservation older than RESERVED_FOR_MS is taken over.
function reserve(port: number): boolean {
  const path = `${RESERVATIONS}/${port}`;
  try {
    Deno.writeTextFileSync(path, String(Deno.pid), { createNew: true });
    return true;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const since = Deno.statSync(path).mtime?.getTime() ?? 0;
  if (Date.now() - since < RESERVED_FOR_MS) return false;
  // Two takers of one stale file could both get here; the listen check after this
  // and the rarity of the race (same random port, same moment) keep that harmless.
  Deno.writeTextFileSync(path, String(Deno.pid));
  return true;
}

function isFree(hostname: string, port: number): boolean {
  try {
    Deno.listen({ hostname, port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}
