/**
 * Progress of a seed run: counters, and a reporter that rewrites one line every
 * second on a terminal or prints a line every ten seconds otherwise (logs, CI).
 */

/** How many of one kind exist now: made by this run, or found from an earlier one. */
export interface Count {
  created: number;
  existing: number;
  total: number;
}

/** How progress is shown. */
export type ProgressMode = "tty" | "lines" | "none";

/** The counters of a run and their display. */
export class Progress {
  readonly buyers: Count = { created: 0, existing: 0, total: 0 };
  readonly sellers: Count = { created: 0, existing: 0, total: 0 };
  readonly gigs: Count = { created: 0, existing: 0, total: 0 };
  rateLimitWaits = 0;
  retries = 0;
  readonly startedAt = performance.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastGigs = 0;
  #lastAt = this.startedAt;
  #recentRate = 0;
  #onLine = false;
  readonly #encoder = new TextEncoder();

  constructor(readonly mode: ProgressMode, readonly write: (line: string) => void) {}

  /** Starts reporting (every second on a terminal, every ten seconds as lines). */
  start(): void {
    if (this.mode === "none") return;
    this.#timer = setInterval(() => this.#report(), this.mode === "tty" ? 1000 : 10_000);
  }

  /** Stops reporting and prints the final state. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.mode === "none") return;
    this.#report();
    if (this.#onLine) Deno.stdout.writeSync(this.#encoder.encode("\n"));
    this.#onLine = false;
  }

  /** Prints a message on its own line (above the progress line on a terminal). */
  note(message: string): void {
    if (this.mode === "none") return;
    if (this.#onLine) Deno.stdout.writeSync(this.#encoder.encode("\r\x1b[2K"));
    this.#onLine = false;
    this.write(message);
  }

  /** Seconds since the run started. */
  get seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  /** One line: every count, the gig rate over the last interval, waits. */
  line(): string {
    const done = (c: Count) => `${c.created + c.existing}/${c.total}`;
    const parts = [
      `buyers ${done(this.buyers)}`,
      `sellers ${done(this.sellers)}`,
      `gigs ${done(this.gigs)} (${this.gigs.created} new)`,
      `${this.#recentRate.toFixed(0)} gigs/s`,
      `${this.seconds.toFixed(0)} s`,
    ];
    if (this.rateLimitWaits) parts.push(`${this.rateLimitWaits} rate-limit waits`);
    if (this.retries) parts.push(`${this.retries} retries`);
    return parts.join(" · ");
  }

  #report() {
    const now = performance.now();
    const elapsed = (now - this.#lastAt) / 1000;
    if (elapsed > 0) this.#recentRate = (this.gigs.created - this.#lastGigs) / elapsed;
    this.#lastGigs = this.gigs.created;
    this.#lastAt = now;
    if (this.mode === "tty") {
      Deno.stdout.writeSync(this.#encoder.encode(`\r\x1b[2K${this.line()}`));
      this.#onLine = true;
    } else {
      this.write(this.line());
    }
  }
}
