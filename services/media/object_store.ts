/**
 * The object store as the media service uses it: presigned PUT and GET URLs,
 * HeadObject, a ranged GetObject of the first bytes, DeleteObject, and making
 * sure the bucket exists. `@aws-sdk/client-s3` talks to any S3-compatible
 * server: `@20minutes/s3rver` in tests and `deno task dev`, MinIO in
 * docker-compose, S3 itself in production.
 *
 * Two endpoints: the service reaches the store at `endpoint` (an internal
 * address); browsers reach it at `publicUrl`, so presigned URLs are signed for
 * that host (the signature covers the Host header: a URL signed for the
 * internal name would not work from outside).
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** Where the store is and how to sign for it. */
export interface ObjectStoreConfig {
  /** The service's own address of the store, e.g. `http://127.0.0.1:4569` or `http://minio:9000`. */
  endpoint: string;
  /** The address browsers use (presigned and public URLs); default `endpoint`. */
  publicUrl?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** What `head` tells of a stored object. */
export interface StoredObject {
  size: number;
  contentType: string | undefined;
}

function client(config: ObjectStoreConfig, endpoint: string): S3Client {
  const s3 = new S3Client({
    endpoint,
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    // Path-style (`host/bucket/key`): MinIO and s3rver serve one host, no bucket subdomains.
    forcePathStyle: true,
    // Otherwise the SDK adds a CRC32 of the (empty) body to presigned PUTs, and
    // every browser upload of a real file fails its checksum.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // The default user agent reads the OS release (`--allow-sys`); a fixed one needs nothing.
    defaultUserAgentProvider: () => Promise.resolve([["marketplace-media"]]),
    maxAttempts: 3,
  });
  // Bucket operations are sent as `/<bucket>/`, which s3rver signs as `/<bucket>`
  // (SignatureDoesNotMatch). Before signing, `/<bucket>` is sent instead: the same
  // resource for S3 and MinIO, and one s3rver checks correctly.
  s3.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { path?: string };
      if (typeof request.path === "string" && /^\/[^/]+\/$/.test(request.path)) {
        request.path = request.path.slice(0, -1);
      }
      return next(args);
    },
    { step: "build", name: "bucketPathWithoutSlash" },
  );
  return s3;
}

/** The media service's handle on the store. */
export class ObjectStore {
  readonly #internal: S3Client;
  readonly #public: S3Client;
  readonly bucket: string;
  readonly publicBase: string;

  constructor(readonly config: ObjectStoreConfig) {
    const publicUrl = (config.publicUrl ?? config.endpoint).replace(/\/+$/, "");
    this.#internal = client(config, config.endpoint);
    this.#public = client(config, publicUrl);
    this.bucket = config.bucket;
    this.publicBase = `${publicUrl}/${encodeURIComponent(config.bucket)}`;
  }

  /**
   * Creates the bucket when missing and lets anyone read `public/` (avatars and
   * gig images). A store without bucket policies (s3rver) serves objects
   * without them; that refusal is logged by the caller, not fatal.
   */
  async ensureBucket(): Promise<{ policy: boolean }> {
    try {
      await this.#internal.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      await this.#internal.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
    try {
      await this.#internal.send(
        new PutBucketPolicyCommand({
          Bucket: this.bucket,
          Policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{
              Effect: "Allow",
              Principal: { AWS: ["*"] },
              Action: ["s3:GetObject"],
              Resource: [`arn:aws:s3:::${this.bucket}/public/*`],
            }],
          }),
        }),
      );
      return { policy: true };
    } catch {
      return { policy: false };
    }
  }

  /**
   * Lets pages of `origins` PUT (uploads) and GET (downloads, pictures) objects
   * straight from the browser: without a CORS rule a store refuses the
   * cross-origin PUT. Returns `false` when the store takes no CORS configuration
   * (MinIO takes it from MINIO_API_CORS_ALLOW_ORIGIN instead).
   */
  async allowBrowsers(origins: string[]): Promise<boolean> {
    try {
      await this.#internal.send(
        new PutBucketCorsCommand({
          Bucket: this.bucket,
          CORSConfiguration: {
            CORSRules: [{
              AllowedOrigins: origins,
              AllowedMethods: ["PUT", "GET", "HEAD"],
              AllowedHeaders: ["*"],
              ExposeHeaders: ["ETag"],
              MaxAgeSeconds: 3600,
            }],
          },
        }),
      );
      return true;
    } catch {
      return false;
    }
  }

  /** `true` when the bucket answers (readiness). */
  async isReady(): Promise<boolean> {
    try {
      await this.#internal.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(2_000),
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A presigned PUT whose signature covers `Content-Type` and `Content-Length`
   * (and `Content-Disposition` when given): the store refuses a body of another
   * type or size (SignatureDoesNotMatch). The disposition is stored with the
   * object and sent back on every GET, so a download URL needs no
   * `response-content-disposition` override (s3rver canonicalizes such query
   * values differently from the SDK: `'` in `filename*=UTF-8''…`).
   */
  presignPut(
    key: string,
    object: { contentType: string; size: number; contentDisposition?: string },
    expiresIn: number,
  ): Promise<string> {
    const signed = ["content-type", "content-length"];
    if (object.contentDisposition) signed.push("content-disposition");
    return getSignedUrl(
      this.#public,
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: object.contentType,
        ContentLength: object.size,
        ContentDisposition: object.contentDisposition,
      }),
      { expiresIn, signableHeaders: new Set(signed) },
    );
  }

  /** A presigned GET of an object. */
  presignGet(key: string, expiresIn: number): Promise<string> {
    return getSignedUrl(
      this.#public,
      new GetObjectCommand({ Bucket: this.bucket, Key: key }),
      { expiresIn },
    );
  }

  /** The plain URL of a public object. */
  publicUrl(key: string): string {
    return `${this.publicBase}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  /** Size and type of an object, or `undefined` when there is none. */
  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.#internal.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key }),
      );
      return { size: head.ContentLength ?? 0, contentType: head.ContentType };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** The first `count` bytes of an object (fewer when it is shorter). */
  async firstBytes(key: string, count: number): Promise<Uint8Array> {
    const answer = await this.#internal.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${count - 1}` }),
    );
    const bytes = await answer.Body!.transformToByteArray();
    // A store that ignores Range sends the whole object: keep what was asked for.
    return bytes.subarray(0, count);
  }

  /** The whole object's bytes (the original of an image, for its variants). */
  async read(key: string): Promise<Uint8Array<ArrayBuffer>> {
    const answer = await this.#internal.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key }),
    );
    return new Uint8Array(await answer.Body!.transformToByteArray());
  }

  /** Writes an object made by the service (a variant), immutable: its key changes with it. */
  async write(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.#internal.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentType: contentType,
        CacheControl: "public, max-age=31536000, immutable",
      }),
    );
  }

  /** Deletes an object; deleting a missing one is not an error (S3 semantics). */
  async delete(key: string): Promise<void> {
    await this.#internal.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Closes the clients' sockets. */
  close(): void {
    this.#internal.destroy();
    this.#public.destroy();
  }
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode;
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/**
 * `Content-Disposition: attachment` with the name in both forms (RFC 6266): an
 * ASCII fallback and the UTF-8 `filename*`.
 */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRFC5987(filename)}`;
}

function encodeRFC5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
