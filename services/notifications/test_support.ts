/**
 * Helpers shared by this service's tests (not a test file itself). They build
 * real resources: a migrated fresh database, events shaped as auth publishes
 * them, a free TCP port for an SMTP server started later.
 */
import amqp from "amqplib";
import type { EventEnvelope } from "@mp/shared/bus";
import { migrate } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { freshDatabase, type TestDatabase } from "@mp/shared/testing";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** A fresh database with this service's schema. */
export async function migratedDatabase(prefix: string): Promise<TestDatabase> {
  const db = await freshDatabase(prefix);
  await migrate(db.sql, MIGRATIONS, [inboxMigration]);
  return db;
}

/** An envelope as auth's outbox relay publishes it. */
export function envelope<T>(type: string, data: T, occurredAt = new Date()): EventEnvelope<T> {
  return { id: crypto.randomUUID(), type, occurredAt: occurredAt.toISOString(), data };
}

/** A user as auth's events describe them; the address is unique per call. */
export function testUser(name = "ada"): { userId: string; email: string; username: string } {
  const id = crypto.randomUUID();
  return { userId: id, email: `${name}.${id.slice(0, 8)}@example.com`, username: name };
}

/** A random token in the shape auth issues (base64url). */
export function testToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** Deletes queues a suite created on the broker. */
export async function deleteQueues(url: string, queues: string[]): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
  } finally {
    await connection.close().catch(() => {});
  }
}

/** A TCP port that was free a moment ago, for a server started later in the test. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
