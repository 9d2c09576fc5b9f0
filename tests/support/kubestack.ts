// The staging stack on the local Kubernetes (scripts/kube.sh), for its end-to-end and fault tests:
// Pulumi.staging.yaml's config with only what this machine forces overridden (STAGING_OVERRIDES
// says which and why; a test checks nothing else differs), up through the real engine with the
// official kubernetes provider, and the handles a fault test needs: pods, Deployments, the sink's
// record, the management API (the client Service, which the host reaches through kube-proxy), the
// forward of it on loopback that `pulumi` uses, and the cluster's health.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { amqpUrl } from "../../components/alerting/consumer-plan";
import { loadWarrenSpec } from "../../components/config/spec";
import { readStackConfig } from "../../components/config/stack-file";
import {
  CHANNELS,
  type QueueInfo,
  SinkClient,
  VHOST,
  alertingQueues,
  channelRoutes,
  freeRange,
  prepareDocker,
  runningNodes,
} from "./devstack";
import { type TestProject, testProject } from "./engine";
import { PROJECT_DIR } from "./program";
import { until } from "./wait";

export const NAMESPACE = "warren";
export const SINK_NAMESPACE = "warren-sink";
export const STORAGE_CLASS = "warren-local";
const SINK_IMAGE = "warren/sink:0.1.0";
const SINK_HOST = `sink.${SINK_NAMESPACE}.svc.cluster.local`;

const KUBE_SH = path.join(PROJECT_DIR, "scripts", "kube.sh");

export function run(cmd: string, args: string[], timeoutMs = 120_000, input?: string): string {
  return execFileSync(cmd, args, {
    encoding: "utf8",
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    input,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

export const kubectl = (...args: string[]) => run("kubectl", args);
export const kubectlIn = (input: string, ...args: string[]) => run("kubectl", args, 120_000, input);

/**
 * The local cluster up (built and started when needed) with the stack's images imported;
 * sets KUBECONFIG for this process and the engine it starts.
 */
export function prepareKubernetes(): void {
  const images = prepareDocker();
  const env = run("bash", [KUBE_SH, "up"], 3_600_000);
  const m = /^export KUBECONFIG=(.+)$/m.exec(env);
  if (!m) throw new Error(`scripts/kube.sh up printed no KUBECONFIG: ${env}`);
  process.env.KUBECONFIG = m[1];
  run("bash", [KUBE_SH, "images", ...images], 600_000);
  run("bash", [KUBE_SH, "recycle-volumes"], 120_000);
}

/** Packets the fence dropped since `scripts/kube.sh up`. */
export function fenceCount(): number {
  return Number(run("bash", [KUBE_SH, "fence-count"]));
}

/**
 * What this machine forces to differ from Pulumi.staging.yaml, with the reason; every other key
 * must be staging's own (tests/e2e/staging-kubernetes.test.ts checks it).
 */
export const STAGING_OVERRIDES: Record<string, string> = {
  "warren:kubernetes.managementUrl":
    "the test's forward of the management API listens on a free loopback port, not on 15672",
  "warren:cluster.image": "the locally built RabbitMQ image (scripts/images): no registry here",
  "warren:cluster.storage.data.storageClass": "the local cluster's pre-created local volumes",
  "warren:cluster.storage.logs.storageClass": "the local cluster's pre-created local volumes",
  "warren:cluster.resources.requests.cpu":
    "one node with 2 CPUs: 3 nodes x 1 CPU requested would never be scheduled",
  "warren:consumers.resources.requests.cpu":
    "one node with 2 CPUs: 12 dispatcher pods x 100m do not fit beside the nodes",
  "warren:consumers.channels":
    "every channel's target is the in-cluster sink (staging's real targets are secrets set per stack)",
};

/** The channels' targets: the sink in the cluster (HTTP hooks and SMTP), as the dev stack's. */
function sinkTargets(): Record<string, { target: Record<string, unknown> }> {
  const hook = (c: string) => `http://${SINK_HOST}:8080/hook/${c}`;
  return {
    wechat: { target: { url: hook("wechat") } },
    wecom: { target: { webhookUrl: hook("wecom") } },
    dingtalk: { target: { webhookUrl: hook("dingtalk") } },
    email: {
      target: {
        smtpHost: SINK_HOST,
        smtpPort: 2525,
        smtpTls: "none",
        from: "alerts@staging.invalid",
        to: ["oncall@staging.invalid"],
      },
    },
    sms: { target: { url: hook("sms") } },
    phone: { target: { url: hook("phone") } },
  };
}

/** The staging stack file's config, as it is. */
export function stagingConfig(): Record<string, unknown> {
  return readStackConfig({ file: path.join(PROJECT_DIR, "Pulumi.staging.yaml") });
}

/** Staging's config with STAGING_OVERRIDES applied. */
interface StagingShape {
  "warren:kubernetes": { managementUrl: string };
  "warren:cluster": {
    image: string;
    storage: { data: { storageClass?: string }; logs: { storageClass?: string } };
    resources: { requests: { cpu: string } };
  };
  "warren:consumers": { resources?: unknown; channels: unknown };
}

export function localStagingConfig(managementPort: number): Record<string, unknown> {
  const config = structuredClone(stagingConfig());
  const staging = config as unknown as StagingShape;
  staging["warren:kubernetes"].managementUrl = `http://127.0.0.1:${managementPort}`;
  const cluster = staging["warren:cluster"];
  cluster.image = "warren/rabbitmq:3.10.8-bookworm";
  cluster.storage.data.storageClass = STORAGE_CLASS;
  cluster.storage.logs.storageClass = STORAGE_CLASS;
  cluster.resources.requests.cpu = "250m";
  const consumers = staging["warren:consumers"];
  consumers.resources = { requests: { cpu: "20m" } };
  consumers.channels = sinkTargets();
  return config;
}

/** The sink's Namespace, Deployment and Service, applied with kubectl (a test part, not warren's). */
export function deploySink(): void {
  const manifest = {
    apiVersion: "v1",
    kind: "List",
    items: [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: SINK_NAMESPACE } },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "sink", namespace: SINK_NAMESPACE },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "sink" } },
          template: {
            metadata: { labels: { app: "sink" } },
            spec: {
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 1000,
                runAsGroup: 1000,
                fsGroup: 1000,
              },
              containers: [
                {
                  name: "sink",
                  image: SINK_IMAGE,
                  imagePullPolicy: "IfNotPresent",
                  env: [{ name: "WARREN_SINK_DATA_DIR", value: "/data" }],
                  ports: [
                    { name: "http", containerPort: 8080 },
                    { name: "smtp", containerPort: 2525 },
                  ],
                  readinessProbe: { httpGet: { path: "/status", port: "http" }, periodSeconds: 2 },
                  resources: {
                    requests: { cpu: "20m", memory: "64Mi" },
                    limits: { memory: "256Mi" },
                  },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                  },
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
              volumes: [{ name: "data", emptyDir: {} }],
            },
          },
        },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "sink", namespace: SINK_NAMESPACE },
        spec: {
          selector: { app: "sink" },
          ports: [
            { name: "http", port: 8080, targetPort: "http" },
            { name: "smtp", port: 2525, targetPort: "smtp" },
          ],
        },
      },
    ],
  };
  kubectlIn(JSON.stringify(manifest), "apply", "-f", "-");
  run(
    "kubectl",
    ["-n", SINK_NAMESPACE, "rollout", "status", "deploy/sink", "--timeout=180s"],
    200_000,
  );
}

export function removeSink(): void {
  run(
    "kubectl",
    ["delete", "namespace", SINK_NAMESPACE, "--ignore-not-found", "--wait=true"],
    300_000,
  );
}

/** A Service's cluster IP (the host reaches it through kube-proxy). */
export function clusterIp(namespace: string, service: string): string {
  return kubectl("-n", namespace, "get", "service", service, "-o", "jsonpath={.spec.clusterIP}");
}

/**
 * The management API on a loopback port for `pulumi`, as staging's stack file has its users
 * forward it: each connection is piped to the client Service's cluster IP, which the host reaches
 * through kube-proxy (so a node pod going away costs a connection, not the forward, which
 * `kubectl port-forward` ties to one pod). The cluster IP is looked up when a connection comes
 * and the Service exists; a connection before that is refused.
 */
export class ServiceForward {
  private readonly server: net.Server;
  private ip?: string;

  constructor(
    readonly port: number,
    private readonly namespace: string,
    private readonly service: string,
    private readonly remotePort: number,
  ) {
    this.server = net.createServer((client) => {
      client.on("error", () => client.destroy());
      const target = this.target();
      if (!target) {
        client.destroy();
        return;
      }
      const upstream = net.connect({ host: target, port: this.remotePort });
      upstream.on("error", () => {
        client.destroy();
        this.ip = undefined; // looked up again next time (the Service may have been re-made)
      });
      client.pipe(upstream).pipe(client);
    });
    this.server.listen(port, "127.0.0.1");
  }

  private target(): string | undefined {
    if (!this.ip) {
      try {
        this.ip = clusterIp(this.namespace, this.service) || undefined;
      } catch {
        return undefined;
      }
    }
    return this.ip;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface PodInfo {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status: {
    phase: string;
    podIP?: string;
    containerStatuses?: { name: string; ready: boolean; restartCount: number }[];
  };
}

export class KubeStack {
  readonly sink: SinkClient;

  private constructor(
    readonly project: TestProject,
    readonly stack: Stack,
    readonly config: Record<string, unknown>,
    readonly forward: ServiceForward,
    public outputs: OutputMap = {},
  ) {
    this.sink = new SinkClient(`http://${clusterIp(SINK_NAMESPACE, "sink")}:8080`);
  }

  /** The local staging stack, not yet up: its project, the sink deployed, the port-forward running. */
  static async create(): Promise<KubeStack> {
    deploySink();
    const port = await freeRange(1);
    const config = localStagingConfig(port);
    const project = await testProject();
    const stack = await project.stack("staging-local", config);
    const forward = new ServiceForward(port, NAMESPACE, "warren", 15672);
    return new KubeStack(project, stack, config, forward);
  }

  /** Replicas the stack's config asks for. */
  get replicas(): number {
    const spec = loadWarrenSpec(this.config);
    return spec.runtime === "kubernetes" ? spec.cluster.replicas : 0;
  }

  /** The node pods, by ordinal: warren-0, warren-1, ... */
  get nodes(): string[] {
    return Array.from({ length: this.replicas }, (_, i) => `warren-${i}`);
  }

  setConfig(config: Record<string, unknown>): void {
    (this as { config: Record<string, unknown> }).config = config;
    this.project.setConfig(this.stack, config);
  }

  async up(): Promise<OutputMap> {
    const r = await this.stack.up({ color: "never" });
    this.outputs = r.outputs;
    return r.outputs;
  }

  private get authHeader(): string {
    return (
      "Basic " +
      Buffer.from(`warren-admin:${this.outputs.adminPassword.value as string}`).toString("base64")
    );
  }

  /** AMQP URL of the client Service (every ready node behind it) for a user (default: the producer). */
  amqpUrls(user = "alerts-producer"): string[] {
    const pass = (this.outputs.credentials.value as Record<string, string>)[user];
    const host = clusterIp(NAMESPACE, "warren");
    return [amqpUrl(user, pass, `${host}:5672`, VHOST)];
  }

  /** TLS is not available on Kubernetes yet (validate.ts): plain AMQP. */
  amqpTls(): undefined {
    return undefined;
  }

  /** The channels an alert with this routing key reaches, as `warren routes` says. */
  routesOf(): (key: string) => string[] {
    return channelRoutes(this.config);
  }

  /** A management API call through the client Service. */
  async mgmt<T>(apiPath: string, init: RequestInit = {}): Promise<T> {
    const r = await fetch(`http://${clusterIp(NAMESPACE, "warren")}:15672${apiPath}`, {
      ...init,
      headers: {
        authorization: this.authHeader,
        "content-type": "application/json",
        ...(init.headers ?? {}),
      },
      signal: AbortSignal.timeout(10_000),
    });
    if (!r.ok)
      throw new Error(`${init.method ?? "GET"} ${apiPath}: HTTP ${r.status} ${await r.text()}`);
    const text = await r.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  queues(): Promise<QueueInfo[]> {
    return alertingQueues((p) => this.mgmt(p));
  }

  runningNodes(): Promise<string[]> {
    return runningNodes((p) => this.mgmt(p));
  }

  /** The Erlang node name of a node pod. */
  nodeName(pod: string): string {
    return `rabbit@${pod}.warren-nodes.${NAMESPACE}`; // the renderer's long name (resolved through the search path)
  }

  /** The pod of an Erlang node name. */
  podOf(node: string): string {
    return node.replace(/^rabbit@/, "").split(".")[0];
  }

  pods(namespace: string, selector: string): PodInfo[] {
    return (
      JSON.parse(kubectl("-n", namespace, "get", "pods", "-l", selector, "-o", "json")) as {
        items: PodInfo[];
      }
    ).items;
  }

  /** Dispatcher pods (of one channel). */
  dispatcherPods(channel?: string): PodInfo[] {
    const selector = "app.kubernetes.io/component=consumer";
    return this.pods(NAMESPACE, channel ? `${selector},warren.dev/channel=${channel}` : selector);
  }

  /** What is wrong with the cluster's health, or undefined when all is well. */
  async unhealthy(): Promise<string | undefined> {
    const running = await this.runningNodes();
    const want = this.nodes.map((p) => this.nodeName(p)).sort();
    if (running.join() !== want.join()) return `running nodes ${JSON.stringify(running)}`;
    const minMembers = Math.min(3, this.replicas);
    for (const q of await this.queues()) {
      if (q.type !== "quorum") continue;
      const members = q.members ?? [];
      if ((q.online ?? []).length !== members.length || members.length < minMembers)
        return `queue ${q.name}: members ${JSON.stringify(q.members)} online ${JSON.stringify(q.online)}`;
      if (CHANNELS.some((c) => q.name === `alerts.${c}`) && !q.consumers)
        return `queue ${q.name} has no consumer`;
    }
    const notReady = this.pods(NAMESPACE, "app.kubernetes.io/component").filter(
      (p) =>
        p.metadata.deletionTimestamp ||
        p.status.phase !== "Running" ||
        !(p.status.containerStatuses ?? []).every((c) => c.ready),
    );
    if (notReady.length)
      return `pods not ready: ${notReady.map((p) => p.metadata.name).join(", ")}`;
    return undefined;
  }

  async healthy(timeoutMs = 300_000): Promise<void> {
    await until(
      "the cluster healthy again (all nodes running, all queue members online, every pod ready)",
      async () => (await this.unhealthy()) === undefined,
      timeoutMs,
      1000,
      { tolerateErrors: true },
    );
  }

  /** The node pod that leads most channel queues. */
  async busiestNode(): Promise<string> {
    const score = new Map<string, number>(this.nodes.map((p) => [this.nodeName(p), 0]));
    for (const q of await this.queues())
      if (q.leader && CHANNELS.some((c) => q.name === `alerts.${c}`))
        score.set(q.leader, (score.get(q.leader) ?? 0) + 1);
    return [...score.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
  }

  /** Restart counts of every container of the stack's pods and the sink, by pod/container. */
  restarts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const ns of [NAMESPACE, SINK_NAMESPACE])
      for (const p of (
        JSON.parse(kubectl("-n", ns, "get", "pods", "-o", "json")) as { items: PodInfo[] }
      ).items)
        for (const c of p.status.containerStatuses ?? [])
          out[`${ns}/${p.metadata.name}/${c.name}`] = c.restartCount;
    return out;
  }

  /** Lets go of the stack without destroying it: the port-forward stopped, the project removed. */
  async release(): Promise<void> {
    await this.forward.stop();
    this.project.dispose();
  }

  async dispose(): Promise<void> {
    try {
      await this.stack.destroy({ color: "never" }).catch(() => undefined);
    } finally {
      await this.forward.stop();
      this.project.dispose();
      for (const ns of [NAMESPACE, SINK_NAMESPACE])
        run("kubectl", ["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    }
  }
}

/**
 * What `scripts/kube.sh down` must leave as it found: iptables and ip6tables rules, interfaces
 * and addresses, the host's mounts, cgroups, and processes of the cluster (its binaries, or
 * anything started with its state folder).
 */
export function machineState(): Record<string, string[]> {
  const lines = (s: string) =>
    s
      .split("\n")
      .map((l) => l.replace(/\[\d+:\d+\]/g, "").trim())
      .filter((l) => l && !l.startsWith("#"));
  const state = path.join(PROJECT_DIR, ".kube-local");
  const ours: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const exe = fs.readlinkSync(`/proc/${pid}/exe`);
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (exe.includes("/.toolchain/kube/") || exe.endsWith("/etcd") || cmd.includes(state))
        ours.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return {
    iptables: withoutEmptyTables(lines(run("iptables-save", []))),
    ip6tables: withoutEmptyTables(lines(run("ip6tables-save", []))),
    links: lines(run("ip", ["-br", "link"])).map((l) => l.split(/\s+/)[0]),
    addresses: lines(run("ip", ["-br", "addr"])),
    mounts: lines(fs.readFileSync("/proc/self/mounts", "utf8")).filter(
      (l) => !l.includes("/proc/"),
    ),
    cgroups: fs
      .readdirSync("/sys/fs/cgroup")
      .filter((h) => fs.existsSync(`/sys/fs/cgroup/${h}/warren-kube`)),
    processes: ours,
  };
}

/**
 * An iptables-save listing without the tables that hold nothing: no rules, no chains of their
 * own, every built-in chain accepting. The kernel creates such a table the first time anything
 * lists it (kube-proxy and the kubelet do), and it cannot be removed again short of unloading
 * the module, but it changes nothing; only on a machine that never had it does it show.
 */
export function withoutEmptyTables(listing: readonly string[]): string[] {
  const tables: string[][] = [];
  for (const l of listing)
    if (l.startsWith("*") || tables.length === 0) tables.push([l]);
    else tables[tables.length - 1].push(l);
  const empty = (t: readonly string[]) =>
    t.slice(1).every((l) => l === "COMMIT" || /^:[A-Z]+ ACCEPT$/.test(l));
  return tables.filter((t) => !(t[0].startsWith("*") && empty(t))).flat();
}

/** Whether the local cluster answers now (`scripts/kube.sh status`). */
export function kubeRunning(): boolean {
  try {
    run("bash", [KUBE_SH, "status"]);
    return true;
  } catch {
    return false;
  }
}

export function kubeDown(): void {
  run("bash", [KUBE_SH, "down"], 300_000);
}
