/**
 * main.ts as a real process under exactly the permission flags of README.md:
 * it migrates, gets ready, turns an event into a mail and a notification, serves
 * the API and shuts down cleanly on SIGTERM. A dependency that starts needing a
 * wider permission fails this test instead of production.
 */
import assert from "node:assert/strict";
import { EventBus } from "@mp/shared/bus";
import {
  createTestKeys,
  passThrough,
  quietLogger,
  startProcess,
  startSmtpCapture,
  testBus,
  waitFor,
} from "@mp/shared/testing";
import { freshDatabase } from "@mp/shared/testing";
import { deleteQueues, envelope, freePort, testToken, testUser } from "./test_support.ts";
import { processSpec, serveArgs } from "../../scripts/processes.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("main.ts runs under its least-privilege flags: ready, mails an event, serves, stops on SIGTERM", async () => {
  const db = await freshDatabase("notif_main");
  const broker = testBus("notif_main");
  const smtp = await startSmtpCapture();
  const keys = await createTestKeys();
  const port = freePort();
  const publisher = new EventBus({
    url: broker.url,
    exchange: broker.exchange,
    service: "auth",
    log: quietLogger(),
  });
  // Exactly the flags the fleet and docker-compose use (scripts/processes.ts); the SMTP
  // server by name, as in docker-compose: the name and port must suffice.
  const proc = startProcess(
    Deno.execPath(),
    serveArgs(processSpec("notifications"), {
      root: ROOT.pathname,
      host: "127.0.0.1",
      port,
      databaseUrl: db.url,
      amqpUrl: broker.url,
      smtpUrl: `smtp://localhost:${smtp.port}`,
    }),
    {
      cwd: ROOT,
      // Only what the service needs, plus what Deno itself needs to find its cache.
      env: {
        ...passThrough(["HOME", "PATH", "DENO_DIR", "DENO_TLS_CA_STORE"]),
        DATABASE_URL: db.url,
        AMQP_URL: broker.url,
        EVENTS_EXCHANGE: broker.exchange,
        SMTP_URL: `smtp://localhost:${smtp.port}`,
        MAIL_FROM: "Marketplace <no-reply@market.example>",
        PUBLIC_URL: "https://market.example",
        JWT_JWKS: JSON.stringify(keys.jwks),
        LOG_LEVEL: "warn",
      },
    },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => {
      const response = await fetch(`${base}/readyz`);
      await response.body?.cancel();
      return response.status === 200;
    }, { timeoutMs: 30_000, what: "ready" });

    const user = testUser("hedy");
    const token = testToken();
    await publisher.start();
    await publisher.publish([{
      envelope: envelope("user.registered", {
        ...user,
        country: null,
        createdAt: new Date().toISOString(),
        verificationToken: token,
        verificationExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      }),
      headers: { "x-request-id": "main-test" },
    }]);
    const mail = await smtp.waitForMail((m) => m.to.includes(user.email));
    assert.ok(mail.text.includes(`https://market.example/verify-email?token=${token}`));

    const accessToken = await keys.sign({ sub: user.userId, username: user.username });
    const list = await waitFor(async () => {
      const response = await fetch(`${base}/api/v1/notifications`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      const body = await response.json();
      return body.total === 1 ? body : undefined;
    }, { what: "notification" });
    assert.equal(list.items[0].type, "welcome");

    await proc.stop();
  } finally {
    await proc.kill();
    await publisher.close();
    await deleteQueues(broker.url, [
      `${broker.exchange}.notifications`,
      `${broker.exchange}.notifications.dlq`,
    ]);
    await broker.cleanup();
    await smtp.close();
    await db.drop();
  }
});
