/**
 * A real Prometheus (Debian's `prometheus`) scrapes the real fleet: every
 * process's metrics address (each service's own port, the gateway's metrics
 * listener) goes into a generated prometheus.yml, and the test asks
 * Prometheus's HTTP API, as a dashboard would, whether every process is up and
 * what it counted after a few requests through the gateway.
 */
import assert from "node:assert/strict";
import { freePort, passThrough, startProcess, waitFor } from "@mp/shared/testing";
import type { ProcessName } from "../scripts/fleet.ts";
import { startMarketplace } from "./support.ts";

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

Deno.test("Prometheus scrapes every process of the fleet and sees what the requests did", async () => {
  const market = await startMarketplace("metrics");
  const { fleet } = market;
  const dir = await Deno.makeTempDir({ prefix: "prometheus-" });
  const port = freePort();
  // One job per process, named after it; scraped every second so the test is quick.
  const jobs = fleet.names.map((name) => {
    const url = new URL(fleet.metricsUrlOf(name));
    return [
      `  - job_name: ${name}`,
      `    metrics_path: ${url.pathname}`,
      `    static_configs: [{ targets: ["${url.host}"] }]`,
    ].join("\n");
  });
  await Deno.writeTextFile(
    `${dir}/prometheus.yml`,
    ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "scrape_configs:", ...jobs, ""]
      .join("\n"),
  );
  const prometheus = startProcess("prometheus", [
    `--config.file=${dir}/prometheus.yml`,
    `--storage.tsdb.path=${dir}/data`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { env: passThrough(["PATH", "HOME"]) });
  const query = async (promql: string): Promise<Sample[]> => {
    const response = await fetch(
      `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    const body = await response.json();
    if (body.status !== "success") throw new Error(`${promql}: ${JSON.stringify(body)}`);
    return body.data.result;
  };
  /** `sum by (job)` of `promql`, once every job in `names` has a value meeting `ok`. */
  const byJob = (promql: string, names: readonly ProcessName[], ok = (v: number) => v > 0) =>
    waitFor(async () => {
      const values = Object.fromEntries(
        (await query(`sum by (job) (${promql})`)).map((s) => [s.metric.job, Number(s.value[1])]),
      );
      return names.every((name) => ok(values[name])) && values;
    }, { timeoutMs: 30_000, intervalMs: 250, what: `${promql} in ${names.join(", ")}` });

  try {
    // Every process is up: Prometheus scraped each address successfully.
    const up = await waitFor(async () => {
      const samples = await query("up");
      const allUp = samples.length === fleet.names.length &&
        samples.every((s) => s.value[1] === "1");
      return allUp ? samples : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, what: "every target up" });
    assert.deepEqual(up.map((s) => s.metric.job).sort(), [...fleet.names].sort());

    // A few requests through the gateway: a sign-up (auth → outbox → notifications, users)
    // and two searches of which the second may come from the cache.
    const api = market.client();
    await market.signup("metrics_ada");
    for (let i = 0; i < 2; i++) {
      assert.equal((await api.request("GET", "/api/v1/gigs?q=logo")).status, 200);
    }
    assert.equal((await api.request("GET", "/api/v1/orders/not-an-id")).status, 401);

    // Requests by route template at the gateway and in the services behind it.
    const hono = fleet.names.filter((name) => name !== "realtime");
    await byJob("http_requests_total", hono);
    await byJob('http_requests_total{job="gateway",route="/api/v1/auth/signup",status="201"}', [
      "gateway",
    ]);
    await byJob('http_requests_total{job="gigs",route="/api/v1/gigs",method="GET"}', ["gigs"], (
      v,
    ) => v === 2);
    // Business counters and the event flow of the sign-up.
    await byJob("auth_signups_total", ["auth"], (v) => v === 1);
    await byJob("gigs_searches_total", ["gigs"], (v) => v === 2);
    await byJob('events_published_total{type="user.registered"}', ["auth"], (v) => v === 1);
    await byJob('events_consumed_total{type="user.registered"}', ["notifications", "users"]);
    // Scrape-time gauges: outbox of every publishing service, memory of every process,
    // the edge's sockets, and the event-loop sampler.
    await byJob("outbox_waiting_events", ["auth", "gigs", "orders"], (v) => v >= 0);
    await byJob("process_resident_memory_bytes", fleet.names);
    await byJob("event_loop_delay_seconds_count", fleet.names);
    await byJob("realtime_open_sockets", ["realtime"], (v) => v === 0);
    // No id of a path ever becomes a label value.
    const routes = await query('count by (route) (http_requests_total{job="gateway"})');
    assert.ok(routes.every((s) => !s.metric.route.includes("not-an-id")));
  } finally {
    await prometheus.stop();
    await market.close();
    await Deno.remove(dir, { recursive: true });
  }
});
