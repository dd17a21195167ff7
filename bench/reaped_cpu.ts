/**
 * CPU of PostgreSQL processes that ended during a phase, which `measureCpu`
 * (machine.ts) cannot see: it sums the processes alive at the start and at the
 * end, so a parallel query worker (started and gone within one query) or a
 * backend whose connection closed is missing from both sums and shows up as
 * "not ours" (a backend that was alive at the start even makes the postgres
 * figure smaller). The kernel adds a process's CPU to its parent's
 * `cutime`/`cstime` when the parent reaps it, and every PostgreSQL process is
 * a child of the postmaster: the postmaster's change in those two fields is
 * what its ended children used.
 */

/** Percent of one core used, over the phase, by PostgreSQL processes that ended in it. */
export async function reapedPostgresMeter(): Promise<{ stop(): Promise<number> }> {
  const hz = await ticksPerSecond();
  const postmaster = await findPostmaster();
  const read = async () => (postmaster ? await reapedTicks(postmaster) : 0);
  const before = await read();
  const started = performance.now();
  return {
    async stop() {
      const ticks = (await read()) - before;
      const seconds = (performance.now() - started) / 1000;
      return Math.round((ticks / hz / seconds) * 1000) / 10;
    },
  };
}

/** cutime + cstime of a process: CPU of its children it has reaped, in ticks. */
async function reapedTicks(pid: number): Promise<number> {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

/** The pid of the postgres process whose parent is not postgres, if there is one here. */
async function findPostmaster(): Promise<number | undefined> {
  const stats = new Map<number, { comm: string; ppid: number }>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const text = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      const comm = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      const ppid = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]);
      stats.set(Number(entry.name), { comm, ppid });
    } catch { /* gone meanwhile */ }
  }
  for (const [pid, { comm, ppid }] of stats) {
    if (comm === "postgres" && stats.get(ppid)?.comm !== "postgres") return pid;
  }
  return undefined;
}

async function ticksPerSecond(): Promise<number> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output();
    return Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  } catch {
    return 100;
  }
}
