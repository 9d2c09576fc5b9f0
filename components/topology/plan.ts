// What the Topology component creates, decided here as plain data: one entry per broker object
// with its stable child name, the provider arguments, and what it depends on. The component only
// maps entries onto resources, so tests and benchmarks can check the decisions without Pulumi.
import { createHash } from "crypto";
import type { Environment } from "../core/environment";
import { bindingIdentity } from "./validate";
import type { Arguments, ArgValue, TopologySpec } from "./spec";

export interface PlanOptions {
  readonly environment: Environment;
}

/** Stable child-name parts: derived from vhost and object names, never from list positions. */
export const keys = {
  vhost: (vhost: string) => `vhost:${vhost}`,
  user: (user: string) => `user:${user}`,
  permissions: (user: string, vhost: string) => `permissions:${user}@${vhost}`,
  topicPermissions: (user: string, vhost: string, exchange: string) =>
    `topic-permissions:${user}@${vhost}/${exchange}`,
  exchange: (vhost: string, name: string) => `exchange:${vhost}/${name}`,
  queue: (vhost: string, name: string) => `queue:${vhost}/${name}`,
  policy: (vhost: string, name: string) => `policy:${vhost}/${name}`,
  operatorPolicy: (vhost: string, name: string) => `operator-policy:${vhost}/${name}`,
  vhostLimit: (vhost: string, limit: string) => `vhost-limit:${vhost}/${limit}`,
};

/** Binding keys include a digest of routing key and arguments: bindings have no name of their own. */
export function bindingKey(b: Parameters<typeof bindingIdentity>[0]): string {
  const digest = createHash("sha256").update(bindingIdentity(b)).digest("hex").slice(0, 10);
  return `binding:${b.vhost}/${b.source}>${b.destination}#${digest}`;
}

export interface VHostPlan {
  readonly key: string;
  readonly name: string;
  /** In prod: deleting a vhost deletes its queues, so retained queues need their vhost kept too. */
  readonly retainOnDelete: boolean;
  /** Metadata the rabbitmq provider's VHost cannot express. */
  readonly description: string;
  readonly defaultQueueType?: string;
  readonly limits: readonly {
    readonly key: string;
    readonly name: "max-connections" | "max-queues";
    readonly value: number;
  }[];
}
export interface UserPlan {
  readonly key: string;
  readonly name: string;
  readonly tags: readonly string[];
}
export interface PermissionsPlan {
  readonly key: string;
  readonly userKey: string;
  readonly vhostKey: string;
  readonly user: string;
  readonly vhost: string;
  readonly permissions: {
    readonly configure: string;
    readonly write: string;
    readonly read: string;
  };
}
export interface TopicPermissionsPlan {
  readonly key: string;
  readonly userKey: string;
  readonly vhostKey: string;
  readonly dependsOn: readonly string[];
  readonly user: string;
  readonly vhost: string;
  readonly permissions: readonly {
    readonly exchange: string;
    readonly write: string;
    readonly read: string;
  }[];
}
export interface ExchangePlan {
  readonly key: string;
  readonly vhostKey: string;
  readonly name: string;
  readonly vhost: string;
  /** Internal exchanges: the provider has no `internal` flag, so they are declared via the API. */
  readonly internal: boolean;
  readonly settings: {
    readonly type: string;
    readonly durable: boolean;
    readonly autoDelete: boolean;
    readonly arguments: Readonly<Record<string, string>>;
  };
  /** The alternate exchange must exist first. */
  readonly dependsOn: readonly string[];
}
export interface QueuePlan {
  readonly key: string;
  readonly vhostKey: string;
  readonly name: string;
  readonly vhost: string;
  readonly settings: {
    readonly durable: boolean;
    readonly autoDelete: boolean;
    readonly argumentsJson: string;
  };
  readonly retainOnDelete: boolean;
  readonly dependsOn: readonly string[];
}
export interface BindingPlan {
  readonly key: string;
  readonly vhostKey: string;
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationType: "queue" | "exchange";
  readonly routingKey: string;
  readonly argumentsJson?: string;
  /** Keys of the exchange/queue resources whose replacement must replace this binding too. */
  readonly replaceWith: readonly string[];
}
export interface PolicyPlan {
  readonly key: string;
  readonly vhostKey: string;
  readonly name: string;
  readonly vhost: string;
  readonly operator: boolean;
  readonly policy: {
    readonly pattern: string;
    readonly priority: number;
    readonly applyTo: string;
    readonly definition: Readonly<Record<string, string>>;
  };
  readonly dependsOn: readonly string[];
}

export interface TopologyPlan {
  readonly vhosts: readonly VHostPlan[];
  readonly users: readonly UserPlan[];
  readonly permissions: readonly PermissionsPlan[];
  readonly topicPermissions: readonly TopicPermissionsPlan[];
  readonly exchanges: readonly ExchangePlan[];
  readonly queues: readonly QueuePlan[];
  readonly bindings: readonly BindingPlan[];
  readonly policies: readonly PolicyPlan[];
}

/**
 * Policy definitions go through the provider as strings (it turns integer-looking strings back
 * into numbers); `ha-params` node lists are comma-joined, as the provider expects.
 */
function definitionStrings(d: Arguments): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d))
    out[k] = Array.isArray(v) ? v.map(stringOf).join(",") : stringOf(v);
  return out;
}

function stringOf(v: ArgValue): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

const sorted = (a: Arguments): Arguments =>
  Object.fromEntries(
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k]]),
  );

export function planTopology(t: TopologySpec, opts: PlanOptions): TopologyPlan {
  const refExchange = exchangeRefs(t);
  const retain = opts.environment === "prod";
  return {
    vhosts: t.vhosts.map((v) => vhostPlan(v, retain)),
    users: t.users.map((u) => ({ key: keys.user(u.name), name: u.name, tags: [...u.tags] })),
    permissions: t.permissions.map(permissionsPlan),
    topicPermissions: topicPermissionsPlans(t, refExchange),
    exchanges: t.exchanges.map((x) => exchangePlan(x, refExchange)),
    queues: t.queues.map((q) => queuePlan(q, retain, refExchange)),
    bindings: t.bindings.map((b) => bindingPlan(b, refExchange)),
    policies: [
      ...t.policies.map((p) => policyPlan(p, false, refExchange)),
      ...t.operatorPolicies.map((p) => policyPlan(p, true, refExchange)),
    ],
  };
}

/** The key of a declared exchange, as a dependency; none for built-in exchanges (no resource). */
type ExchangeRefs = (vhost: string, name: string) => string[];

function exchangeRefs(t: TopologySpec): ExchangeRefs {
  const declared = new Set(t.exchanges.map((x) => keys.exchange(x.vhost, x.name)));
  return (vhost, name) => {
    const k = keys.exchange(vhost, name);
    return declared.has(k) ? [k] : [];
  };
}

function vhostPlan(v: TopologySpec["vhosts"][number], retain: boolean): VHostPlan {
  return {
    key: keys.vhost(v.name),
    name: v.name,
    retainOnDelete: retain,
    description: v.description ?? "",
    defaultQueueType: v.defaultQueueType,
    limits: [
      ...(v.limits?.maxConnections !== undefined
        ? [
            {
              key: keys.vhostLimit(v.name, "max-connections"),
              name: "max-connections" as const,
              value: v.limits.maxConnections,
            },
          ]
        : []),
      ...(v.limits?.maxQueues !== undefined
        ? [
            {
              key: keys.vhostLimit(v.name, "max-queues"),
              name: "max-queues" as const,
              value: v.limits.maxQueues,
            },
          ]
        : []),
    ],
  };
}

function permissionsPlan(p: TopologySpec["permissions"][number]): PermissionsPlan {
  return {
    key: keys.permissions(p.user, p.vhost),
    userKey: keys.user(p.user),
    vhostKey: keys.vhost(p.vhost),
    user: p.user,
    vhost: p.vhost,
    permissions: { configure: p.configure, write: p.write, read: p.read },
  };
}

// The provider's TopicPermissions resource holds every exchange of one user in one vhost.
function topicPermissionsPlans(t: TopologySpec, refExchange: ExchangeRefs): TopicPermissionsPlan[] {
  const topicGroups = new Map<
    string,
    TopicPermissionsPlan & {
      permissions: { exchange: string; write: string; read: string }[];
      dependsOn: string[];
    }
  >();
  for (const p of t.topicPermissions) {
    const key = `topic-permissions:${p.user}@${p.vhost}`;
    let g = topicGroups.get(key);
    if (!g) {
      g = {
        key,
        userKey: keys.user(p.user),
        vhostKey: keys.vhost(p.vhost),
        user: p.user,
        vhost: p.vhost,
        permissions: [],
        dependsOn: [],
      };
      topicGroups.set(key, g);
    }
    g.permissions.push({ exchange: p.exchange, write: p.write, read: p.read });
    g.dependsOn.push(...refExchange(p.vhost, p.exchange));
  }
  return [...topicGroups.values()];
}

function exchangePlan(
  x: TopologySpec["exchanges"][number],
  refExchange: ExchangeRefs,
): ExchangePlan {
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(x.arguments)) args[k] = stringOf(v);
  if (x.alternateExchange !== undefined) args["alternate-exchange"] = x.alternateExchange;
  return {
    key: keys.exchange(x.vhost, x.name),
    vhostKey: keys.vhost(x.vhost),
    name: x.name,
    vhost: x.vhost,
    internal: x.internal,
    // durable is always explicit: the provider defaults it to false.
    settings: { type: x.type, durable: x.durable, autoDelete: x.autoDelete, arguments: args },
    dependsOn: x.alternateExchange !== undefined ? refExchange(x.vhost, x.alternateExchange) : [],
  };
}

function queuePlan(
  q: TopologySpec["queues"][number],
  retain: boolean,
  refExchange: ExchangeRefs,
): QueuePlan {
  const dlx = q.arguments["x-dead-letter-exchange"];
  return {
    key: keys.queue(q.vhost, q.name),
    vhostKey: keys.vhost(q.vhost),
    name: q.name,
    vhost: q.vhost,
    // argumentsJson keeps numbers numbers on the broker; the queue type is always explicit.
    settings: {
      durable: q.durable,
      autoDelete: q.autoDelete,
      argumentsJson: JSON.stringify(sorted({ ...q.arguments, "x-queue-type": q.type })),
    },
    retainOnDelete: retain,
    dependsOn: typeof dlx === "string" && dlx !== "" ? refExchange(q.vhost, dlx) : [],
  };
}

function bindingPlan(b: TopologySpec["bindings"][number], refExchange: ExchangeRefs): BindingPlan {
  return {
    key: bindingKey(b),
    vhostKey: keys.vhost(b.vhost),
    vhost: b.vhost,
    source: b.source,
    destination: b.destination,
    destinationType: b.destinationType,
    routingKey: b.routingKey,
    argumentsJson: Object.keys(b.arguments).length
      ? JSON.stringify(sorted(b.arguments))
      : undefined,
    replaceWith: [
      ...refExchange(b.vhost, b.source),
      ...(b.destinationType === "queue"
        ? [keys.queue(b.vhost, b.destination)]
        : refExchange(b.vhost, b.destination)),
    ],
  };
}

function policyPlan(
  p: TopologySpec["policies"][number],
  operator: boolean,
  refExchange: ExchangeRefs,
): PolicyPlan {
  const dlx = p.definition["dead-letter-exchange"];
  const ae = p.definition["alternate-exchange"];
  return {
    key: operator ? keys.operatorPolicy(p.vhost, p.name) : keys.policy(p.vhost, p.name),
    vhostKey: keys.vhost(p.vhost),
    name: p.name,
    vhost: p.vhost,
    operator,
    policy: {
      pattern: p.pattern,
      priority: p.priority,
      applyTo: p.applyTo,
      definition: definitionStrings(p.definition),
    },
    dependsOn: [
      ...(typeof dlx === "string" && dlx !== "" ? refExchange(p.vhost, dlx) : []),
      ...(typeof ae === "string" ? refExchange(p.vhost, ae) : []),
    ],
  };
}
