/**
 * A service as a real process, for the tests that run it under its real
 * permission flags: a missing permission must fail the test, not production.
 */
import assert from "node:assert/strict";

/** What Deno reports when a permission is missing (the error names, and the "Requires net access to …" text). */
export const PERMISSION_ERROR = /NotCapable|PermissionDenied|Requires .* access/;

/** A process started by `startProcess`. */
export interface TestProcess {
  /** The child, for anything the helpers do not cover. */
  readonly child: Deno.ChildProcess;
  /**
   * Sends SIGTERM and waits for the process to exit; asserts it exited with 0
   * and wrote no permission error to stdout or stderr. Returns its output.
   */
  stop(): Promise<{ stdout: string; stderr: string }>;
  /** For `finally`: SIGKILL if still running, then waits for the exit. Never throws. */
  kill(): Promise<void>;
}

/**
 * Spawns `command args` in a cleared environment holding only `env` (pass
 * Deno's own variables with `passThrough`), with stdout and stderr piped.
 */
export function startProcess(
  command: string,
  args: string[],
  { env, cwd }: { env: Record<string, string>; cwd?: string | URL },
): TestProcess {
  const child = new Deno.Command(command, {
    args,
    cwd,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Read both pipes from the start: a full pipe would block the child.
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  const signal = (name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch { /* already gone */ }
  };
  return {
    child,
    async stop() {
      signal("SIGTERM");
      const [{ code }, [stdout, stderr]] = await Promise.all([child.status, output]);
      assert.equal(code, 0, stderr);
      assert.ok(!PERMISSION_ERROR.test(stdout + stderr), stderr);
      return { stdout, stderr };
    },
    async kill() {
      signal("SIGKILL");
      await Promise.all([child.status, output]).catch(() => {});
    },
  };
}

/** The variables among `names` that are set here, to hand on to a child with a cleared environment. */
export function passThrough(names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
