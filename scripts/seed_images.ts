/**
 * Pictures for the demo data, generated here (never downloaded): an avatar with the person's
 * initials on a colour of their own, and a gig picture of coloured shapes over a gradient with the
 * title's initials. The same input always gives the same bytes, so a rerun of the seed uploads
 * the very same files.
 *
 * The PNG encoder is our own (truecolour, 8 bits, no interlace, filter 0, one IDAT): PNG needs
 * nothing but zlib (`CompressionStream("deflate")` is zlib-wrapped, as IDAT wants) and CRC-32, about
 * forty lines, where an npm encoder would add a dependency to the lock file for the seed alone.
 */

/** An RGB picture being drawn: `width × height` pixels, 3 bytes each, row by row. */
export class Canvas {
  readonly pixels: Uint8Array;
  constructor(readonly width: number, readonly height: number) {
    this.pixels = new Uint8Array(width * height * 3);
  }

  /** Sets one pixel (outside the picture: nothing). */
  set(x: number, y: number, [r, g, b]: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (y * this.width + x) * 3;
    this.pixels[at] = r;
    this.pixels[at + 1] = g;
    this.pixels[at + 2] = b;
  }

  /** The colour of one pixel. */
  get(x: number, y: number): Rgb {
    const at = (y * this.width + x) * 3;
    return [this.pixels[at], this.pixels[at + 1], this.pixels[at + 2]];
  }

  /** Fills a rectangle. */
  rect(x0: number, y0: number, w: number, h: number, colour: Rgb): void {
    for (let y = Math.max(0, y0); y < Math.min(this.height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(this.width, x0 + w); x++) this.set(x, y, colour);
    }
  }

  /** Fills a disc. */
  circle(cx: number, cy: number, radius: number, colour: Rgb): void {
    for (let y = Math.floor(cy - radius); y <= cy + radius; y++) {
      for (let x = Math.floor(cx - radius); x <= cx + radius; x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2) this.set(x, y, colour);
      }
    }
  }

  /** Top-to-bottom gradient over the whole picture. */
  gradient(top: Rgb, bottom: Rgb): void {
    for (let y = 0; y < this.height; y++) {
      const t = this.height === 1 ? 0 : y / (this.height - 1);
      const colour = top.map((c, i) => Math.round(c + (bottom[i] - c) * t)) as Rgb;
      this.rect(0, y, this.width, 1, colour);
    }
  }

  /** Draws `text` (A–Z, 0–9, space, `-`, `&`; others are left out) in the 5×7 font, `scale` pixels a dot. */
  text(text: string, x0: number, y0: number, scale: number, colour: Rgb): void {
    [...glyphsOf(text)].forEach((glyph, index) => {
      const left = x0 + index * 6 * scale;
      glyph.forEach((row, y) => {
        for (let x = 0; x < 5; x++) {
          if (row & (1 << (4 - x))) {
            this.rect(left + x * scale, y0 + y * scale, scale, scale, colour);
          }
        }
      });
    });
  }

  /** Width of `text` drawn at `scale`. */
  static textWidth(text: string, scale: number): number {
    const n = glyphsOf(text).length;
    return n === 0 ? 0 : (n * 6 - 1) * scale;
  }
}

/** A colour. */
export type Rgb = [number, number, number];

// 5×7 dots per character, one number a row (bit 4 is the left column).
const FONT: Record<string, number[]> = Object.fromEntries(
  Object.entries({
    A: "01110 10001 10001 11111 10001 10001 10001",
    B: "11110 10001 10001 11110 10001 10001 11110",
    C: "01110 10001 10000 10000 10000 10001 01110",
    D: "11110 10001 10001 10001 10001 10001 11110",
    E: "11111 10000 10000 11110 10000 10000 11111",
    F: "11111 10000 10000 11110 10000 10000 10000",
    G: "01110 10001 10000 10111 10001 10001 01111",
    H: "10001 10001 10001 11111 10001 10001 10001",
    I: "01110 00100 00100 00100 00100 00100 01110",
    J: "00111 00010 00010 00010 00010 10010 01100",
    K: "10001 10010 10100 11000 10100 10010 10001",
    L: "10000 10000 10000 10000 10000 10000 11111",
    M: "10001 11011 10101 10101 10001 10001 10001",
    N: "10001 10001 11001 10101 10011 10001 10001",
    O: "01110 10001 10001 10001 10001 10001 01110",
    P: "11110 10001 10001 11110 10000 10000 10000",
    Q: "01110 10001 10001 10001 10101 10010 01101",
    R: "11110 10001 10001 11110 10100 10010 10001",
    S: "01111 10000 10000 01110 00001 00001 11110",
    T: "11111 00100 00100 00100 00100 00100 00100",
    U: "10001 10001 10001 10001 10001 10001 01110",
    V: "10001 10001 10001 10001 10001 01010 00100",
    W: "10001 10001 10001 10101 10101 10101 01010",
    X: "10001 10001 01010 00100 01010 10001 10001",
    Y: "10001 10001 01010 00100 00100 00100 00100",
    Z: "11111 00001 00010 00100 01000 10000 11111",
    "0": "01110 10001 10011 10101 11001 10001 01110",
    "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111",
    "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010",
    "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110",
    "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110",
    "9": "01110 10001 10001 01111 00001 00010 01100",
    " ": "00000 00000 00000 00000 00000 00000 00000",
    "-": "00000 00000 00000 11111 00000 00000 00000",
    "&": "01100 10010 10100 01000 10101 10010 01101",
  }).map(([char, rows]) => [char, rows.split(" ").map((row) => parseInt(row, 2))]),
);

/** The glyphs of `text`, accents dropped (`É` → `E`), characters without one left out. */
function glyphsOf(text: string): number[][] {
  return [...text.normalize("NFD").toUpperCase()].flatMap((c) => FONT[c] ? [FONT[c]] : []);
}

/** Up to `max` initials of the words of `text` that the font can draw. */
export function initialsOf(text: string, max = 2): string {
  return text.split(/\s+/).map((word) => glyphsOf(word).length ? word.normalize("NFD")[0] : "")
    .filter((c) => c && FONT[c.toUpperCase()]).slice(0, max).join("").toUpperCase();
}

/** FNV-1a of `text`: a stable number to derive colours and shapes from. */
export function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A small deterministic generator (mulberry32) seeded from `text`. */
function randomFrom(text: string): () => number {
  let state = hashOf(text);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** HSL (hue in degrees, saturation and lightness 0–1) to RGB. */
export function hsl(hue: number, saturation: number, lightness: number): Rgb {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const f = (n: number) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

const WHITE: Rgb = [255, 255, 255];

/** A square avatar: the initials of `name` in white on a disc of a colour derived from `key`. */
export function avatarCanvas(key: string, name: string, size = 160): Canvas {
  const hue = hashOf(key) % 360;
  const canvas = new Canvas(size, size);
  canvas.gradient(hsl(hue, 0.55, 0.88), hsl(hue, 0.55, 0.78));
  canvas.circle(size / 2 - 0.5, size / 2 - 0.5, size * 0.42, hsl(hue, 0.6, 0.45));
  const initials = initialsOf(name) || "?";
  const scale = Math.max(1, Math.floor(size / 20));
  const width = Canvas.textWidth(initials, scale);
  canvas.text(
    initials,
    Math.round((size - width) / 2),
    Math.round((size - 7 * scale) / 2),
    scale,
    WHITE,
  );
  return canvas;
}

/**
 * A gig picture (3:2): a gradient and shapes placed by `key`, and `label` (say, the subcategory)
 * on a band at the bottom, cut to what fits.
 */
export function gigCanvas(key: string, label: string, width = 480, height = 320): Canvas {
  const random = randomFrom(key);
  const hue = Math.floor(random() * 360);
  const canvas = new Canvas(width, height);
  canvas.gradient(hsl(hue, 0.6, 0.55), hsl((hue + 40) % 360, 0.6, 0.35));
  for (let i = 0; i < 6; i++) {
    const colour = hsl((hue + 60 + random() * 240) % 360, 0.65, 0.4 + random() * 0.3);
    const x = Math.floor(random() * width);
    const y = Math.floor(random() * height);
    const size = Math.floor(height * (0.12 + random() * 0.3));
    if (random() < 0.5) canvas.circle(x, y, size / 2, colour);
    else canvas.rect(x - size / 2, y - size / 2, size, size, colour);
  }
  const scale = Math.max(1, Math.floor(height / 64));
  const fits = Math.floor((width - 4 * scale) / (6 * scale));
  canvas.rect(0, height - 11 * scale, width, 11 * scale, hsl(hue, 0.5, 0.2));
  canvas.text([...label].slice(0, fits).join(""), 2 * scale, height - 9 * scale, scale, WHITE);
  return canvas;
}

// --- PNG --------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO 3309, as PNG chunks carry it). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The canvas as PNG bytes (8-bit truecolour). */
export async function encodePng(canvas: Canvas): Promise<Uint8Array<ArrayBuffer>> {
  const { width, height, pixels } = canvas;
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, truecolour, deflate, filter set 0, no interlace
  // Each row starts with its filter type: 0, none.
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw.set(pixels.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  }
  const compressed = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate")))
      .arrayBuffer(),
  );
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", compressed),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
