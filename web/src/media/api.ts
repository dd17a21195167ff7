/**
 * Files of the media service (services/media/README.md): announce an upload, send the bytes
 * straight to the object store with the presigned PUT (exactly the signed headers), then
 * `complete`; read a file (`GET /api/v1/media/{id}`) for its URL, which for a private file is a
 * presigned GET that expires, so it is asked for when needed, never kept.
 */
import { api, ApiError } from "../api/client.ts";

export type Purpose = "avatar" | "gig_image" | "delivery" | "chat_attachment";

/** A file as the media service answers it. */
export interface MediaFile {
  id: string;
  purpose: Purpose;
  name: string;
  contentType: string;
  size: number;
  status: "pending" | "ready";
  visibility: "public" | "private";
  url: string | null;
  urlExpiresAt: string | null;
  createdAt: string;
  completedAt: string | null;
}

interface Announced {
  media: MediaFile;
  upload: { method: "PUT"; url: string; headers: Record<string, string>; expiresAt: string };
}

const MIB = 1024 * 1024;
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];

/**
 * The media service's default limits, mirrored so a person hears of a wrong file before it is
 * sent; the server stays the authority (its 422 is shown when its configuration differs).
 */
export const LIMITS: Record<Purpose, { maxBytes: number; types: string[] | null }> = {
  avatar: { maxBytes: 5 * MIB, types: IMAGE_TYPES },
  gig_image: { maxBytes: 10 * MIB, types: IMAGE_TYPES },
  delivery: { maxBytes: 200 * MIB, types: null },
  chat_attachment: { maxBytes: 25 * MIB, types: null },
};

/** Types the server refuses for every purpose (executables), by extension as browsers report none. */
const EXECUTABLE = /\.(exe|dll|msi|com|scr|elf|so|dylib|app|sh|bat|cmd)$/i;

/** "2.4 MB", "512 KB", "80 bytes". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < MIB) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MB`;
}

/** Why `file` cannot be uploaded for `purpose`, or null when it may be tried. */
export function refusalOf(purpose: Purpose, file: File): string | null {
  const limit = LIMITS[purpose];
  if (file.size === 0) return `“${file.name}” is empty.`;
  if (limit.types && !limit.types.includes(file.type)) {
    return `“${file.name}” is not a JPEG, PNG or WebP image.`;
  }
  if (!limit.types && EXECUTABLE.test(file.name)) {
    return `“${file.name}” looks like a program; programs cannot be sent.`;
  }
  if (file.size > limit.maxBytes) {
    return `“${file.name}” is ${formatSize(file.size)}; the limit is ${formatSize(limit.maxBytes)}.`;
  }
  return null;
}

/** The `accept` attribute of a file input for `purpose`. */
export function acceptOf(purpose: Purpose): string | undefined {
  return LIMITS[purpose].types?.join(",");
}

/** Options of {@link uploadFile}. */
export interface UploadOptions {
  /** Called with the fraction of bytes sent (0–1). */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/** Announces, sends and completes one file; resolves to the ready file, rejects with ApiError. */
export async function uploadFile(
  purpose: Purpose,
  file: File,
  options: UploadOptions = {},
): Promise<MediaFile> {
  const { media, upload } = await api<Announced>("POST", "/api/v1/uploads", {
    body: {
      purpose,
      contentType: file.type || "application/octet-stream",
      size: file.size,
      name: file.name,
    },
    signal: options.signal,
  });
  await put(upload, file, options);
  return await api<MediaFile>("POST", `/api/v1/uploads/${media.id}/complete`, {
    signal: options.signal,
  });
}

/**
 * The PUT to the object store through XMLHttpRequest, the one browser API that reports upload
 * progress (fetch does not). Only the signed headers are set: anything else breaks the signature.
 */
function put(upload: Announced["upload"], file: File, options: UploadOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    for (const [name, value] of Object.entries(upload.headers)) {
      // The browser sets these itself and refuses to be told.
      if (!/^(host|content-length)$/i.test(name)) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new ApiError(xhr.status, "store_refused", "The file store refused the file. Please try again."));
    xhr.onerror = () =>
      reject(new ApiError(0, "network_error", "The file could not be sent. Check your connection and try again."));
    const abort = () => xhr.abort();
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    if (options.signal?.aborted) return reject(new DOMException("The upload was cancelled.", "AbortError"));
    options.signal?.addEventListener("abort", abort, { once: true });
    xhr.send(file);
  });
}

/** A file by id, with a fresh URL (a presigned GET for a private file the caller may read). */
export function getMedia(id: string, signal?: AbortSignal): Promise<MediaFile> {
  return api<MediaFile>("GET", `/api/v1/media/${id}`, { signal });
}
