/**
 * Verification links for the seed, read from the dev mail catcher's JSON API
 * (scripts/mail_catcher.ts: `GET /api/mails`, every kept mail, newest first).
 * A seller must verify their email before the users service lets them become a
 * seller, and the only way to learn the token is the mail, like a person would.
 *
 * One poller serves every waiting account: while anyone waits it fetches the
 * list every `intervalMs`, so a hundred sellers signing up at once cost one
 * request per interval, not a hundred.
 */
import { SeedError, sleep } from "./seed_client.ts";

/** A verification link found in a mail. */
export interface VerifyLink {
  /** The mail's id in the catcher (ids grow with arrival). */
  mailId: number;
  token: string;
}

interface Waiter {
  address: string;
  afterId: number;
  resolve: (link: VerifyLink | undefined) => void;
  reject: (error: Error) => void;
  deadline: number;
}

interface CaughtMail {
  id: number;
  to: string[];
  text: string;
  html: string;
}

const LINK = /\/verify-email\?token=([A-Za-z0-9_-]+)/;

/** Reads verification links from the mail catcher's JSON API. */
export class MailLinks {
  readonly #url: string;
  readonly #intervalMs: number;
  readonly #waiters = new Set<Waiter>();
  #polling = false;

  constructor(url: string, options: { intervalMs?: number } = {}) {
    this.#url = url;
    this.#intervalMs = options.intervalMs ?? 250;
  }

  /** The id of the newest mail with a verification link to `address`, or 0 (fetches once). */
  async newestId(address: string): Promise<number> {
    const mails = await this.#fetch();
    return newestLink(mails, address, 0)?.mailId ?? 0;
  }

  /**
   * The newest verification link mailed to `address` in a mail newer than
   * `afterId`, waiting up to `timeoutMs` for one to arrive; undefined if none did.
   */
  waitForLink(
    address: string,
    afterId: number,
    timeoutMs: number,
  ): Promise<VerifyLink | undefined> {
    return new Promise((resolve, reject) => {
      this.#waiters.add({
        address: address.toLowerCase(),
        afterId,
        resolve,
        reject,
        deadline: Date.now() + timeoutMs,
      });
      if (!this.#polling) this.#poll();
    });
  }

  async #poll() {
    this.#polling = true;
    let failures = 0;
    try {
      while (this.#waiters.size > 0) {
        let mails: CaughtMail[] | undefined;
        try {
          mails = await this.#fetch();
          failures = 0;
        } catch (error) {
          // A few failures in a row mean there is no mail catcher to read.
          if (++failures >= 3) {
            for (const waiter of this.#waiters) waiter.reject(error as Error);
            this.#waiters.clear();
            return;
          }
        }
        const now = Date.now();
        for (const waiter of [...this.#waiters]) {
          const link = mails && newestLink(mails, waiter.address, waiter.afterId);
          if (link || now >= waiter.deadline) {
            this.#waiters.delete(waiter);
            waiter.resolve(link);
          }
        }
        if (this.#waiters.size > 0) await sleep(this.#intervalMs);
      }
    } finally {
      this.#polling = false;
    }
  }

  async #fetch(): Promise<CaughtMail[]> {
    let res: Response;
    try {
      res = await fetch(this.#url, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new SeedError(
        `cannot read verification mails from ${this.#url} (${(error as Error).message}). ` +
          "Sellers must verify their email: run the seed against `deno task dev`, whose mail " +
          "catcher serves that JSON API, or point --mail-api at one.",
      );
    }
    const body = await res.json().catch(() => undefined);
    if (!res.ok || !Array.isArray(body)) {
      throw new SeedError(
        `${this.#url} answered ${res.status} without a list of mails; --mail-api must be the ` +
          "mail catcher's /api/mails (scripts/mail_catcher.ts).",
      );
    }
    return body;
  }
}

function newestLink(mails: CaughtMail[], address: string, afterId: number): VerifyLink | undefined {
  let best: VerifyLink | undefined;
  for (const mail of mails) {
    if (mail.id <= afterId || (best && mail.id <= best.mailId)) continue;
    if (!mail.to.some((to) => to.toLowerCase() === address.toLowerCase())) continue;
    const token = (mail.text.match(LINK) ?? mail.html.match(LINK))?.[1];
    if (token) best = { mailId: mail.id, token };
  }
  return best;
}
