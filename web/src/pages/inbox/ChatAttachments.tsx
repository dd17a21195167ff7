/**
 * Files in a conversation: the composer's picked uploads (purpose `chat_attachment`, removable
 * before sending), the send that names them (`attachmentMediaIds`), and a message's attachments
 * (links, and files downloaded through a fresh presigned URL: the recipient may read them once
 * the media service saw the message).
 */
import { api } from "../../api/client.ts";
import type { LiveAttachment, LiveMessage } from "../../realtime/live.tsx";
import { DownloadButton, FileUpload, formatSize, type MediaFile } from "../../media/index.ts";

/** A file uploaded for the next message. */
export interface PickedFile {
  id: string;
  name: string;
  size: number;
}

/** Attachments per message (the chat service's default `CHAT_ATTACHMENTS_MAX`). */
export const MAX_ATTACHMENTS = 10;

/** Sends a message with uploaded files; a message needs text, so files alone say what was sent. */
export function sendWithFiles(conversationId: string, body: string, clientId: string, files: PickedFile[]) {
  const text = body || `Sent ${files.map((f) => f.name).join(", ")}`;
  return api<{ message: LiveMessage }>("POST", `/api/v1/conversations/${conversationId}/messages`, {
    body: { clientId, body: text, ...(files.length ? { attachmentMediaIds: files.map((f) => f.id) } : {}) },
  }).then((a) => a.message);
}

/** The composer's files: what is picked so far and a picker for more. */
export function AttachmentPicker(
  { files, setFiles, disabled }: { files: PickedFile[]; setFiles: (files: PickedFile[]) => void; disabled: boolean },
) {
  const add = (media: MediaFile) => setFiles([...files, { id: media.id, name: media.name, size: media.size }]);
  return (
    <div className="flex flex-col gap-2">
      {files.length > 0 && (
        <ul aria-label="Files to send" className="flex flex-wrap gap-2 text-sm">
          {files.map((file) => (
            <li key={file.id} className="flex items-center gap-2 rounded-full border border-ink-300 bg-white px-3 py-1">
              <span className="break-all">{file.name} ({formatSize(file.size)})</span>
              <button type="button" className="font-semibold text-danger-700 hover:underline"
                onClick={() => setFiles(files.filter((f) => f.id !== file.id))}
                aria-label={`Remove ${file.name}`}>×</button>
            </li>
          ))}
        </ul>
      )}
      {!disabled && (
        <FileUpload
          purpose="chat_attachment"
          label="Attach a file"
          onUploaded={add}
          disabledReason={files.length >= MAX_ATTACHMENTS ? `A message takes up to ${MAX_ATTACHMENTS} files.` : undefined}
        />
      )}
    </div>
  );
}

/** A message's attachments under its bubble. */
export function MessageAttachments({ attachments }: { attachments: LiveAttachment[] }) {
  if (attachments.length === 0) return null;
  return (
    <ul aria-label="Attachments" className="mt-1 flex max-w-[85%] flex-col gap-1">
      {attachments.map((a) =>
        "mediaId" in a
          ? <li key={a.mediaId}><DownloadButton mediaId={a.mediaId} name={a.name} size={a.size} /></li>
          : (
            <li key={a.url} className="text-sm">
              <a href={a.url} rel="noreferrer noopener" target="_blank" className="break-all text-brand-700 underline">
                {a.name}
              </a>
            </li>
          )
      )}
    </ul>
  );
}
