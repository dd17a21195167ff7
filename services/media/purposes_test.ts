import assert from "node:assert/strict";
import { contentProblem, declaredProblem, DEFAULT_RULES, objectKey, sniff } from "./purposes.ts";
import { SAMPLES } from "./test_support.ts";

const bytes = (head: number[]) => new Uint8Array(head);

Deno.test("sniff() tells JPEG, PNG and WebP by their magic bytes, not by anything declared", () => {
  assert.deepEqual(sniff(bytes(SAMPLES.jpeg)), { kind: "image", type: "image/jpeg" });
  assert.deepEqual(sniff(bytes(SAMPLES.png)), { kind: "image", type: "image/png" });
  assert.deepEqual(sniff(bytes(SAMPLES.webp)), { kind: "image", type: "image/webp" });
  // RIFF without WEBP at offset 8 is another RIFF format (WAV, AVI).
  assert.deepEqual(sniff(bytes([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x41, 0x56, 0x45])), {
    kind: "other",
  });
  // A PNG signature cut short is not a PNG.
  assert.deepEqual(sniff(bytes(SAMPLES.png.slice(0, 4))), { kind: "other" });
  assert.deepEqual(sniff(bytes([])), { kind: "other" });
});

Deno.test("sniff() recognises executables: PE (MZ), ELF, Mach-O in every byte order, shebang scripts", () => {
  assert.deepEqual(sniff(bytes(SAMPLES.pe)), { kind: "executable", format: "pe" });
  assert.deepEqual(sniff(bytes(SAMPLES.elf)), { kind: "executable", format: "elf" });
  for (
    const magic of [
      [0xfe, 0xed, 0xfa, 0xce],
      [0xfe, 0xed, 0xfa, 0xcf],
      [0xce, 0xfa, 0xed, 0xfe],
      [0xcf, 0xfa, 0xed, 0xfe],
      [0xca, 0xfe, 0xba, 0xbe],
    ]
  ) {
    assert.deepEqual(sniff(bytes(magic)), { kind: "executable", format: "mach-o" });
  }
  assert.deepEqual(sniff(bytes(SAMPLES.shebang)), { kind: "executable", format: "script" });
  assert.deepEqual(sniff(bytes(SAMPLES.pdf)), { kind: "other" });
});

Deno.test("declaredProblem() enforces each purpose's size and image types", () => {
  const avatar = DEFAULT_RULES.avatar;
  assert.equal(
    declaredProblem(avatar, { contentType: "image/png", size: 5 * 1024 * 1024 }),
    undefined,
  );
  assert.match(
    declaredProblem(avatar, { contentType: "image/png", size: 5 * 1024 * 1024 + 1 })!,
    /At most 5242880 bytes/,
  );
  assert.match(declaredProblem(avatar, { contentType: "image/gif", size: 10 })!, /image\/jpeg/);
  assert.equal(
    declaredProblem(DEFAULT_RULES.gig_image, { contentType: "image/webp", size: 10 * 1024 * 1024 }),
    undefined,
  );
  assert.equal(
    declaredProblem(DEFAULT_RULES.delivery, {
      contentType: "application/zip",
      size: 200 * 1024 ** 2,
    }),
    undefined,
  );
  assert.ok(
    declaredProblem(DEFAULT_RULES.chat_attachment, {
      contentType: "text/plain",
      size: 25 * 1024 ** 2 + 1,
    }),
  );
});

Deno.test("contentProblem() wants the declared image type for images, and refuses executables for every purpose", () => {
  const png = sniff(bytes(SAMPLES.png));
  assert.equal(contentProblem(DEFAULT_RULES.avatar, "image/png", png), undefined);
  assert.match(
    contentProblem(DEFAULT_RULES.avatar, "image/jpeg", png)!,
    /image\/png, not the declared image\/jpeg/,
  );
  assert.match(
    contentProblem(DEFAULT_RULES.gig_image, "image/png", sniff(bytes(SAMPLES.text)))!,
    /not a JPEG, PNG or WebP/,
  );
  assert.equal(
    contentProblem(DEFAULT_RULES.delivery, "application/pdf", sniff(bytes(SAMPLES.pdf))),
    undefined,
  );
  for (const purpose of ["avatar", "gig_image", "delivery", "chat_attachment"] as const) {
    assert.match(
      contentProblem(DEFAULT_RULES[purpose], "image/png", sniff(bytes(SAMPLES.elf)))!,
      /Executable files \(elf\)/,
      purpose,
    );
  }
});

Deno.test("objectKey() puts avatars and gig images under public/, deliveries and attachments under private/", () => {
  assert.equal(objectKey("avatar", "a"), "public/avatar/a");
  assert.equal(objectKey("gig_image", "b"), "public/gig_image/b");
  assert.equal(objectKey("delivery", "c"), "private/delivery/c");
  assert.equal(objectKey("chat_attachment", "d"), "private/chat_attachment/d");
});
