// The rules of `warren:cluster` that a schema cannot express: replica counts, Kubernetes
// quantities, plugin names, paths RabbitMQ and its env file accept, PVCs that may only grow.
import * as net from "node:net";
import type { Environment } from "../core/environment";
import { type ConfigIssue, show, suggest } from "../core/issues";
import { KNOWN_PLUGINS, PEER_DISCOVERY_PREFIX } from "./plugins";
import { compareQuantities, isPositiveQuantity, quantityToBytes } from "./quantity";
import type { ClusterSpec } from "./schema";
import { informationUnitBytes } from "./units";

const KEY = "warren:cluster";

/** What validateCluster needs of the deployed cluster to refuse a change Kubernetes would. */
export interface PreviousCluster {
  readonly storage?: {
    readonly data?: { readonly size?: string };
    readonly logs?: { readonly size?: string };
  };
}

/** Characters RabbitMQ refuses in its data and log paths (they are glob patterns to it). */
export const RABBITMQ_PATH_FORBIDDEN = ["*", "?", "^", "!", "[", "]", "{", "}"] as const;

// rabbitmq-env.conf is sourced by a POSIX shell: anything else would need quoting there.
const SHELL_SAFE_PATH = /^[A-Za-z0-9._/@%+=:,-]+$/;

/** The log files' room: rabbitmq.conf rotates at 50 MiB and keeps 5 old files (see render.ts). */
export const MIN_LOGS_SIZE = "512Mi";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Every issue with a parsed `warren:cluster`, path-addressed; empty when it is valid. `previous`
 * is what is deployed (from the stack's state), for the rules about changes; `runtime`, which
 * runtime runs the nodes (what it supports).
 */
export function validateCluster(
  spec: ClusterSpec,
  environment: Environment,
  previous?: PreviousCluster,
  runtime?: "docker" | "kubernetes",
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add: Add = (path, message) => issues.push({ path: `${KEY}.${path}`, message });
  replicaIssues(spec, environment, add);
  pathIssues(spec, add);
  pluginIssues(spec, add);
  const valid = quantityIssues(spec, add);
  resourceIssues(spec, valid, add);
  changeIssues(spec, valid, previous, add);
  networkIssues(spec, add);
  tlsIssues(spec, runtime, add);
  return issues;
}

type Add = (path: string, message: string) => void;
/** Whether every given quantity field parsed (later rules compare only parsed quantities). */
type Valid = (...paths: string[]) => boolean;

function replicaIssues(spec: ClusterSpec, environment: Environment, add: Add): void {
  if (spec.replicas % 2 === 0)
    add(
      "replicas",
      `must be odd, so that pause_minority leaves a majority running on one side of a partition, got ${spec.replicas}`,
    );
  if (environment === "prod" && spec.replicas < 3)
    add(
      "replicas",
      `must be at least 3 in prod, so that quorum queues with 3 replicas survive losing a node, got ${spec.replicas}`,
    );
}

function pathIssues(spec: ClusterSpec, add: Add): void {
  for (const field of ["dataDir", "logDir"] as const) {
    const why = pathIssue(spec[field]);
    if (why) add(field, why);
  }
  if (trimSlashes(spec.logDir) === trimSlashes(spec.dataDir))
    add(
      "logDir",
      `must differ from dataDir (${show(spec.dataDir)}): each is the mount point of its own volume`,
    );
}

function pluginIssues(spec: ClusterSpec, add: Add): void {
  spec.plugins.forEach((plugin, i) => {
    if (plugin.startsWith(PEER_DISCOVERY_PREFIX))
      add(
        `plugins[${i}]`,
        `peer discovery is the runtime's choice (rabbitmq_peer_discovery_k8s on Kubernetes, classic_config on Docker), got ${show(plugin)}`,
      );
    else if (!(KNOWN_PLUGINS as readonly string[]).includes(plugin))
      add(
        `plugins[${i}]`,
        `unknown RabbitMQ 3.10 plugin ${show(plugin)}${suggest(plugin, KNOWN_PLUGINS)}`,
      );
  });
}

function quantityIssues(spec: ClusterSpec, add: Add): Valid {
  const quantities: [string, string | undefined, string][] = [
    ["storage.data.size", spec.storage.data.size, "10Gi"],
    ["storage.logs.size", spec.storage.logs.size, "2Gi"],
    ["resources.requests.cpu", spec.resources.requests.cpu, "500m"],
    ["resources.requests.memory", spec.resources.requests.memory, "2Gi"],
    ["resources.limits.cpu", spec.resources.limits.cpu, "2"],
    ["resources.limits.memory", spec.resources.limits.memory, "2Gi"],
  ];
  const valid = new Set<string>();
  for (const [path, value, example] of quantities) {
    if (value === undefined) continue;
    if (isPositiveQuantity(value)) valid.add(path);
    else
      add(
        path,
        `must be a Kubernetes quantity above zero, such as ${show(example)}, got ${show(value)}`,
      );
  }
  const ok: Valid = (...paths) => paths.every((p) => valid.has(p));
  if (ok("storage.logs.size") && compareQuantities(spec.storage.logs.size, MIN_LOGS_SIZE) < 0)
    add(
      "storage.logs.size",
      `must be at least ${show(MIN_LOGS_SIZE)}: the node keeps up to 6 log files of 50 MiB (rabbitmq.conf rotates them), got ${show(spec.storage.logs.size)}`,
    );
  for (const kind of ["cpu", "memory"] as const) {
    const request = spec.resources.requests[kind];
    const limit = spec.resources.limits[kind];
    if (
      limit !== undefined &&
      ok(`resources.requests.${kind}`, `resources.limits.${kind}`) &&
      compareQuantities(request, limit) > 0
    )
      add(
        `resources.requests.${kind}`,
        `must not exceed resources.limits.${kind} (${show(limit)}), got ${show(request)}`,
      );
  }
  return ok;
}

/** The memory watermark and the disk limit against the container's memory and the data volume. */
function resourceIssues(spec: ClusterSpec, ok: Valid, add: Add): void {
  if (!ok("resources.limits.memory")) return;
  const memory = spec.resources.limits.memory;
  const memoryBytes = quantityToBytes(memory);
  if (typeof spec.memoryHighWatermark === "string") {
    const watermark = informationUnitBytes(spec.memoryHighWatermark);
    if (watermark >= memoryBytes)
      add(
        "memoryHighWatermark",
        `must be below resources.limits.memory (${show(memory)}), got ${show(spec.memoryHighWatermark)} (${watermark} bytes): the container would be killed before RabbitMQ blocks publishers`,
      );
  }
  if (!ok("storage.data.size")) return;
  const size = spec.storage.data.size;
  const limit = spec.diskFreeLimit;
  const [bytes, how] =
    typeof limit === "number"
      ? [
          BigInt(Math.ceil(limit * Number(memoryBytes))),
          `${limit} × resources.limits.memory (${show(memory)})`,
        ]
      : [informationUnitBytes(limit), show(limit)];
  if (bytes >= quantityToBytes(size))
    add(
      "diskFreeLimit",
      `must be below storage.data.size (${show(size)}): ${how} is ${bytes} bytes, so the node would block every publisher from the start`,
    );
}

/** Changes Kubernetes would refuse: a persistent volume claim only grows. */
function changeIssues(
  spec: ClusterSpec,
  ok: Valid,
  previous: PreviousCluster | undefined,
  add: Add,
): void {
  for (const volume of ["data", "logs"] as const) {
    const before = previous?.storage?.[volume]?.size;
    const now = spec.storage[volume].size;
    if (
      before !== undefined &&
      isPositiveQuantity(before) &&
      ok(`storage.${volume}.size`) &&
      compareQuantities(now, before) < 0
    )
      add(
        `storage.${volume}.size`,
        `cannot shrink from ${show(before)} to ${show(now)}: Kubernetes only grows persistent volume claims`,
      );
  }
}

function networkIssues(spec: ClusterSpec, add: Add): void {
  spec.management.allowedCidrs.forEach((cidr, i) => {
    if (!isCidr(cidr))
      add(
        `management.allowedCidrs[${i}]`,
        `must be a CIDR such as "10.0.0.0/8", got ${show(cidr)}`,
      );
  });
  const namespaces: [string, string | undefined][] = [
    ["amqp.consumerNamespace", spec.amqp.consumerNamespace],
    ["namespace", spec.namespace],
  ];
  for (const [path, value] of namespaces)
    if (value !== undefined && !(value.length <= 63 && DNS_LABEL.test(value)))
      add(
        path,
        `must be a Kubernetes namespace name (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), got ${show(value)}`,
      );
}

function pathIssue(p: string): string | undefined {
  if (!p.startsWith("/")) return `must be an absolute path, got ${show(p)}`;
  if (RABBITMQ_PATH_FORBIDDEN.some((c) => p.includes(c)))
    return `must not contain any of ${RABBITMQ_PATH_FORBIDDEN.join(" ")} (RabbitMQ refuses them in its paths), got ${show(p)}`;
  if (!SHELL_SAFE_PATH.test(p))
    return `may contain only letters, digits and . _ - / @ % + = : , (it is written into rabbitmq-env.conf, a shell script), got ${show(p)}`;
  return undefined;
}

function trimSlashes(p: string): string {
  return p.replace(/\/+$/, "") || "/";
}

/** An IPv4 or IPv6 network in CIDR notation, e.g. `10.0.0.0/8` or `fd00::/8`. */
export function isCidr(text: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return false;
  const family = net.isIP(m[1]);
  const prefix = Number(m[2]);
  return family !== 0 && prefix <= (family === 4 ? 32 : 128);
}

function tlsIssues(
  spec: ClusterSpec,
  runtime: "docker" | "kubernetes" | undefined,
  add: Add,
): void {
  // The renderer emits the TLS listeners (render.ts); only the Docker runtime installs generated
  // certificates on its nodes so far: a node told to use missing files would not start.
  if (spec.tls.mode === "secret")
    add(
      "tls.mode",
      `"secret" is not available yet: no runtime installs certificates you bring (issue 16); use "generate" on Docker, or "off"`,
    );
  else if (spec.tls.mode === "generate" && runtime !== "docker")
    add(
      "tls.mode",
      `"generate" is available on the Docker runtime only so far: the Kubernetes runtime does not install certificates on its nodes yet (issue 16); use "off"`,
    );
}
