/**
 * The replicas of one upstream service, and which of them get requests.
 *
 * `<SERVICE>_URL` may list several origins (comma-separated). Requests go round
 * robin over the healthy ones. A replica that cannot be reached, or that answers
 * "shutting down", is ejected; while ejected it is probed (`GET /readyz`) every
 * `probeEveryMs`, and it is back in rotation after its first 200. With every
 * replica ejected the pool still answers one (the least recently ejected): trying
 * beats refusing when the probes may be wrong.
 */

/** A check of one replica: `true` when it should get requests again. */
export type ReplicaProbe = (origin: string) => Promise<boolean>;

/** Options of `UpstreamPool`. */
export interface UpstreamPoolOptions {
  /** Default: `GET <origin>/readyz` answering 200 within a second. */
  probe?: ReplicaProbe;
  /** How often an ejected replica is probed. Default 1 s. */
  probeEveryMs?: number;
  /** Told when a replica leaves or rejoins the rotation (logs). */
  onChange?: (origin: string, healthy: boolean, reason: string) => void;
}

/** `GET <origin>/readyz` answered 200 within a second. */
export const readyzProbe: ReplicaProbe = async (origin) => {
  try {
    const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
};

/** The replicas of one service: round robin over the healthy, probing the ejected. */
export class UpstreamPool {
  /** Every configured replica, in configuration order. */
  readonly origins: readonly string[];
  #next = 0;
  // Ejected replica → when it was ejected and its probe timer.
  readonly #ejected = new Map<string, { since: number; timer: number }>();
  readonly #probe: ReplicaProbe;
  readonly #probeEveryMs: number;
  readonly #onChange: UpstreamPoolOptions["onChange"];

  constructor(origins: readonly string[], options: UpstreamPoolOptions = {}) {
    if (origins.length === 0) throw new Error("an upstream needs at least one origin");
    this.origins = [...new Set(origins)];
    this.#probe = options.probe ?? readyzProbe;
    this.#probeEveryMs = options.probeEveryMs ?? 1000;
    this.#onChange = options.onChange;
  }

  /** How many replicas there are. */
  get size(): number {
    return this.origins.length;
  }

  /** The replicas in rotation now. */
  get healthy(): string[] {
    return this.origins.filter((origin) => !this.#ejected.has(origin));
  }

  /**
   * The next replica to send a request to, skipping those in `tried` (a retry goes
   * elsewhere). Undefined only when every replica was tried.
   */
  pick(tried: ReadonlySet<string> = new Set()): string | undefined {
    const candidates = this.healthy.filter((origin) => !tried.has(origin));
    if (candidates.length > 0) return candidates[this.#next++ % candidates.length];
    const ejected = [...this.#ejected.entries()]
      .filter(([origin]) => !tried.has(origin))
      .sort(([, a], [, b]) => a.since - b.since);
    return ejected[0]?.[0];
  }

  /** Takes `origin` out of rotation until a probe finds it ready. */
  eject(origin: string, reason: string): void {
    if (!this.origins.includes(origin) || this.#ejected.has(origin)) return;
    this.#ejected.set(origin, { since: Date.now(), timer: this.#schedule(origin) });
    this.#onChange?.(origin, false, reason);
  }

  /** Stops every probe (the gateway is stopping). */
  close(): void {
    for (const { timer } of this.#ejected.values()) clearTimeout(timer);
    this.#ejected.clear();
  }

  #schedule(origin: string): number {
    // Deno's timers are numbers (the Node typings in scope say Timeout).
    const timer = setTimeout(async () => {
      const entry = this.#ejected.get(origin);
      if (!entry) return; // closed meanwhile
      if (await this.#probe(origin)) {
        if (this.#ejected.delete(origin)) this.#onChange?.(origin, true, "ready again");
      } else if (this.#ejected.get(origin) === entry) {
        entry.timer = this.#schedule(origin);
      }
    }, this.#probeEveryMs) as unknown as number;
    // A probe never keeps the process alive.
    Deno.unrefTimer(timer);
    return timer;
  }
}

/**
 * The origins of a `<SERVICE>_URL` value: one http(s) URL or several separated by
 * commas. Throws a message naming the bad item.
 */
export function parseOrigins(value: string): string[] {
  const origins: string[] = [];
  for (const item of value.split(",").map((part) => part.trim())) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch { /* reported below */ }
    if (!url || !["http:", "https:"].includes(url.protocol) || url.username || url.password) {
      throw new Error(`"${item}" is not an http(s) URL`);
    }
    origins.push(url.origin);
  }
  return origins;
}
