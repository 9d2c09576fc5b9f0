// The Docker containers of a cluster and its dispatchers, as pure functions of the spec and the
// plan: what runs, as whom, with which files, limits and health checks. cluster.ts and
// consumers.ts map them onto resources; tests call them directly.
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { HTTP_PORT, SECRETS_DIR, type ConsumerPlan } from "../../alerting/consumer-plan";
import { quantityToBytes } from "../../cluster/quantity";
import { CONFIG_DIR, DEFAULT_PORTS, type RenderedFile } from "../../cluster/render";
import type { ClusterSpec } from "../../cluster/schema";
import { type DockerLabel, type Labels, asDockerLabels } from "../../core/labels";
import { STAGING, TLS_STAGED } from "./start";

/** Docker's memory limits are in MiB. */
const mib = (quantity: string) => Number(quantityToBytes(quantity) / 1048576n);

export interface NodeContainerInputs {
  readonly host: string;
  /** Index of the node, from 0: its published ports are the base ports plus it. */
  readonly index: number;
  readonly network: pulumi.Input<string>;
  readonly image: pulumi.Input<string>;
  readonly volumes: { readonly data: pulumi.Input<string>; readonly logs: pulumi.Input<string> };
  /** Host ports of node 1 on 127.0.0.1. */
  readonly managementPort: number;
  readonly amqpPort: number;
  /** The rendered files, identical on every node. */
  readonly files: readonly RenderedFile[];
  /** Staged secrets and scripts (start.ts installs them at start). */
  readonly staged: Readonly<
    Record<"erlang.cookie" | "definitions.json" | "start.sh" | "watchdog.sh", pulumi.Input<string>>
  >;
  readonly labels: readonly DockerLabel[];
  /** This node's TLS files (`warren:cluster.tls` on): staged, then installed at tlsPaths. */
  readonly tls?: Readonly<Record<keyof typeof TLS_STAGED, pulumi.Input<string>>>;
}

/**
 * The node ports published on 127.0.0.1: with TLS on, the TLS listeners take the host ports
 * (the plaintext ones, if open at all, stay inside the stack's network).
 */
export function publishedPorts(spec: ClusterSpec): { management: number; amqp: number } {
  return spec.tls.mode === "off"
    ? { management: DEFAULT_PORTS.management, amqp: DEFAULT_PORTS.amqp }
    : { management: DEFAULT_PORTS.managementTls, amqp: DEFAULT_PORTS.amqps };
}

export function nodeContainer(spec: ClusterSpec, n: NodeContainerInputs): docker.ContainerArgs {
  const published = publishedPorts(spec);
  return {
    name: n.host,
    hostname: n.host,
    image: n.image,
    networksAdvanced: [{ name: n.network, aliases: [n.host] }],
    ports: [
      { internal: published.management, external: n.managementPort + n.index, ip: "127.0.0.1" },
      { internal: published.amqp, external: n.amqpPort + n.index, ip: "127.0.0.1" },
    ],
    volumes: [
      { volumeName: n.volumes.data, containerPath: spec.dataDir },
      { volumeName: n.volumes.logs, containerPath: spec.logDir },
    ],
    uploads: [
      ...n.files.map((f) => ({ file: f.path, content: f.content })),
      ...Object.entries(n.staged).map(([file, content]) => ({
        file: `${STAGING}/${file}`,
        content,
      })),
      ...(n.tls && spec.tls.mode !== "off"
        ? (Object.keys(TLS_STAGED) as (keyof typeof TLS_STAGED)[]).map((f) => ({
            file: `${STAGING}/${TLS_STAGED[f]}`,
            content: n.tls![f],
          }))
        : []),
    ],
    // Run by sh: the provider's uploads carry no mode bits (the SDK's `executable` is ignored).
    entrypoints: ["sh", `${STAGING}/start.sh`],
    // The start script needs root for its chown and install, then runs RabbitMQ as rabbitmq.
    user: "0:0",
    envs: [`RABBITMQ_CONF_ENV_FILE=${CONFIG_DIR}/rabbitmq-env.conf`],
    // RabbitMQ's watermark follows the limit (total_memory_available_override_value).
    memory: mib(spec.resources.limits.memory),
    // Equal to memory: no swap for the broker (and Docker's default, twice the memory, would
    // show as drift on every preview).
    memorySwap: mib(spec.resources.limits.memory),
    healthcheck: {
      tests: ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"],
      interval: "10s",
      timeout: "10s",
      retries: 12,
      startPeriod: "30s",
    },
    // Created when healthy: the topology (which waits for the cluster) can then use it.
    wait: true,
    waitTimeout: 300,
    restart: "unless-stopped",
    labels: [...n.labels],
    capabilities: { drops: ["NET_RAW", "MKNOD", "AUDIT_WRITE"] },
    securityOpts: ["no-new-privileges:true"],
    // Let a node hand over (quorum queues, client connections) before it is killed.
    destroyGraceSeconds: 60,
    stopTimeout: 60,
  };
}

export interface ConsumerContainerInputs {
  readonly host: string;
  readonly network: string;
  readonly image: pulumi.Input<string>;
  /** Secret files by name (consumer-files.ts), uploaded into SECRETS_DIR. */
  readonly files: Readonly<Record<string, pulumi.Input<string>>>;
  readonly labels: Labels;
}

/** One dispatcher replica: non-root, no capabilities, secrets as files, a readiness healthcheck. */
export function consumerContainer(
  plan: ConsumerPlan,
  c: ConsumerContainerInputs,
): docker.ContainerArgs {
  const ready = `fetch('http://127.0.0.1:${HTTP_PORT}/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return {
    name: c.host,
    hostname: c.host,
    image: c.image,
    networksAdvanced: [{ name: c.network, aliases: [c.host] }],
    envs: Object.entries(plan.env).map(([k, v]) => `${k}=${v}`),
    // The secrets as files, like a mounted Kubernetes Secret.
    uploads: Object.entries(c.files).map(([f, content]) => ({
      file: `${SECRETS_DIR}/${f}`,
      content,
    })),
    user: "10001:10001",
    // Not a read-only root filesystem on Docker: uploads are copied into the container before
    // it starts, which Docker refuses for a read-only one. (Kubernetes mounts them instead.)
    tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
    memory: 256,
    memorySwap: 256, // no swap; Docker's default (twice the memory) would show as drift
    healthcheck: {
      tests: ["CMD", "node", "-e", ready],
      interval: "10s",
      timeout: "5s",
      retries: 6,
      startPeriod: "10s",
    },
    restart: "unless-stopped",
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    labels: asDockerLabels(c.labels),
    destroyGraceSeconds: 40,
  };
}
