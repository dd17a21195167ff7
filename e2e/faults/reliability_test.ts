/**
 * Faults with the real fleet: duplicate and poison events, a broker restart,
 * and a process killed between its commit and its publish. These restart the
 * shared RabbitMQ, so `deno task test` runs this folder after the parallel
 * suites, alone.
 */
import assert from "node:assert/strict";
import amqp from "amqplib";
import { Buffer } from "node:buffer";
import postgres from "postgres";
import { waitFor } from "@mp/shared/testing";
import { Client, startMarketplace } from "../support.ts";

const AMQP_URL = Deno.env.get("AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672";

async function rabbitmqctl(...args: string[]) {
  const out = await new Deno.Command("rabbitmqctl", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`rabbitmqctl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function restartBroker(pauseMs = 0) {
  await rabbitmqctl("stop_app");
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  await rabbitmqctl("start_app");
  await rabbitmqctl("await_startup");
}

async function publishRaw(exchange: string, routingKey: string, body: string, messageId?: string) {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createConfirmChannel();
    ch.publish(exchange, routingKey, Buffer.from(body), {
      persistent: true,
      messageId,
      contentType: "application/json",
    });
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

async function queueDepth(queue: string) {
  const conn = await amqp.connect(AMQP_URL);
  try {
    return (await (await conn.createChannel()).checkQueue(queue)).messageCount;
  } finally {
    await conn.close();
  }
}

Deno.test({
  name:
    "events survive duplicates, poison, a broker restart and a crash between commit and publish",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const market = await startMarketplace("faults", {
      logLevel: "info",
      env: { gateway: { SIGNUP_LIMIT_PER_HOUR: "1000" } },
    });
    const { fleet } = market;
    const queue = `${fleet.exchange}.notifications`;
    const authDb = postgres(fleet.databaseUrls.auth!, { max: 1, onnotice: () => {} });
    const verificationMails = (address: string) =>
      market.smtp.mails.filter((m) =>
        m.to.includes(address) && /confirm your email/i.test(m.subject)
      ).length;
    try {
      await t.step("an event delivered twice sends one mail", async () => {
        await market.signup("twice");
        await market.mailTo("twice@example.com", /confirm your email/i);
        const [row] =
          await authDb`select id, type, data, occurred_at from outbox where type = 'user.registered'
          and data->>'username' = 'twice'`;
        const envelope = {
          id: row.id,
          type: row.type,
          occurredAt: row.occurred_at.toISOString(),
          data: row.data,
        };
        await publishRaw(fleet.exchange, "user.registered", JSON.stringify(envelope), row.id);
        // A later event overtakes nothing: once its mail is out and the queue is empty, the duplicate was handled.
        await market.signup("sentinel");
        await market.mailTo("sentinel@example.com", /confirm your email/i);
        await waitFor(async () => (await queueDepth(queue)) === 0, {
          what: "empty notifications queue",
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(verificationMails("twice@example.com"), 1);
      });

      await t.step(
        "a poison message lands in the dead-letter queue and the queue keeps flowing",
        async () => {
          await publishRaw(fleet.exchange, "user.registered", '{"this is": not json');
          await publishRaw(
            fleet.exchange,
            "user.registered",
            JSON.stringify({
              id: crypto.randomUUID(),
              type: "user.registered",
              occurredAt: new Date().toISOString(),
              data: { email: 7 },
            }),
          );
          await waitFor(async () => (await queueDepth(`${queue}.dlq`)) === 2, {
            what: "two messages in the DLQ",
          });
          await market.signup("after_poison");
          await market.mailTo("after_poison@example.com", /confirm your email/i);
        },
      );

      await t.step("the broker restarted while notifications is busy loses no mail", async () => {
        const names = Array.from({ length: 12 }, (_, i) => `burst_${i}`);
        // Signups keep coming (three at a time: auth sheds bursts beyond its hashing
        // capacity) while the broker goes down and comes back mid-stream.
        const queue = [...names];
        const signups = Promise.all([1, 2, 3].map(async () => {
          for (let name = queue.shift(); name; name = queue.shift()) await market.signup(name);
        }));
        await market.mailTo("burst_0@example.com", /confirm your email/i);
        await restartBroker(1000);
        await signups;
        for (const name of names) await market.mailTo(`${name}@example.com`, /confirm your email/i);
        for (const name of names) assert.equal(verificationMails(`${name}@example.com`), 1, name);
      });

      await t.step(
        "auth killed after its commit and before its publish still gets the event out after restart",
        async () => {
          await rabbitmqctl("stop_app");
          try {
            // The broker is down: the signup commits, its event waits in the outbox.
            await market.signup("crashy");
            const [pending] = await authDb`select count(*)::int as n from outbox
            where published_at is null and data->>'username' = 'crashy'`;
            assert.equal(pending.n, 1);
            const status = await fleet.kill("auth", "SIGKILL");
            assert.equal(status?.success, false);
          } finally {
            await rabbitmqctl("start_app");
            await rabbitmqctl("await_startup");
          }
          await fleet.start("auth");
          await market.mailTo("crashy@example.com", /confirm your email/i);
          assert.equal(verificationMails("crashy@example.com"), 1);
        },
      );

      await t.step("SIGTERM stops a service gracefully: it exits 0 and says so", async () => {
        const client = new Client(fleet.gatewayUrl);
        const inFlight = client.request("POST", "/api/v1/auth/login", {
          body: { login: "crashy", password: "correct horse battery" },
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        const status = await fleet.kill("auth", "SIGTERM");
        assert.equal(status?.code, 0);
        assert.match(fleet.logs("auth"), /"message":"stopped"/);
        // The request either finished (200) or was refused cleanly as the service drained (503): never dropped.
        assert.ok([200, 503].includes((await inFlight).status));
        await fleet.start("auth");
      });
    } catch (error) {
      for (const name of fleet.names) {
        console.error(`--- ${name} ---\n${fleet.logs(name).slice(-4000)}`);
      }
      throw error;
    } finally {
      await authDb.end();
      await market.close();
    }
  },
});
