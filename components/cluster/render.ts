// The files every RabbitMQ node gets, rendered from the one ClusterSpec: rabbitmq.conf,
// rabbitmq-env.conf, enabled_plugins and the Erlang cookie. Both runtimes (Kubernetes, Docker)
// mount exactly these; neither writes RabbitMQ configuration of its own. Pure and deterministic.
import * as net from "node:net";
import { BASE_PLUGINS, MQTT_PLUGINS } from "./plugins";
import { quantityToBytes } from "./quantity";
import type { ClusterSpec } from "./schema";

/** Kubernetes: a StatefulSet behind a headless service; nodes find each other through its endpoints. */
export interface KubernetesRuntime {
  readonly kind: "kubernetes";
  /** The headless service governing the StatefulSet (its pods' DNS subdomain). */
  readonly serviceName: string;
  /** The namespace the StatefulSet runs in. */
  readonly namespace: string;
}

/** Docker: one container per node, each with a fixed hostname; a fixed node list (classic_config). */
export interface DockerRuntime {
  readonly kind: "docker";
  /** One entry per node: a hostname (node `rabbit@<hostname>`) or a full node name `name@host`. */
  readonly nodes: readonly string[];
}

export type ClusterRuntime = KubernetesRuntime | DockerRuntime;

export interface NodePorts {
  readonly amqp: number;
  readonly management: number;
  readonly prometheus: number;
  /** Erlang distribution (inter-node and CLI traffic). */
  readonly distribution: number;
  /** AMQP over TLS (with `warren:cluster.tls` on). */
  readonly amqps: number;
  /** The management API over TLS (with `warren:cluster.tls` on). */
  readonly managementTls: number;
}

/** RabbitMQ's standard ports; what both runtimes use, since each node has its own address. */
export const DEFAULT_PORTS: NodePorts = {
  amqp: 5672,
  management: 15672,
  prometheus: 15692,
  distribution: 25672,
  amqps: 5671,
  managementTls: 15671,
};

/** Erlang's port mapper, where nodes look each other's distribution port up (fixed by Erlang). */
/**
 * A node whose AMQP listener stays closed this long while a majority of the nodes answers is
 * stuck in its boot and is restarted (the Docker watchdog, the Kubernetes liveness check).
 */
export const STUCK_AFTER_S = 120;

export const EPMD_PORT = 4369;

/** Where the image looks for its configuration (RABBITMQ_CONFIG_FILE etc. default there). */
export const CONFIG_DIR = "/etc/rabbitmq";
/** HOME of the rabbitmq user in the official image and Debian's package: the cookie lives here. */
export const RABBITMQ_HOME = "/var/lib/rabbitmq";

/**
 * What may differ between nodes, or between a real runtime and several nodes on one machine
 * (tests). Runtimes normally pass nothing: every node then gets identical files.
 */
export interface NodeOptions {
  /**
   * This node's Erlang node name. Default: on Kubernetes `rabbit@<pod>.<service>.<namespace>`
   * (from $HOSTNAME when the node starts), on Docker RabbitMQ's own `rabbit@<hostname>`.
   */
  readonly nodeName?: string;
  /** The one address every listener binds (AMQP, management, Prometheus, distribution). @default all interfaces */
  readonly bindAddress?: string;
  /** @default DEFAULT_PORTS */
  readonly ports?: Partial<NodePorts>;
  /** Folder holding rabbitmq.conf, enabled_plugins, rabbitmq-env.conf and definitions.json. @default CONFIG_DIR */
  readonly configDir?: string;
}

/** A file to put on every node. */
export interface RenderedFile {
  /** Absolute path on the node. */
  readonly path: string;
  readonly content: string;
  /** Unix permission bits, e.g. 0o644. */
  readonly mode: number;
}

const HEADER = (file: string, why: string) =>
  [
    `# ${file} for every node of the warren cluster, rendered from warren:cluster by`,
    "# components/cluster/render.ts. Do not edit: change the stack config instead.",
    `# ${why}`,
  ].join("\n");

/**
 * Where a node finds its TLS files, named as in a Kubernetes TLS Secret (`tls.crt`, `tls.key`,
 * `ca.crt`) so that one can be mounted as it is: the CA that clients' certificates are checked
 * against, the node's certificate (its chain up to the CA) and its private key.
 */
export function tlsPaths(node: NodeOptions = {}): { ca: string; cert: string; key: string } {
  const dir = `${node.configDir ?? CONFIG_DIR}/tls`;
  return { ca: `${dir}/ca.crt`, cert: `${dir}/tls.crt`, key: `${dir}/tls.key` };
}

/** The definitions file (admin user), next to rabbitmq.conf; see definitions.ts. */
export function definitionsPath(node: NodeOptions = {}): string {
  return `${node.configDir ?? CONFIG_DIR}/definitions.json`;
}

/** `rabbitmq.conf` (new-style, cuttlefish). */
export function renderRabbitmqConf(
  spec: ClusterSpec,
  runtime: ClusterRuntime,
  node: NodeOptions = {},
): string {
  checkRuntime(spec, runtime, node);
  const ports = { ...DEFAULT_PORTS, ...node.ports };
  const lines: string[] = [
    HEADER(
      "rabbitmq.conf",
      "Keys as RabbitMQ 3.10 documents them: https://www.rabbitmq.com/configure.html",
    ),
    "",
  ];

  lines.push(
    ...listenerLines(spec, ports, node),
    ...formationLines(spec, runtime),
    ...alarmLines(spec),
    ...accessLines(spec, runtime, node),
    ...logLines(),
  );
  return lines.join("\n");
}

function listenerLines(spec: ClusterSpec, ports: NodePorts, node: NodeOptions): string[] {
  const ip = node.bindAddress;
  const at = (port: number) => (ip === undefined ? `${port}` : `${ip}:${port}`);
  const tls = spec.tls.mode !== "off";
  const plaintext = !tls || !spec.tls.disablePlaintext;
  const out: string[] = [];
  out.push("## Listeners");
  out.push(`listeners.tcp${plaintext ? `.default = ${at(ports.amqp)}` : " = none"}`);
  if (tls)
    out.push(`listeners.ssl.default = ${at(ports.amqps)}`, ...tlsOptions("ssl_options", node));
  // The management plugin opens only the listeners configured here: without management.tcp.*
  // its plaintext port stays closed.
  if (plaintext) {
    if (ip !== undefined) out.push(`management.tcp.ip = ${ip}`);
    out.push(`management.tcp.port = ${ports.management}`);
  }
  if (tls) {
    if (ip !== undefined) out.push(`management.ssl.ip = ${ip}`);
    out.push(`management.ssl.port = ${ports.managementTls}`, ...tlsOptions("management.ssl", node));
  }
  // The Prometheus endpoint has no authentication: the runtimes limit who reaches the port.
  if (ip !== undefined) out.push(`prometheus.tcp.ip = ${ip}`);
  out.push(`prometheus.tcp.port = ${ports.prometheus}`);
  // The distribution port itself is DIST_PORT in rabbitmq-env.conf.
  if (ip !== undefined) out.push(`distribution.listener.interface = ${ip}`);
  out.push("");
  return out;
}

/**
 * A TLS listener's files and checks. Clients log in with passwords and need no certificate, but
 * one that shows a certificate the CA did not sign is refused (verify_peer without
 * fail_if_no_peer_cert). TLS 1.2 and 1.3 only.
 */
function tlsOptions(prefix: string, node: NodeOptions): string[] {
  const files = tlsPaths(node);
  return [
    `${prefix}.cacertfile = ${files.ca}`,
    `${prefix}.certfile = ${files.cert}`,
    `${prefix}.keyfile = ${files.key}`,
    `${prefix}.verify = verify_peer`,
    `${prefix}.fail_if_no_peer_cert = false`,
    `${prefix}.versions.1 = tlsv1.3`,
    `${prefix}.versions.2 = tlsv1.2`,
  ];
}

function formationLines(spec: ClusterSpec, runtime: ClusterRuntime): string[] {
  const out: string[] = [];
  out.push("## Cluster formation");
  if (runtime.kind === "kubernetes") {
    // As the RabbitMQ Cluster Operator does: peers are the endpoints of the headless service,
    // addressed by pod hostname, which with this suffix is the host part of their node names.
    out.push("cluster_formation.peer_discovery_backend = rabbit_peer_discovery_k8s");
    out.push("cluster_formation.k8s.host = kubernetes.default");
    out.push("cluster_formation.k8s.address_type = hostname");
    out.push(`cluster_formation.k8s.service_name = ${runtime.serviceName}`);
    out.push(`cluster_formation.k8s.hostname_suffix = ${kubernetesSuffix(runtime)}`);
    // A node that left is reported, never removed from the cluster by discovery. (The key
    // belongs to rabbitmq_peer_discovery_common, which classic_config does not load.)
    out.push("cluster_formation.node_cleanup.only_log_warning = true");
  } else {
    out.push("cluster_formation.peer_discovery_backend = classic_config");
    dockerNodeNames(runtime).forEach((name, i) =>
      out.push(`cluster_formation.classic_config.nodes.${i + 1} = ${name}`),
    );
  }
  out.push("cluster_partition_handling = pause_minority");
  // How soon a lost peer is noticed (and its queues' leaders re-elected): see schema.ts.
  out.push(`net_ticktime = ${spec.netTicktime}`);
  // Quorum queue leaders spread over the nodes as queues are declared, not all on the node the
  // topology is declared through (3.10's name; 3.12+ call it "balanced").
  out.push("queue_leader_locator = least-leaders");
  out.push("");
  return out;
}

function alarmLines(spec: ClusterSpec): string[] {
  const out: string[] = [];
  out.push(
    "## Resource alarms (https://www.rabbitmq.com/production-checklist.html#resource-limits-ram)",
  );
  // Inside a container RabbitMQ 3.10 sees the host's memory; the limit is what it really has.
  out.push(
    `total_memory_available_override_value = ${quantityToBytes(spec.resources.limits.memory)}`,
  );
  out.push(
    typeof spec.memoryHighWatermark === "number"
      ? `vm_memory_high_watermark.relative = ${float(spec.memoryHighWatermark)}`
      : `vm_memory_high_watermark.absolute = ${spec.memoryHighWatermark}`,
  );
  out.push(
    typeof spec.diskFreeLimit === "number"
      ? `disk_free_limit.relative = ${float(spec.diskFreeLimit)}`
      : `disk_free_limit.absolute = ${spec.diskFreeLimit}`,
  );
  out.push("");
  return out;
}

function accessLines(spec: ClusterSpec, runtime: ClusterRuntime, node: NodeOptions): string[] {
  const out: string[] = [];
  out.push("## Access");
  // With definitions to load, RabbitMQ creates no default user: guest never exists. Should
  // anyone create it, it still may only log in from loopback.
  out.push("loopback_users.guest = true");
  // 3.10 has no anonymous login setting (anonymous_login_user came in 4.0); its SASL
  // mechanisms are pinned to the two that need a password (no EXTERNAL, no ANONYMOUS).
  out.push("auth_mechanisms.1 = PLAIN");
  out.push("auth_mechanisms.2 = AMQPLAIN");
  if (enabledPlugins(spec, runtime).some((p) => (MQTT_PLUGINS as readonly string[]).includes(p)))
    out.push("mqtt.allow_anonymous = false");
  // The admin user, as a salted hash (never the password): see definitions.ts.
  out.push(`load_definitions = ${definitionsPath(node)}`);
  out.push("");
  return out;
}

function logLines(): string[] {
  const out: string[] = [];
  // At most 6 files of 50 MiB: validate.ts requires a logs volume of MIN_LOGS_SIZE.
  out.push(
    "## Logs: files under LOG_BASE (rabbitmq-env.conf), rotated to fit the logs volume, and the console",
  );
  out.push("log.file.level = info");
  out.push("log.file.rotation.size = 52428800");
  out.push("log.file.rotation.count = 5");
  out.push("log.console = true");
  out.push("log.console.level = info");
  out.push("");
  return out;
}

/**
 * `rabbitmq-env.conf`: where the node keeps its data and logs, its distribution port and node
 * name. RabbitMQ sources it with a POSIX shell; names drop the RABBITMQ_ prefix, and variables
 * set in the process environment (RABBITMQ_*) win over it.
 */
export function renderRabbitmqEnvConf(
  spec: ClusterSpec,
  runtime: ClusterRuntime,
  node: NodeOptions = {},
): string {
  checkRuntime(spec, runtime, node);
  const ports = { ...DEFAULT_PORTS, ...node.ports };
  const dir = node.configDir ?? CONFIG_DIR;
  const lines = [
    HEADER(
      "rabbitmq-env.conf",
      "Sourced by RabbitMQ with a POSIX shell; RABBITMQ_* environment variables override it.",
    ),
    "",
    `CONFIG_FILE=${dir}/rabbitmq.conf`,
    // No drop-in files: the official image's conf.d/10-defaults.conf sets
    // loopback_users.guest = false and would override rabbitmq.conf. A folder no one fills
    // makes the rendered rabbitmq.conf the whole configuration, however the runtime mounts it.
    `CONFIG_FILES=${dir}/rabbitmq.conf.d`,
    `ENABLED_PLUGINS_FILE=${dir}/enabled_plugins`,
    // Everything the node writes follows these two: mnesia, quorum and stream data, feature
    // flags, the PID file, expanded plugins under MNESIA_BASE/<node>; log files under LOG_BASE.
    `MNESIA_BASE=${spec.dataDir}`,
    `LOG_BASE=${spec.logDir}`,
    `DIST_PORT=${ports.distribution}`,
  ];
  if (node.nodeName !== undefined) {
    if (node.nodeName.split("@")[1]?.includes(".")) lines.push("USE_LONGNAME=true");
    lines.push(`NODENAME=${node.nodeName}`);
  } else if (runtime.kind === "kubernetes") {
    // Fully qualified, as peer discovery names peers: <pod hostname> + hostname_suffix.
    lines.push("USE_LONGNAME=true");
    lines.push(`NODENAME=rabbit@\${HOSTNAME}${kubernetesSuffix(runtime)}`);
  }
  lines.push("");
  return lines.join("\n");
}

/** The plugins every node enables, sorted: the base ones, the runtime's peer discovery, config's extras. */
export function enabledPlugins(spec: ClusterSpec, runtime: ClusterRuntime): string[] {
  const discovery = runtime.kind === "kubernetes" ? ["rabbitmq_peer_discovery_k8s"] : [];
  return [...new Set([...BASE_PLUGINS, ...discovery, ...spec.plugins])].sort();
}

/** `enabled_plugins`: one Erlang list of atoms, ended by a full stop. */
export function renderEnabledPlugins(spec: ClusterSpec, runtime: ClusterRuntime): string {
  return `[${enabledPlugins(spec, runtime).join(",")}].\n`;
}

/** The three configuration files, at their paths on the node (none holds a secret). */
export function renderConfigFiles(
  spec: ClusterSpec,
  runtime: ClusterRuntime,
  node: NodeOptions = {},
): RenderedFile[] {
  const dir = node.configDir ?? CONFIG_DIR;
  return [
    { path: `${dir}/enabled_plugins`, content: renderEnabledPlugins(spec, runtime), mode: 0o644 },
    {
      path: `${dir}/rabbitmq-env.conf`,
      content: renderRabbitmqEnvConf(spec, runtime, node),
      mode: 0o644,
    },
    { path: `${dir}/rabbitmq.conf`, content: renderRabbitmqConf(spec, runtime, node), mode: 0o644 },
  ];
}

/**
 * The Erlang cookie file: the same on every node (and for the CLI tools), readable by its owner
 * only, or Erlang refuses it. `cookie` is the stack's secret; it never appears in an error.
 */
export function renderErlangCookie(cookie: string, homeDir: string = RABBITMQ_HOME): RenderedFile {
  // Erlang takes the file's characters as an atom: printable ASCII, at most 255 of them.
  if (!/^[\x21-\x7e]{20,255}$/.test(cookie))
    throw new Error(
      "the Erlang cookie must be 20 to 255 printable ASCII characters without spaces (value not shown)",
    );
  return { path: `${homeDir}/.erlang.cookie`, content: cookie, mode: 0o600 };
}

/** The domain after a Kubernetes pod's name in its node name: `.<service>.<namespace>`. */
function kubernetesSuffix(runtime: KubernetesRuntime): string {
  return `.${runtime.serviceName}.${runtime.namespace}`;
}

/** Full node names of a StatefulSet's pods (`<statefulSet>-<i>`), as their NODENAME makes them. */
export function kubernetesNodeNames(
  runtime: KubernetesRuntime,
  statefulSet: string,
  replicas: number,
): string[] {
  return Array.from(
    { length: replicas },
    (_, i) => `rabbit@${statefulSet}-${i}${kubernetesSuffix(runtime)}`,
  );
}

/** Full node names of a Docker runtime's node list. */
export function dockerNodeNames(runtime: DockerRuntime): string[] {
  return runtime.nodes.map((n) => (n.includes("@") ? n : `rabbit@${n}`));
}

const NODE_NAME = /^[A-Za-z0-9_-]+@[A-Za-z0-9.-]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A runtime description that does not fit the spec is a bug in the runtime: throw. */
function checkRuntime(spec: ClusterSpec, runtime: ClusterRuntime, node: NodeOptions): void {
  if (runtime.kind === "kubernetes") {
    for (const [what, v] of [
      ["serviceName", runtime.serviceName],
      ["namespace", runtime.namespace],
    ] as const)
      if (!DNS_LABEL.test(v) || v.length > 63)
        throw new Error(`kubernetes runtime: ${what} ${JSON.stringify(v)} is not a DNS label`);
  } else {
    const names = dockerNodeNames(runtime);
    if (names.length !== spec.replicas)
      throw new Error(`docker runtime: ${names.length} nodes listed for ${spec.replicas} replicas`);
    for (const n of names)
      if (!NODE_NAME.test(n))
        throw new Error(`docker runtime: ${JSON.stringify(n)} is not a node name`);
    if (new Set(names).size !== names.length) throw new Error("docker runtime: node names repeat");
    if (node.nodeName !== undefined && !names.includes(node.nodeName))
      throw new Error(
        `docker runtime: node ${JSON.stringify(node.nodeName)} is not in the node list`,
      );
  }
  if (node.nodeName !== undefined && !NODE_NAME.test(node.nodeName))
    throw new Error(`${JSON.stringify(node.nodeName)} is not a node name`);
  if (node.bindAddress !== undefined && net.isIP(node.bindAddress) === 0)
    throw new Error(`bindAddress ${JSON.stringify(node.bindAddress)} is not an IP address`);
  for (const [k, p] of Object.entries(node.ports ?? {}))
    if (!Number.isInteger(p) || p < 1 || p > 65535)
      throw new Error(`port ${k} ${p} is out of range`);
}

/** A cuttlefish float: always with a decimal point ("2.0", not "2"), never in exponent form. */
function float(x: number): string {
  const s = Number.isInteger(x) ? x.toFixed(1) : String(x);
  return s.includes("e") ? x.toFixed(20).replace(/0+$/, "") : s;
}
