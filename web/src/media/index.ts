/** Uploads and downloads of media files; imported by route chunks only (keep it out of the home bundle). */
export { acceptOf, formatSize, getMedia, LIMITS, type MediaFile, type Purpose, refusalOf, uploadFile } from "./api.ts";
export { DownloadButton } from "./DownloadButton.tsx";
export { FileUpload } from "./FileUpload.tsx";
export { type UploadState, useUpload } from "./useUpload.ts";
