/**
 * Gateway process: configuration, signing key, Redis, the app, its metrics
 * listener, shutdown. It has no database and no broker, so it uses the kit's
 * parts (configOrExit, Redis, onShutdown) rather than startService.
 *
 *   deno serve --host 127.0.0.1 --port $GATEWAY_PORT <flags in README.md> gateway/main.ts
 *
 * `GET /metrics` is not on the public port but on GATEWAY_METRICS_HOST:GATEWAY_METRICS_PORT
 * (its `--allow-net` names that address too).
 */
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";
import { serveMetrics, startRuntimeMetrics } from "@mp/shared/metrics";
import { closeRedis, connectRedis } from "@mp/shared/redis";
import { configOrExit } from "@mp/shared/service";
import { createApp } from "./app.ts";
import { loadGatewayConfig } from "./config.ts";
import { createAccessTokenSigner } from "./keys.ts";

// A bad variable or private key: one line naming it, exit code 1.
const { config, signer } = await configOrExit("gateway", async () => {
  const config = loadGatewayConfig();
  const signer = await createAccessTokenSigner({
    privateJwk: config.JWT_PRIVATE_JWK,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  return { config, signer };
});
const log = createLogger("gateway", config.LOG_LEVEL);
const redis = connectRedis(config.REDIS_URL, log);
const { app, drain, stop } = createApp({ config, log, redis, signer });
startRuntimeMetrics();
const metrics = serveMetrics({
  hostname: config.GATEWAY_METRICS_HOST,
  port: config.GATEWAY_METRICS_PORT,
  log,
});

onShutdown({
  log,
  drain,
  steps: [
    { name: "stop rate limit sync", run: stop },
    { name: "close redis", run: () => closeRedis(redis) },
    { name: "close metrics listener", run: () => metrics.shutdown() },
  ],
});
log.info("gateway started", { kid: signer.kid });

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
