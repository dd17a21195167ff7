/**
 * Routes of the media service (reached only through the gateway). File bytes
 * never pass through here: a client announces an upload, PUTs the bytes
 * straight to the object store with the presigned URL it gets, then asks for
 * `complete`, which checks what was stored (size, real type by the first bytes)
 * before the file becomes `ready` and `media.uploaded` is published.
 *
 * Reading (`GET /api/v1/media/{id}`): a ready public file (avatar, gig image)
 * is anyone's to see, without looking at the token; anything else — a private
 * file, a pending upload — only its owner's, and anyone else gets the same
 * 404 as for an unknown id — except the users granted a ready private file by
 * an event: an order's buyer for its delivery files, a conversation's other
 * participant for its attachments (access.ts).
 */
import { z } from "zod";
import type { Sql } from "@mp/shared/db";
import { createServiceApp, type Drain, type ReadinessCheck } from "@mp/shared/http";
import {
  type AuthVariables,
  bearerToken,
  type Caller,
  requireAuth,
  type TokenVerifier,
} from "@mp/shared/jwt";
import type { Logger } from "@mp/shared/log";
import {
  apiRoute,
  jsonRequest,
  jsonResponse,
  problemResponse,
  serveOpenApi,
} from "@mp/shared/openapi";
import { AppError, errors } from "@mp/shared/problem";
import { MediaSchema, PurposeSchema, UploadSchema } from "./api_schemas.ts";
import { publish } from "./events.ts";
import { attachment, type ObjectStore } from "./object_store.ts";
import {
  contentProblem,
  declaredProblem,
  isPublic,
  objectKey,
  type PurposeRules,
  sniff,
  SNIFF_BYTES,
} from "./purposes.ts";
import * as store from "./store.ts";
import * as variantStore from "./variant_store.ts";
import { variantUrls } from "./variants.ts";

/** What `createApp` needs; built in main.ts, or by tests with real connections. */
export interface MediaDeps {
  sql: Sql;
  verifier: TokenVerifier;
  log: Logger;
  objects: ObjectStore;
  rules: PurposeRules;
  /** Lifetime of a presigned PUT, in seconds. */
  uploadUrlSeconds: number;
  /** Lifetime of a presigned GET, in seconds. */
  downloadUrlSeconds: number;
  /** Told when an image was queued for variants (main.ts wakes the variant worker). */
  onVariantsQueued?: () => void;
  drain?: Drain;
  readiness?: Record<string, ReadinessCheck>;
}

// A MIME type as RFC 6838 restricts its names (lower case here: S3 keeps it as given).
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/;
// A shown file name: no path separators, no control characters.
// deno-lint-ignore no-control-regex
const FILE_NAME = /^[^/\\\u0000-\u001f\u007f]+$/;

const uploadBody = z.strictObject({
  purpose: PurposeSchema,
  contentType: z.string().regex(MIME, "Must be a lower-case MIME type such as image/png."),
  size: z.number().int().min(1).max(10 * 1024 ** 3).meta({ description: "Exact size in bytes." }),
  name: z.string().trim().min(1).max(255).regex(FILE_NAME, "No slashes or control characters."),
});
const idParam = z.object({ id: z.uuid({ message: "Must be a media id (UUID)." }) });

const notFound = () => new AppError(404, "media_not_found", "No such file.");

const tags = ["media"];

const routes = {
  upload: apiRoute({
    method: "post",
    path: "/api/v1/uploads",
    tags,
    summary: "Announce an upload: a pending file and a presigned PUT for its bytes",
    bearer: true,
    problems: [413],
    request: { body: jsonRequest(uploadBody) },
    responses: {
      201: jsonResponse(UploadSchema, "The pending file and where to PUT its bytes."),
      422: problemResponse(
        422,
        "`upload_not_allowed`: the purpose does not take this type or size.",
      ),
    },
  }),
  complete: apiRoute({
    method: "post",
    path: "/api/v1/uploads/{id}/complete",
    tags,
    summary: "Check the stored bytes and make the file ready (publishes `media.uploaded`)",
    bearer: true,
    request: { params: idParam },
    responses: {
      200: jsonResponse(MediaSchema, "The ready file (again for a file already completed)."),
      404: problemResponse(404, "`media_not_found`: no such upload, or not the caller's."),
      409: problemResponse(409, "`upload_missing`: nothing was stored with the URL yet."),
      422: problemResponse(
        422,
        "`upload_size_mismatch` or `upload_content_refused`: the stored object is not what " +
          "was announced or allowed; it is deleted (PUT again while the URL is valid).",
      ),
    },
  }),
  get: apiRoute({
    method: "get",
    path: "/api/v1/media/{id}",
    tags,
    summary: "A file's metadata and download URL",
    request: { params: idParam },
    responses: {
      200: jsonResponse(
        MediaSchema,
        "The file. Public ready files for anyone; private files for their owner and the " +
          "users granted them (an order's buyer, a conversation's other participant); " +
          "pending uploads for their owner only (`Cache-Control: private, no-store`).",
      ),
      401: problemResponse(401, "`unauthorized`: a token was sent and is invalid or expired."),
      404: problemResponse(404, "`media_not_found` (also for someone else's private file)."),
    },
  }),
};

/** Builds the Hono app of the media service. */
export function createApp(deps: MediaDeps) {
  const { sql, verifier, log, objects, rules } = deps;
  const { app, drain } = createServiceApp<{ Variables: AuthVariables }>({
    log,
    drain: deps.drain,
    readiness: deps.readiness,
  });
  app.use("/api/v1/uploads", requireAuth(verifier));
  app.use("/api/v1/uploads/*", requireAuth(verifier));

  /** The answer for a file: a public URL, a presigned GET for its owner, or none yet. */
  const shown = async (media: store.Media) => {
    const publicFile = isPublic(media.purpose);
    let url: string | null = null;
    let urlExpiresAt: string | null = null;
    if (media.status === "ready") {
      if (publicFile) url = objects.publicUrl(media.objectKey);
      else {
        url = await objects.presignGet(media.objectKey, deps.downloadUrlSeconds);
        urlExpiresAt = new Date(Date.now() + deps.downloadUrlSeconds * 1000).toISOString();
      }
    }
    return {
      id: media.id,
      purpose: media.purpose,
      name: media.name,
      contentType: media.contentType,
      size: media.size,
      status: media.status,
      visibility: publicFile ? "public" as const : "private" as const,
      url,
      urlExpiresAt,
      createdAt: media.createdAt,
      completedAt: media.completedAt,
      // Public like their original; empty until the variant worker made them.
      variants: publicFile && media.status === "ready"
        ? variantUrls(objects, await variantStore.variantsOf(sql, media.id))
        : {},
    };
  };

  app.openapi(routes.upload, async (c) => {
    const input = c.req.valid("json");
    const refused = declaredProblem(rules[input.purpose], input);
    if (refused) throw new AppError(422, "upload_not_allowed", refused);
    const id = crypto.randomUUID();
    const media = await store.insertUpload(sql, {
      id,
      ownerId: c.var.caller.userId,
      purpose: input.purpose,
      objectKey: objectKey(input.purpose, id),
      name: input.name,
      contentType: input.contentType,
      size: input.size,
    });
    // Private files download as attachments under their name; public images show inline.
    const headers: Record<string, string> = { "Content-Type": media.contentType };
    if (!isPublic(media.purpose)) headers["Content-Disposition"] = attachment(media.name);
    const url = await objects.presignPut(media.objectKey, {
      contentType: media.contentType,
      size: media.size,
      contentDisposition: headers["Content-Disposition"],
    }, deps.uploadUrlSeconds);
    c.header("location", `/api/v1/media/${id}`);
    c.header("cache-control", "no-store");
    return c.json({
      media: await shown(media),
      upload: {
        method: "PUT" as const,
        url,
        headers,
        expiresAt: new Date(Date.now() + deps.uploadUrlSeconds * 1000).toISOString(),
      },
    }, 201);
  });

  app.openapi(routes.complete, async (c) => {
    const { id } = c.req.valid("param");
    const callerId = c.var.caller.userId;
    // Checked outside a transaction: the store round trips hold no row lock.
    const found = await store.findMedia(sql, id);
    if (!found || found.ownerId !== callerId) throw notFound();
    if (found.status === "ready") return c.json(await shown(found), 200);

    const stored = await objects.head(found.objectKey);
    if (!stored) {
      throw errors.conflict("upload_missing", "Nothing was stored for this upload yet.");
    }
    const refuse = async (code: string, detail: string) => {
      await objects.delete(found.objectKey);
      log.info("upload refused", { mediaId: id, code });
      return new AppError(422, code, detail);
    };
    if (stored.size !== found.size) {
      throw await refuse(
        "upload_size_mismatch",
        `The stored file has ${stored.size} bytes, not the announced ${found.size}.`,
      );
    }
    const sniffed = sniff(await objects.firstBytes(found.objectKey, SNIFF_BYTES));
    const badContent = contentProblem(rules[found.purpose], found.contentType, sniffed);
    if (badContent) throw await refuse("upload_content_refused", badContent);

    const media = await sql.begin(async (tx) => {
      // Two racing completes: the lock lets one publish; the other sees `ready`.
      const row = await store.findMedia(tx, id, true);
      if (!row) throw notFound(); // removed by the janitor meanwhile
      if (row.status === "ready") return row;
      const ready = await store.markReady(tx, id);
      await publish.mediaUploaded(tx, {
        mediaId: ready.id,
        ownerId: ready.ownerId,
        purpose: ready.purpose,
        contentType: ready.contentType,
        size: ready.size,
        name: ready.name,
        // Services that show avatars and gig images keep this URL (shared/media_refs.ts).
        url: isPublic(ready.purpose) ? objects.publicUrl(ready.objectKey) : null,
        uploadedAt: ready.completedAt!,
      });
      // Resized variants of avatars and gig images, made off the request (variants.ts).
      if (isPublic(ready.purpose)) await variantStore.queueJob(tx, ready.id);
      return ready;
    });
    if (isPublic(media.purpose)) deps.onVariantsQueued?.();
    return c.json(await shown(media), 200);
  });

  app.openapi(routes.get, async (c) => {
    const media = await store.findMedia(sql, c.req.valid("param").id);
    if (!media) throw notFound();
    if (!(media.status === "ready" && isPublic(media.purpose))) {
      // The owner, or someone an event let in (an order's buyer, a conversation's
      // other participant: access.ts); a token is read only for these.
      const caller = await callerOf(c.req.header("authorization"));
      const allowed = caller !== undefined && (caller.userId === media.ownerId ||
        (media.status === "ready" && await store.isGranted(sql, media.id, caller.userId)));
      if (!allowed) throw notFound();
      c.header("cache-control", "private, no-store");
    }
    return c.json(await shown(media), 200);
  });

  async function callerOf(header: string | undefined): Promise<Caller | undefined> {
    if (header === undefined) return undefined;
    const token = bearerToken(header);
    if (!token) throw errors.unauthorized("The Authorization header is not a bearer token.");
    return await verifier.verify(token);
  }

  serveOpenApi(app, {
    title: "Media",
    description: "Uploads to S3-compatible object storage with presigned URLs: announce, PUT " +
      "the bytes to the store, complete (size and real type checked), read.",
  });
  return { app, drain };
}
