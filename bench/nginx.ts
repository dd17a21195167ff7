/**
 * nginx (Debian's package) as the reference reverse proxy of the benchmarks:
 * what a team would put in front of the services instead of our gateway. One
 * process (`master_process off`, one worker: the gateway is one process too),
 * keep-alive to the upstream, no access log, everything in a temporary folder.
 */
import { freePort } from "../scripts/ports.ts";

/** A running nginx in front of one upstream. */
export interface Nginx {
  /** Where it listens: `http://127.0.0.1:<port>`. */
  url: string;
  pid: number;
  close(): Promise<void>;
}

/** `true` when nginx is installed (`apt-get install nginx-light`). */
export async function hasNginx(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("nginx", { args: ["-v"], stderr: "null" }).output();
    return success;
  } catch {
    return false;
  }
}

/** Starts nginx proxying every path to `upstream` (`http://host:port`); resolves once it answers. */
export async function startNginx(upstream: string): Promise<Nginx> {
  const dir = await Deno.makeTempDir({ prefix: "bench-nginx-" });
  const port = freePort();
  const { host } = new URL(upstream);
  const config = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream service {
    server ${host};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://service;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, config);
  const child = new Deno.Command("nginx", {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await fetch(`${url}/livez`).then(async (r) => {
      await r.body?.cancel();
      return true;
    }, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      const { stderr } = await child.output();
      throw new Error(`nginx did not start: ${new TextDecoder().decode(stderr)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid,
    async close() {
      child.kill("SIGQUIT"); // graceful
      await child.output();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** What `wrk` measured: requests per second and latency percentiles (ms). */
export interface WrkResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Non-2xx/3xx answers and socket errors. */
  errors: number;
}

/**
 * A closed-loop run of `wrk` (Debian's package): `connections` connections on
 * one thread for `seconds`, sending `headers`. Capacity is its requests/s.
 */
export async function runWrk(
  url: string,
  options: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<WrkResult> {
  const args = ["-t1", `-c${options.connections}`, `-d${options.seconds}s`, "--latency"];
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    args.push("-H", `${name}: ${value}`);
  }
  const { success, stdout, stderr } = await new Deno.Command("wrk", { args: [...args, url] })
    .output();
  const text = new TextDecoder().decode(stdout);
  if (!success) throw new Error(`wrk failed: ${new TextDecoder().decode(stderr)}`);
  return parseWrk(text);
}

/** Reads `wrk --latency` output. */
export function parseWrk(text: string): WrkResult {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`wrk output without ${pattern}:\n${text}`);
    return match;
  };
  const toMs = ([, value, unit]: RegExpExecArray) =>
    Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requestsPerSecond: Number(number(/Requests\/sec:\s+([\d.]+)/)[1]),
    p50: toMs(number(/\s50%\s+([\d.]+)(us|ms|s)\b/)),
    p99: toMs(number(/\s99%\s+([\d.]+)(us|ms|s)\b/)),
    errors: Number(errors?.[1] ?? 0) +
      (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  };
}

/** The bare Deno proxy of bench/bare_proxy.ts, started in front of `upstream`. */
export async function startBareProxy(upstream: string): Promise<Nginx> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      new URL("./bare_proxy.ts", import.meta.url).pathname,
      String(port),
      new URL(upstream).origin,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (
    !(await fetch(`${url}/livez`).then(async (r) => (await r.body?.cancel(), true), () => false))
  ) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error("the bare Deno proxy did not start");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid,
    async close() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
