/**
 * Files on the order page: the seller's uploads for a delivery (a list to add to or remove
 * from before sending) and each delivery's files, downloaded through a fresh presigned URL.
 */
import { DownloadButton, FileUpload, formatSize } from "../../media/index.ts";

/** A delivery file as the order shows it (`deliveries[].mediaFiles`). */
export interface DeliveredFile {
  id: string;
  name: string;
  size: number;
  contentType: string;
}

/** Delivery files per delivery (services/orders/README.md). */
export const MAX_DELIVERY_FILES = 20;

export function DeliveryUploads(
  { files, setFiles, error }: { files: DeliveredFile[]; setFiles: (files: DeliveredFile[]) => void; error?: string },
) {
  return (
    <div className="flex flex-col gap-2">
      {files.length > 0 && (
        <ul aria-label="Files to deliver" className="flex flex-col gap-1 text-sm">
          {files.map((file) => (
            <li key={file.id} className="flex flex-wrap items-center gap-x-3">
              <span className="break-all">{file.name} ({formatSize(file.size)})</span>
              <button type="button" className="font-semibold text-danger-700 hover:underline"
                onClick={() => setFiles(files.filter((f) => f.id !== file.id))}>
                Remove {file.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && <p className="text-sm text-danger-700">{error}</p>}
      <FileUpload
        purpose="delivery"
        label="Attach a file (optional)"
        disabledReason={files.length >= MAX_DELIVERY_FILES ? `A delivery takes up to ${MAX_DELIVERY_FILES} files.` : undefined}
        onUploaded={(m) => setFiles([...files, { id: m.id, name: m.name, size: m.size, contentType: m.contentType }])}
      />
    </div>
  );
}

export function DeliveredFiles({ files }: { files: DeliveredFile[] }) {
  if (files.length === 0) return null;
  return (
    <ul className="flex flex-col gap-1" aria-label="Delivered files">
      {files.map((file) => (
        <li key={file.id}><DownloadButton mediaId={file.id} name={file.name} size={file.size} /></li>
      ))}
    </ul>
  );
}
