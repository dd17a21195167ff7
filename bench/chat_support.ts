/**
 * What the chat benchmarks (chat_sockets, chat_latency) share: the fleet with
 * the realtime edge's Redis keys under a prefix of the run's own (cleaned up
 * afterwards), Socket.io clients (the real socket.io-client, WebSocket
 * transport, as e2e/sockets.ts opens them), access tokens signed with the
 * fleet's key the way the gateway signs them, and process memory and
 * file-descriptor limits from /proc.
 */
import { io, type Socket } from "socket.io-client";
import { createAccessTokenSigner } from "../gateway/keys.ts";
import { type BenchFleet, type BenchFleetOptions, startBenchFleet } from "./fleet.ts";

/** A bench fleet for chat: its realtime edge's Redis prefix is `redisPrefix`. */
export interface ChatFleet extends BenchFleet {
  /** The edge's REDIS_PREFIX (its keys and adapter channel). */
  redisPrefix: string;
}

/** `startBenchFleet`, whose edge and chat's presence reads use a prefix of the run (deleted on close). */
export async function startChatFleet(
  name: string,
  options: BenchFleetOptions,
): Promise<ChatFleet> {
  const bench = await startBenchFleet(name, options);
  return { ...bench, redisPrefix: bench.realtimePrefix };
}

/**
 * Signs access tokens with the fleet's private key, with the gateway's own
 * signer (gateway/keys.ts: ES256, `typ: at+jwt`, issuer and audience defaults,
 * 15 minutes), for users that need not exist (an idle socket needs none).
 */
export async function tokenSigner(privateJwk: string) {
  const signer = await createAccessTokenSigner({
    privateJwk,
    issuer: "marketplace-gateway",
    audience: "marketplace",
  });
  return async (id: string, username: string) => (await signer.sign({ id, username })).token;
}

/** Opens a Socket.io client to `baseUrl` (the gateway or an edge) as the e2e tests do. */
export function openClient(baseUrl: string, token: string | undefined): Socket {
  return io(baseUrl, {
    path: "/socket.io/",
    transports: ["websocket"],
    auth: token === undefined ? {} : { token },
    reconnection: false,
    forceNew: true,
    timeout: 60_000,
  });
}

/** Resolves once connected; rejects with the connect_error. */
export function connected(socket: Socket): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const ok = () => {
      socket.off("connect_error", fail);
      resolve();
    };
    const fail = (error: Error) => {
      socket.off("connect", ok);
      reject(error);
    };
    socket.once("connect", ok);
    socket.once("connect_error", fail);
  });
}

/** What `connectMany` returns. */
export interface Connected {
  sockets: Socket[];
  /** Connect errors by message. */
  errors: Record<string, number>;
  /** Wall time to connect them all. */
  seconds: number;
}

/** Opens `count` sockets, at most `concurrency` handshakes in flight. */
export async function connectMany(
  count: number,
  concurrency: number,
  open: (i: number) => Promise<Socket>,
): Promise<Connected> {
  const sockets: Socket[] = [];
  const errors: Record<string, number> = {};
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      let socket: Socket | undefined;
      try {
        socket = await open(i);
        await connected(socket);
        sockets.push(socket);
      } catch (error) {
        socket?.close();
        const message = error instanceof Error ? error.message : String(error);
        errors[message] = (errors[message] ?? 0) + 1;
      }
    }
  }));
  return { sockets, errors, seconds: (performance.now() - started) / 1000 };
}

/** Resident set size of a process in KiB (VmRSS), or NaN when it is gone. */
export async function rssKiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process right now. */
export async function openFiles(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  let count = 0;
  try {
    for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  } catch {
    return NaN;
  }
  return count;
}

/** The soft and hard "Max open files" of a process. */
export async function fileLimit(pid: number): Promise<{ soft: number; hard: number }> {
  const limits = await Deno.readTextFile(`/proc/${pid}/limits`);
  const match = limits.match(/^Max open files\s+(\S+)\s+(\S+)/m);
  const value = (text: string | undefined) => text === "unlimited" ? Infinity : Number(text);
  return { soft: value(match?.[1]), hard: value(match?.[2]) };
}

/**
 * Makes sure process `pid` may open `need` files: when its soft limit is lower
 * and its hard limit allows, raises the soft limit with `prlimit --pid`
 * (util-linux; allowed on one's own processes up to their hard limit).
 * Returns what it found and did, for the notes; throws when the hard limit is
 * too low (only root can raise that).
 */
export async function ensureFileLimit(
  pid: number,
  need: number,
  who: string,
): Promise<string> {
  const { soft, hard } = await fileLimit(pid);
  if (soft >= need) return `${who}: limit ${soft} (needs about ${need})`;
  if (hard < need) {
    throw new Error(
      `${who} may open ${hard} files at most (hard limit), the benchmark needs about ${need}: ` +
        `raise it (e.g. \`ulimit -Hn ${need * 2}\` as root) before \`deno task bench\``,
    );
  }
  const raised = String(hard === Infinity ? need * 2 : hard);
  const { success, stderr } = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), `--nofile=${raised}:${hard === Infinity ? "unlimited" : hard}`],
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`prlimit for ${who} failed: ${new TextDecoder().decode(stderr)}`);
  }
  return `${who}: soft limit ${soft} raised to ${raised} with prlimit (needs about ${need})`;
}

/** Closes sockets and waits until the server side saw them go (its fd count drops). */
export async function closeAll(
  sockets: readonly Socket[],
  serverPid: number | undefined,
  below: number,
) {
  for (const socket of sockets) socket.close();
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline && (await openFiles(serverPid)) > below) {
    await sleep(250);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** KiB per socket from RSS before and after (KiB), rounded to a tenth. */
export function perSocketKiB(before: number, after: number, sockets: number): number {
  if (!(sockets > 0)) return NaN;
  return Math.round(((after - before) / sockets) * 10) / 10;
}

/**
 * Matches arrivals to what was sent, first in first out per key (e.g. the
 * recipient socket, conversation and sender of a `typing`, which carries no
 * id of its own): `expect` notes a send, `arrive` takes the oldest one not yet
 * arrived under that key. Pushes on one socket arrive in the order the edge
 * emitted them.
 */
export class FifoMatcher<T> {
  #queues = new Map<string, T[]>();

  expect(key: string, sent: T): void {
    const queue = this.#queues.get(key);
    if (queue) queue.push(sent);
    else this.#queues.set(key, [sent]);
  }

  /** The oldest send under `key` not yet arrived, or undefined (an arrival nobody expected). */
  arrive(key: string): T | undefined {
    const queue = this.#queues.get(key);
    const sent = queue?.shift();
    if (queue && queue.length === 0) this.#queues.delete(key);
    return sent;
  }

  /** Sends that never arrived. */
  get waiting(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.length;
    return count;
  }
}
