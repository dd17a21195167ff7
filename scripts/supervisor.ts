/**
 * One child process of the fleet: spawned with `Deno.execPath()`, its output
 * captured line by line (kept in memory, and copied to the console or to a log
 * file), readiness awaited on `/readyz`, stopped with SIGTERM and, after a
 * deadline, SIGKILL. With a `RestartPolicy` it is started again whenever it
 * exits without being asked to (see restart_policy.ts).
 */
import { formatLogLine, type Paint } from "./log_format.ts";
import { describeExit, restartDelay, type RestartPolicy } from "./restart_policy.ts";

/** Where a process's output goes besides the in-memory buffer. */
export type LogOutput =
  | { kind: "memory" }
  | { kind: "console"; paint: Paint }
  | { kind: "file"; path: string };

/** How to run one process. */
export interface ProcessPlan {
  name: string;
  /** Arguments after the deno executable. */
  args: string[];
  /** The complete environment of the child (it inherits nothing else). */
  env: Record<string, string>;
  cwd: string;
  /** Polled until it answers 200. */
  readyUrl: string;
}

const MAX_LINES = 5_000;
const encoder = new TextEncoder();

// Children still running when this process exits (a crashed test, an uncaught
// error) would outlive it; killing them on unload leaves nothing behind.
const live = new Set<Deno.ChildProcess>();
globalThis.addEventListener("unload", () => {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
});

/** A supervised child process that can be started again after it stops. */
export class ManagedProcess {
  #child?: Deno.ChildProcess;
  #status?: Deno.CommandStatus;
  #exited?: Promise<Deno.CommandStatus>;
  #pumps: Promise<void>[] = [];
  #lines: string[] = [];
  #file?: Deno.FsFile;
  // Restart state: set by stop(), cleared by spawn(); the pending restart; the backoff step.
  #stopped = false;
  #pending?: ReturnType<typeof setTimeout>;
  #attempt = 0;
  #startedAt = 0;
  #restarts = 0;

  constructor(
    readonly plan: ProcessPlan,
    private readonly output: LogOutput,
    private readonly restart?: RestartPolicy,
  ) {}

  /** How many times the restart policy has started the process again. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Process id while running, otherwise undefined. */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  /** `true` between `spawn()` and the child's exit. */
  get running(): boolean {
    return this.#child !== undefined && this.#status === undefined;
  }

  /** Exit status of the last run, once it has ended. */
  get status(): Deno.CommandStatus | undefined {
    return this.#status;
  }

  /** Everything the process printed (the last 5,000 lines), across restarts. */
  logs(): string {
    return this.#lines.join("\n");
  }

  /** The last `count` lines it printed. */
  tail(count = 40): string {
    return this.#lines.slice(-count).join("\n");
  }

  /** Starts the child. Throws if it is already running. */
  spawn(): void {
    this.#stopped = false;
    clearTimeout(this.#pending);
    this.#pending = undefined;
    if (this.running) {
      throw new Error(`${this.plan.name} is already running (pid ${this.#child!.pid})`);
    }
    if (this.output.kind === "file" && !this.#file) {
      this.#file = Deno.openSync(this.output.path, { create: true, append: true });
    }
    const command = new Deno.Command(Deno.execPath(), {
      args: this.plan.args,
      env: this.plan.env,
      clearEnv: true,
      cwd: this.plan.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    const child = command.spawn();
    this.#child = child;
    this.#status = undefined;
    this.#startedAt = Date.now();
    live.add(child);
    this.#record(`[fleet] started ${this.plan.name} (pid ${child.pid})`, "meta");
    this.#pumps = [this.#pump(child.stdout, "out"), this.#pump(child.stderr, "err")];
    const pumps = this.#pumps;
    this.#exited = child.status.then(async (status) => {
      live.delete(child);
      // Report the exit after the last lines it printed.
      await Promise.all(pumps);
      this.#status = status;
      this.#record(`[fleet] ${this.plan.name} exited with ${describeExit(status)}`, "meta");
      if (this.restart && !this.#stopped) this.#scheduleRestart(this.restart, status);
      return status;
    });
  }

  #scheduleRestart(policy: RestartPolicy, status: Deno.CommandStatus): void {
    const upMs = Date.now() - this.#startedAt;
    if (upMs >= policy.resetAfterMs) this.#attempt = 0;
    const delay = restartDelay(policy, this.#attempt++);
    this.#record(
      `[fleet] ${this.plan.name} exited unexpectedly (${describeExit(status)}) after ` +
        `${(upMs / 1000).toFixed(1)} s; restarting in ${delay} ms (attempt ${this.#attempt})`,
      "meta",
    );
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      if (this.#stopped || this.running) return;
      this.spawn();
      this.#restarts++;
      // A run that dies before it is ready is handled by its own exit; only log the good news.
      this.waitReady(60_000).then(
        () => this.#record(`[fleet] ${this.plan.name} is ready again`, "meta"),
        () => {},
      );
    }, delay);
  }

  /** Resolves when the current run ends (immediately if not running). */
  async exited(): Promise<Deno.CommandStatus | undefined> {
    return this.#exited ? await this.#exited : undefined;
  }

  /** Sends a signal; a no-op when the process is not running. */
  signal(signal: Deno.Signal): void {
    if (!this.running) return;
    try {
      this.#child!.kill(signal);
    } catch {
      // exited between the check and the kill
    }
  }

  /**
   * Polls `readyUrl` until it answers 200. Fails early, with the tail of the
   * log, if the process exits; fails after `timeoutMs` with the last answer.
   */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
      if (!this.running) {
        const status = await this.exited();
        throw new Error(
          `${this.plan.name} exited (code ${status?.code}${
            status?.signal ? `, signal ${status.signal}` : ""
          }) ` +
            `before it was ready. Last lines of its log:\n${indent(this.tail())}`,
        );
      }
      try {
        const response = await fetch(this.plan.readyUrl, { signal: AbortSignal.timeout(2_000) });
        const body = await response.text();
        if (response.ok) return;
        last = `${response.status} ${body.slice(0, 300)}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await this.#sleepUnlessExit(100);
    }
    throw new Error(
      `${this.plan.name} was not ready within ${timeoutMs} ms (last answer of ${this.plan.readyUrl}: ${last}). ` +
        `Last lines of its log:\n${indent(this.tail())}`,
    );
  }

  /**
   * Stops the process: SIGTERM, then SIGKILL if it is still running after
   * `deadlineMs`. Resolves once it has exited and its output is read to the end.
   */
  async stop(deadlineMs: number): Promise<Deno.CommandStatus | undefined> {
    this.#stopped = true;
    clearTimeout(this.#pending);
    this.#pending = undefined;
    if (this.running) {
      this.signal("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<"timeout">((resolve) =>
        timer = setTimeout(() => resolve("timeout"), deadlineMs)
      );
      const outcome = await Promise.race([this.exited(), timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.#record(
          `[fleet] ${this.plan.name} ignored SIGTERM for ${deadlineMs} ms; sending SIGKILL`,
          "meta",
        );
        this.signal("SIGKILL");
      }
    }
    const status = await this.exited();
    await this.drained();
    return status;
  }

  /** Resolves once the output of the current run has been read to its end. */
  async drained(): Promise<void> {
    await Promise.all(this.#pumps);
  }

  /** Closes the log file (after the process has stopped). */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  async #sleepUnlessExit(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise((resolve) => timer = setTimeout(resolve, ms)),
      this.exited(),
    ]);
    clearTimeout(timer);
  }

  async #pump(stream: ReadableStream<Uint8Array>, kind: "out" | "err"): Promise<void> {
    let rest = "";
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) this.#record(line.replace(/\r$/, ""), kind);
      }
    } catch {
      // the pipe broke with the process; what was read is recorded
    }
    if (rest) this.#record(rest, kind);
  }

  #record(line: string, kind: "out" | "err" | "meta"): void {
    this.#lines.push(line);
    if (this.#lines.length > MAX_LINES) this.#lines.splice(0, this.#lines.length - MAX_LINES);
    if (this.output.kind === "console") {
      const text = formatLogLine(this.plan.name, line, kind, this.output.paint);
      if (kind === "out") console.log(text);
      else console.error(text);
    } else if (this.#file) {
      writeAll(this.#file, encoder.encode(`${line}\n`));
    }
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

function indent(text: string): string {
  return text
    ? text.split("\n").map((line) => `    ${line}`).join("\n")
    : "    (it printed nothing)";
}
