/**
 * Gateway process: configuration, signing key, Redis, the app, shutdown.
 *
 *   deno serve --host 127.0.0.1 --port $GATEWAY_PORT <flags in README.md> gateway/main.ts
 */
import { ConfigError } from "@mp/shared/config";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";
import { createApp } from "./app.ts";
import { type GatewayConfig, loadGatewayConfig } from "./config.ts";
import { type AccessTokenSigner, createAccessTokenSigner } from "./keys.ts";
import { connectRedis } from "./redis.ts";

async function configure(): Promise<{ config: GatewayConfig; signer: AccessTokenSigner }> {
  try {
    const config = loadGatewayConfig();
    const signer = await createAccessTokenSigner({
      privateJwk: config.JWT_PRIVATE_JWK,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
    return { config, signer };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // One clear line naming each bad variable, instead of a stack trace.
    createLogger("gateway").error("invalid configuration", { problems: error.problems });
    Deno.exit(1);
  }
}

const { config, signer } = await configure();
const log = createLogger("gateway", config.LOG_LEVEL);
const redis = connectRedis(config.REDIS_URL, log);
const { app, drain, stop } = createApp({ config, log, redis, signer });

onShutdown({
  log,
  drain,
  steps: [{ name: "rate limit sync", run: stop }, {
    name: "redis",
    // QUIT waits for pending replies; without a connection there is nothing to wait for.
    run: () => redis.status === "ready" ? redis.quit() : redis.disconnect(),
  }],
});
log.info("gateway started", { kid: signer.kid });

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
