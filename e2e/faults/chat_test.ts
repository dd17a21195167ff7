/**
 * The inbox under faults, on the real fleet through the gateway, while two
 * users keep writing to each other over REST:
 * - the realtime edge killed with SIGKILL mid-conversation, started again by the
 *   supervisor's restart policy (as `deno task dev` does): the clients
 *   reconnect by themselves and fetch what they missed with `after` (the newest
 *   message they had when the socket dropped); no message is lost;
 * - RabbitMQ restarted mid-conversation: the sockets stay, pushes resume, and
 *   every message arrives as a push.
 *
 * The fleet runs on a RabbitMQ node of its own (a second node of the installed
 * server, on a free port, with its data in a temporary folder), so restarting
 * it disturbs nothing else on the machine; scripts/test.sh still runs this
 * folder alone.
 */
import assert from "node:assert/strict";
import { waitFor } from "@mp/shared/testing";
import { freePorts, type RestartPolicy } from "../../scripts/fleet.ts";
import { connectSocket, type LiveClient } from "../sockets.ts";
import { type SignedUp, startMarketplace } from "../support.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

// The policy of `deno task dev`, faster, so the test waits less.
const RESTART: RestartPolicy = { initialMs: 200, maxMs: 2_000, resetAfterMs: 5_000 };

/** A RabbitMQ node of this test's own: `rabbitmq-server` under another name, port and data folder. */
class PrivateBroker {
  private constructor(
    readonly node: string,
    readonly url: string,
    private readonly dir: string,
    private readonly child: Deno.ChildProcess,
  ) {}

  static async start(): Promise<PrivateBroker> {
    const [amqpPort, distPort] = freePorts(2);
    const dir = await Deno.makeTempDir({ prefix: "chat-faults-rabbit-" });
    await Deno.writeTextFile(
      `${dir}/rabbitmq.conf`,
      `listeners.tcp.local = 127.0.0.1:${amqpPort}\n`,
    );
    await Deno.writeTextFile(`${dir}/enabled_plugins`, "[].\n");
    // The server drops to the rabbitmq user: it must be able to write there.
    await Deno.chmod(dir, 0o777);
    const node = `chat_faults_${crypto.randomUUID().slice(0, 8)}@localhost`;
    const child = new Deno.Command("rabbitmq-server", {
      env: {
        RABBITMQ_NODENAME: node,
        RABBITMQ_CONFIG_FILE: `${dir}/rabbitmq.conf`,
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_MNESIA_BASE: `${dir}/mnesia`,
        RABBITMQ_LOG_BASE: `${dir}/log`,
        RABBITMQ_ENABLED_PLUGINS_FILE: `${dir}/enabled_plugins`,
        RABBITMQ_PLUGINS_EXPAND_DIR: `${dir}/plugins-expand`,
        RABBITMQ_PID_FILE: `${dir}/pid`,
      },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const broker = new PrivateBroker(node, `amqp://guest:guest@127.0.0.1:${amqpPort}`, dir, child);
    try {
      // The node registers a moment after the process starts; until then rabbitmqctl fails.
      await waitFor(() => broker.ctl("await_startup").then(() => true), {
        what: `RabbitMQ node ${node}`,
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    } catch (error) {
      await broker.close();
      throw error;
    }
    return broker;
  }

  async ctl(...args: string[]): Promise<void> {
    const out = await new Deno.Command("rabbitmqctl", {
      args: ["-n", this.node, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`rabbitmqctl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
  }

  async close(): Promise<void> {
    await this.ctl("stop").catch(() => {});
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * What a client keeps of one conversation: messages pushed live, plus, after
 * each reconnection, the pages `after` the newest message it had when the
 * socket dropped (as a real client catches up).
 */
class Inbox {
  readonly messages = new Map<string, Json>();
  readonly pushed = new Set<string>();
  /** What happened, in order (for a failure's report). */
  readonly trail: string[] = [];
  disconnects = 0;
  catchUps = 0;
  #lastBeforeDrop?: string;
  #catchingUp = Promise.resolve();

  constructor(
    readonly live: LiveClient,
    private readonly who: SignedUp,
    private readonly conversationId: string,
  ) {
    live.socket.on("message:new", (message: Json) => {
      if (message.conversationId !== conversationId) return;
      this.pushed.add(message.id);
      this.messages.set(message.id, message);
      this.trail.push(`push ${message.body}`);
    });
    live.socket.on("disconnect", (reason: string) => {
      this.disconnects++;
      this.#lastBeforeDrop ??= this.newest()?.id;
      this.trail.push(
        `disconnect (${reason}); newest ${this.messages.get(this.#lastBeforeDrop!)?.body}`,
      );
    });
    live.socket.on("connect", () => {
      const after = this.#lastBeforeDrop;
      if (after === undefined) return;
      this.#lastBeforeDrop = undefined;
      this.#catchingUp = this.#catchingUp.then(() => this.#catchUp(after));
    });
  }

  /** Opening the conversation: its newest page, as a client shows it. */
  async load(): Promise<void> {
    const res = await this.who.client.request(
      "GET",
      `/api/v1/conversations/${this.conversationId}/messages`,
      { token: this.who.accessToken },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const message of res.body.items) this.messages.set(message.id, message);
    this.trail.push(`loaded: ${res.body.items.map((m: Json) => m.body).join(", ")}`);
  }

  newest(): Json | undefined {
    let newest: Json | undefined;
    for (const message of this.messages.values()) {
      if (!newest || message.createdAt > newest.createdAt) newest = message;
    }
    return newest;
  }

  async #catchUp(after: string): Promise<void> {
    for (let cursor: string | null = after; cursor;) {
      const res = await this.who.client.request(
        "GET",
        `/api/v1/conversations/${this.conversationId}/messages?after=${cursor}&limit=100`,
        { token: this.who.accessToken },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (const message of res.body.items) this.messages.set(message.id, message);
      this.trail.push(
        `fetched after ${cursor}: ${res.body.items.map((m: Json) => m.body).join(", ")}`,
      );
      cursor = res.body.nextCursor;
    }
    this.catchUps++;
  }

  missing(ids: string[]): string[] {
    return ids.filter((id) => !this.messages.has(id));
  }
}

Deno.test({
  name:
    "the inbox survives its edge killed (clients reconnect and fetch what they missed) and a RabbitMQ restart (pushes resume); no message is lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const broker = await PrivateBroker.start();
    let market: Awaited<ReturnType<typeof startMarketplace>> | undefined;
    const sockets: LiveClient[] = [];
    const inboxes: Inbox[] = [];
    try {
      market = await startMarketplace("chat_faults", {
        amqpUrl: broker.url,
        restart: RESTART,
        logLevel: "info",
        // Two users write about 70 messages within a minute here.
        env: { chat: { CHAT_MESSAGES_PER_MINUTE: "1000" } },
      });
      const { fleet } = market;
      const gateway = fleet.gatewayUrl;
      const [ada, bob] = await Promise.all([market.signup("ada"), market.signup("bob")]);
      const started = await waitFor(async () => {
        const res = await bob.client.request("POST", "/api/v1/conversations", {
          token: bob.accessToken,
          body: { recipient: "ada", message: "Hello!" },
        });
        return res.status === 404 ? undefined : res; // until user.registered reached chat
      }, { what: "chat to know ada" });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const conversationId: string = started.body.conversation.id;
      const sent: string[] = [started.body.conversation.lastMessage.id];
      let counter = 0;
      const send = async (who: SignedUp) => {
        const n = counter++;
        const res = await who.client.request(
          "POST",
          `/api/v1/conversations/${conversationId}/messages`,
          { token: who.accessToken, body: { clientId: `fault-${n}`, body: `message ${n}` } },
        );
        assert.equal(res.status, 201, JSON.stringify(res.body));
        sent.push(res.body.message.id);
        return res.body.message.id as string;
      };
      /** Both users write in turns, one message every `everyMs`, until `count` are sent. */
      const conversation = async (count: number, everyMs: number) => {
        for (let i = 0; i < count; i++) {
          await send(i % 2 === 0 ? ada : bob);
          await new Promise((resolve) => setTimeout(resolve, everyMs));
        }
      };
      const open = async (who: SignedUp) => {
        const live = await connectSocket(gateway, who.accessToken, who.user.username, {
          reconnection: true,
        });
        sockets.push(live);
        const inbox = new Inbox(live, who, conversationId);
        await inbox.load();
        return inbox;
      };
      inboxes.push(await open(ada), await open(bob));
      const allArrive = (ids: string[], what: string) =>
        waitFor(() => inboxes.every((inbox) => inbox.missing(ids).length === 0), {
          what,
          timeoutMs: 60_000,
        });

      await t.step("messages flow live before any fault", async () => {
        await conversation(4, 20);
        await allArrive(sent.slice(1), "the first messages pushed");
      });

      await t.step(
        "the edge killed mid-conversation: clients reconnect and fetch what they missed",
        async () => {
          const writing = conversation(30, 60);
          await waitFor(() => counter >= 10, { what: "the conversation under way" });
          const status = await fleet.kill("realtime", "SIGKILL");
          assert.equal(status?.signal, "SIGKILL");
          await writing;
          // The supervisor started it again; the clients came back and caught up.
          await waitFor(() => fleet.restarts("realtime") >= 1 && fleet.pid("realtime"), {
            what: "the edge restarted",
            timeoutMs: 30_000,
          });
          await waitFor(() => inboxes.every((inbox) => inbox.catchUps >= 1), {
            what: "both clients reconnected and caught up",
            timeoutMs: 60_000,
          });
          for (const inbox of inboxes) assert.ok(inbox.disconnects >= 1, inbox.live.name);
          // A message after the restart is pushed live to both again.
          const after = await send(bob);
          await waitFor(() => inboxes.every((inbox) => inbox.pushed.has(after)), {
            what: "pushes after the restart",
            timeoutMs: 30_000,
          });
          await allArrive(sent, "every message, live or fetched after the reconnection").catch(
            (error) => {
              for (const inbox of inboxes) {
                const missing = inbox.missing(sent).map((id) => sent.indexOf(id));
                console.error(
                  `--- ${inbox.live.name} missing #${missing}\n${inbox.trail.join("\n")}`,
                );
              }
              throw error;
            },
          );
          for (const inbox of inboxes) assert.deepEqual(inbox.missing(sent), [], inbox.live.name);
        },
      );

      await t.step(
        "RabbitMQ restarted mid-conversation: pushes resume and nothing is lost",
        async () => {
          const before = inboxes.map((inbox) => inbox.disconnects);
          const from = sent.length;
          const writing = conversation(30, 60);
          await waitFor(() => sent.length >= from + 8, { what: "the conversation under way" });
          await broker.ctl("stop_app");
          // Stopping can take longer than the rest of the conversation on a busy
          // machine, so the messages certainly sent while the broker is down are
          // sent here, in turn (the order the clients must see is the order sent).
          await writing;
          // The edge notices: not ready without its broker (the sockets stay).
          await waitFor(async () => {
            const response = await fetch(`${fleet.urlOf("realtime")}/readyz`);
            await response.body?.cancel();
            return response.status === 503;
          }, { what: "the edge not ready without its broker" });
          for (let i = 0; i < 3; i++) await send(i % 2 === 0 ? bob : ada);
          await broker.ctl("start_app");
          await broker.ctl("await_startup");
          const during = sent.slice(from);
          // The sockets never dropped: every one of these messages came as a push.
          await waitFor(
            () => inboxes.every((inbox) => during.every((id) => inbox.pushed.has(id))),
            {
              what: "every message sent around the broker restart pushed",
              timeoutMs: 90_000,
            },
          );
          assert.deepEqual(inboxes.map((inbox) => inbox.disconnects), before);
          const last = await send(ada);
          await waitFor(() => inboxes.every((inbox) => inbox.pushed.has(last)), {
            what: "pushes after the broker restart",
            timeoutMs: 30_000,
          });
          for (const inbox of inboxes) assert.deepEqual(inbox.missing(sent), [], inbox.live.name);
          // What the clients hold is what chat has: nothing more, nothing out of order.
          const page = await ada.client.request(
            "GET",
            `/api/v1/conversations/${conversationId}/messages?limit=100`,
            { token: ada.accessToken },
          );
          assert.deepEqual(page.body.items.map((m: Json) => m.id), sent);
        },
      );
    } catch (error) {
      for (const inbox of inboxes) {
        console.error(`--- ${inbox.live.name} ---\n${inbox.trail.join("\n")}`);
      }
      for (const name of market?.fleet.names ?? []) {
        console.error(`--- ${name} ---\n${market!.fleet.logs(name).slice(-4000)}`);
      }
      throw error;
    } finally {
      for (const socket of sockets) socket.close();
      await market?.close();
      await broker.close();
    }
  },
});
