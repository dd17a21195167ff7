/**
 * The one canonical spelling of a request path. The gateway refuses (400) any
 * other spelling before a route runs, so limits, routing and the forwarded path
 * are all decided on the same string, and no upstream can read it as another.
 *
 * Why not normalise instead (or use a library such as `path` or `URL`):
 * normalising means guessing how each upstream decodes (`%2e`, `%2f`, `\`,
 * `;`), and a wrong guess is a bypass; refusing leaves one spelling per
 * resource and nothing to re-interpret. No library states "canonical or not".
 */

/**
 * Paths accepted with a trailing "/", exactly as written: Socket.io's (its
 * clients always ask for it so). Nothing below them and no other spelling.
 */
export const TRAILING_SLASH_PATHS: ReadonlySet<string> = new Set(["/socket.io/"]);

/** The longest path accepted, in characters (the query does not count). */
export const MAX_PATH_LENGTH = 2048;

// RFC 3986 pchar without ";" (matrix parameters) and without "%" (handled below).
const PLAIN = /^[A-Za-z0-9\-._~!$&'()*+,=:@]$/;

/**
 * The raw path of a request URL, exactly as the client sent it: no decoding,
 * no dot-segment removal (unlike `new URL(url).pathname`).
 */
export function rawPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start === -1) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end === -1 ? url.slice(start) : url.slice(start, start + end);
}

/**
 * Why `path` is not canonical, or undefined when it is. Canonical: starts with
 * "/", at most MAX_PATH_LENGTH characters, no empty, "." or ".." segment (so no
 * "//" and no trailing "/", except the root and TRAILING_SLASH_PATHS), only
 * RFC 3986 path characters besides ";", and percent-escapes only for non-ASCII
 * UTF-8, upper-case hex (an ASCII character has one spelling: itself, or none
 * when it may not appear, such as "/" inside a segment, "\", NUL or other
 * controls).
 */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "The path must start with /.";
  if (path.length > MAX_PATH_LENGTH) {
    return `The path must not be longer than ${MAX_PATH_LENGTH} characters.`;
  }
  if (path === "/" || TRAILING_SLASH_PATHS.has(path)) return undefined;
  for (const segment of path.slice(1).split("/")) {
    if (segment === "") return "The path must not contain an empty segment (// or a trailing /).";
    if (segment === "." || segment === "..") return "The path must not contain . or .. segments.";
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  return undefined;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function segmentProblem(segment: string): string | undefined {
  let run: number[] = []; // consecutive escaped bytes: one UTF-8 sequence or more
  for (let i = 0; i <= segment.length; i++) {
    const char = segment[i];
    if (char === "%") {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) {
        return "A percent-escape in the path must be % and two upper-case hex digits.";
      }
      const byte = parseInt(hex, 16);
      // Every ASCII character is written as itself or not at all: %2e, %2f, %5c,
      // %00, %6c ("l"), %25 ("%") would each be another spelling of some path.
      if (byte < 0x80) return `The path must not contain the escape %${hex}.`;
      run.push(byte);
      i += 2;
      continue;
    }
    if (run.length > 0) {
      const problem = utf8Problem(run);
      if (problem) return problem;
      run = [];
    }
    if (char !== undefined && !PLAIN.test(char)) {
      return `The path must not contain ${JSON.stringify(char)}.`;
    }
  }
  return undefined;
}

function utf8Problem(bytes: number[]): string | undefined {
  let text: string;
  try {
    text = UTF8.decode(new Uint8Array(bytes));
  } catch {
    return "Percent-escapes in the path must encode UTF-8.";
  }
  // C1 controls have no place in a path either.
  if (/[\u0080-\u009f]/.test(text)) return "The path must not contain control characters.";
  return undefined;
}
