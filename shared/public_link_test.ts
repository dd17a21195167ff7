import assert from "node:assert/strict";
import { linkProblem, MAX_URL_LENGTH, publicHttpsUrl } from "./public_link.ts";

Deno.test("linkProblem() accepts public https links, with or without a port, path or query", () => {
  for (
    const ok of [
      "https://cdn.example.com/avatars/ada.png",
      "https://example.com:8443/x?y=1#z",
      "https://8.8.8.8/a.png",
      "https://[2001:4860:4860::8888]/a.png",
      "https://[::ffff:8.8.8.8]/", // IPv4-mapped: judged as the public address it reaches
      "https://example.com./trailing-dot",
      "https://xn--bcher-kva.example/",
    ]
  ) {
    assert.equal(linkProblem(ok), undefined, ok);
  }
});

Deno.test("linkProblem() refuses other schemes, credentials and garbage", () => {
  for (
    const bad of [
      "http://example.com/a.png",
      "javascript:alert(1)",
      "data:image/png;base64,AAAA",
      "file:///etc/passwd",
      "ftp://example.com/a",
      "//example.com/a.png",
      "/relative/a.png",
      "not a url",
      "https://user:secret@example.com/a.png",
      "https://user@example.com/a.png",
    ]
  ) {
    assert.ok(linkProblem(bad), bad);
  }
});

Deno.test("linkProblem() refuses loopback, private, link-local and other non-public addresses in every spelling", () => {
  for (
    const bad of [
      "https://127.0.0.1/",
      "https://127.1/", // short form, parsed as 127.0.0.1
      "https://2130706433/", // decimal
      "https://0x7f.0.0.1/", // hex
      "https://0177.0.0.1/", // octal
      "https://0.0.0.0/",
      "https://10.1.2.3/",
      "https://172.16.0.1/",
      "https://192.168.1.1/",
      "https://169.254.169.254/latest/meta-data/", // cloud metadata
      "https://100.64.0.1/", // carrier-grade NAT
      "https://224.0.0.1/",
      "https://255.255.255.255/",
      "https://[::1]/",
      "https://[::]/",
      "https://[fe80::1]/",
      "https://[fc00::1]/",
      "https://[fd12:3456::1]/",
      "https://[::ffff:127.0.0.1]/", // IPv4-mapped
      "https://[::ffff:10.0.0.1]/",
      "https://[2002:7f00:1::]/", // 6to4 wrapping 127.0.0.1
      "https://[64:ff9b::a00:1]/", // NAT64 wrapping 10.0.0.1
      "https://[64:ff9b::808:808]/", // NAT64 wrapping a public address: still not a plain one
      "https://[::127.0.0.1]/", // IPv4-compatible, serialised [::7f00:1]
      "https://[::7f00:1]/",
      "https://[::10.0.0.1]/",
      "https://[::8.8.8.8]/", // IPv4-compatible addresses are deprecated whatever they wrap
      "https://[0:0:0:0:0:0:127.0.0.1]/",
      "https://[::ffff:7f00:1]/", // IPv4-mapped in hex
      "https://[::ffff:169.254.169.254]/",
      "https://[2002:a9fe:a9fe::]/", // 6to4 wrapping 169.254.169.254
      "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
      "https://[2001:db8::1]/", // documentation
      "https://[fec0::1]/", // deprecated site-local
      "https://[ff02::1]/", // multicast
      "https://0x7f000001/", // hex, one number
      "https://017700000001/", // octal, one number
      "https://127.0.0.1./", // trailing dot
      "https://127.0.0.1../", // two trailing dots (WHATWG leaves it a name)
      "https://0x7f.1../",
      "https://localhost../",
      "https://printer.local../",
      "https://%31%32%37.0.0.1/", // percent-encoded digits
      "https://\uff11\uff12\uff17.0.0.1/", // full-width digits (IDNA maps them)
      "https://192.0.2.1/", // documentation (reserved)
      "https://198.18.0.1/", // benchmarking
      "https://localhost/",
      "https://LOCALHOST./",
      "https://api.localhost/",
      "https://printer.local/",
      "https://db.internal/",
      "https://router.home.arpa/",
      "https://intranet/",
    ]
  ) {
    assert.ok(linkProblem(bad), bad);
  }
});

Deno.test("publicHttpsUrl trims, normalizes and bounds the link", () => {
  assert.equal(
    publicHttpsUrl.parse("  https://Example.COM/a b.png "),
    "https://example.com/a%20b.png",
  );
  const long = `https://example.com/${"a".repeat(MAX_URL_LENGTH)}`;
  assert.equal(publicHttpsUrl.safeParse(long).success, false);
  // Within the limit as written but not once percent-encoded.
  const grows = `https://example.com/${"é".repeat(1000)}`;
  assert.equal(publicHttpsUrl.safeParse(grows).success, false);
  assert.equal(publicHttpsUrl.safeParse(42).success, false);
});
