// "The broker holds exactly the declared topology": what a validated topology declares and what a
// broker's `GET /api/definitions` (plus its vhosts, operator policies and vhost limits) holds,
// each as one flat map per kind (an object's identity → its settings as canonical JSON), and the
// difference between the two as readable lines: missing, extra, or different settings. The views
// and the diff are pure (tests/unit/topology/converged.test.ts); `assertConverged` reads a live
// broker.
import type { ManagementApi } from "./management";
import { canonical } from "../../components/topology/apply-plan";
import type { TopologySpec } from "../../components/topology/spec";

export { canonical };

export const KINDS = [
  "vhosts",
  "users",
  "permissions",
  "topicPermissions",
  "exchanges",
  "queues",
  "bindings",
  "policies",
  "operatorPolicies",
] as const;
export type Kind = (typeof KINDS)[number];

/** Per kind: identity → settings (canonical JSON). */
export type TopologyView = Record<Kind, Map<string, string>>;

const bindingId = (b: {
  vhost: string;
  source: string;
  destinationType: string;
  destination: string;
  routingKey: string;
  arguments: unknown;
}) =>
  `${b.vhost}/${b.source}>${b.destinationType}:${b.destination}[${b.routingKey}]${canonical(b.arguments ?? {})}`;

function emptyView(): TopologyView {
  return Object.fromEntries(KINDS.map((k) => [k, new Map<string, string>()])) as TopologyView;
}

/** Adds `id → settings`; a second object with the same identity is itself a difference. */
function put(view: TopologyView, kind: Kind, id: string, settings: unknown) {
  const m = view[kind];
  const s = canonical(settings);
  m.set(id, m.has(id) ? `${m.get(id)!} AND AGAIN ${s}` : s);
}

const limitsOf = (l: { maxConnections?: number; maxQueues?: number } | undefined) => ({
  ...(l?.maxConnections !== undefined ? { "max-connections": l.maxConnections } : {}),
  ...(l?.maxQueues !== undefined ? { "max-queues": l.maxQueues } : {}),
});

/** Exchange arguments as warren declares them: strings (as @pulumi/rabbitmq's), plus the AE. */
function exchangeArguments(x: TopologySpec["exchanges"][number]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(x.arguments))
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  if (x.alternateExchange !== undefined) out["alternate-exchange"] = x.alternateExchange;
  return out;
}

/** What the topology declares. */
export function declaredView(t: TopologySpec): TopologyView {
  const v = emptyView();
  for (const x of t.vhosts)
    put(v, "vhosts", x.name, {
      description: x.description ?? "",
      limits: limitsOf(x.limits),
      ...(x.defaultQueueType ? { defaultQueueType: x.defaultQueueType } : {}),
    });
  for (const u of t.users) put(v, "users", u.name, { tags: [...u.tags].sort() });
  for (const p of t.permissions)
    put(v, "permissions", `${p.user}@${p.vhost}`, {
      configure: p.configure,
      write: p.write,
      read: p.read,
    });
  for (const p of t.topicPermissions)
    put(v, "topicPermissions", `${p.user}@${p.vhost}/${p.exchange}`, {
      write: p.write,
      read: p.read,
    });
  for (const x of t.exchanges)
    put(v, "exchanges", `${x.vhost}/${x.name}`, {
      type: x.type,
      durable: x.durable,
      autoDelete: x.autoDelete,
      internal: x.internal,
      arguments: exchangeArguments(x),
    });
  for (const q of t.queues)
    put(v, "queues", `${q.vhost}/${q.name}`, {
      durable: q.durable,
      autoDelete: q.autoDelete,
      arguments: { ...q.arguments, "x-queue-type": q.type },
    });
  for (const b of t.bindings) put(v, "bindings", bindingId(b), {});
  for (const [kind, list] of [
    ["policies", t.policies],
    ["operatorPolicies", t.operatorPolicies],
  ] as const)
    for (const p of list)
      put(v, kind, `${p.vhost}/${p.name}`, {
        pattern: p.pattern,
        applyTo: p.applyTo,
        priority: p.priority,
        definition: p.definition,
      });
  return v;
}

/** The parts of `GET /api/definitions` (RabbitMQ 3.10 and later) the comparison reads. */
export interface BrokerDefinitions {
  readonly users?: readonly { name: string; tags?: string | readonly string[] }[];
  readonly vhosts?: readonly {
    name: string;
    description?: string;
    default_queue_type?: string;
    metadata?: { description?: string; default_queue_type?: string };
  }[];
  readonly permissions?: readonly {
    user: string;
    vhost: string;
    configure: string;
    write: string;
    read: string;
  }[];
  readonly topic_permissions?: readonly {
    user: string;
    vhost: string;
    exchange: string;
    write: string;
    read: string;
  }[];
  readonly exchanges?: readonly {
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments?: Record<string, unknown>;
  }[];
  readonly queues?: readonly {
    name: string;
    vhost: string;
    durable: boolean;
    auto_delete: boolean;
    arguments?: Record<string, unknown>;
  }[];
  readonly bindings?: readonly {
    vhost: string;
    source: string;
    destination: string;
    destination_type: string;
    routing_key: string;
    arguments?: Record<string, unknown>;
  }[];
  readonly policies?: readonly BrokerPolicy[];
}
export interface BrokerPolicy {
  readonly vhost: string;
  readonly name: string;
  readonly pattern: string;
  readonly "apply-to": string;
  readonly priority: number;
  readonly definition: Record<string, unknown>;
}

export interface BrokerState {
  readonly definitions: BrokerDefinitions;
  /** `GET /api/operator-policies` (the definitions export leaves them out). */
  readonly operatorPolicies: readonly BrokerPolicy[];
  /** `GET /api/vhosts` (3.10's definitions export has no vhost descriptions). */
  readonly vhosts?: BrokerDefinitions["vhosts"];
  /** `GET /api/vhost-limits`. */
  readonly vhostLimits: readonly { vhost: string; value: Record<string, number> }[];
}

export interface BrokerViewOptions {
  /** The user the tests (and warren) manage the broker as: neither it nor its grants count. */
  readonly adminUser: string;
  /** Vhosts that exist whatever the stack says (the node's default "/"), unless declared. */
  readonly builtinVhosts?: readonly string[];
}

/**
 * What the broker holds, less what every broker has: the admin user and its permissions, the
 * default vhost (unless declared; objects in it do count), the default and amq.* exchanges, and
 * the default exchange's implicit bindings.
 */
export function brokerView(
  b: BrokerState,
  opts: BrokerViewOptions,
  declared?: TopologyView,
): TopologyView {
  const v = emptyView();
  const d = b.definitions;
  const builtin = new Set((opts.builtinVhosts ?? ["/"]).filter((n) => !declared?.vhosts.has(n)));
  const limits = new Map(b.vhostLimits.map((l) => [l.vhost, l.value]));
  for (const x of b.vhosts ?? d.vhosts ?? []) {
    if (builtin.has(x.name)) continue;
    const dqt = x.metadata?.default_queue_type ?? x.default_queue_type;
    // Only compared where declared: a vhost created without one reports the node's default.
    const mine = declared?.vhosts.get(x.name);
    const declaresDqt =
      mine !== undefined &&
      (JSON.parse(mine) as { defaultQueueType?: string }).defaultQueueType !== undefined;
    put(v, "vhosts", x.name, {
      description: x.metadata?.description ?? x.description ?? "",
      limits: limits.get(x.name) ?? {},
      ...(declaresDqt && dqt ? { defaultQueueType: dqt } : {}),
    });
  }
  const tags = (t: string | readonly string[] | undefined) =>
    (typeof t === "string" ? t.split(",") : [...(t ?? [])]).filter((s) => s !== "").sort();
  for (const u of d.users ?? [])
    if (u.name !== opts.adminUser) put(v, "users", u.name, { tags: tags(u.tags) });
  for (const p of d.permissions ?? [])
    if (p.user !== opts.adminUser)
      put(v, "permissions", `${p.user}@${p.vhost}`, {
        configure: p.configure,
        write: p.write,
        read: p.read,
      });
  for (const p of d.topic_permissions ?? [])
    if (p.user !== opts.adminUser)
      put(v, "topicPermissions", `${p.user}@${p.vhost}/${p.exchange}`, {
        write: p.write,
        read: p.read,
      });
  for (const x of d.exchanges ?? [])
    if (x.name !== "" && !x.name.startsWith("amq."))
      put(v, "exchanges", `${x.vhost}/${x.name}`, {
        type: x.type,
        durable: x.durable,
        autoDelete: x.auto_delete,
        internal: x.internal,
        arguments: x.arguments ?? {},
      });
  for (const q of d.queues ?? [])
    put(v, "queues", `${q.vhost}/${q.name}`, {
      durable: q.durable,
      autoDelete: q.auto_delete,
      arguments: q.arguments ?? {},
    });
  for (const x of d.bindings ?? [])
    if (x.source !== "")
      put(
        v,
        "bindings",
        bindingId({
          vhost: x.vhost,
          source: x.source,
          destinationType: x.destination_type,
          destination: x.destination,
          routingKey: x.routing_key,
          arguments: x.arguments ?? {},
        }),
        {},
      );
  for (const [kind, list] of [
    ["policies", d.policies ?? []],
    ["operatorPolicies", b.operatorPolicies],
  ] as const)
    for (const p of list)
      put(v, kind, `${p.vhost}/${p.name}`, {
        pattern: p.pattern,
        applyTo: p["apply-to"],
        priority: p.priority,
        definition: p.definition,
      });
  return v;
}

/** Every difference, one line each ("missing", "extra", "differs"); empty when they agree. */
export function diffViews(declared: TopologyView, actual: TopologyView, perKind = 20): string[] {
  const lines: string[] = [];
  for (const kind of KINDS) {
    const want = declared[kind];
    const have = actual[kind];
    const found: string[] = [];
    for (const [id, s] of want)
      if (!have.has(id)) found.push(`${kind}: missing ${id}`);
      else if (have.get(id) !== s)
        found.push(`${kind}: ${id} differs: declared ${s}, broker has ${have.get(id)!}`);
    for (const [id, s] of have)
      if (!want.has(id)) found.push(`${kind}: extra ${id}${s === "{}" ? "" : ` ${s}`}`);
    lines.push(...found.slice(0, perKind));
    if (found.length > perKind) lines.push(`${kind}: ... and ${found.length - perKind} more`);
  }
  return lines;
}

/** How many objects a view holds, by kind (for messages). */
export function counts(v: TopologyView): Record<Kind, number> {
  return Object.fromEntries(KINDS.map((k) => [k, v[k].size])) as Record<Kind, number>;
}

/** Reads the broker's definitions, operator policies and vhost limits. */
export async function readBroker(api: ManagementApi): Promise<BrokerState> {
  const [definitions, vhosts, operatorPolicies, vhostLimits] = await Promise.all([
    api.mgmtJson<BrokerDefinitions>("/api/definitions"),
    api.mgmtJson<NonNullable<BrokerDefinitions["vhosts"]>>("/api/vhosts"),
    api.mgmtJson<BrokerPolicy[]>("/api/operator-policies"),
    api.mgmtJson<{ vhost: string; value: Record<string, number> }[]>("/api/vhost-limits"),
  ]);
  return { definitions, vhosts, operatorPolicies, vhostLimits };
}

/** The differences between the declared topology and the broker (empty: converged). */
export async function convergenceDiff(
  t: TopologySpec,
  broker: ManagementApi & { readonly adminUser: string },
): Promise<string[]> {
  const declared = declaredView(t);
  return diffViews(
    declared,
    brokerView(await readBroker(broker), { adminUser: broker.adminUser }, declared),
  );
}

/** Fails, naming every difference, unless the broker holds exactly the declared topology. */
export async function assertConverged(
  t: TopologySpec,
  broker: ManagementApi & { readonly adminUser: string },
): Promise<void> {
  const diff = await convergenceDiff(t, broker);
  if (diff.length)
    throw new Error(
      `the broker does not hold exactly the declared topology (${diff.length} difference(s)):\n  ${diff.join("\n  ")}`,
    );
}
