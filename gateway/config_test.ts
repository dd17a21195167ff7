import assert from "node:assert/strict";
import { ConfigError } from "@mp/shared/config";
import { processSpec } from "../scripts/processes.ts";
import { gatewayConfigShape, loadGatewayConfig } from "./config.ts";

Deno.test("loadGatewayConfig() fills the documented defaults", () => {
  const config = loadGatewayConfig({ JWT_PRIVATE_JWK: "{}" });
  assert.equal(config.JWT_ISSUER, "marketplace-gateway");
  assert.equal(config.JWT_AUDIENCE, "marketplace");
  assert.equal(config.BODY_LIMIT_BYTES, 1024 * 1024);
  assert.equal(config.UPSTREAM_TIMEOUT_MS, 10_000);
  assert.equal(config.TRUST_PROXY, false);
  assert.equal(config.COOKIE_SECURE, true);
  assert.deepEqual(
    [
      config.RATE_LIMIT_PER_MINUTE,
      config.SIGNUP_LIMIT_PER_HOUR,
      config.LOGIN_IP_LIMIT_PER_MINUTE,
      config.LOGIN_FAILURES_PER_MINUTE,
      config.FORGOT_IP_LIMIT_PER_HOUR,
      config.FORGOT_EMAIL_LIMIT_PER_HOUR,
    ],
    [600, 20, 30, 5, 10, 3],
  );
  // Optional like the other services: unset, their routes answer 404.
  assert.equal(config.CHAT_URL, undefined);
  assert.equal(config.REALTIME_URL, undefined);
  assert.equal(config.WEBSOCKET_HANDSHAKE_LIMIT_PER_MINUTE, 60);
  assert.equal(config.WEBSOCKET_MAX_FRAME_BYTES, 64 * 1024);
  assert.deepEqual(
    config.CORS_ORIGINS,
    ["http://localhost:8000"],
    "CORS_ORIGINS defaults to PUBLIC_URL",
  );
});

Deno.test("loadGatewayConfig() reports a missing JWT_PRIVATE_JWK by name", () => {
  assert.throws(() => loadGatewayConfig({}), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /JWT_PRIVATE_JWK: is required/);
    return true;
  });
});

Deno.test("loadGatewayConfig() names every malformed variable", () => {
  assert.throws(
    () =>
      loadGatewayConfig({
        JWT_PRIVATE_JWK: "{}",
        AUTH_URL: "ftp://auth",
        REALTIME_URL: "ws://realtime:4008",
        WEBSOCKET_MAX_FRAME_BYTES: "0",
        REDIS_URL: "http://redis",
        CORS_ORIGINS: "https://ok.example, https://bad.example/path",
        BODY_LIMIT_BYTES: "-1",
        TRUST_PROXY: "maybe",
        RATE_LIMIT_PREFIX: "has spaces",
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const named = error.problems.map((problem) => problem.split(":")[0]).sort();
      assert.deepEqual(named, [
        "AUTH_URL",
        "BODY_LIMIT_BYTES",
        "CORS_ORIGINS",
        "RATE_LIMIT_PREFIX",
        "REALTIME_URL",
        "REDIS_URL",
        "TRUST_PROXY",
        "WEBSOCKET_MAX_FRAME_BYTES",
      ]);
      return true;
    },
  );
});

Deno.test("CORS_ORIGINS is a comma list of origins, normalised", () => {
  const config = loadGatewayConfig({
    JWT_PRIVATE_JWK: "{}",
    CORS_ORIGINS: " https://App.Example ,http://localhost:5173/,, ",
  });
  assert.deepEqual(config.CORS_ORIGINS, ["https://app.example", "http://localhost:5173"]);
});

Deno.test("every variable the gateway reads is listed for the fleet and `deno task dev` to pass on", () => {
  const listed = new Set(processSpec("gateway").env);
  const missing = Object.keys(gatewayConfigShape).filter((name) => !listed.has(name));
  assert.deepEqual(missing, []);
});

Deno.test("STRIPE_PUBLISHABLE_KEY is optional and must be a pk_test_/pk_live_ key", () => {
  const base = { JWT_PRIVATE_JWK: "{}" };
  assert.equal(loadGatewayConfig(base).STRIPE_PUBLISHABLE_KEY, undefined);
  for (const key of ["pk_test_51Habc123", "pk_live_XYZ789"]) {
    assert.equal(
      loadGatewayConfig({ ...base, STRIPE_PUBLISHABLE_KEY: key }).STRIPE_PUBLISHABLE_KEY,
      key,
    );
  }
  for (const key of ["sk_test_51Habc", "pk_prod_abc", "pk_test_", "pk_test_a b", 'pk_test_a"x']) {
    assert.throws(
      () => loadGatewayConfig({ ...base, STRIPE_PUBLISHABLE_KEY: key }),
      (error) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith("STRIPE_PUBLISHABLE_KEY")),
      key,
    );
  }
});
