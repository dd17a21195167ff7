/**
 * Helpers shared by this service's tests (not a test file itself). A fixture is
 * the real service on real servers: a fresh PostgreSQL database, a real
 * S3-compatible store (s3rver, scripts/object_store.ts) with the service's
 * bucket, real ES256 tokens, and `createApp()` over all of it.
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createTokenVerifier } from "@mp/shared/jwt";
import { inboxMigration } from "@mp/shared/inbox";
import { outboxMigration } from "@mp/shared/outbox";
import {
  callApp,
  createTestKeys,
  migratedDatabase as freshMigrated,
  quietLogger,
  settleAll,
  type TestDatabase,
  type TestRequest,
  type TestResponse,
} from "@mp/shared/testing";
import { startLocalObjectStore } from "../../scripts/object_store.ts";
import { createApp } from "./app.ts";
import { ObjectStore } from "./object_store.ts";
import { DEFAULT_RULES, type PurposeRules } from "./purposes.ts";

/** This service's migrations directory. */
export const MIGRATIONS = new URL("./migrations/", import.meta.url);

/** A fresh database with this service's schema. */
export function migratedDatabase(prefix: string): Promise<TestDatabase> {
  return freshMigrated(prefix, MIGRATIONS, [outboxMigration, inboxMigration]);
}

/** The first bytes of real files of each kind (enough for `sniff`), padded to `size`. */
export const SAMPLES = {
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52],
  jpeg: [0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0],
  webp: [0x52, 0x49, 0x46, 0x46, 0x24, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20],
  pdf: [...new TextEncoder().encode("%PDF-1.7\n")],
  elf: [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0],
  pe: [0x4d, 0x5a, 0x90, 0],
  shebang: [...new TextEncoder().encode("#!/bin/sh\nrm -rf /\n")],
  text: [...new TextEncoder().encode("just some text, not an image")],
};

/** A file of `size` bytes starting with `head`. */
export function fileOf(head: number[], size = 1024): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  bytes.set(head.slice(0, size));
  for (let i = head.length; i < size; i++) bytes[i] = i % 251;
  return bytes;
}

/** Options of `mediaFixture`. */
export interface FixtureOptions {
  rules?: PurposeRules;
}

/** Starts the app on fresh resources; `close()` removes them. */
export async function mediaFixture(prefix: string, options: FixtureOptions = {}) {
  const log = quietLogger("media");
  const db = await migratedDatabase(prefix);
  const local = await startLocalObjectStore();
  const objects = new ObjectStore({
    endpoint: local.url,
    region: "us-east-1",
    bucket: "media",
    accessKeyId: local.accessKeyId,
    secretAccessKey: local.secretAccessKey,
  });
  await objects.ensureBucket();
  const keys = await createTestKeys();
  const verifier = createTokenVerifier({
    jwks: keys.jwks,
    issuer: keys.issuer,
    audience: keys.audience,
  });
  const { app } = createApp({
    sql: db.sql,
    verifier,
    log,
    objects,
    rules: options.rules ?? DEFAULT_RULES,
    uploadUrlSeconds: 120,
    downloadUrlSeconds: 60,
  });
  // A client of the store that writes as the service could: for objects no presigned URL allows.
  const raw = new S3Client({
    endpoint: local.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey },
    // No CRC32 trailer (aws-chunked bodies): s3rver takes plain ones.
    requestChecksumCalculation: "WHEN_REQUIRED",
  });

  /** A user with a valid token. */
  const user = async (username: string) => {
    const id = crypto.randomUUID();
    return { id, username, token: await keys.sign({ sub: id, username }) };
  };

  /** Calls the app as the gateway would. */
  const call = (method: string, path: string, request: TestRequest = {}): Promise<TestResponse> =>
    callApp(app, method, path, request);

  /** Announces an upload as `who`. */
  const announce = (
    who: { token: string },
    body: { purpose: string; contentType: string; size: number; name: string },
  ) => call("POST", "/api/v1/uploads", { body, token: who.token });

  /**
   * PUTs `bytes` to a presigned URL as a browser would, with `headers` (a string:
   * only that Content-Type); answers the store's status.
   */
  const put = async (
    url: string,
    bytes: Uint8Array<ArrayBuffer>,
    headers: string | Record<string, string>,
  ) => {
    const response = await fetch(url, {
      method: "PUT",
      headers: typeof headers === "string" ? { "content-type": headers } : headers,
      body: bytes,
    });
    return { status: response.status, text: await response.text() };
  };

  /** Writes an object straight into the bucket (what no presigned URL allows). */
  const putRaw = (key: string, bytes: Uint8Array, contentType = "application/octet-stream") =>
    raw.send(
      new PutObjectCommand({ Bucket: "media", Key: key, Body: bytes, ContentType: contentType }),
    );

  /** A ready file of `purpose` owned by `who` (announced, PUT, completed); answers its id. */
  const uploadReady = async (
    who: { token: string },
    purpose: "avatar" | "gig_image" | "delivery" | "chat_attachment",
    bytes: Uint8Array<ArrayBuffer> = fileOf(SAMPLES.png, 2_000),
    name = "file.png",
  ): Promise<string> => {
    const announced = await announce(who, {
      purpose,
      contentType: "image/png",
      size: bytes.length,
      name,
    });
    if (announced.status !== 201) throw new Error(JSON.stringify(announced.body));
    const { media, upload } = announced.body;
    const stored = await put(upload.url, bytes, upload.headers);
    if (stored.status !== 200) throw new Error(stored.text);
    const done = await call("POST", `/api/v1/uploads/${media.id}/complete`, { token: who.token });
    if (done.status !== 200) throw new Error(JSON.stringify(done.body));
    return media.id;
  };

  /** Events in the outbox, oldest first. */
  const outbox = async () =>
    await db.sql<{ type: string; data: Record<string, unknown> }[]>`
      select type, data from outbox order by seq`;

  return {
    app,
    db,
    objects,
    local,
    keys,
    user,
    call,
    announce,
    put,
    putRaw,
    uploadReady,
    outbox,
    log,
    async close() {
      raw.destroy();
      objects.close();
      await settleAll([() => local.close(), () => db.drop()]);
    },
  };
}

/** The fixture type. */
export type MediaFixture = Awaited<ReturnType<typeof mediaFixture>>;

export { assertProblem } from "@mp/shared/testing";
