/**
 * The WebSocket bridge: Socket.io traffic at `/socket.io/` goes to the realtime
 * edge frame by frame.
 *
 * A handshake is bridged like an HTTP reverse proxy does it (nginx, for one):
 * the gateway first opens its own WebSocket to the edge with the same query
 * (EIO, transport…), the request id and the client address, and only once the
 * edge accepted does it upgrade the client. So an edge that is down or slow is
 * an ordinary 503/504 problem on the handshake, never a socket that opens and
 * dies. Then text and binary frames are piped both ways, unchanged (the
 * Socket.io auth payload travels inside the client's first frame, and the edge
 * verifies its token); when one side closes, the other is closed with the same
 * code and reason where the protocol allows sending it.
 *
 * Only the WebSocket transport is carried: Engine.IO long-polling is refused
 * with a 400 problem telling the client to use `transports: ["websocket"]`
 * (README.md, "WebSocket", says why it cannot work through the gateway).
 *
 * Why not `hono/proxy`: it forwards HTTP messages, not upgraded connections.
 * Why not `upgradeWebSocket` from `hono/deno`: it upgrades the client at once
 * (before the edge has accepted), echoes any subprotocol the client offers, and
 * is deprecated in favour of a package this project cannot install (JSR); what
 * it wraps is the one call `Deno.upgradeWebSocket` used here.
 */
import type { Context } from "hono";
import { currentContext, type Logger, runWithContext } from "@mp/shared/log";
import { problem } from "@mp/shared/problem";
import { forwardedFor } from "./client_ip.ts";
import type { Upstream } from "./routes.ts";

/** The one path Socket.io clients use (with its trailing slash). */
export const SOCKET_PATH = "/socket.io/";

/** Frames from the edge held while the client's upgrade completes; beyond, the bridge closes. */
export const MAX_PENDING_BYTES = 1024 * 1024;

/**
 * Bytes a socket may have queued and unsent (its reader is not keeping up, the
 * kernel's buffers are already full); beyond, the bridge closes (1013).
 */
export const MAX_QUEUED_BYTES = 1024 * 1024;

/** Options of `socketBridge`. */
export interface BridgeOptions {
  upstream: Upstream;
  /** How long the edge may take to accept the gateway's WebSocket. */
  connectTimeoutMs: number;
  /** Largest frame a client may send; a larger one closes that socket (1009). */
  maxFrameBytes: number;
  trustProxy: boolean;
  log: Logger;
}

/** The problem for anything at /socket.io/ that is not a WebSocket handshake. */
export function websocketRequired(): Response {
  return problem(
    400,
    "websocket_required",
    'The gateway carries Socket.io over WebSocket only: connect with transports: ["websocket"] ' +
      "(long-polling is not supported).",
  );
}

// RFC 6455 §7.4: 1005, 1006 and 1015 describe a close, they are never sent;
// the browser API lets a client send only 1000 and 3000–4999.
const RESERVED = new Set([1004, 1005, 1006, 1015]);
const sendableByClient = (code: number) => code === 1000 || (code >= 3000 && code <= 4999);

const encoder = new TextEncoder();

/** Whether a frame is larger than `max` bytes (text as UTF-8), encoding only when in doubt. */
function exceeds(data: string | ArrayBuffer, max: number): boolean {
  if (typeof data !== "string") return data.byteLength > max;
  // A UTF-16 code unit is one to three bytes of UTF-8.
  if (data.length > max) return true;
  if (data.length * 3 <= max) return false;
  return encoder.encode(data).byteLength > max;
}

// For the pending bound, an upper estimate is enough.
const estimatedBytes = (data: string | ArrayBuffer) =>
  typeof data === "string" ? data.length * 3 : data.byteLength;

/** One client socket and its socket to the edge. */
class Bridge {
  #ended = false;
  /** The close the client gets once its socket is open, when the bridge ended before. */
  #closeClient?: [number, string];
  #pending: (string | ArrayBuffer)[] = [];
  #pendingBytes = 0;
  readonly #started = Date.now();
  // The handshake request's ids (and trace), for the line logged when the socket closes.
  readonly #logContext = currentContext();

  constructor(
    readonly upstream: WebSocket,
    readonly requestId: string,
    readonly options: BridgeOptions,
    readonly onEnd: (bridge: Bridge) => void,
  ) {}

  client?: WebSocket;

  get ended(): boolean {
    return this.#ended;
  }

  /** Frames from the edge, held until the client's socket is open. */
  hold(data: string | ArrayBuffer): void {
    this.#pending.push(data);
    this.#pendingBytes += estimatedBytes(data);
    if (this.#pendingBytes > MAX_PENDING_BYTES) {
      this.end("gateway", 1013, "too much data before the socket opened");
    }
  }

  /** Wires the client's socket (fresh from `Deno.upgradeWebSocket`) to the edge's. */
  attach(client: WebSocket): void {
    this.client = client;
    client.binaryType = "arraybuffer";
    const { upstream } = this;
    client.onopen = () => {
      if (this.#closeClient) return close(client, ...this.#closeClient);
      for (const data of this.#pending.splice(0)) client.send(data);
      this.#pendingBytes = 0;
      // The edge may have closed before its close handler was attached.
      if (upstream.readyState >= WebSocket.CLOSING) this.end("upstream", 1006, "");
    };
    client.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (exceeds(event.data, this.options.maxFrameBytes)) {
        this.end("gateway", 1009, "frame too large");
        return;
      }
      if (upstream.readyState !== WebSocket.OPEN) return;
      upstream.send(event.data);
      if (upstream.bufferedAmount > MAX_QUEUED_BYTES) this.end("gateway", 1013, "try again later");
    };
    client.onclose = (event) => this.end("client", event.code, event.reason);
    upstream.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (client.readyState === WebSocket.CONNECTING) return this.hold(event.data);
      if (client.readyState !== WebSocket.OPEN) return;
      client.send(event.data);
      // A client that does not read: drop it rather than hold its pushes without end.
      if (client.bufferedAmount > MAX_QUEUED_BYTES) this.end("gateway", 1013, "client too slow");
    };
    upstream.onclose = (event) => this.end("upstream", event.code, event.reason);
    // An error is always followed by a close event, which ends the bridge.
    client.onerror = upstream.onerror = () => {};
  }

  /** Closes both sides once, passing `code` and `reason` on where they may be sent. */
  end(by: "client" | "upstream" | "gateway", code: number, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#pending = [];
    if (by !== "client") {
      // The edge went away without a sendable code (crash, network): "going away".
      this.#closeClient = RESERVED.has(code) || code < 1000
        ? [1001, "realtime service went away"]
        : [code, reason];
      if (this.client?.readyState === WebSocket.OPEN) close(this.client, ...this.#closeClient);
    }
    if (by !== "upstream") {
      close(this.upstream, sendableByClient(code) ? code : 1000, reason);
    }
    runWithContext(
      this.#logContext ?? { requestId: this.requestId },
      () =>
        this.options.log.info("websocket closed", {
          by,
          code,
          seconds: Math.round((Date.now() - this.#started) / 100) / 10,
        }),
    );
    this.onEnd(this);
  }
}

function close(socket: WebSocket, code: number, reason: string) {
  if (socket.readyState >= WebSocket.CLOSING) return;
  try {
    socket.close(code, reason);
  } catch {
    socket.close(); // a reason the API refuses: close without one
  }
}

/** What `connectUpstream` resolves to: the open socket or the problem to answer. */
type Connected = { socket: WebSocket } | { refused: Response };

/**
 * Opens the gateway's WebSocket to the edge. Frames the edge sends before the
 * client is attached go to `hold`.
 */
function connectUpstream(
  url: string,
  headers: Record<string, string>,
  options: BridgeOptions,
  hold: (data: string | ArrayBuffer) => void,
): Promise<Connected> {
  const { log, upstream } = options;
  const unavailable = (error: unknown): Connected => {
    // The reason may name the internal address: logs only, never the response.
    log.warn("upstream unreachable", {
      upstream: upstream.name,
      error: error instanceof Error ? error.message : String(error),
    });
    return {
      refused: problem(
        503,
        "service_unavailable",
        "The service is temporarily unavailable; try again shortly.",
        {},
        { "retry-after": "5" },
      ),
    };
  };
  let socket: WebSocket;
  try {
    // Deno's WebSocket takes request headers (not in the browser API).
    socket = new WebSocket(url, { headers } as unknown as string[]);
  } catch (error) {
    return Promise.resolve(unavailable(error)); // e.g. --allow-net does not list the edge
  }
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => hold(event.data);
  return new Promise<Connected>((resolve) => {
    const timer = setTimeout(() => {
      socket.onopen = socket.onclose = socket.onerror = null;
      socket.close();
      log.warn("upstream timed out", {
        upstream: upstream.name,
        timeoutMs: options.connectTimeoutMs,
      });
      resolve({
        refused: problem(504, "upstream_timeout", "The service did not answer in time."),
      });
    }, options.connectTimeoutMs);
    socket.onopen = () => {
      clearTimeout(timer);
      resolve({ socket });
    };
    socket.onerror = (event) => {
      clearTimeout(timer);
      socket.onopen = socket.onclose = socket.onerror = null;
      resolve(unavailable((event as ErrorEvent).message || "connection failed"));
    };
    socket.onclose = (event) => {
      clearTimeout(timer);
      resolve(unavailable(`closed before opening (${event.code})`));
    };
  });
}

function isUpgrade(c: Context): boolean {
  return c.req.method === "GET" &&
    c.req.header("upgrade")?.toLowerCase() === "websocket" &&
    /(^|,)\s*upgrade\s*(,|$)/i.test(c.req.header("connection") ?? "") &&
    c.req.header("sec-websocket-version") === "13" &&
    Boolean(c.req.header("sec-websocket-key"));
}

/** The `/socket.io/` handler and a way to close every bridge (shutdown). */
export function socketBridge(options: BridgeOptions) {
  const open = new Set<Bridge>();
  const { replicas } = options.upstream;
  // http: is bridged as ws:, https: as wss:.
  const socketOrigin = (origin: string) => origin.replace(/^http/, "ws");

  async function handle(c: Context): Promise<Response> {
    const search = new URL(c.req.url).search;
    const query = new URLSearchParams(search);
    // A `sid` would upgrade a polling session, and there are none here.
    if (!isUpgrade(c) || query.get("transport") !== "websocket" || query.has("sid")) {
      return websocketRequired();
    }
    // What the edge (Socket.io 4) speaks; anything else it would refuse, which the
    // WebSocket API reports only as a failure to connect (a 503 here).
    if (query.get("EIO") !== "4") {
      return problem(
        400,
        "unsupported_protocol",
        "Only Engine.IO protocol 4 (EIO=4, socket.io-client 3 and later) is supported.",
      );
    }
    // Read now: the request's headers are gone once it is upgraded.
    const requestId = c.get("requestId") as string;
    const headers: Record<string, string> = {
      "x-request-id": requestId,
      "x-forwarded-for": forwardedFor(c, options.trustProxy),
    };
    for (const name of ["user-agent", "traceparent"]) {
      const value = c.req.header(name);
      if (value) headers[name] = value;
    }

    // What the edge sends before the client's socket is wired (its Engine.IO open packet).
    const held: (string | ArrayBuffer)[] = [];
    // A replica that cannot be reached is ejected, and the handshake (a GET) goes
    // once to another one.
    const tried = new Set<string>();
    let connected: Connected | undefined;
    for (let origin = replicas.pick(); origin; origin = replicas.pick(tried)) {
      tried.add(origin);
      connected = await connectUpstream(
        `${socketOrigin(origin)}${SOCKET_PATH}${search}`,
        headers,
        options,
        (data) => held.push(data),
      );
      if (!("refused" in connected) || connected.refused.status !== 503) break;
      replicas.eject(origin, "WebSocket connection failed");
      if (tried.size >= 2) break;
    }
    if (!connected) return websocketRequired(); // unreachable: a pool has an origin
    if ("refused" in connected) return connected.refused;
    // From here to `attach` nothing awaits: no frame can slip between the two.
    const bridge = new Bridge(connected.socket, requestId, options, (ended) => open.delete(ended));
    for (const data of held) bridge.hold(data);
    if (bridge.ended) {
      return problem(503, "service_unavailable", "The service is temporarily unavailable.", {}, {
        "retry-after": "5",
      });
    }

    let response: Response;
    let socket: WebSocket;
    try {
      ({ response, socket } = Deno.upgradeWebSocket(c.req.raw));
    } catch {
      // The client left while the edge was connecting, or sent a handshake Deno refuses.
      bridge.end("client", 1000, "");
      return problem(400, "bad_websocket_handshake", "The WebSocket handshake is invalid.");
    }
    bridge.attach(socket);
    open.add(bridge);
    return response;
  }

  return {
    handle,
    /** Bridges currently open. */
    get openCount(): number {
      return open.size;
    },
    /** Closes every bridge: clients are told the gateway is going away (1001) and reconnect. */
    closeAll(): void {
      for (const bridge of [...open]) bridge.end("gateway", 1001, "gateway shutting down");
    },
  };
}
