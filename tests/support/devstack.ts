// The dev stack on this machine's Docker, for the end-to-end tests and the soak run: the dev
// stack file's config with only its own network and ports (so it never meets a real `npm run up`),
// up through the real engine, and the handles a fault test needs: the nodes and dispatchers by
// container, the sink's record, the management API through any running node, and the cluster's
// health (every node running, every quorum queue with all its members online).
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import type { ConnectionOptions } from "node:tls";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { loadWarrenSpec } from "../../components/config/spec";
import { readStackConfig } from "../../components/config/stack-file";
import { amqpUrl } from "../../components/alerting/consumer-plan";
import {
  type ManagementConnection,
  type Method,
  callApi,
} from "../../components/topology/management";
import { RoutingTable } from "../../components/topology/routing";
import { type TestProject, testProject } from "./engine";
import { isFree } from "./processes";
import { PROJECT_DIR } from "./program";
import { until } from "./wait";

export const SEVERITIES = ["info", "warning", "error", "critical"] as const;
export const CHANNELS = ["wechat", "wecom", "dingtalk", "email", "sms", "phone"] as const;
export const VHOST = "alerting";
/** The dev stack's DingTalk signing secret, set as a secret (path) config value by DevStack.create. */
export const DINGTALK_SECRET_KEY = "warren:consumers.channels.dingtalk.target.secret";

export function sh(cmd: string, args: string[], timeoutMs = 120_000): string {
  return execFileSync(cmd, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
  }).trim();
}
export const docker = (...args: string[]) => sh("docker", args);

/**
 * `n` consecutive ports free on 127.0.0.1, below the kernel's ephemeral range (32768+), so an
 * outgoing connection cannot take one between this check and Docker publishing it.
 */
export async function freeRange(n: number): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    const ok = await Promise.all(Array.from({ length: n }, (_, i) => isFree(p + i)));
    if (ok.every(Boolean)) return p;
  }
}

export interface SinkDelivery {
  readonly id: string;
  readonly t: number;
}

/** The sink's HTTP API (apps/sink). */
export class SinkClient {
  constructor(readonly url: string) {}
  private async call<T>(method: string, p: string): Promise<T> {
    const r = await fetch(`${this.url}${p}`, { method, signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`sink ${method} ${p}: HTTP ${r.status}`);
    return (await r.json()) as T;
  }
  deliveries(): Promise<Record<string, SinkDelivery[]>> {
    return this.call("GET", "/deliveries?detail=1");
  }
  status(): Promise<{ starts: number; restarts: number; deliveries: number }> {
    return this.call("GET", "/status");
  }
  reset(): Promise<unknown> {
    return this.call("POST", "/control/reset");
  }
  resetStarts(): Promise<unknown> {
    return this.call("POST", "/control/reset-starts");
  }
  failFor(ms: number): Promise<unknown> {
    return this.call("POST", `/control/fail?ms=${ms}`);
  }
  failNext(count: number): Promise<unknown> {
    return this.call("POST", `/control/fail?count=${count}`);
  }
  slowNext(count: number, ms: number): Promise<unknown> {
    return this.call("POST", `/control/slow?ms=${ms}&count=${count}`);
  }
}

export interface QueueInfo {
  name: string;
  type: string;
  leader?: string;
  members?: string[];
  online?: string[];
  messages?: number;
  consumers?: number;
}

/** The channels an alert with a routing key reaches under this config, as `warren routes` says. */
export function channelRoutes(config: Record<string, unknown>): (key: string) => string[] {
  const table = new RoutingTable(loadWarrenSpec(config).topology);
  const cache = new Map<string, string[]>();
  return (key) => {
    let r = cache.get(key);
    if (!r) {
      r = table
        .route({ vhost: VHOST, exchange: "alerts", routingKey: key })
        .filter(
          (q) => q.startsWith("alerts.") && (CHANNELS as readonly string[]).includes(q.slice(7)),
        )
        .map((q) => q.slice(7));
      cache.set(key, r);
    }
    return r;
  };
}

/** A management API GET (any runtime's way of reaching it). */
export type ManagementGet = <T>(apiPath: string) => Promise<T>;

/** The alerting vhost's queues with their leaders, members and consumers. */
export function alertingQueues(get: ManagementGet): Promise<QueueInfo[]> {
  return get<QueueInfo[]>(
    `/api/queues/${VHOST}?columns=name,type,leader,members,online,messages,consumers`,
  );
}

/** Erlang node names of the running cluster members, sorted. */
export async function runningNodes(get: ManagementGet): Promise<string[]> {
  const nodes = await get<{ name: string; running: boolean }[]>("/api/nodes?columns=name,running");
  return nodes
    .filter((n) => n.running)
    .map((n) => n.name)
    .sort();
}

export class DevStack {
  readonly sink: SinkClient;
  /** Node container names, node 1 first. */
  readonly nodes: string[];
  private readonly adminPassword: string;

  private constructor(
    readonly network: string,
    readonly project: TestProject,
    readonly stack: Stack,
    readonly outputs: OutputMap,
    readonly config: Record<string, unknown>,
    private readonly managementPort: number,
  ) {
    this.sink = new SinkClient(outputs.sinkUrl.value as string);
    this.nodes = [1, 2, 3].map((i) => `${network}-rabbit-${i}`);
    this.adminPassword = outputs.adminPassword.value as string;
  }

  /** The dev stack's config with this run's network and ports, as a new stack (not yet up). */
  static async create(network: string): Promise<{
    project: TestProject;
    stack: Stack;
    config: Record<string, unknown>;
    managementPort: number;
  }> {
    const dev = readStackConfig({ file: path.join(PROJECT_DIR, "Pulumi.dev.yaml") });
    const managementPort = await freeRange(3);
    const sinkPort = await freeRange(1);
    const config = {
      ...dev,
      "warren:docker": {
        network,
        managementPort,
        amqpPort: await freeRange(3),
        sink: { port: sinkPort },
      },
    };
    // The DingTalk signing secret as a user keeps a real one: a secret config value (the
    // committed dev file holds a public stand-in in plaintext, which the security suite would
    // rightly find in the state: the SDK hands all config to its dynamic-provider host).
    const consumers = structuredClone(dev["warren:consumers"]) as {
      channels: Record<string, { target: Record<string, unknown> }>;
    };
    const signing = String(consumers.channels.dingtalk.target.secret);
    delete consumers.channels.dingtalk.target.secret;
    const project = await testProject();
    const stack = await project.stack(
      "e2e",
      { ...config, "warren:consumers": consumers },
      { [DINGTALK_SECRET_KEY]: signing },
    );
    return { project, stack, config: { ...config, "warren:consumers": consumers }, managementPort };
  }

  /** Brings a new dev stack up (images built when missing) and returns its handle. */
  static async up(network: string, onOutput?: (line: string) => void): Promise<DevStack> {
    prepareDocker();
    const { project, stack, config, managementPort } = await DevStack.create(network);
    const r = await stack.up({ onOutput });
    return new DevStack(network, project, stack, r.outputs, config, managementPort);
  }

  /** A handle on a stack that is up already (after `create` + `stack.up()`). */
  static attach(
    network: string,
    project: TestProject,
    stack: Stack,
    outputs: OutputMap,
    config: Record<string, unknown>,
    managementPort: number,
  ): DevStack {
    return new DevStack(network, project, stack, outputs, config, managementPort);
  }

  /** The cluster's CA (stack output caCertificate) with its TLS on. */
  get ca(): string | undefined {
    return this.outputs.caCertificate?.value as string | undefined;
  }

  /**
   * AMQP URLs of every node for a user (default: the producer) with its password from the stack
   * (or the one given), from this machine; amqps:// with the cluster's TLS on.
   */
  amqpUrls(
    user = "alerts-producer",
    password = (this.outputs.credentials.value as Record<string, string>)[user],
  ): string[] {
    return (this.outputs.amqpEndpoints.value as string[]).map((e) =>
      amqpUrl(user, password, e, VHOST, this.ca !== undefined),
    );
  }

  /** TLS options for amqpUrls: trust the cluster's CA. */
  amqpTls(): ConnectionOptions | undefined {
    return this.ca ? { ca: [this.ca] } : undefined;
  }

  /** The channels an alert with this routing key reaches, as `warren routes` says. */
  routesOf(): (key: string) => string[] {
    return channelRoutes(this.config);
  }

  /**
   * A management API call (`apiPath` below `/api/`) through the first node that answers (any
   * node serves the whole cluster), over https trusting the cluster's CA when its TLS is on.
   */
  async mgmt<T>(apiPath: string, init: { method?: Method; body?: unknown } = {}): Promise<T> {
    let last: unknown;
    for (let i = 0; i < this.nodes.length; i++) {
      const c = this.management("warren-admin", this.adminPassword, i);
      try {
        const path = apiPath.replace(/^\/api\//, "");
        return (await callApi(c, init.method ?? "GET", path, init.body, {
          timeoutMs: 10_000,
        })) as T;
      } catch (e) {
        last = e;
      }
    }
    throw new Error(`no node's management API answered ${apiPath}: ${(last as Error)?.message}`);
  }

  /** Node `node`'s management API (from 0) as `user`, over https trusting the CA with TLS on. */
  management(user: string, password: string, node = 0): ManagementConnection {
    return {
      url: `${this.ca ? "https" : "http"}://127.0.0.1:${this.managementPort + node}`,
      username: user,
      password,
      ...(this.ca ? { ca: this.ca } : {}),
    };
  }

  queues(): Promise<QueueInfo[]> {
    return alertingQueues((p) => this.mgmt(p));
  }

  /** Erlang node names of the running cluster members. */
  runningNodes(): Promise<string[]> {
    return runningNodes((p) => this.mgmt(p));
  }

  /** The container of an Erlang node name (`rabbit@<container>`). */
  containerOf(node: string): string {
    return node.replace(/^rabbit@/, "");
  }

  /**
   * What is wrong with the cluster's health, or undefined when all is well: every node running
   * in the cluster, every quorum queue of the alerting vhost with all 3 members online, every
   * dispatcher container running, a consumer on every channel queue.
   */
  async unhealthy(): Promise<string | undefined> {
    const running = await this.runningNodes();
    const want = this.nodes.map((c) => `rabbit@${c}`).sort();
    if (running.join() !== want.join()) return `running nodes ${JSON.stringify(running)}`;
    for (const q of await this.queues()) {
      if (q.type !== "quorum") continue;
      if ((q.members ?? []).length !== 3 || (q.online ?? []).length !== 3)
        return `queue ${q.name}: members ${JSON.stringify(q.members)} online ${JSON.stringify(q.online)}`;
      if (CHANNELS.some((c) => q.name === `alerts.${c}`) && !q.consumers)
        return `queue ${q.name} has no consumer`;
    }
    const stopped = this.dispatchers().filter(
      (d) => docker("inspect", "-f", "{{.State.Running}}", d) !== "true",
    );
    if (stopped.length) return `dispatchers not running: ${stopped.join(", ")}`;
    return undefined;
  }

  /** Waits until the cluster is healthy again (see unhealthy). */
  async healthy(timeoutMs = 180_000): Promise<void> {
    await until(
      "the cluster healthy again (all nodes running, all queue members online, every channel consumed)",
      async () => (await this.unhealthy()) === undefined,
      timeoutMs,
      500,
      { tolerateErrors: true },
    );
  }

  /** Dispatcher container names. */
  dispatchers(channel?: string): string[] {
    return docker(
      "ps",
      "-a",
      "--format",
      "{{.Names}}",
      "--filter",
      `name=${this.network}-dispatcher-${channel ? `${channel}-` : ""}`,
    )
      .split("\n")
      .filter(Boolean)
      .sort();
  }

  /** The node that leads most channel queues and holds most dispatcher connections (a looked-up "primary"). */
  async busiestNode(): Promise<string> {
    const score = new Map<string, number>(this.nodes.map((c) => [`rabbit@${c}`, 0]));
    for (const q of await this.queues())
      if (q.leader && CHANNELS.some((c) => q.name === `alerts.${c}`))
        score.set(q.leader, (score.get(q.leader) ?? 0) + 2);
    const conns = await this.mgmt<{ node: string; user: string }[]>(
      "/api/connections?columns=node,user",
    );
    for (const c of conns)
      if (c.user.startsWith("alerts-consumer-")) score.set(c.node, (score.get(c.node) ?? 0) + 1);
    return [...score.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
  }

  /** Removes everything this stack made, by name as well (a failed run leaves things behind). */
  async dispose(): Promise<void> {
    try {
      await this.stack.destroy().catch(() => undefined);
    } finally {
      this.project.dispose();
      cleanupDocker(this.network);
    }
  }
}

/** A Docker daemon and the stack's images (scripts/docker.sh, scripts/images/build.sh); their tags. */
export function prepareDocker(): string[] {
  sh("bash", [path.join(PROJECT_DIR, "scripts", "docker.sh"), "ensure"], 600_000);
  return sh(
    "bash",
    [path.join(PROJECT_DIR, "scripts", "images", "build.sh"), "rabbitmq", "dispatcher", "sink"],
    1_200_000,
  )
    .split("\n")
    .filter(Boolean);
}

/** Removes this network's containers, volumes and the network itself, whatever is left. */
export function cleanupDocker(network: string): void {
  const leftovers = docker("ps", "-aq", "--filter", `name=${network}`).split("\n").filter(Boolean);
  if (leftovers.length) docker("rm", "-f", "-v", ...leftovers);
  for (const v of docker("volume", "ls", "-q", "--filter", `name=${network}`)
    .split("\n")
    .filter(Boolean))
    docker("volume", "rm", "-f", v);
  if (docker("network", "ls", "-q", "--filter", `name=${network}`))
    docker("network", "rm", network);
}
