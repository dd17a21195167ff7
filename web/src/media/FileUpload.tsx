/**
 * A file picker that uploads what is picked (input or drag and drop) to the media service:
 * checked against the purpose's limits first, progress in a live region, a cancel button while
 * it runs, the refusal (ours or the server's) as an alert. The parent gets the ready file.
 */
import { type DragEvent, useId, useRef, useState } from "react";
import { Button } from "../ui/index.ts";
import { acceptOf, formatSize, LIMITS, type MediaFile, type Purpose } from "./api.ts";
import { useUpload } from "./useUpload.ts";

export interface FileUploadProps {
  purpose: Purpose;
  /** The input's accessible name ("Upload an avatar"). */
  label: string;
  onUploaded: (media: MediaFile) => void;
  /** No new file may be picked (e.g. the limit of files is reached); says why. */
  disabledReason?: string;
}

export function FileUpload({ purpose, label, onUploaded, disabledReason }: FileUploadProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const { state, start, cancel } = useUpload(purpose, onUploaded);
  const busy = state.status === "sending" || state.status === "checking";
  const limit = LIMITS[purpose];
  const hint = `${limit.types ? "JPEG, PNG or WebP" : "Any file but programs"}, up to ${formatSize(limit.maxBytes)}.`;

  function pick(files: FileList | null) {
    const file = files?.[0];
    if (file) void start(file);
    // The same file may be picked again after a failure.
    if (input.current) input.current.value = "";
  }

  function drop(event: DragEvent) {
    event.preventDefault();
    setOver(false);
    if (!busy && !disabledReason) pick(event.dataTransfer.files);
  }

  return (
    <div className="flex flex-col gap-2">
      <div
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
        className={`flex flex-col gap-2 rounded-lg border-2 border-dashed p-4 ${
          over ? "border-brand-600 bg-brand-50" : "border-ink-300 bg-white"
        }`}
      >
        <label htmlFor={id} className="text-sm font-medium text-ink-700">{label}</label>
        <input
          ref={input}
          id={id}
          type="file"
          accept={acceptOf(purpose)}
          disabled={busy || disabledReason !== undefined}
          aria-describedby={`${id}-hint`}
          onChange={(event) => pick(event.target.files)}
          className="max-w-full text-sm text-ink-700 file:mr-3 file:min-h-10 file:cursor-pointer file:rounded-lg file:border file:border-ink-300 file:bg-white file:px-4 file:py-2 file:text-sm file:font-semibold file:text-ink-900 hover:file:bg-ink-100"
        />
        <p id={`${id}-hint`} className="text-sm text-ink-600">
          {disabledReason ?? `Choose a file or drop it here. ${hint}`}
        </p>
      </div>
      <div role="status" aria-live="polite" className="text-sm text-ink-700">
        {state.status === "sending" && (
          <div className="flex flex-wrap items-center gap-3">
            <span>Uploading {state.name}… {Math.round(state.progress * 100)}%</span>
            <progress
              max={100}
              value={Math.round(state.progress * 100)}
              aria-label={`Upload of ${state.name}`}
              className="h-2 w-40 accent-brand-700"
            />
          </div>
        )}
        {state.status === "checking" && <span>Checking {state.name}…</span>}
        {state.status === "done" && <span>{state.media.name} is uploaded.</span>}
      </div>
      {busy && (
        <div>
          <Button variant="secondary" onClick={cancel}>Cancel upload</Button>
        </div>
      )}
      {state.status === "error" && (
        <p role="alert" className="rounded-lg border-l-4 border-danger-600 bg-danger-50 px-4 py-3 text-sm text-danger-700">
          {state.message}
        </p>
      )}
    </div>
  );
}
