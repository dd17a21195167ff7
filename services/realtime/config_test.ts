import assert from "node:assert/strict";
import { ConfigError } from "@mp/shared/config";
import { readConfig } from "./config.ts";

Deno.test("readConfig() fills in the documented defaults", () => {
  const config = readConfig({ JWT_JWKS: '{"keys":[]}' });
  assert.deepEqual(
    { ...config, JWT_JWKS: undefined },
    {
      REALTIME_HOST: "127.0.0.1",
      REALTIME_PORT: 4008,
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_PREFIX: "",
      AMQP_URL: "amqp://guest:guest@127.0.0.1:5672",
      EVENTS_EXCHANGE: "marketplace",
      JWT_JWKS: undefined,
      JWT_ISSUER: "marketplace-gateway",
      JWT_AUDIENCE: "marketplace",
      LOG_LEVEL: "info",
      TYPING_THROTTLE_MS: 1000,
      PRESENCE_GRACE_MS: 5000,
      PRESENCE_TTL_MS: 30000,
      REALTIME_MAX_FRAME_BYTES: 16384,
    },
  );
});

Deno.test("readConfig() names every bad variable", () => {
  assert.throws(
    () =>
      readConfig({
        REALTIME_PORT: "0",
        REDIS_URL: "http://redis",
        REDIS_PREFIX: "bad prefix*",
        TYPING_THROTTLE_MS: "-1",
        PRESENCE_TTL_MS: "10",
        REALTIME_MAX_FRAME_BYTES: "12",
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const named = error.problems.map((p) => p.split(":")[0]).sort();
      assert.deepEqual(named, [
        "JWT_JWKS",
        "PRESENCE_TTL_MS",
        "REALTIME_MAX_FRAME_BYTES",
        "REALTIME_PORT",
        "REDIS_PREFIX",
        "REDIS_URL",
        "TYPING_THROTTLE_MS",
      ]);
      return true;
    },
  );
});
