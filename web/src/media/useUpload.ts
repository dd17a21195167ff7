/** One upload at a time, as React state: check, send with progress, cancel, the error to show. */
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client.ts";
import { sentenceOf } from "../forms/errors.ts";
import { type MediaFile, type Purpose, refusalOf, uploadFile } from "./api.ts";

export type UploadState =
  | { status: "idle" }
  | { status: "sending"; name: string; progress: number }
  | { status: "checking"; name: string }
  | { status: "error"; message: string }
  | { status: "done"; media: MediaFile };

/** What the server's refusal means for the person (its own detail names the rule). */
function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "upload_content_refused") {
      return `${error.message} The file's content does not match its type.`;
    }
    return sentenceOf(error);
  }
  return "The upload failed. Please try again.";
}

/**
 * `start(file)` checks the file against the purpose's limits (a refusal is an error at once,
 * nothing is sent), then uploads it; `onDone` gets the ready file. `cancel()` aborts the request
 * in flight and goes back to idle. Unmounting cancels too.
 */
export function useUpload(purpose: Purpose, onDone: (media: MediaFile) => void) {
  const [state, setState] = useState<UploadState>({ status: "idle" });
  const running = useRef<AbortController | null>(null);
  const done = useRef(onDone);
  done.current = onDone;

  useEffect(() => () => running.current?.abort(), []);

  const start = useCallback(async (file: File) => {
    running.current?.abort();
    const refusal = refusalOf(purpose, file);
    if (refusal) return setState({ status: "error", message: refusal });
    const controller = new AbortController();
    running.current = controller;
    setState({ status: "sending", name: file.name, progress: 0 });
    try {
      const media = await uploadFile(purpose, file, {
        signal: controller.signal,
        onProgress: (progress) => {
          if (controller.signal.aborted) return;
          setState(progress < 1 ? { status: "sending", name: file.name, progress } : { status: "checking", name: file.name });
        },
      });
      if (controller.signal.aborted) return;
      setState({ status: "done", media });
      done.current(media);
    } catch (error) {
      if (controller.signal.aborted) return;
      setState({ status: "error", message: messageOf(error) });
    } finally {
      if (running.current === controller) running.current = null;
    }
  }, [purpose]);

  const cancel = useCallback(() => {
    running.current?.abort();
    running.current = null;
    setState({ status: "idle" });
  }, []);

  return { state, start, cancel };
}
