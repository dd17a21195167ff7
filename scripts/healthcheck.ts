/**
 * Container health check: exits 0 when `http://127.0.0.1:<port>/readyz` answers
 * 200 within three seconds, 1 otherwise. docker-compose.yml runs it as
 * `deno run --allow-net=127.0.0.1 scripts/healthcheck.ts <port>`.
 */
const port = Number(Deno.args[0]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error("usage: healthcheck.ts <port>");
  Deno.exit(2);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
    signal: AbortSignal.timeout(3_000),
  });
  await response.body?.cancel();
  Deno.exit(response.ok ? 0 : 1);
} catch {
  Deno.exit(1);
}
