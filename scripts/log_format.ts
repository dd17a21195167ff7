/**
 * Console rendering of the fleet's output for `deno task dev`: each line gets
 * the process name as a coloured prefix, and the services' JSON log lines are
 * shown as `time level message key=value ...` so a developer can read them.
 */

/** ANSI colouring, or none (when the output is not a terminal, or NO_COLOR is set). */
export type Paint = (code: number, text: string) => string;

/** Colours text with an ANSI SGR code. */
export const ansi: Paint = (code, text) => `\x1b[${code}m${text}\x1b[0m`;
/** Leaves text as it is. */
export const plain: Paint = (_code, text) => text;

/** `ansi` when stdout is a terminal and NO_COLOR is unset, else `plain`. */
export function consolePaint(): Paint {
  return Deno.stdout.isTerminal() && !Deno.noColor ? ansi : plain;
}

const PREFIX_COLOURS = [36, 35, 33, 32, 34, 96, 95, 93];
const LEVEL_COLOURS: Record<string, number> = { debug: 90, info: 32, warn: 33, error: 31 };
const prefixes = new Map<string, number>();

/** A process name padded to a common width, in a colour of its own. */
export function prefix(name: string, paint: Paint): string {
  if (!prefixes.has(name)) {
    prefixes.set(name, PREFIX_COLOURS[prefixes.size % PREFIX_COLOURS.length]);
  }
  return paint(prefixes.get(name)!, name.padEnd(13).slice(0, 13) + " |");
}

/**
 * One console line for one line of a process's output. JSON log lines of the
 * shared logger (ECS: `{"@timestamp", "log.level", message, ...}`, shared/log.ts)
 * are shown as `HH:MM:SS.mmm level message k=v`, an access log line as
 * `GET /path → 200 12.3 ms`; anything else is printed as it came.
 */
export function formatLogLine(
  name: string,
  line: string,
  kind: "out" | "err" | "meta",
  paint: Paint,
): string {
  if (kind === "meta") return `${prefix(name, paint)} ${paint(90, line)}`;
  return `${prefix(name, paint)} ${prettyJson(line, paint) ?? line}`;
}

// Said by the prefix or the same on every line: not worth the width.
const HIDDEN = new Set(["service.name", "ecs.version"]);
const ACCESS = [
  "http.request.method",
  "url.path",
  "http.response.status_code",
  "event.duration",
] as const;

function prettyJson(line: string, paint: Paint): string | undefined {
  if (!line.startsWith("{")) return undefined;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof entry !== "object" || entry === null || typeof entry.message !== "string") {
    return undefined;
  }
  const { "@timestamp": time, "log.level": level, message, ...fields } = entry;
  const clock = typeof time === "string" ? time.slice(11, 23) : "";
  const lvl = typeof level === "string" ? level : "info";
  let text = message;
  if (message === "request" && typeof fields["http.request.method"] === "string") {
    const status = Number(fields["http.response.status_code"]);
    const ms = Number(fields["event.duration"]) / 1e6;
    text = `${fields["http.request.method"]} ${fields["url.path"]} → ${
      paint(status >= 500 ? 31 : status >= 400 ? 33 : 32, String(status))
    } ${Number.isFinite(ms) ? `${Math.round(ms * 10) / 10} ms` : ""}`.trimEnd();
    for (const key of ACCESS) delete fields[key];
  }
  const rest = Object.entries(fields)
    .filter(([key, value]) => value !== undefined && !HIDDEN.has(key))
    .map(([key, value]) =>
      `${paint(90, `${key}=`)}${typeof value === "string" ? value : JSON.stringify(value)}`
    )
    .join(" ");
  return `${paint(90, clock)} ${paint(LEVEL_COLOURS[lvl] ?? 37, lvl.padEnd(5))} ${text}${
    rest ? ` ${rest}` : ""
  }`;
}
