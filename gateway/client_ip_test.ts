import assert from "node:assert/strict";
import { Hono } from "hono";
import { clientAddress, forwardedFor, rateLimitSubject } from "./client_ip.ts";

Deno.test("rateLimitSubject() keeps IPv4, folds IPv6 to its /64 and IPv4-mapped IPv6 to IPv4", () => {
  assert.equal(rateLimitSubject("198.51.100.7"), "198.51.100.7");
  assert.equal(rateLimitSubject("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  assert.equal(rateLimitSubject("2001:0db8:0001:0002:ffff:0:0:9"), "2001:db8:1:2::/64");
  assert.equal(rateLimitSubject("2001:DB8:1:3::1"), "2001:db8:1:3::/64");
  assert.equal(rateLimitSubject("::1"), "0:0:0:0::/64");
  assert.equal(rateLimitSubject("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.equal(rateLimitSubject("::ffff:192.0.2.33"), "192.0.2.33");
  assert.equal(rateLimitSubject("64:ff9b::192.0.2.33"), "64:ff9b:0:0::/64");
  assert.equal(rateLimitSubject("unknown"), "unknown");
  assert.equal(rateLimitSubject("not an ip"), "invalid");
});

/** Runs `clientAddress` and `forwardedFor` for a request from `peer`. */
async function seen(trustProxy: boolean, peer: string, xff?: string) {
  const app = new Hono();
  app.get(
    "/",
    (c) => c.json({ client: clientAddress(c, trustProxy), forwarded: forwardedFor(c, trustProxy) }),
  );
  const info = { remoteAddr: { transport: "tcp", hostname: peer, port: 40000 } };
  const response = await app.request("/", { headers: xff ? { "x-forwarded-for": xff } : {} }, info);
  return await response.json();
}

Deno.test("clientAddress() is the socket peer unless TRUST_PROXY, then the last X-Forwarded-For entry", async () => {
  assert.deepEqual(await seen(false, "192.0.2.1", "6.6.6.6"), {
    client: "192.0.2.1",
    forwarded: "192.0.2.1",
  });
  assert.deepEqual(await seen(true, "10.0.0.2", "6.6.6.6, 203.0.113.9"), {
    client: "203.0.113.9",
    forwarded: "6.6.6.6, 203.0.113.9, 10.0.0.2",
  });
  // Behind a proxy, a last entry that is not an address falls back to the proxy's own.
  assert.equal((await seen(true, "10.0.0.2", "203.0.113.9, garbage")).client, "10.0.0.2");
  assert.deepEqual(await seen(true, "10.0.0.2"), { client: "10.0.0.2", forwarded: "10.0.0.2" });
});
