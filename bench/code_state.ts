/**
 * Which code a benchmark measured: the commit, and the files of the measured
 * folders that differed from it (other people edit the working tree while a
 * benchmark runs, and the fleet runs whatever is on disk when it starts).
 * Read-only use of git: `rev-parse` and `status`.
 */
import { ROOT } from "../scripts/fleet.ts";

/** The commit and the uncommitted changes under `paths`. */
export interface CodeState {
  commit: string;
  /** `git status --porcelain` lines for `paths`, e.g. ` M services/gigs/search.ts`. */
  changed: string[];
}

/** The state of `paths` (relative to the repository root) right now. */
export async function codeState(paths: readonly string[]): Promise<CodeState> {
  const git = async (...args: string[]) => {
    const { success, stdout } = await new Deno.Command("git", {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? new TextDecoder().decode(stdout) : "";
  };
  const commit = (await git("rev-parse", "--short", "HEAD")).trim() || "unknown";
  const status = await git("status", "--porcelain", "--", ...paths);
  return { commit, changed: status.split("\n").filter((line) => line.trim() !== "") };
}

/** One sentence for a benchmark's notes. */
export function describeCodeState(state: CodeState): string {
  if (state.changed.length === 0) {
    return `Measured code: commit ${state.commit}, the measured folders unchanged from it.`;
  }
  const files = state.changed.map((line) => `\`${line.slice(3)}\` (${line.slice(0, 2).trim()})`);
  return `Measured code: commit ${state.commit} **plus uncommitted changes** in ${
    files.join(", ")
  } (the fleet ran what was on disk when it started).`;
}
