/**
 * The dashboards and alert rules of deploy/observability against the real fleet:
 *
 * - `promtool check rules` accepts alerts.yml, and `promtool check config` the
 *   profile's prometheus.yml (which loads it);
 * - every metric name in every dashboard query and every rule expression is one a
 *   running process really exports (each process's /metrics scraped after some
 *   traffic; a histogram's _bucket/_sum/_count series count as its name), or one
 *   the rules file records itself;
 * - a real Prometheus scraping the fleet, with alerts.yml loaded, evaluates every
 *   rule without error and answers every dashboard query (Grafana's variables
 *   filled in), so none of them is malformed PromQL.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { freePort, passThrough, startProcess, waitFor } from "@mp/shared/testing";
import { PROCESSES } from "../scripts/fleet.ts";
import { startMarketplace } from "./support.ts";

const OBSERVABILITY = new URL("../deploy/observability/", import.meta.url);
const RULES = new URL("prometheus/alerts.yml", OBSERVABILITY);
const DASHBOARDS = ["fleet.json", "business.json"].map((name) =>
  new URL(`grafana/dashboards/${name}`, OBSERVABILITY)
);

// PromQL words that are not metric names (functions are told by the "(" after them).
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "inf",
  "nan",
]);

/** The metric names an expression selects: not functions, keywords, labels or strings. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names = [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)].map((m) => m[1]);
  return [...new Set(names.filter((name) => !KEYWORDS.has(name.toLowerCase())))];
}

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}

async function rules(): Promise<Rule[]> {
  const file = parse(await Deno.readTextFile(RULES)) as { groups: { rules: Rule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

/** Every dashboard query, named by its dashboard and panel. */
async function dashboardQueries(): Promise<{ where: string; expr: string }[]> {
  const queries = [];
  for (const url of DASHBOARDS) {
    const board = JSON.parse(await Deno.readTextFile(url)) as {
      title: string;
      panels: Panel[];
      templating: { list: { name: string; query: { query: string } }[] };
    };
    for (const panel of board.panels) {
      for (const target of panel.targets ?? []) {
        queries.push({ where: `${board.title} / ${panel.title}`, expr: target.expr });
      }
    }
    for (const variable of board.templating.list) {
      // label_values(<metric>, <label>): the metric must exist too.
      const metric = variable.query.query.match(/^label_values\((\w+),/)?.[1];
      if (metric) queries.push({ where: `${board.title} / $${variable.name}`, expr: metric });
    }
  }
  return queries;
}

/** Names in `# TYPE` lines of an exposition, with a histogram's series names. */
function exportedNames(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
    type === "histogram" || type === "summary"
      ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`]
      : [name]
  );
}

/** What Grafana puts in for its variables, so Prometheus can run the query. */
function filled(expr: string): string {
  return expr.replaceAll("$__rate_interval", "1m").replaceAll("$__range", "5m")
    .replaceAll("$job", ".*");
}

async function run(command: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(command, { args }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { code, text };
}

Deno.test("the metric-name reader finds names, and only names, in PromQL", () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (job, le) (rate(a_seconds_bucket{job=~"$job",x="b_c"}[$__rate_interval])))',
    ),
    ["a_seconds_bucket"],
  );
  assert.deepEqual(
    metricNames("max by (job) (x_total) > 0 unless on (job) (sum by (job) (rate(y[5m])) > 0)"),
    ["x_total", "y"],
  );
  assert.deepEqual(metricNames("rec:a_b:p99_5m > on (job, route) vector(1) * 60"), [
    "rec:a_b:p99_5m",
  ]);
});

Deno.test("promtool accepts the alert rules and the profile's Prometheus configuration", async () => {
  const checked = await run("promtool", ["check", "rules", RULES.pathname]);
  assert.equal(checked.code, 0, checked.text);
  assert.match(checked.text, /SUCCESS: \d+ rules found/);
  const config = await run("promtool", [
    "check",
    "config",
    new URL("prometheus/prometheus.yml", OBSERVABILITY).pathname,
  ]);
  assert.equal(config.code, 0, config.text);
  // promtool must refuse a broken rule, or the check above proves nothing.
  const dir = await Deno.makeTempDir({ prefix: "rules-" });
  try {
    await Deno.writeTextFile(
      `${dir}/bad.yml`,
      "groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(rate(x[5m])\n",
    );
    assert.notEqual((await run("promtool", ["check", "rules", `${dir}/bad.yml`])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the profile's Prometheus scrapes every process where it serves metrics, and Grafana gets the files its provisioning names", async () => {
  // One job per process, named after it, on its metrics port (the gateway's own listener).
  const prometheus = parse(
    await Deno.readTextFile(new URL("prometheus/prometheus.yml", OBSERVABILITY)),
  ) as {
    rule_files: string[];
    scrape_configs: { job_name: string; dns_sd_configs: { names: string[]; port: number }[] }[];
  };
  const jobs = Object.fromEntries(
    prometheus.scrape_configs.map((job) => [job.job_name, job.dns_sd_configs]),
  );
  assert.deepEqual(
    Object.keys(jobs).sort(),
    PROCESSES.map((spec) => spec.name as string).sort(),
  );
  for (const spec of PROCESSES) {
    assert.deepEqual(jobs[spec.name], [{
      names: [spec.name],
      type: "A",
      port: spec.metrics?.port ?? spec.port,
    }], `scrape job of ${spec.name}`);
  }
  assert.deepEqual(prometheus.rule_files.map((f) => f.split(" ")[0]), ["alerts.yml"]);

  // docker-compose mounts these folders where the provisioning files look.
  const compose = parse(
    await Deno.readTextFile(new URL("../docker-compose.yml", import.meta.url)),
    { merge: true },
  ) as { services: Record<string, { volumes?: string[]; profiles?: string[] }> };
  const mounts = (service: string) =>
    Object.fromEntries(
      (compose.services[service].volumes ?? []).map((v) => v.split(":")).filter(([from]) =>
        from.startsWith("./")
      ).map(([from, to]) => [from, to]),
    );
  assert.equal(
    mounts("prometheus")["./deploy/observability/prometheus"],
    "/etc/prometheus",
  );
  const provider = parse(
    await Deno.readTextFile(
      new URL("grafana/provisioning/dashboards/dashboards.yml", OBSERVABILITY),
    ),
  ) as { providers: { options: { path: string } }[] };
  const grafana = mounts("grafana");
  assert.equal(
    grafana["./deploy/observability/grafana/dashboards"],
    provider.providers[0].options.path,
  );
  assert.equal(grafana["./deploy/observability/grafana/provisioning"], "/etc/grafana/provisioning");
  for (const name of ["prometheus", "grafana", "otel-collector", "jaeger"]) {
    assert.deepEqual(compose.services[name].profiles, ["observability"], name);
  }

  // Every datasource a dashboard names is one Grafana is given.
  const sources = parse(
    await Deno.readTextFile(
      new URL("grafana/provisioning/datasources/datasources.yml", OBSERVABILITY),
    ),
  ) as { datasources: { uid: string; type: string }[] };
  const given = new Set(sources.datasources.map((d) => `${d.type}/${d.uid}`));
  for (const url of DASHBOARDS) {
    const text = await Deno.readTextFile(url);
    const named = [...text.matchAll(/"type": "(\w+)",\s*"uid": "(\w+)"/g)].map(([, t, u]) =>
      `${t}/${u}`
    );
    assert.ok(named.length > 0, url.pathname);
    assert.deepEqual([...new Set(named)].filter((n) => !given.has(n)), [], url.pathname);
  }
});

Deno.test("every dashboard query and alert rule names metrics the running fleet exports, and a real Prometheus evaluates them all", async () => {
  const allRules = await rules();
  const queries = [
    ...await dashboardQueries(),
    ...allRules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr })),
  ];
  const recorded = new Set(allRules.flatMap((rule) => rule.record ? [rule.record] : []));
  const used = new Set(queries.flatMap((q) => metricNames(q.expr)));
  // What issue 15 asks the dashboards and alerts to show is among what they name.
  for (
    const name of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "events_published_total",
      "events_consumed_total",
      "events_retried_total",
      "events_dead_lettered_total",
      "events_dlq_messages",
      "events_queue_ready_messages",
      "outbox_waiting_events",
      "outbox_oldest_waiting_seconds",
      "process_resident_memory_bytes",
      "event_loop_delay_seconds_bucket",
      "realtime_open_sockets",
      "orders_status_changes_total",
      "orders_payments_total",
      "auth_signups_total",
      "gigs_searches_total",
    ]
  ) assert.ok(used.has(name), `no dashboard or rule shows ${name}`);

  const market = await startMarketplace("dashboards");
  const { fleet } = market;
  const dir = await Deno.makeTempDir({ prefix: "prometheus-" });
  const port = freePort();
  let prometheus: ReturnType<typeof startProcess> | undefined;
  try {
    // Some traffic: a sign-up (auth → outbox → notifications, users) and a search.
    await market.signup("dash_ada");
    const api = market.client();
    assert.equal((await api.request("GET", "/api/v1/gigs?q=logo")).status, 200);

    // Every name every process exports, read as Prometheus reads it.
    const exported = new Set<string>(["up"]);
    for (const name of fleet.names) {
      const response = await fetch(fleet.metricsUrlOf(name));
      assert.equal(response.status, 200, `${name} /metrics`);
      for (const metric of exportedNames(await response.text())) exported.add(metric);
    }
    const unknown = queries.flatMap(({ where, expr }) =>
      metricNames(expr).filter((name) => !exported.has(name) && !recorded.has(name))
        .map((name) => `${where}: ${name}`)
    );
    assert.deepEqual(unknown, [], "names no process exports");

    // A real Prometheus over the fleet with the real rules file.
    const jobs = fleet.names.map((name) => {
      const url = new URL(fleet.metricsUrlOf(name));
      return `  - job_name: ${name}\n    metrics_path: ${url.pathname}\n` +
        `    static_configs: [{ targets: ["${url.host}"] }]`;
    });
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "  evaluation_interval: 1s",
        `rule_files: ["${RULES.pathname}"]`,
        "scrape_configs:",
        ...jobs,
        "",
      ].join("\n"),
    );
    prometheus = startProcess("prometheus", [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
    ], { env: passThrough(["PATH", "HOME"]) });
    const api_ = async (path: string) => {
      const body = await (await fetch(`http://127.0.0.1:${port}/api/v1/${path}`)).json();
      return body as { status: string; data: unknown; error?: string };
    };
    const query = (promql: string) => api_(`query?query=${encodeURIComponent(promql)}`);

    await waitFor(async () => {
      const up = await query("up").catch(() => undefined);
      const samples = (up?.data as { result?: { value: [number, string] }[] })?.result ?? [];
      return samples.length === fleet.names.length && samples.every((s) => s.value[1] === "1");
    }, { timeoutMs: 60_000, intervalMs: 250, what: "every target up" });

    // The queue gauges arrive from each consuming service: its queue, with a consumer.
    const consumers = await waitFor(async () => {
      const result = await query("max by (job) (events_queue_consumers)");
      const rows =
        (result.data as { result: { metric: { job: string }; value: [number, string] }[] })
          .result;
      const byJob = Object.fromEntries(rows.map((r) => [r.metric.job, Number(r.value[1])]));
      return byJob.notifications >= 1 && byJob.users >= 1 && byJob.realtime >= 1
        ? byJob
        : undefined;
    }, {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: "queue gauges of notifications, users and the realtime edge",
    });
    assert.equal(consumers.gateway, undefined, "the gateway consumes nothing");

    // Every rule evaluated, none in error.
    const evaluated = await waitFor(async () => {
      const result = await api_("rules");
      const groups = (result.data as {
        groups: { rules: { name: string; health: string; lastError?: string }[] }[];
      })
        .groups;
      const all = groups.flatMap((g) => g.rules);
      return all.length === allRules.length && all.every((r) => r.health !== "unknown")
        ? all
        : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250, what: "every rule evaluated" });
    const failing = evaluated.filter((r) => r.health !== "ok").map((r) =>
      `${r.name}: ${r.lastError}`
    );
    assert.deepEqual(failing, []);

    // Every dashboard query is PromQL Prometheus runs.
    for (const { where, expr } of queries) {
      const result = await query(filled(expr));
      assert.equal(result.status, "success", `${where}: ${result.error}`);
    }
  } finally {
    await prometheus?.stop();
    await market.close();
    await Deno.remove(dir, { recursive: true });
  }
});
