/**
 * Pure rules of the media service: what each purpose accepts (declared type and
 * size at upload, real type by the first bytes at completion) and which purposes
 * are public.
 *
 * The real type is read from magic bytes, never from the name or the declared
 * `Content-Type`: a client can declare anything, the store only enforces what
 * was signed. Hand-written (why not npm `file-type`): it sniffs hundreds of
 * formats from a stream and we need four signatures and a deny list over the
 * first 16 bytes.
 */

/** What an upload is for; it decides the limits, the visibility and who may read it. */
export type Purpose = "avatar" | "gig_image" | "delivery" | "chat_attachment";

/** Every purpose, in the order the API documents them. */
export const PURPOSES = ["avatar", "gig_image", "delivery", "chat_attachment"] as const;

/** Purposes whose objects anyone may read (a plain public URL). */
export const PUBLIC_PURPOSES: readonly Purpose[] = ["avatar", "gig_image"];

/** The image types avatars and gig images may be. */
export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;

/** Limits of one purpose. */
export interface PurposeRule {
  /** Largest object, in bytes. */
  maxBytes: number;
  /** Declared types allowed (and the sniffed type must equal the declared one); `"any"`: every type but executables. */
  types: readonly string[] | "any";
}

/** Limits of every purpose (env-configurable in main.ts). */
export type PurposeRules = Record<Purpose, PurposeRule>;

const MB = 1024 * 1024;

/** The defaults of issue 14. */
export const DEFAULT_RULES: PurposeRules = {
  avatar: { maxBytes: 5 * MB, types: IMAGE_TYPES },
  gig_image: { maxBytes: 10 * MB, types: IMAGE_TYPES },
  delivery: { maxBytes: 200 * MB, types: "any" },
  chat_attachment: { maxBytes: 25 * MB, types: "any" },
};

/** How many first bytes `sniff` needs. */
export const SNIFF_BYTES = 16;

/** What the first bytes say. */
export type Sniffed =
  | { kind: "image"; type: (typeof IMAGE_TYPES)[number] }
  | { kind: "executable"; format: string }
  | { kind: "other" };

const startsWith = (bytes: Uint8Array, prefix: number[], at = 0) =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);

// Executable formats refused for every purpose: Windows PE (MZ), ELF, Mach-O
// (32/64-bit, both byte orders, and universal binaries, which share CAFEBABE
// with Java classes: refused too), and scripts starting with a shebang.
const EXECUTABLES: [string, number[]][] = [
  ["pe", [0x4d, 0x5a]],
  ["elf", [0x7f, 0x45, 0x4c, 0x46]],
  ["mach-o", [0xfe, 0xed, 0xfa, 0xce]],
  ["mach-o", [0xfe, 0xed, 0xfa, 0xcf]],
  ["mach-o", [0xce, 0xfa, 0xed, 0xfe]],
  ["mach-o", [0xcf, 0xfa, 0xed, 0xfe]],
  ["mach-o", [0xca, 0xfe, 0xba, 0xbe]],
  ["script", [0x23, 0x21]],
];

/** Tells the real type of an object from its first bytes (at least `SNIFF_BYTES` when it has them). */
export function sniff(bytes: Uint8Array): Sniffed {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: "image", type: "image/jpeg" };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { kind: "image", type: "image/png" };
  }
  // RIFF <4-byte size> WEBP
  if (
    startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)
  ) {
    return { kind: "image", type: "image/webp" };
  }
  for (const [format, magic] of EXECUTABLES) {
    if (startsWith(bytes, magic)) return { kind: "executable", format };
  }
  return { kind: "other" };
}

/** Why a declared upload is refused, or `undefined` when the purpose allows it. */
export function declaredProblem(
  rule: PurposeRule,
  declared: { contentType: string; size: number },
): string | undefined {
  if (declared.size > rule.maxBytes) {
    return `At most ${rule.maxBytes} bytes for this purpose.`;
  }
  if (rule.types !== "any" && !rule.types.includes(declared.contentType)) {
    return `This purpose accepts ${rule.types.join(", ")}.`;
  }
  return undefined;
}

/**
 * Why the stored bytes are refused at completion, or `undefined`: an image
 * purpose needs the image type that was declared; every purpose refuses
 * executables, whatever was declared.
 */
export function contentProblem(
  rule: PurposeRule,
  declaredType: string,
  sniffed: Sniffed,
): string | undefined {
  if (sniffed.kind === "executable") {
    return `Executable files (${sniffed.format}) are not accepted.`;
  }
  if (rule.types === "any") return undefined;
  if (sniffed.kind !== "image") return "The file is not a JPEG, PNG or WebP image.";
  if (sniffed.type !== declaredType) {
    return `The file is ${sniffed.type}, not the declared ${declaredType}.`;
  }
  return undefined;
}

/** `true` when objects of `purpose` are public. */
export const isPublic = (purpose: Purpose) => PUBLIC_PURPOSES.includes(purpose);

/**
 * The object key of an upload: visibility first, so one bucket policy can make
 * `public/` readable by anyone and leave `private/` to presigned URLs.
 */
export const objectKey = (purpose: Purpose, id: string) =>
  `${isPublic(purpose) ? "public" : "private"}/${purpose}/${id}`;
