/**
 * Downloads a private file: its presigned URL expires within minutes, so it is asked for
 * (`GET /api/v1/media/{id}`) when the person clicks, then opened (the store answers with
 * `Content-Disposition: attachment` and the file's name).
 */
import { useState } from "react";
import { ApiError } from "../api/client.ts";
import { sentenceOf } from "../forms/errors.ts";
import { formatSize, getMedia } from "./api.ts";

export interface DownloadButtonProps {
  mediaId: string;
  name: string;
  size?: number;
}

export function DownloadButton({ mediaId, name, size }: DownloadButtonProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function download() {
    setBusy(true);
    setError(null);
    try {
      const media = await getMedia(mediaId);
      if (!media.url) throw new ApiError(404, "media_not_found", "This file is not available yet.");
      globalThis.location.assign(media.url);
    } catch (failure) {
      // A 404 right after a send: the media service has not yet learnt this file is ours to read.
      setError(
        failure instanceof ApiError
          ? failure.status === 404 ? "This file is not available yet. Try again in a moment." : sentenceOf(failure)
          : "The download failed. Please try again.",
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <span className="inline-flex flex-col gap-1">
      <button
        type="button"
        onClick={download}
        disabled={busy}
        aria-busy={busy || undefined}
        className="inline-flex items-center gap-2 self-start rounded-md text-left text-sm font-semibold text-brand-700 underline-offset-2 hover:underline disabled:text-ink-500"
      >
        <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-4 shrink-0">
          <path d="M10 3a1 1 0 0 1 1 1v7.59l2.3-2.3a1 1 0 1 1 1.4 1.42l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.42L9 11.59V4a1 1 0 0 1 1-1ZM4 15h12a1 1 0 1 1 0 2H4a1 1 0 1 1 0-2Z" />
        </svg>
        <span>
          Download {name}
          {size !== undefined && <span className="font-normal text-ink-600"> ({formatSize(size)})</span>}
        </span>
      </button>
      {error && <span role="alert" className="text-sm text-danger-700">{error}</span>}
    </span>
  );
}
