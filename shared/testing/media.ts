/**
 * The data of a `media.uploaded` event as the media service publishes it, for tests
 * of services that keep the media replica (shared/media_refs.ts): a ready PNG owned
 * by `ownerId`, with the public URL avatars and gig images carry.
 */
export function mediaUploadedData(
  ownerId: string,
  purpose: string,
  file: { name: string; size: number },
) {
  const mediaId = crypto.randomUUID();
  return {
    mediaId,
    ownerId,
    purpose,
    contentType: "image/png",
    size: file.size,
    name: file.name,
    url: `http://127.0.0.1:4569/media/public/${purpose}/${mediaId}`,
    uploadedAt: new Date().toISOString(),
  };
}
