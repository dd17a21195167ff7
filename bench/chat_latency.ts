/**
 * Live latency of chat, on the real fleet:
 *
 * - Messages: `POST /api/v1/conversations/{id}/messages` through the gateway
 *   at a fixed rate (open model) between connected pairs; latency = the
 *   recipient's `message:new` (matched by the message's clientId) − the send's
 *   intended time. The path is chat (insert + outbox) → relay → RabbitMQ →
 *   the edge's queue → Socket.io. Every user has two sockets, one through the
 *   gateway's bridge and one straight to the edge, so each message is timed on
 *   both: their difference is the gateway's share of the push.
 * - Typing: `typing { conversationId }` emitted on a socket → the other
 *   participant's `typing`, through the gateway (emitter and recipient both
 *   on bridged sockets) and straight to the edge (both direct), interleaved in
 *   one open-model run.
 */
import type { Socket } from "socket.io-client";
import {
  type ChatFleet,
  connectMany,
  FifoMatcher,
  openClient,
  sleep,
  startChatFleet,
} from "./chat_support.ts";
import { codeState, describeCodeState } from "./code_state.ts";
import { type LoadResult, okSummary, openLoop, outcomeCounts } from "./load.ts";
import { type CpuUsage, describeCpu, measureCpu } from "./machine.ts";
import type { Benchmark, Table, Target } from "./report.ts";
import { ms, num, summarize, type Summary } from "./stats.ts";

const PAIRS = 50;
const PASSWORD = "correct horse battery staple";
// Messages per second, all pairs together. BENCH_RATE: another rate for trying the
// benchmark out; the recorded run (and the target) is at 200.
const RATE = Number(Deno.env.get("BENCH_RATE") ?? 200);
// BENCH_SECONDS: a shorter measured phase for trying the benchmark out; the recorded run uses 20.
const DURATION_MS = Number(Deno.env.get("BENCH_SECONDS") ?? 20) * 1000;
const WARMUP_MS = 3_000;
const TYPING_RATE = 100; // typing events per second, both paths together
const DRAIN_MS = 15_000; // how long to wait for the last pushes after the last send
const TARGET_MESSAGE_P99_MS = 50;
const TARGET_TYPING_P99_MS = 20;

type Path = "gateway" | "direct";
const PATHS: readonly Path[] = ["gateway", "direct"];
const LABEL: Record<Path, string> = {
  gateway: "through the gateway",
  direct: "straight to the edge",
};

interface User {
  id: string;
  username: string;
  token: string;
  sockets: Record<Path, Socket>;
}

interface Pair {
  a: User;
  b: User;
  conversationId: string;
}

/** One message or typing sent: when (intended), and when each recipient socket got it. */
interface Sent {
  /** performance.now() the send was intended for (or sent, if earlier). */
  from: number;
  arrivals: Partial<Record<Path, number>>;
  /** When the REST send was answered (messages). */
  answeredAt?: number;
}

interface TypingSent extends Sent {
  path: Path;
  /** Known after the ack: false when throttled or refused (no relay will come). */
  relayed?: boolean;
}

/** Latency from each send's intended time, per path; `lags` from the open loop. */
function latencies(sent: readonly Sent[], result: LoadResult, path: Path) {
  const samples: number[] = [];
  let missing = 0;
  sent.forEach((s, i) => {
    const at = s.arrivals[path];
    if (at === undefined) missing++;
    else samples.push(at - (s.from - Math.max(0, result.lags[i] ?? 0)));
  });
  return { summary: summarize(samples), missing };
}

async function signupAll(bench: ChatFleet, run: string, count: number) {
  const users: Omit<User, "sockets">[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < count) {
      const i = next++;
      const username = `c${run}u${i}`;
      const { accessToken, userId } = await bench.signup(username, PASSWORD);
      users[i] = { id: userId, username, token: accessToken };
    }
  }));
  return users;
}

async function post(url: string, token: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/** Starts the pair's conversation, once chat has learnt of both users (user.registered). */
async function startConversation(gateway: string, a: User, b: User): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await post(`${gateway}/api/v1/conversations`, a.token, { recipient: b.username });
    if (res.status === 200 || res.status === 201) return res.body.conversation.id;
    if ((res.status !== 404 && res.status !== 422) || Date.now() > deadline) {
      throw new Error(`conversation ${a.username} → ${b.username}: ${res.status}`);
    }
    await sleep(200);
  }
}

const ask = (socket: Socket, conversationId: string) =>
  socket.timeout(10_000).emitWithAck("typing", { conversationId });

/** Waits until the edge knows the pair's conversation (conversation.started consumed). */
async function edgeKnows(pair: Pair) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await ask(pair.a.sockets.direct, pair.conversationId);
    if (answer?.ok) return;
    if (Date.now() > deadline) {
      throw new Error(`the edge never learnt of ${pair.conversationId}: ${JSON.stringify(answer)}`);
    }
    await sleep(200);
  }
}

const row = (label: string, count: string, missing: string, s: Summary) => [
  label,
  count,
  missing,
  ms(s.p50),
  ms(s.p90),
  ms(s.p99),
  ms(s.max),
];
const COLUMNS = ["path", "received", "missing", "p50", "p90", "p99", "max"];

/** The chat_latency benchmark. */
export const chatLatency: Benchmark = {
  name: "chat_latency",
  title: "live chat: message sent over REST → recipient's message:new; typing relay",
  method: `${PAIRS} pairs of users (signed up through the gateway), a conversation each, ` +
    `every user with two sockets (socket.io-client, WebSocket): one through the gateway's ` +
    `bridge, one straight to the edge. **Messages**: \`POST /api/v1/conversations/{id}/messages\` ` +
    `through the gateway, ${RATE}/s in all (open model; pairs in turn, both directions), ` +
    `${WARMUP_MS / 1000} s warm-up then ${DURATION_MS / 1000} s; latency = the recipient's ` +
    `\`message:new\` (matched by clientId) − the send's intended time, on each of its two ` +
    `sockets, so every message is timed on both paths. **Typing**: \`typing\` emitted ` +
    `${TYPING_RATE}/s in all for ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up, ` +
    `alternately on bridged sockets (received on the other participant's bridged socket) and ` +
    `direct ones (received on its direct socket); latency = that \`typing\` − the emit's ` +
    `intended time.`,
  async run(context) {
    const state = await codeState(["gateway", "services/chat", "services/realtime", "shared"]);
    const bench = await startChatFleet("chat_latency", {
      logLevel: context.logLevel,
      env: {
        // One client address does everything: lift the per-IP limits (the checks still run).
        gateway: {
          RATE_LIMIT_PER_MINUTE: "100000000",
          SIGNUP_LIMIT_PER_HOUR: "100000",
          WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE: "100000000",
        },
        // Each user sends RATE / (2 PAIRS) = 2 messages a second: 120 a minute.
        chat: { CHAT_MESSAGES_PER_MINUTE: "100000" },
      },
    });
    const sockets: Socket[] = [];
    try {
      const { fleet } = bench;
      const gateway = fleet.gatewayUrl;
      const run = crypto.randomUUID().slice(0, 6).replace(/[^a-z0-9]/g, "x");
      context.log(`signing up ${2 * PAIRS} users`);
      const accounts = await signupAll(bench, run, 2 * PAIRS);

      // Listeners, attached before connecting.
      let messages: Map<string, Sent> = new Map();
      const typing = new FifoMatcher<TypingSent>();
      const users: User[] = accounts.map((account) => ({
        ...account,
        sockets: {} as Record<Path, Socket>,
      }));
      const typingKey = (path: Path, recipient: string, conversationId: string, from: string) =>
        `${path}|${recipient}|${conversationId}|${from}`;
      const listen = (user: User, path: Path, socket: Socket) => {
        socket.on("message:new", (message: { clientId: string; senderId: string }) => {
          const at = performance.now();
          if (message.senderId === user.id) return;
          const sent = messages.get(message.clientId);
          if (sent && sent.arrivals[path] === undefined) sent.arrivals[path] = at;
        });
        socket.on("typing", (event: { conversationId: string; userId: string }) => {
          const at = performance.now();
          const key = typingKey(path, user.id, event.conversationId, event.userId);
          let sent = typing.arrive(key);
          while (sent?.relayed === false) sent = typing.arrive(key);
          if (sent) sent.arrivals[path] = at;
        });
      };
      context.log(`connecting ${2 * users.length} sockets`);
      for (const path of PATHS) {
        const url = path === "gateway" ? gateway : fleet.urlOf("realtime");
        const { sockets: opened, errors } = await connectMany(users.length, 20, (i) => {
          const socket = openClient(url, users[i].token);
          users[i].sockets[path] = socket;
          listen(users[i], path, socket);
          return Promise.resolve(socket);
        });
        sockets.push(...opened);
        if (opened.length < users.length) {
          throw new Error(`${path} sockets refused: ${JSON.stringify(errors)}`);
        }
      }

      context.log(`starting ${PAIRS} conversations`);
      const pairs: Pair[] = [];
      for (let p = 0; p < PAIRS; p++) {
        const [a, b] = [users[2 * p], users[2 * p + 1]];
        pairs.push({ a, b, conversationId: await startConversation(gateway, a, b) });
      }
      await Promise.all(pairs.map(edgeKnows));
      await sleep(2_000); // the readiness typings and presence settle

      // Messages.
      const messagePhase = async (durationMs: number) => {
        messages = new Map();
        const sent: Sent[] = [];
        const result = await openLoop({
          rate: RATE,
          durationMs,
          send: async (i) => {
            const pair = pairs[i % PAIRS];
            const from = Math.floor(i / PAIRS) % 2 === 0 ? pair.a : pair.b;
            const clientId = crypto.randomUUID();
            sent[i] = { from: performance.now(), arrivals: {} };
            messages.set(clientId, sent[i]);
            const response = await fetch(
              `${gateway}/api/v1/conversations/${pair.conversationId}/messages`,
              {
                method: "POST",
                headers: {
                  authorization: `Bearer ${from.token}`,
                  "content-type": "application/json",
                },
                body: JSON.stringify({ clientId, body: `message ${i} of the benchmark` }),
              },
            );
            await response.arrayBuffer();
            sent[i].answeredAt = performance.now();
            return response.status;
          },
        });
        const deadline = performance.now() + DRAIN_MS;
        while (
          performance.now() < deadline &&
          sent.some((s) => PATHS.some((path) => s.arrivals[path] === undefined))
        ) await sleep(100);
        return { sent, result };
      };
      context.log(`messages: warm-up ${WARMUP_MS / 1000} s`);
      await messagePhase(WARMUP_MS);
      context.log(`messages: ${RATE}/s for ${DURATION_MS / 1000} s`);
      let meter = await measureCpu(bench.pids());
      const messageRun = await messagePhase(DURATION_MS);
      const messageCpu: CpuUsage = await meter.stop();
      const messageStats = {
        gateway: latencies(messageRun.sent, messageRun.result, "gateway"),
        direct: latencies(messageRun.sent, messageRun.result, "direct"),
      };
      const rest = okSummary(messageRun.result);
      // The event path alone (outbox → RabbitMQ → edge → bridge → socket): push − the 201.
      const afterAnswer = summarize(
        messageRun.sent.flatMap((s) =>
          s.arrivals.gateway !== undefined && s.answeredAt !== undefined
            ? [s.arrivals.gateway - s.answeredAt]
            : []
        ),
      );
      const restOutcomes = outcomeCounts(messageRun.result);
      const restSent = messageRun.result.sent;
      const restLag = summarize(messageRun.result.lags);

      // Typing. Emission i: conversation i mod PAIRS, and in turn per conversation
      // a's bridged socket, b's bridged, a's direct, b's direct; so each socket emits
      // into a conversation every 4 · PAIRS / TYPING_RATE s (2 s), beyond the throttle.
      const typingPhase = async (durationMs: number) => {
        const sent: TypingSent[] = [];
        const result = await openLoop({
          rate: TYPING_RATE,
          durationMs,
          send: async (i) => {
            const pair = pairs[i % PAIRS];
            const turn = Math.floor(i / PAIRS) % 4;
            const path: Path = turn < 2 ? "gateway" : "direct";
            const [emitter, recipient] = turn % 2 === 0 ? [pair.a, pair.b] : [pair.b, pair.a];
            sent[i] = { from: performance.now(), arrivals: {}, path };
            for (const at of PATHS) {
              typing.expect(typingKey(at, recipient.id, pair.conversationId, emitter.id), sent[i]);
            }
            const answer = await ask(emitter.sockets[path], pair.conversationId);
            sent[i].relayed = answer?.ok === true && !answer.throttled;
            if (answer?.ok) return answer.throttled ? "throttled" : 200;
            return String(answer?.error?.code ?? "no answer");
          },
        });
        const deadline = performance.now() + DRAIN_MS;
        while (
          performance.now() < deadline &&
          sent.some((s) => s.relayed !== false && s.arrivals[s.path] === undefined)
        ) await sleep(100);
        return { sent, result };
      };
      context.log(`typing: warm-up ${WARMUP_MS / 1000} s`);
      await typingPhase(WARMUP_MS);
      // The measured run starts its turns again at a's bridged socket: past the throttle.
      await sleep(2_000);
      context.log(`typing: ${TYPING_RATE}/s for ${DURATION_MS / 1000} s`);
      meter = await measureCpu(bench.pids());
      const typingRun = await typingPhase(DURATION_MS);
      const typingCpu = await meter.stop();
      const typingStats = Object.fromEntries(PATHS.map((path) => {
        const indices = typingRun.sent.map((s, i) => s.path === path ? i : -1).filter((i) =>
          i >= 0
        );
        const samples: number[] = [];
        let missing = 0;
        let notRelayed = 0;
        for (const i of indices) {
          const s = typingRun.sent[i];
          const at = s.arrivals[path];
          if (at !== undefined) {
            samples.push(at - (s.from - Math.max(0, typingRun.result.lags[i] ?? 0)));
          } else if (s.relayed) missing++; // throttled or refused ones are in the acks
          else notRelayed++;
        }
        return [path, {
          emitted: indices.length,
          missing,
          notRelayed,
          summary: summarize(samples),
        }];
      })) as Record<
        Path,
        { emitted: number; missing: number; notRelayed: number; summary: Summary }
      >;
      const typingOutcomes = outcomeCounts(typingRun.result);
      const ack = okSummary(typingRun.result);

      const share = (a: Summary, b: Summary) => ({
        p50: a.p50 - b.p50,
        p90: a.p90 - b.p90,
        p99: a.p99 - b.p99,
      });
      const messageShare = share(messageStats.gateway.summary, messageStats.direct.summary);
      const typingShare = share(typingStats.gateway.summary, typingStats.direct.summary);
      const tables: Table[] = [
        {
          title: `Message sent over REST → recipient's message:new (ms), ${RATE}/s, ` +
            `${num(restSent)} messages`,
          columns: COLUMNS,
          rows: [
            ...PATHS.map((path) =>
              row(
                `recipient's socket ${LABEL[path]}`,
                num(messageStats[path].summary.count),
                num(messageStats[path].missing),
                messageStats[path].summary,
              )
            ),
            [
              "the gateway's share",
              "",
              "",
              ms(messageShare.p50),
              ms(messageShare.p90),
              ms(messageShare.p99),
              "",
            ],
            row(
              "(the REST send itself: POST → 201)",
              num(rest.count),
              num(restSent - rest.count),
              rest,
            ),
            row(
              "(the push after the 201, bridged socket; < 0: before it)",
              num(afterAnswer.count),
              "",
              afterAnswer,
            ),
          ],
        },
        {
          title: `Typing emitted → the other participant's typing (ms), ${TYPING_RATE}/s ` +
            `in all`,
          columns: COLUMNS,
          rows: [
            ...PATHS.map((path) =>
              row(
                `both sockets ${LABEL[path]}`,
                num(typingStats[path].summary.count),
                num(typingStats[path].missing) +
                  (typingStats[path].notRelayed
                    ? ` (+${num(typingStats[path].notRelayed)} not relayed)`
                    : ""),
                typingStats[path].summary,
              )
            ),
            [
              "the gateway's share",
              "",
              "",
              ms(typingShare.p50),
              ms(typingShare.p90),
              ms(typingShare.p99),
              "",
            ],
            row("(the emitter's ack)", num(ack.count), "", ack),
          ],
        },
      ];
      const complete = (missing: number) => missing === 0 ? "" : ` (${num(missing)} missing)`;
      const targets: Target[] = [
        {
          what: "message sent → recipient's message:new p99, through the gateway",
          goal: `≤ ${TARGET_MESSAGE_P99_MS} ms`,
          measured: `${ms(messageStats.gateway.summary.p99)} ms (p50 ${
            ms(messageStats.gateway.summary.p50)
          } ms)${complete(messageStats.gateway.missing)}`,
          met: messageStats.gateway.missing === 0 &&
            messageStats.gateway.summary.p99 <= TARGET_MESSAGE_P99_MS,
        },
        {
          what: "typing relay p99, through the gateway",
          goal: `≤ ${TARGET_TYPING_P99_MS} ms`,
          measured: `${ms(typingStats.gateway.summary.p99)} ms (p50 ${
            ms(typingStats.gateway.summary.p50)
          } ms)${complete(typingStats.gateway.missing)}`,
          met: typingStats.gateway.missing === 0 &&
            typingStats.gateway.summary.p99 <= TARGET_TYPING_P99_MS,
        },
      ];
      return {
        tables,
        targets,
        notes: [
          `REST answers: ${JSON.stringify(restOutcomes)}; send lag p99 ${ms(restLag.p99)} ms. ` +
          `Typing acks: ${JSON.stringify(typingOutcomes)} (200 = relayed).`,
          `A message's two samples are the same message on the recipient's two sockets, so ` +
          `"the gateway's share" of a message is only the push's extra hop (the REST send goes ` +
          `through the gateway on both). A typing sample through the gateway crosses the bridge ` +
          `twice (emit and relay). Percentiles from every sample; "missing" = no push within ` +
          `${DRAIN_MS / 1000} s of the last send (counted as not met).`,
          `Raised for this run (fleet env): chat's \`CHAT_MESSAGES_PER_MINUTE\` to 100,000 ` +
          `(each user sends ${RATE / (2 * PAIRS)} messages a second, ${
            60 * RATE / (2 * PAIRS)
          } a minute, above the default); the gateway's \`RATE_LIMIT_PER_MINUTE\` and ` +
          `\`WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE\` to 100,000,000 and ` +
          `\`SIGNUP_LIMIT_PER_HOUR\` to 100,000 (one client address does everything). ` +
          `\`TYPING_THROTTLE_MS\` is its default (1 s); each socket types into a ` +
          `conversation every ${4 * PAIRS / TYPING_RATE} s.`,
          `The whole fleet runs (every process under its real flags), the edge's Redis keys ` +
          `under a prefix of the run; processes logged at \`${context.logLevel}\`.`,
          `CPU while sending messages: ${describeCpu(messageCpu)}.`,
          `CPU while typing: ${describeCpu(typingCpu)}.`,
          describeCodeState(state),
        ],
        data: {
          pairs: PAIRS,
          rate: RATE,
          typingRate: TYPING_RATE,
          durationMs: DURATION_MS,
          messages: {
            ...messageStats,
            share: messageShare,
            rest,
            afterAnswer,
            restOutcomes,
            restLag,
          },
          typing: { ...typingStats, share: typingShare, ack, typingOutcomes },
          cpu: { messages: messageCpu, typing: typingCpu },
        },
      };
    } finally {
      for (const socket of sockets) socket.close();
      await bench.close();
    }
  },
};
