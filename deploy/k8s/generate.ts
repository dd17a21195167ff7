/**
 * Writes the generated manifests of deploy/k8s from scripts/processes.ts, the one
 * source of every process's command line (as docker-compose.yml follows it):
 *
 *   node_modules/.bin/deno run --allow-read --allow-write deploy/k8s/generate.ts
 *
 * Each process gets a Deployment (its `deno serve`/`deno run` arguments from
 * `serveArgs`), a Service, a PodDisruptionBudget, a HorizontalPodAutoscaler and its
 * NetworkPolicy; each gets a ConfigMap env file and its Secret placeholders. The base
 * is production-shaped; the dev overlay's patches (where its servers differ: mailpit,
 * MinIO, payments without Stripe) are generated from the same table, so an overlay
 * can never run a command that processes.ts would not compute. k8s_test.ts fails
 * when the committed files differ from what this script writes.
 */
import { stringify } from "yaml";
import {
  DATABASE_SERVICES,
  hostPort,
  LOCAL_TEST_PAYMENTS,
  PROCESSES,
  type ProcessName,
  type ProcessSpec,
  serveArgs,
  STRIPE_API_URL,
} from "../../scripts/processes.ts";

/** Label that NetworkPolicies select the stateful servers by (set on dev's StatefulSets and on the operators' pods in prod). */
export const SERVER_LABEL = "marketplace/server";
/** The label every pod of a process carries: its name. */
export const NAME_LABEL = "app.kubernetes.io/name";
/** The namespace of the ingress controller, the only source of traffic to the gateway. */
export const INGRESS_NAMESPACE = "ingress-nginx";
/** uid/gid of the `deno` user of the denoland/deno image. */
export const DENO_UID = 1993;

/** Where the servers of one environment are, and how orders pays. */
export interface Environment {
  /** PostgreSQL read-write endpoint (CloudNativePG's `<cluster>-rw` Service). */
  postgres: string;
  amqp: string;
  redis: string;
  /** SMTP relay; notifications' `--allow-net` names its host:port. */
  smtpUrl: string;
  /** S3 endpoint of media. */
  objectStoreUrl: string;
  /** The object store as browsers reach it (S3_PUBLIC_URL: presigned URLs, the site's CSP). */
  objectStorePublicUrl: string;
  paymentsMode: "stripe" | typeof LOCAL_TEST_PAYMENTS;
  /** The site's public address (links in mail, Stripe's return URLs, CORS). */
  publicUrl: string;
  /**
   * Where traffic to the SMTP relay and the object store may go: a server pod of the
   * namespace (dev) or outside the cluster (prod).
   */
  smtpServer?: string;
  objectStoreServer?: string;
}

/** Production (the base): operators' Services, an external SMTP relay and S3, Stripe. */
export const PROD: Environment = {
  postgres: "postgres-rw",
  amqp: "rabbitmq",
  redis: "redis",
  smtpUrl: "smtp://smtp.example.com:587",
  objectStoreUrl: "https://s3.eu-west-1.amazonaws.com",
  objectStorePublicUrl: "https://s3.eu-west-1.amazonaws.com",
  paymentsMode: "stripe",
  publicUrl: "https://marketplace.example.com",
};

/** dev: plain StatefulSets under the same Service names, mailpit and MinIO in the namespace, no Stripe. */
export const DEV: Environment = {
  ...PROD,
  smtpUrl: "smtp://mailpit:1025",
  objectStoreUrl: "http://minio:9000",
  objectStorePublicUrl: "http://localhost:9000",
  paymentsMode: LOCAL_TEST_PAYMENTS,
  // Reached with `kubectl port-forward svc/gateway 8000`.
  publicUrl: "http://localhost:8000",
  smtpServer: "mailpit",
  objectStoreServer: "minio",
};

const POSTGRES_PORT = 5432;
const AMQP_PORT = 5672;
const REDIS_PORT = 6379;
/** Outside the cluster: anything but the private ranges (NetworkPolicy has no host names). */
const INTERNET = {
  ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] },
};

function labels(name: string): Record<string, string> {
  return { [NAME_LABEL]: name, "app.kubernetes.io/part-of": "marketplace" };
}

/** The variables of a process that are not secret, as its ConfigMap's env file holds them. */
export function configOf(spec: ProcessSpec, env: Environment): Record<string, string> {
  const config: Record<string, string> = {};
  if (spec.uses.database) {
    // No password in the URL: npm:postgres takes it from PGPASSWORD (a Secret).
    config.DATABASE_URL =
      `postgres://mp_${spec.name}@${env.postgres}:${POSTGRES_PORT}/mp_${spec.name}`;
  }
  if (spec.runs) {
    config[spec.runs.hostVariable] = "0.0.0.0";
    config[spec.runs.portVariable] = String(spec.port);
  }
  if (spec.metrics) {
    config[spec.metrics.hostVariable] = "0.0.0.0";
    config[spec.metrics.portVariable] = String(spec.metrics.port);
  }
  if (spec.name === "gateway") {
    for (const upstream of spec.uses.upstreams ?? []) {
      config[`${upstream.toUpperCase()}_URL`] = `http://${upstream}:${portOf(upstream)}`;
    }
    config.PUBLIC_URL = env.publicUrl;
    // The site's CSP names the object store: pages upload to it and show its pictures.
    config.S3_PUBLIC_URL = env.objectStorePublicUrl;
    config.LOG_LEVEL = "info";
    // Behind exactly one reverse proxy, the ingress controller, which appends the address
    // it saw to X-Forwarded-For: without this every client would share the controller's
    // address and its rate limits (gateway/README.md, "Client address and TRUST_PROXY").
    config.TRUST_PROXY = "true";
  }
  if (spec.uses.stripe) {
    config.PAYMENTS_MODE = env.paymentsMode;
    config.PUBLIC_URL = env.publicUrl;
  }
  if (spec.uses.smtp) {
    config.MAIL_FROM = "Marketplace <no-reply@marketplace.example.com>";
    config.PUBLIC_URL = env.publicUrl;
  }
  if (spec.uses.objectStore) {
    config.S3_ENDPOINT = env.objectStoreUrl;
    config.S3_PUBLIC_URL = env.objectStorePublicUrl;
    config.S3_REGION = "eu-west-1";
    config.S3_BUCKET = "marketplace-media";
    // The bucket's CORS rule lets the site's pages upload (services/media/README.md).
    config.PUBLIC_URL = env.publicUrl;
  }
  return config;
}

/** Keys of the Secret of a process (placeholders in the base), beside PGPASSWORD. */
export function secretKeysOf(spec: ProcessSpec): string[] {
  const keys: string[] = [];
  if (spec.name === "gateway") keys.push("JWT_PRIVATE_JWK");
  if (spec.uses.stripe) keys.push("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET");
  if (spec.uses.smtp) keys.push("SMTP_URL");
  if (spec.uses.objectStore) keys.push("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY");
  return keys;
}

/** Variables shared by every service (ConfigMap `common`); the gateway has its own. */
export const COMMON_KEYS = ["EVENTS_EXCHANGE", "JWT_JWKS", "LOG_LEVEL"];

function portOf(name: ProcessName): number {
  return PROCESSES.find((p) => p.name === name)!.port;
}

/** The arguments of a process's container: exactly `serveArgs` for this environment. */
export function argsOf(spec: ProcessSpec, env: Environment): string[] {
  return serveArgs(spec, {
    root: "/app",
    host: "0.0.0.0",
    port: spec.port,
    databaseUrl: configOf(spec, env).DATABASE_URL,
    amqpUrl: `amqp://${env.amqp}:${AMQP_PORT}`,
    redisUrl: `redis://${env.redis}:${REDIS_PORT}`,
    smtpUrl: env.smtpUrl,
    objectStoreUrl: env.objectStoreUrl,
    paymentsMode: env.paymentsMode,
    stripeApiUrl: STRIPE_API_URL,
    upstreams: Object.fromEntries(
      PROCESSES.map((p) => [p.name, `http://${p.name}:${p.port}`]),
    ),
  });
}

function deployment(spec: ProcessSpec, env: Environment) {
  const envFrom: unknown[] = [];
  if (spec.name !== "gateway") envFrom.push({ configMapRef: { name: "common" } });
  envFrom.push({ configMapRef: { name: `${spec.name}-config` } });
  if (spec.uses.broker) envFrom.push({ secretRef: { name: "amqp" } });
  if (spec.uses.redis) envFrom.push({ secretRef: { name: "redis" } });
  if (secretKeysOf(spec).length) envFrom.push({ secretRef: { name: `${spec.name}-secrets` } });
  const ports = [{ name: "http", containerPort: spec.port, protocol: "TCP" }];
  if (spec.metrics) {
    ports.push({ name: "metrics", containerPort: spec.metrics.port, protocol: "TCP" });
  }
  const container: Record<string, unknown> = {
    name: spec.name,
    image: "marketplace/deno",
    args: argsOf(spec, env),
    ports,
    envFrom,
    ...(spec.uses.database
      ? {
        env: [{
          name: "PGPASSWORD",
          valueFrom: { secretKeyRef: { name: `${spec.name}-db`, key: "password" } },
        }],
      }
      : {}),
    // Migrations run at start-up: the startup probe gives them a minute before liveness counts.
    startupProbe: probe("/livez", { periodSeconds: 2, failureThreshold: 30 }),
    livenessProbe: probe("/livez", { periodSeconds: 10, failureThreshold: 3 }),
    // /readyz checks the process's own servers (database, broker, Redis): out of the
    // Service's endpoints while they are unreachable, without being restarted.
    readinessProbe: probe("/readyz", { periodSeconds: 5, failureThreshold: 2 }),
    resources: {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "1", memory: spec.name === "auth" ? "512Mi" : "256Mi" },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: {
      replicas: 2,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { [NAME_LABEL]: spec.name } },
      // A new pod is ready before an old one goes: a rollout never lowers capacity.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: labels(spec.name) },
        spec: {
          // No API access, and no <SERVICE>_SERVICE_HOST variables: a process is given
          // only the variables it reads (and bare --allow-env ones must not see others).
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: DENO_UID,
            runAsGroup: DENO_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [container],
        },
      },
    },
  };
}

function probe(path: string, timing: { periodSeconds: number; failureThreshold: number }) {
  return { httpGet: { path, port: "http" }, timeoutSeconds: 2, ...timing };
}

function service(spec: ProcessSpec) {
  const ports = [{ name: "http", port: spec.port, targetPort: "http", protocol: "TCP" }];
  if (spec.metrics) {
    ports.push({
      name: "metrics",
      port: spec.metrics.port,
      targetPort: "metrics",
      protocol: "TCP",
    });
  }
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: { type: "ClusterIP", selector: { [NAME_LABEL]: spec.name }, ports },
  };
}

function disruptionBudget(spec: ProcessSpec) {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: spec.name, labels: labels(spec.name) },
    // maxUnavailable rather than minAvailable: a drain still proceeds with one replica (dev).
    spec: { maxUnavailable: 1, selector: { matchLabels: { [NAME_LABEL]: spec.name } } },
  };
}

function autoscaler(spec: ProcessSpec) {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: spec.name },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
      }],
    },
  };
}

function tcp(port: number) {
  return { protocol: "TCP", port };
}

function server(name: string) {
  return { podSelector: { matchLabels: { [SERVER_LABEL]: name } } };
}

/** Egress rules of a process in an environment: its servers only (DNS comes from `allow-dns`). */
export function egressOf(spec: ProcessSpec, env: Environment): unknown[] {
  const rules: unknown[] = [];
  if (spec.uses.database) rules.push({ to: [server("postgres")], ports: [tcp(POSTGRES_PORT)] });
  if (spec.uses.broker) rules.push({ to: [server("rabbitmq")], ports: [tcp(AMQP_PORT)] });
  if (spec.uses.redis) rules.push({ to: [server("redis")], ports: [tcp(REDIS_PORT)] });
  if (spec.uses.smtp) {
    const port = Number(hostPort(env.smtpUrl).split(":")[1]);
    rules.push({
      to: [env.smtpServer ? server(env.smtpServer) : INTERNET],
      ports: [tcp(port)],
    });
  }
  if (spec.uses.objectStore) {
    const port = Number(hostPort(env.objectStoreUrl).split(":")[1]);
    rules.push({
      to: [env.objectStoreServer ? server(env.objectStoreServer) : INTERNET],
      ports: [tcp(port)],
    });
  }
  if (spec.uses.stripe && env.paymentsMode !== LOCAL_TEST_PAYMENTS) {
    rules.push({ to: [INTERNET], ports: [tcp(443)] });
  }
  for (const upstream of spec.uses.upstreams ?? []) {
    rules.push({
      to: [{ podSelector: { matchLabels: { [NAME_LABEL]: upstream } } }],
      ports: [tcp(portOf(upstream))],
    });
  }
  return rules;
}

function networkPolicy(spec: ProcessSpec, env: Environment) {
  // The gateway is reached from the ingress controller; every service (realtime too)
  // from the gateway alone.
  const from = spec.name === "gateway"
    ? [{
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": INGRESS_NAMESPACE } },
    }]
    : [{ podSelector: { matchLabels: { [NAME_LABEL]: "gateway" } } }];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: spec.name, labels: labels(spec.name) },
    spec: {
      podSelector: { matchLabels: { [NAME_LABEL]: spec.name } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from, ports: [tcp(spec.port)] }],
      egress: egressOf(spec, env),
    },
  };
}

/** Ingress of the stateful servers: from the processes that use each, on its port. */
function serverPolicies() {
  const clients = (use: "database" | "broker" | "redis") =>
    PROCESSES.filter((p) => p.uses[use]).map((p) => p.name);
  const policy = (name: string, port: number, users: string[]) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `${name}-clients`, labels: { "app.kubernetes.io/part-of": "marketplace" } },
    spec: {
      podSelector: { matchLabels: { [SERVER_LABEL]: name } },
      policyTypes: ["Ingress"],
      ingress: [{
        from: [{
          podSelector: {
            matchExpressions: [{ key: NAME_LABEL, operator: "In", values: users }],
          },
        }],
        ports: [tcp(port)],
      }],
    },
  });
  return [
    policy("postgres", POSTGRES_PORT, [...DATABASE_SERVICES]),
    policy("rabbitmq", AMQP_PORT, clients("broker")),
    policy("redis", REDIS_PORT, clients("redis")),
  ];
}

function secrets() {
  const placeholder = "CHANGE_ME";
  const docs: unknown[] = [];
  for (const name of DATABASE_SERVICES) {
    // basic-auth: the shape CloudNativePG's managed roles read (prod overlay), so one
    // Secret sets the role's password and the service's login.
    docs.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${name}-db`, labels: labels(name) },
      type: "kubernetes.io/basic-auth",
      stringData: { username: `mp_${name}`, password: placeholder },
    });
  }
  docs.push({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "amqp", labels: { "app.kubernetes.io/part-of": "marketplace" } },
    type: "Opaque",
    stringData: { AMQP_URL: `amqp://marketplace:${placeholder}@${PROD.amqp}:${AMQP_PORT}` },
  });
  docs.push({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "redis", labels: { "app.kubernetes.io/part-of": "marketplace" } },
    type: "Opaque",
    stringData: { REDIS_URL: `redis://:${placeholder}@${PROD.redis}:${REDIS_PORT}` },
  });
  for (const spec of PROCESSES) {
    const keys = secretKeysOf(spec);
    if (!keys.length) continue;
    const data: Record<string, string> = {};
    for (const key of keys) {
      data[key] = key === "SMTP_URL"
        ? PROD.smtpUrl.replace("://", `://marketplace:${placeholder}@`)
        : placeholder;
    }
    docs.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${spec.name}-secrets`, labels: labels(spec.name) },
      type: "Opaque",
      stringData: data,
    });
  }
  return docs;
}

function envFile(values: Record<string, string>): string {
  return Object.entries(values).map(([key, value]) => `${key}=${value}`).join("\n") + "\n";
}

function yamlDocs(docs: unknown[]): string {
  return docs.map((doc) => stringify(doc, { lineWidth: 0 })).join("---\n");
}

const HEADER = "# Generated by deploy/k8s/generate.ts from scripts/processes.ts; do not edit.\n";

/** Every generated file, by path relative to deploy/k8s/. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of PROCESSES) {
    files.set(
      `base/generated/${spec.name}.yaml`,
      HEADER + yamlDocs([
        deployment(spec, PROD),
        service(spec),
        disruptionBudget(spec),
        autoscaler(spec),
        networkPolicy(spec, PROD),
      ]),
    );
    files.set(`base/generated/${spec.name}.env`, envFile(configOf(spec, PROD)));
  }
  files.set("base/generated/secrets.yaml", HEADER + yamlDocs(secrets()));
  files.set("base/generated/server-policies.yaml", HEADER + yamlDocs(serverPolicies()));
  // dev: the processes whose command or egress differs from the base's.
  const patches: unknown[] = [];
  for (const spec of PROCESSES) {
    // One replica each (the HorizontalPodAutoscaler may add one), and the command of
    // dev's servers where it differs.
    const args = argsOf(spec, DEV);
    const container = JSON.stringify(args) !== JSON.stringify(argsOf(spec, PROD))
      ? { template: { spec: { containers: [{ name: spec.name, args }] } } }
      : {};
    patches.push(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: spec.name },
        spec: { replicas: 1, ...container },
      },
      {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: spec.name },
        spec: { minReplicas: 1, maxReplicas: 2 },
      },
    );
    const egress = egressOf(spec, DEV);
    if (JSON.stringify(egress) !== JSON.stringify(egressOf(spec, PROD))) {
      patches.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: spec.name },
        spec: { egress },
      });
    }
    const config = configOf(spec, DEV);
    const base = configOf(spec, PROD);
    const changed = Object.fromEntries(
      Object.entries(config).filter(([key, value]) => base[key] !== value),
    );
    if (Object.keys(changed).length) {
      files.set(`overlays/dev/generated/${spec.name}.env`, envFile(changed));
    }
  }
  files.set("overlays/dev/generated/patches.yaml", HEADER + yamlDocs(patches));
  // dev's PostgreSQL creates each service's role and database with the script
  // docker-compose runs (one source for both).
  files.set(
    "overlays/dev/generated/init-services.sh",
    Deno.readTextFileSync(new URL("../../infra/postgres/init-services.sh", import.meta.url)),
  );
  return files;
}

if (import.meta.main) {
  const root = new URL("./", import.meta.url);
  for (const [path, text] of generatedFiles()) {
    const url = new URL(path, root);
    await Deno.mkdir(new URL("./", url), { recursive: true });
    await Deno.writeTextFile(url, text);
    console.log(`wrote deploy/k8s/${path}`);
  }
}
