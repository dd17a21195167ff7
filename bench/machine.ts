/**
 * What the numbers were measured on, and where the CPU went while they were.
 *
 * The machine has few cores shared by the load generator, the fleet, the
 * servers (PostgreSQL, RabbitMQ, Redis) and, on a development machine, other
 * people's test runs. CPU accounting per phase (from /proc) shows how busy the
 * machine was and who used it, so a reader can tell a slow service from a busy
 * neighbour.
 */
import amqp from "amqplib";
import { Redis } from "ioredis";
import { connectDb } from "@mp/shared/db";
import { adminUrl } from "../shared/testing/database.ts";

/** The machine and software a run was measured on. */
export interface Environment {
  /** ISO time the run started. */
  date: string;
  /** The output of `deno --version`, one line per component. */
  deno: string[];
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  postgres: string;
  rabbitmq: string;
  redis: string;
  /** /proc/loadavg (1, 5, 15 minutes) when the run started. */
  loadAverage: number[];
  /** The whole machine's CPU use (% of one core) in the second before the run, see `waitForQuiet`. */
  busyBefore?: number;
  /** How long the run waited for the machine to quiet down. */
  waitedSeconds?: number;
}

/** Collects the environment; servers that do not answer are reported as "unknown". */
export async function environment(): Promise<Environment> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const kiB = Number(meminfo.match(/^MemTotal:\s+(\d+)/m)?.[1] ?? NaN);
  const deno = new TextDecoder().decode(
    (await new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "piped" }).output())
      .stdout,
  ).trim().split("\n");
  return {
    date: new Date().toISOString(),
    deno,
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ?? "unknown",
    cores: cpuinfo.match(/^processor\s*:/gm)?.length ?? navigator.hardwareConcurrency,
    memoryGiB: Math.round(kiB / 1024 / 1024 * 10) / 10,
    kernel: (await Deno.readTextFile("/proc/sys/kernel/osrelease")).trim(),
    postgres: await orUnknown(postgresVersion),
    rabbitmq: await orUnknown(rabbitmqVersion),
    redis: await orUnknown(redisVersion),
    loadAverage: await loadAverage(),
  };
}

async function orUnknown(fn: () => Promise<string>): Promise<string> {
  try {
    return await fn();
  } catch {
    return "unknown";
  }
}

async function postgresVersion(): Promise<string> {
  const sql = connectDb(adminUrl(), { max: 1 });
  try {
    const [row] = await sql<{ server_version: string }[]>`show server_version`;
    return row.server_version;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function rabbitmqVersion(): Promise<string> {
  const connection = await amqp.connect(amqpUrl());
  try {
    const props = (connection as unknown as {
      connection: { serverProperties: { version?: string } };
    }).connection.serverProperties;
    return String(props.version ?? "unknown");
  } finally {
    await connection.close().catch(() => {});
  }
}

async function redisVersion(): Promise<string> {
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return (await redis.info("server")).match(/^redis_version:(.+)$/m)?.[1].trim() ?? "unknown";
  } finally {
    redis.disconnect();
  }
}

/** AMQP_URL or the local default. */
export function amqpUrl(): string {
  return Deno.env.get("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672";
}

/** REDIS_URL or the local default. */
export function redisUrl(): string {
  return Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";
}

/** The 1, 5 and 15 minute load averages. */
export async function loadAverage(): Promise<number[]> {
  const text = await Deno.readTextFile("/proc/loadavg");
  return text.split(" ").slice(0, 3).map(Number);
}

/** CPU used during a phase, in percent of ONE core (so 200 % is both cores of a 2-core machine). */
export interface CpuUsage {
  /** Wall time of the phase. */
  seconds: number;
  /** Every core together (busy = not idle and not waiting for I/O). */
  machine: number;
  /** Our own processes by role (the load generator, each fleet process). */
  processes: Record<string, number>;
  /**
   * The servers, all their processes together (also serving anyone else on the
   * machine); postgres includes its processes that ended during the phase.
   */
  servers: { postgres: number; rabbitmq: number; redis: number };
  /** The rest: other people's work on a shared machine, the kernel, everything not listed. */
  other: number;
}

const SERVERS = { postgres: "postgres", rabbitmq: "beam.smp", redis: "redis-server" } as const;
type Server = keyof typeof SERVERS;

/**
 * Per-process ticks, keyed by pid and start time: a pid reused by a new
 * process during the phase must not be taken for the old one.
 */
export type TicksByProcess = Map<string, number>;

interface CpuSnapshot {
  at: number;
  machineBusy: number;
  processes: Record<string, number>;
  servers: Record<Server, TicksByProcess>;
  /** cutime + cstime of each postmaster: the CPU of its children it has reaped. */
  postmasters: TicksByProcess;
}

let clockTicks: number | undefined;

async function ticksPerSecond(): Promise<number> {
  if (clockTicks) return clockTicks;
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output();
    clockTicks = Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  } catch {
    clockTicks = 100; // the value on every mainstream Linux build
  }
  return clockTicks;
}

interface ProcessStat {
  comm: string;
  ppid: number;
  /** pid and start time, see `TicksByProcess`. */
  key: string;
  /** utime + stime (all its threads). */
  ticks: number;
  /** cutime + cstime: CPU of the children it has reaped (and of theirs). */
  reapedTicks: number;
}

/** A process's /proc/<pid>/stat, or undefined when it is gone. */
async function processStat(pid: number): Promise<ProcessStat | undefined> {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/stat`);
    // The command name is in parentheses and may contain spaces: fields follow the last ")",
    // starting with field 3 (state), so field n of proc(5) is at index n - 3.
    const comm = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ").map(Number);
    return {
      comm,
      ppid: fields[1],
      key: `${pid}@${fields[19]}`,
      ticks: fields[11] + fields[12],
      reapedTicks: fields[13] + fields[14],
    };
  } catch {
    return undefined;
  }
}

async function scan(pids: Record<string, number | undefined>): Promise<CpuSnapshot> {
  const stat = await Deno.readTextFile("/proc/stat");
  const [, ...values] = stat.slice(0, stat.indexOf("\n")).trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
  const processes: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    processes[name] = pid === undefined ? 0 : (await processStat(pid))?.ticks ?? 0;
  }
  const all = new Map<number, ProcessStat>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const info = await processStat(Number(entry.name));
    if (info) all.set(Number(entry.name), info);
  }
  const servers: Record<Server, TicksByProcess> = {
    postgres: new Map(),
    rabbitmq: new Map(),
    redis: new Map(),
  };
  const postmasters: TicksByProcess = new Map();
  for (const info of all.values()) {
    for (const [server, comm] of Object.entries(SERVERS)) {
      if (info.comm === comm) servers[server as Server].set(info.key, info.ticks);
    }
    // Every PostgreSQL process is a child of the postmaster, the one whose parent is not postgres.
    if (info.comm === SERVERS.postgres && all.get(info.ppid)?.comm !== SERVERS.postgres) {
      postmasters.set(info.key, info.reapedTicks);
    }
  }
  return {
    at: performance.now(),
    machineBusy: user + nice + system + irq + softirq + steal,
    processes,
    servers,
    postmasters,
  };
}

/**
 * A scan of /proc in which no postmaster reaped a child while it ran: otherwise
 * a backend read alive and then reaped would be counted twice (or, at the
 * start, not at all). Tries a few times, then takes the last scan.
 */
async function snapshot(pids: Record<string, number | undefined>): Promise<CpuSnapshot> {
  for (let attempt = 1;; attempt++) {
    const taken = await scan(pids);
    let reapedMeanwhile = false;
    for (const [key, reaped] of taken.postmasters) {
      const now = await processStat(Number(key.split("@")[0]));
      if (now?.key === key && now.reapedTicks !== reaped) reapedMeanwhile = true;
    }
    if (!reapedMeanwhile || attempt === 3) return taken;
  }
}

/**
 * Ticks a server's processes used between two snapshots: for each process
 * alive at the end, its ticks since the start (all of them if it started
 * later). With `reaped` (the postmasters' reaped ticks at both ends), plus the
 * processes that ended in between: the kernel adds a process's whole CPU to
 * its parent's when the parent reaps it, so the reaped change less what those
 * processes had used before the start is what they used during the phase,
 * floored at 0 (a process that ended but is not reaped yet counts as alive).
 */
export function serverTicks(
  before: TicksByProcess,
  after: TicksByProcess,
  reaped?: { before: TicksByProcess; after: TicksByProcess },
): number {
  let alive = 0;
  for (const [key, ticks] of after) alive += ticks - (before.get(key) ?? 0);
  if (!reaped) return alive;
  let reapedChange = 0;
  for (const [key, ticks] of reaped.after) {
    const start = reaped.before.get(key);
    if (start !== undefined) reapedChange += ticks - start;
  }
  let endedBefore = 0;
  for (const [key, ticks] of before) if (!after.has(key)) endedBefore += ticks;
  return alive + Math.max(0, reapedChange - endedBefore);
}

/**
 * Starts measuring CPU for the named processes (the load generator is added as
 * "load generator") and the servers; `stop()` returns the usage since the start.
 */
export async function measureCpu(
  pids: Record<string, number | undefined> = {},
): Promise<{ stop(): Promise<CpuUsage> }> {
  const hz = await ticksPerSecond();
  const named = { "load generator": Deno.pid, ...pids };
  const before = await snapshot(named);
  return {
    async stop() {
      const after = await snapshot(named);
      const seconds = (after.at - before.at) / 1000;
      const pct = (ticks: number) => Math.round((ticks / hz / seconds) * 1000) / 10;
      const processes = Object.fromEntries(
        Object.keys(named).map((name) => [
          name,
          pct(Math.max(0, after.processes[name] - before.processes[name])),
        ]),
      );
      const servers = {
        postgres: pct(
          serverTicks(before.servers.postgres, after.servers.postgres, {
            before: before.postmasters,
            after: after.postmasters,
          }),
        ),
        rabbitmq: pct(serverTicks(before.servers.rabbitmq, after.servers.rabbitmq)),
        redis: pct(serverTicks(before.servers.redis, after.servers.redis)),
      };
      const machine = pct(after.machineBusy - before.machineBusy);
      const ours = Object.values(processes).reduce((a, b) => a + b, 0) +
        servers.postgres + servers.rabbitmq + servers.redis;
      return {
        seconds: Math.round(seconds * 10) / 10,
        machine,
        processes,
        servers,
        other: Math.max(0, Math.round((machine - ours) * 10) / 10),
      };
    },
  };
}

/** One line describing a `CpuUsage`, e.g. for a table note. */
export function describeCpu(usage: CpuUsage): string {
  const parts = [
    ...Object.entries(usage.processes).map(([name, pct]) => `${name} ${pct} %`),
    ...Object.entries(usage.servers).map(([name, pct]) => `${name} ${pct} %`),
    `other ${usage.other} %`,
  ];
  return `machine ${usage.machine} % busy over ${usage.seconds} s (of one core; ${
    parts.join(", ")
  })`;
}

/** How busy the whole machine is (in % of one core) over `sampleMs`. */
export async function machineBusy(sampleMs = 1_000): Promise<number> {
  const meter = await measureCpu();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  return (await meter.stop()).machine;
}

/**
 * Waits (up to `timeoutMs`) until the machine is quieter than `maxBusy` % of
 * one core, since on a shared machine other people's work lands in the
 * numbers. Returns the last reading and how long it waited; it never fails:
 * the reading is reported with the results either way.
 */
export async function waitForQuiet(
  options: { maxBusy: number; timeoutMs: number },
): Promise<{ busy: number; waitedSeconds: number }> {
  const started = performance.now();
  let busy = await machineBusy();
  while (busy > options.maxBusy && performance.now() - started < options.timeoutMs) {
    busy = await machineBusy();
  }
  return { busy, waitedSeconds: Math.round((performance.now() - started) / 1000) };
}
