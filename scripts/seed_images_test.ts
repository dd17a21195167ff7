/**
 * The seed's generated pictures: PNG files a real decoder reads (Deno's `createImageBitmap`), whose
 * pixels, decoded here with the platform's inflate and an independent CRC, are what was drawn;
 * the same input gives the same bytes, another input other bytes.
 */
import assert from "node:assert/strict";
import { avatarCanvas, Canvas, encodePng, gigCanvas, initialsOf } from "./seed_images.ts";

// Bit by bit, unlike the encoder's table: a mistake in one is not repeated in the other.
function slowCrc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Reads a truecolour PNG back: size and the pixel rows, checking every chunk's CRC. */
async function decode(png: Uint8Array<ArrayBuffer>) {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: { type: string; data: Uint8Array<ArrayBuffer> }[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    assert.equal(view.getUint32(at + 8 + length), slowCrc(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  assert.deepEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
  const header = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const width = header.getUint32(0);
  const height = header.getUint32(4);
  assert.deepEqual([...chunks[0].data.subarray(8)], [8, 2, 0, 0, 0]);
  const raw = new Uint8Array(
    await new Response(
      new Blob([chunks[1].data]).stream().pipeThrough(new DecompressionStream("deflate")),
    ).arrayBuffer(),
  );
  assert.equal(raw.length, height * (1 + width * 3));
  const pixel = (x: number, y: number) => {
    const at = y * (1 + width * 3) + 1 + x * 3;
    assert.equal(raw[y * (1 + width * 3)], 0, "filter type of the row");
    return [raw[at], raw[at + 1], raw[at + 2]];
  };
  return { width, height, pixel };
}

Deno.test("a drawn canvas comes back pixel for pixel, and a real decoder reads the file", async () => {
  const canvas = new Canvas(7, 5);
  canvas.rect(0, 0, 7, 5, [10, 20, 30]);
  canvas.rect(2, 1, 3, 2, [200, 100, 0]);
  canvas.set(6, 4, [1, 2, 3]);
  const png = await encodePng(canvas);
  const back = await decode(png);
  assert.equal(back.width, 7);
  assert.equal(back.height, 5);
  assert.deepEqual(back.pixel(0, 0), [10, 20, 30]);
  assert.deepEqual(back.pixel(3, 2), [200, 100, 0]);
  assert.deepEqual(back.pixel(5, 2), [10, 20, 30]);
  assert.deepEqual(back.pixel(6, 4), [1, 2, 3]);
  const bitmap = await createImageBitmap(new Blob([png], { type: "image/png" }));
  assert.equal(bitmap.width, 7);
  assert.equal(bitmap.height, 5);
});

Deno.test("avatars show white initials on the person's own colour; gig pictures are 3:2; both stable", async () => {
  assert.equal(initialsOf("Ada Lovelace"), "AL");
  assert.equal(initialsOf("Élodie  Żak"), "EZ");
  assert.equal(initialsOf("I will design 3 logos", 3), "IWD");
  assert.equal(initialsOf("漢字"), "");

  const avatar = await encodePng(avatarCanvas("seed_seller_0001", "Ada Lovelace"));
  const back = await decode(avatar);
  assert.equal(back.width, 160);
  assert.equal(back.height, 160);
  // The "A" starts at the left of the text: its top row has dots in columns 1–3 of the glyph.
  const scale = 8;
  const left = Math.round((160 - (2 * 6 - 1) * scale) / 2);
  const top = Math.round((160 - 7 * scale) / 2);
  assert.deepEqual(back.pixel(left + scale + 1, top + 1), [255, 255, 255]);
  assert.notDeepEqual(back.pixel(left + 1, top + 1), [255, 255, 255]); // a gap of the A
  assert.deepEqual(await encodePng(avatarCanvas("seed_seller_0001", "Ada Lovelace")), avatar);
  assert.notDeepEqual(await encodePng(avatarCanvas("seed_seller_0002", "Ada Lovelace")), avatar);
  assert.ok(avatar.length < 20_000, `${avatar.length} bytes`);

  const gig = await encodePng(gigCanvas("gig-1", "Logo design"));
  const gigBack = await decode(gig);
  assert.deepEqual([gigBack.width, gigBack.height], [480, 320]);
  assert.deepEqual(await encodePng(gigCanvas("gig-1", "Logo design")), gig);
  assert.notDeepEqual(await encodePng(gigCanvas("gig-2", "Logo design")), gig);
  assert.ok(gig.length < 100_000, `${gig.length} bytes`);
});
