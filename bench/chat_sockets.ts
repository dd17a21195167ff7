/**
 * Memory per idle socket: 5,000 Socket.io clients (the real socket.io-client,
 * WebSocket transport, an access token each) connected through the gateway's
 * WebSocket bridge to the realtime edge; the resident memory (RSS) of the
 * gateway and the edge before and after, divided by the sockets. In the same
 * run, the same 5,000 straight to the edge (so the gateway's share shows), and
 * to a bare Socket.io server (bench/bare_socketio_server.ts: socket.io on
 * node:http, no adapter, no auth), what a user would pick instead.
 *
 * Each phase starts from a fresh server process (the edge is restarted
 * between the first two; the bare server is a new process), connects and
 * closes a warm-up batch (so code compiled on first use is not counted per
 * socket), measures RSS, connects the sockets, lets them sit idle through a
 * full Engine.IO ping interval (25 s), measures again, and closes them.
 */
import type { Socket } from "socket.io-client";
import {
  type ChatFleet,
  closeAll,
  connectMany,
  ensureFileLimit,
  openClient,
  openFiles,
  perSocketKiB,
  rssKiB,
  sleep,
  startChatFleet,
  tokenSigner,
} from "./chat_support.ts";
import { codeState, describeCodeState } from "./code_state.ts";
import { type CpuUsage, describeCpu, measureCpu } from "./machine.ts";
import type { Benchmark, Table } from "./report.ts";
import { num, percentile } from "./stats.ts";

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

// BENCH_SOCKETS: a smaller count for trying the benchmark out; the recorded run uses 5,000.
const SOCKETS = Number(Deno.env.get("BENCH_SOCKETS") ?? 5_000);
const CONCURRENCY = 50; // handshakes in flight
const WARMUP_SOCKETS = 100;
const SETTLE_MS = 30_000; // after the warm-up batch closed, before "before": as long as the idle wait, so GC has had the same chance
const IDLE_MS = 30_000; // connected and idle before "after": longer than a 25 s ping interval
const READINGS = 5; // RSS readings at the end of each wait, their median taken
const READING_EVERY_MS = 2_000;
const TARGET_KIB = 100;

interface ProcessMemory {
  before: number;
  after: number;
  perSocket: number;
  /** Open file descriptors with the sockets connected. */
  files: number;
}

interface Phase {
  path: string;
  connected: number;
  errors: Record<string, number>;
  connectSeconds: number;
  processes: Record<string, ProcessMemory>;
  /** The load generator's own RSS growth (the clients). */
  client: ProcessMemory;
  idleCpu: CpuUsage;
}

/** Connects `SOCKETS` to `url` and measures the processes in `pids`. */
async function measurePhase(
  path: string,
  url: string,
  pids: Record<string, number | undefined>,
  /** The process whose open files show when the sockets are gone. */
  server: number | undefined,
  token: (i: number) => Promise<string | undefined>,
  log: (message: string) => void,
): Promise<Phase> {
  log(`${path}: warm-up with ${WARMUP_SOCKETS} sockets`);
  const idleFiles = await openFiles(server);
  const warm = await connectMany(
    WARMUP_SOCKETS,
    CONCURRENCY,
    async (i) => openClient(url, await token(SOCKETS + i)),
  );
  if (warm.sockets.length < WARMUP_SOCKETS) {
    throw new Error(`${path}: warm-up sockets refused: ${JSON.stringify(warm.errors)}`);
  }
  await closeAll(warm.sockets, server, idleFiles + 5);
  // The median of READINGS readings, one every READING_EVERY_MS at the end of a wait:
  // a single reading lands before or after a GC by chance.
  const rss = async () => {
    const readings: Record<string, number[]> = {};
    for (let r = 0; r < READINGS; r++) {
      if (r > 0) await sleep(READING_EVERY_MS);
      for (const [name, pid] of Object.entries(pids)) {
        (readings[name] ??= []).push(await rssKiB(pid));
      }
    }
    return Object.fromEntries(
      Object.entries(readings).map(([name, values]) => [name, median(values)]),
    );
  };
  const readingMs = (READINGS - 1) * READING_EVERY_MS;
  await sleep(SETTLE_MS - readingMs);
  const before = await rss();
  const clientBefore = await rssKiB(Deno.pid);
  log(`${path}: connecting ${SOCKETS} sockets, ${CONCURRENCY} handshakes at a time`);
  const { sockets, errors, seconds } = await connectMany(
    SOCKETS,
    CONCURRENCY,
    async (i) => openClient(url, await token(i)),
  );
  log(
    `${path}: ${sockets.length} connected in ${seconds.toFixed(1)} s` +
      (Object.keys(errors).length ? `, refused: ${JSON.stringify(errors)}` : "") +
      `; idle ${IDLE_MS / 1000} s`,
  );
  const meter = await measureCpu(pids);
  await sleep(IDLE_MS - readingMs);
  const after = await rss();
  const idleCpu = await meter.stop();
  const clientAfter = await rssKiB(Deno.pid);
  const stillConnected = sockets.filter((s: Socket) => s.connected).length;
  const processes: Record<string, ProcessMemory> = {};
  for (const [name, pid] of Object.entries(pids)) {
    processes[name] = {
      before: before[name],
      after: after[name],
      perSocket: perSocketKiB(before[name], after[name], sockets.length),
      files: await openFiles(pid),
    };
  }
  await closeAll(sockets, server, idleFiles + 5);
  return {
    path,
    connected: stillConnected,
    errors: stillConnected < sockets.length
      ? { ...errors, "disconnected while idle": sockets.length - stillConnected }
      : errors,
    connectSeconds: seconds,
    processes,
    client: {
      before: clientBefore,
      after: clientAfter,
      perSocket: perSocketKiB(clientBefore, clientAfter, sockets.length),
      files: NaN,
    },
    idleCpu,
  };
}

/** Starts the bare server as its own process, its soft file limit raised by `ulimit -n`. */
async function startBareServer(fileLimit: number) {
  const entry = new URL("./bare_socketio_server.ts", import.meta.url).pathname;
  const command = `ulimit -Sn ${fileLimit} && exec "$0" run --allow-net=127.0.0.1 --allow-env "$1"`;
  const child = new Deno.Command("sh", {
    args: ["-c", command, Deno.execPath(), entry],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 60_000;
  while (!/listening (\d+)/.test(text)) {
    if (Date.now() > deadline) throw new Error("the bare Socket.io server did not start");
    const { value, done } = await reader.read();
    if (done) throw new Error(`the bare Socket.io server exited: ${text}`);
    text += value;
  }
  const port = Number(text.match(/listening (\d+)/)![1]);
  // Keep reading so the pipe never fills.
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

const mib = (kib: number) => num(kib / 1024, 1);
const kib = (value: number) => num(value, 1);

/** The chat_sockets benchmark. */
export const chatSockets: Benchmark = {
  name: "chat_sockets",
  title: "memory per idle Socket.io socket: through the gateway, straight to the edge, bare",
  method: `${num(SOCKETS)} socket.io-client sockets (WebSocket transport, a signed access ` +
    `token each, ${CONCURRENCY} handshakes at a time) from the benchmark process, connected ` +
    `(1) through the gateway's /socket.io/ bridge to the realtime edge, (2) straight to the ` +
    `edge, (3) to a bare Socket.io server (socket.io 4 on node:http, defaults, no adapter, no ` +
    `auth; bench/bare_socketio_server.ts) in the same run. Each phase on a fresh server ` +
    `process: ${WARMUP_SOCKETS} warm-up sockets connected and closed and ${
      SETTLE_MS / 1000
    } s idle, RSS (/proc VmRSS: the median of ${READINGS} ` +
    `readings ${READING_EVERY_MS / 1000} s apart, ending the wait) read, ` +
    `the sockets connected, ${IDLE_MS / 1000} s idle (longer than the 25 s ping interval), ` +
    `RSS read again; per socket = (after − before) / sockets.`,
  async run(context) {
    const state = await codeState(["gateway", "services/realtime", "shared", "bench"]);
    const need = 2 * (SOCKETS + WARMUP_SOCKETS) + 500; // the gateway: a client and an upstream socket each
    const limits: string[] = [];
    limits.push(await ensureFileLimit(Deno.pid, SOCKETS + WARMUP_SOCKETS + 500, "load generator"));
    let bench: ChatFleet | undefined;
    let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
    try {
      bench = await startChatFleet("chat_sockets", {
        logLevel: context.logLevel,
        only: ["realtime", "gateway"],
        env: {
          // One client address opens every socket: lift the per-IP limits (the checks still run).
          gateway: {
            RATE_LIMIT_PER_MINUTE: "100000000",
            WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE: "100000000",
          },
        },
      });
      const { fleet } = bench;
      const sign = await tokenSigner(fleet.keys.privateJwk);
      const ids = Array.from({ length: SOCKETS + WARMUP_SOCKETS }, () => crypto.randomUUID());
      const token = (i: number) => sign(ids[i], `idle${i}`);
      const phases: Phase[] = [];

      limits.push(await ensureFileLimit(fleet.pid("gateway")!, need, "gateway"));
      limits.push(await ensureFileLimit(fleet.pid("realtime")!, SOCKETS + 500, "edge"));
      phases.push(
        await measurePhase(
          "through the gateway",
          fleet.gatewayUrl,
          { gateway: fleet.pid("gateway"), edge: fleet.pid("realtime") },
          fleet.pid("realtime"),
          token,
          context.log,
        ),
      );

      context.log("restarting the edge for the direct phase");
      await fleet.restart("realtime");
      limits.push(await ensureFileLimit(fleet.pid("realtime")!, SOCKETS + 500, "edge (restarted)"));
      phases.push(
        await measurePhase(
          "straight to the edge",
          fleet.urlOf("realtime"),
          { edge: fleet.pid("realtime") },
          fleet.pid("realtime"),
          token,
          context.log,
        ),
      );
      await bench.close();
      bench = undefined;

      bare = await startBareServer(SOCKETS + 1_000);
      limits.push(
        `bare server: started with \`ulimit -Sn ${
          SOCKETS + 1_000
        }\` in the \`sh -c\` that execs it`,
      );
      phases.push(
        await measurePhase(
          "bare Socket.io server",
          bare.url,
          { "bare server": bare.pid },
          bare.pid,
          () => Promise.resolve(undefined),
          context.log,
        ),
      );

      const [viaGateway, direct, bareRun] = phases;
      const together = {
        before: viaGateway.processes.gateway.before + viaGateway.processes.edge.before,
        after: viaGateway.processes.gateway.after + viaGateway.processes.edge.after,
      };
      const togetherPerSocket = perSocketKiB(together.before, together.after, SOCKETS);
      const row = (phase: Phase, name: string, memory: ProcessMemory) => [
        phase.path,
        name,
        num(phase.connected),
        mib(memory.before),
        mib(memory.after),
        kib(memory.perSocket),
        Number.isFinite(memory.files) ? num(memory.files) : "",
      ];
      const memoryTable: Table = {
        title: `Memory per idle socket (${num(SOCKETS)} sockets; RSS in MiB, per socket in KiB)`,
        columns: [
          "path",
          "process",
          "connected",
          "RSS before",
          "RSS after",
          "per socket",
          "open files",
        ],
        rows: [
          row(viaGateway, "gateway", viaGateway.processes.gateway),
          row(viaGateway, "edge", viaGateway.processes.edge),
          [
            viaGateway.path,
            "**gateway + edge**",
            num(viaGateway.connected),
            mib(together.before),
            mib(together.after),
            `**${kib(togetherPerSocket)}**`,
            "",
          ],
          row(direct, "edge", direct.processes.edge),
          row(bareRun, "bare server", bareRun.processes["bare server"]),
          ...phases.map((phase) => row(phase, "clients (load generator)", phase.client)),
        ],
      };
      const connectTable: Table = {
        title: "Connecting, and CPU while idle (% of one core)",
        columns: ["path", "connect time (s)", "sockets/s", "refused or lost", "idle CPU"],
        rows: phases.map((phase) => [
          phase.path,
          num(phase.connectSeconds, 1),
          num(SOCKETS / phase.connectSeconds),
          Object.keys(phase.errors).length ? JSON.stringify(phase.errors) : "0",
          Object.entries(phase.idleCpu.processes).filter(([name]) => name !== "load generator")
            .map(([name, pct]) => `${name} ${pct} %`).join(", "),
        ]),
      };
      const allConnected = phases.every((p) => p.connected === SOCKETS);
      return {
        tables: [memoryTable, connectTable],
        targets: [{
          what: "memory per idle socket, gateway + edge",
          goal: `≤ ${TARGET_KIB} KiB`,
          measured: `${kib(togetherPerSocket)} KiB`,
          met: allConnected && togetherPerSocket <= TARGET_KIB,
        }],
        notes: [
          `Clients: all ${num(SOCKETS)} in the benchmark's own Deno process (one process holds ` +
          `them; its RSS growth is in the table). Each socket has its own access token, signed ` +
          `with the fleet's key by the gateway's signer (gateway/keys.ts) for a random user id ` +
          `(an idle socket needs no account); the edge verifies each at the handshake, joins ` +
          `its user room and marks it online in Redis.`,
          `Fleet: the gateway and the edge only (\`only: ["realtime", "gateway"]\`), under their ` +
          `real flags; the edge's Redis keys under a prefix of the run. Raised for this run ` +
          `(fleet env of the gateway): \`RATE_LIMIT_PER_MINUTE\` and ` +
          `\`WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE\` to 100,000,000 (one client address).`,
          `File descriptors: ${limits.join("; ")}. The fleet's processes inherit the ` +
          `benchmark's limit (\`ulimit -n\` of the shell that runs \`deno task bench\`); where ` +
          `it is too low the benchmark raises the soft limit with \`prlimit --pid\`.`,
          `RSS counts what the process holds from the operating system; V8 and the allocator ` +
          `keep freed memory for reuse, so it is an upper bound of what the sockets need, ` +
          `read with no forced GC.`,
          `Idle CPU over ${IDLE_MS / 1000} s: ${
            phases.map((p) => `${p.path}: ${describeCpu(p.idleCpu)}`).join("; ")
          }.`,
          describeCodeState(state),
        ],
        data: { sockets: SOCKETS, idleMs: IDLE_MS, phases, together, togetherPerSocket, limits },
      };
    } finally {
      await bare?.stop();
      await bench?.close();
    }
  },
};
