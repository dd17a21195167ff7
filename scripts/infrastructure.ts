/**
 * The servers the fleet stands on (PostgreSQL, RabbitMQ, Redis), started when they
 * are installed on this machine but not running, as `.ci/run` does, so
 * `deno task dev` is one command on a fresh machine.
 *
 * Only servers at a local address are started; a remote one that does not answer
 * is reported, never touched. A server that is not installed is reported with the
 * Debian package to install, all of them in one line.
 */
import { isListening } from "./ports.ts";

/** One server the fleet needs: where it answers and how to start it here. */
export interface Server {
  /** Shown to people: "PostgreSQL". */
  name: string;
  host: string;
  port: number;
  /** The Debian package that installs it. */
  aptPackage: string;
  /** The executable whose presence means "installed". */
  command: string;
  /** The command line that starts it in the background (it must return). */
  start: string[];
  /** How long it may take to accept connections once started. */
  startSeconds: number;
}

/** What `ensureServers` did. */
export interface ServersReport {
  /** Names of the servers it started. */
  started: string[];
  /**
   * One line naming what is missing (not installed, remote and down, or failed to
   * start), or undefined when every server answers.
   */
  problem?: string;
}

/** Where PostgreSQL, RabbitMQ and Redis are, from the same variables the fleet reads. */
export function fleetServers(env: {
  pgHost?: string;
  pgPort?: string;
  amqpUrl?: string;
  redisUrl?: string;
} = {}): Server[] {
  const amqp = new URL(env.amqpUrl ?? "amqp://guest:guest@127.0.0.1:5672");
  const redis = new URL(env.redisUrl ?? "redis://127.0.0.1:6379");
  const redisPort = Number(redis.port || 6379);
  return [
    {
      name: "PostgreSQL",
      host: env.pgHost ?? "127.0.0.1",
      port: Number(env.pgPort ?? 5432),
      aptPackage: "postgresql",
      command: "pg_ctlcluster",
      // Debian keeps one directory per installed major version in /etc/postgresql.
      start: [
        "sh",
        "-c",
        'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start',
      ],
      startSeconds: 60,
    },
    {
      name: "RabbitMQ",
      host: amqp.hostname,
      port: Number(amqp.port || 5672),
      aptPackage: "rabbitmq-server",
      command: "rabbitmq-server",
      start: ["rabbitmq-server", "-detached"],
      startSeconds: 120,
    },
    {
      name: "Redis",
      host: redis.hostname,
      port: redisPort,
      aptPackage: "redis-server",
      command: "redis-server",
      // As .ci/run: nothing persisted, only the loopback address.
      start: [
        "redis-server",
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "--port",
        String(redisPort),
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      startSeconds: 30,
    },
  ];
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Starts each server of `servers` that does not answer, is local and installed;
 * waits until it answers. Never throws for a missing server: the report's
 * `problem` says what is missing, in one line. `log` gets a line per start.
 */
export async function ensureServers(
  servers: Server[],
  log: (line: string) => void = console.log,
): Promise<ServersReport> {
  const started: string[] = [];
  const missing: string[] = [];
  for (const server of servers) {
    if (await isListening(server.host, server.port)) continue;
    const where = `${server.host}:${server.port}`;
    if (!LOCAL_HOSTS.has(server.host)) {
      missing.push(`${server.name} at ${where} does not answer (not local: not started here)`);
      continue;
    }
    if (!(await isInstalled(server.command))) {
      missing.push(`${server.name} is not installed (apt-get install ${server.aptPackage})`);
      continue;
    }
    log(`${server.name} is not running on ${where}: starting it (${server.start.join(" ")})…`);
    const failure = await startServer(server);
    if (failure) missing.push(`${server.name} did not start on ${where} (${failure})`);
    else started.push(server.name);
  }
  return { started, problem: missing.length ? `missing: ${missing.join("; ")}` : undefined };
}

async function isInstalled(command: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", {
      args: ["-c", `command -v "$0" >/dev/null`, command],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false; // no shell at all
  }
}

// Runs the start command (it daemonizes and returns), then waits for the port.
// Returns why it failed, or undefined.
async function startServer(server: Server): Promise<string | undefined> {
  const [program, ...args] = server.start;
  // Output to null, never a pipe we stop reading: a daemon that inherits a pipe
  // keeps it open for as long as it runs.
  const { success, code } = await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  if (!success) return `\`${server.start.join(" ")}\` exited with ${code}`;
  const deadline = Date.now() + server.startSeconds * 1000;
  while (Date.now() < deadline) {
    if (await isListening(server.host, server.port)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return `no answer after ${server.startSeconds} s`;
}
