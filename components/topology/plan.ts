// What the Topology component creates, decided here as plain data: per vhost, everything it holds
// (the inputs of one VhostObjects resource), and the users with their grants (the inputs of one
// BrokerAccess resource). Each kind is keyed by a stable name derived from the objects (never
// from list positions), so a preview shows which object changes. The component only maps this
// onto resources, so tests and benchmarks can check the decisions without Pulumi.
import { createHash } from "crypto";
import type { Environment } from "../core/environment";
import type { AccessEntries } from "./access";
import type { ExchangeEntry, PolicyEntry, QueueEntry, VhostEntries } from "./apply-plan";
import { bindingIdentity } from "./validate";
import type { Arguments, TopologySpec } from "./spec";

export interface PlanOptions {
  readonly environment: Environment;
  /** Users whose password is given in config (the others get a generated one). */
  readonly givenPasswords?: readonly string[];
}

/** Binding keys include a digest of routing key and arguments: bindings have no name of their own. */
export function bindingKey(b: Parameters<typeof bindingIdentity>[0]): string {
  const digest = createHash("sha256").update(bindingIdentity(b)).digest("hex").slice(0, 10);
  return `${b.source}>${b.destination}#${digest}`;
}

/** Permissions and topic permissions are keyed by user and vhost. */
export const grantKey = (user: string, vhost: string) => `${user}@${vhost}`;

export interface TopologyPlan {
  /** By vhost name. */
  readonly vhosts: Readonly<Record<string, VhostEntries>>;
  readonly access: AccessEntries;
}

const sorted = (a: Arguments): Arguments =>
  Object.fromEntries(
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k]]),
  );

const stringOf = (v: Arguments[string]) => (typeof v === "string" ? v : JSON.stringify(v));

export function planTopology(t: TopologySpec, opts: PlanOptions): TopologyPlan {
  // In prod, removing a vhost or queue leaves it on the broker with its messages.
  const retain = opts.environment === "prod";
  const vhosts: Record<string, VhostEntries> = {};
  const at = (vhost: string) => {
    const v = vhosts[vhost];
    if (!v) throw new Error(`internal: vhost ${vhost} is not declared (validation let it through)`);
    return v as {
      exchanges: Record<string, ExchangeEntry>;
      queues: Record<string, QueueEntry>;
      bindings: Record<string, VhostEntries["bindings"][string]>;
      policies: Record<string, PolicyEntry>;
      operatorPolicies: Record<string, PolicyEntry>;
    };
  };
  for (const v of t.vhosts)
    vhosts[v.name] = {
      vhost: {
        name: v.name,
        description: v.description ?? "",
        ...(v.defaultQueueType ? { defaultQueueType: v.defaultQueueType } : {}),
        limits: {
          ...(v.limits?.maxConnections !== undefined
            ? { "max-connections": v.limits.maxConnections }
            : {}),
          ...(v.limits?.maxQueues !== undefined ? { "max-queues": v.limits.maxQueues } : {}),
        },
      },
      exchanges: {},
      queues: {},
      bindings: {},
      policies: {},
      operatorPolicies: {},
      retain,
    };
  for (const x of t.exchanges) {
    const args: Record<string, string> = {};
    for (const [k, v] of Object.entries(x.arguments)) args[k] = stringOf(v);
    if (x.alternateExchange !== undefined) args["alternate-exchange"] = x.alternateExchange;
    at(x.vhost).exchanges[x.name] = {
      name: x.name,
      vhost: x.vhost,
      internal: x.internal,
      // durable is always explicit (RabbitMQ's API and the rabbitmq provider default it to false).
      settings: { type: x.type, durable: x.durable, autoDelete: x.autoDelete, arguments: args },
    };
  }
  for (const q of t.queues)
    at(q.vhost).queues[q.name] = {
      name: q.name,
      vhost: q.vhost,
      // Numbers stay numbers on the broker; the queue type is always explicit.
      settings: {
        durable: q.durable,
        autoDelete: q.autoDelete,
        argumentsJson: JSON.stringify(sorted({ ...q.arguments, "x-queue-type": q.type })),
      },
    };
  for (const b of t.bindings)
    at(b.vhost).bindings[bindingKey(b)] = {
      vhost: b.vhost,
      source: b.source,
      destination: b.destination,
      destinationType: b.destinationType,
      routingKey: b.routingKey,
      ...(Object.keys(b.arguments).length
        ? { argumentsJson: JSON.stringify(sorted(b.arguments)) }
        : {}),
    };
  const policy = (p: TopologySpec["policies"][number]): PolicyEntry => ({
    name: p.name,
    vhost: p.vhost,
    policy: {
      pattern: p.pattern,
      priority: p.priority,
      applyTo: p.applyTo,
      definition: sorted(p.definition),
    },
  });
  for (const p of t.policies) at(p.vhost).policies[p.name] = policy(p);
  for (const p of t.operatorPolicies) at(p.vhost).operatorPolicies[p.name] = policy(p);

  const given = new Set(opts.givenPasswords ?? []);
  const access: AccessEntries = {
    users: Object.fromEntries(t.users.map((u) => [u.name, { name: u.name, tags: [...u.tags] }])),
    permissions: Object.fromEntries(
      t.permissions.map((p) => [
        grantKey(p.user, p.vhost),
        {
          user: p.user,
          vhost: p.vhost,
          permissions: { configure: p.configure, write: p.write, read: p.read },
        },
      ]),
    ),
    topicPermissions: topicPermissions(t),
    generate: t.users.filter((u) => !given.has(u.name)).map((u) => u.name),
  };
  return { vhosts, access };
}

// One entry holds every exchange of one user in one vhost (the management API's own grouping).
function topicPermissions(t: TopologySpec): AccessEntries["topicPermissions"] {
  const out: Record<
    string,
    {
      user: string;
      vhost: string;
      permissions: { exchange: string; write: string; read: string }[];
    }
  > = {};
  for (const p of t.topicPermissions) {
    const k = grantKey(p.user, p.vhost);
    out[k] ??= { user: p.user, vhost: p.vhost, permissions: [] };
    out[k].permissions.push({ exchange: p.exchange, write: p.write, read: p.read });
  }
  return out;
}
