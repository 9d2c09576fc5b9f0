// The Terraform peer of `npm run bench:engine`: the same broker objects warren creates from a
// validated topology, as one Terraform configuration in JSON syntax (main.tf.json) for the
// cyrilgdn/rabbitmq provider 1.8.0 (the commit pulumi-rabbitmq 3.3.8 bridges). A pure function of
// the spec (user passwords come from `opts.password`). One Terraform resource per object of
// plan.ts: each vhost, user, permission, exchange, queue, binding, policy and operator policy;
// topic permissions, as in plan.ts and the management API, one resource per user and vhost.
// Names of other resources are references ("${rabbitmq_vhost.x.name}"), so Terraform orders
// creation and destruction by them. What the provider cannot say (vhost descriptions, default
// queue types and limits, internal exchanges, policy values other than strings and integers) is
// listed in `gaps`; the synthetic topology of the bench has none of it.
import { createHash, randomBytes } from "crypto";
import { bindingKey, grantKey } from "../components/topology/plan";
import type { ArgValue, Arguments, PolicySpec, TopologySpec } from "../components/topology/spec";

export const PROVIDER_SOURCE = "cyrilgdn/rabbitmq";
export const PROVIDER_VERSION = "1.8.0";
export const TERRAFORM_VERSION = "1.5.7";

/** Terraform resource types, by the TopologySpec list each one comes from. */
export const RESOURCE_TYPES = {
  vhosts: "rabbitmq_vhost",
  users: "rabbitmq_user",
  permissions: "rabbitmq_permissions",
  topicPermissions: "rabbitmq_topic_permissions",
  exchanges: "rabbitmq_exchange",
  queues: "rabbitmq_queue",
  bindings: "rabbitmq_binding",
  policies: "rabbitmq_policy",
  operatorPolicies: "rabbitmq_operator_policy",
} as const satisfies Record<keyof TopologySpec, string>;

type Block = Record<string, unknown>;

/** A main.tf.json document. */
export interface TerraformJson {
  readonly terraform: Block;
  readonly variable: Record<string, Block>;
  readonly provider: { readonly rabbitmq: Block };
  /** Resource type → resource name → arguments. */
  readonly resource: Record<string, Record<string, Block>>;
}

export interface TerraformOptions {
  /** A user's password. @default 32 random base64url characters (as warren generates them) */
  readonly password?: (user: string) => string;
}

export interface TerraformConfig {
  readonly json: TerraformJson;
  /** What of the spec the provider cannot express (the objects are created without it). */
  readonly gaps: readonly string[];
}

/** The variables the provider block reads (set them as TF_VAR_<name>). */
export const VARIABLES = {
  endpoint: "rabbitmq_endpoint",
  username: "rabbitmq_username",
  password: "rabbitmq_password",
} as const;

/**
 * A literal string in Terraform's JSON syntax, where strings are templates: "${" and "%{" would
 * start an interpolation or directive and are escaped by doubling the sign.
 */
export const literal = (s: string) => s.replace(/([$%])\{/g, "$1$1{");

const ref = (type: string, name: string) => `\${${type}.${name}.name}`;

/**
 * A resource name (letters, digits, `_`, `-`; not starting with a digit or `-`) for an object
 * identified by `parts`, readable and unique: when the parts had to be changed to fit, a digest of
 * the original is appended.
 */
export function resourceName(...parts: string[]): string {
  const raw = parts.join("__");
  let name = raw.replace(/[^A-Za-z0-9_-]/g, "_");
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  if (name === raw) return name;
  return `${name}_${createHash("sha256").update(raw).digest("hex").slice(0, 8)}`;
}

const sortedArgs = (a: Arguments): Arguments =>
  Object.fromEntries(
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k]]),
  );

const stringOf = (v: ArgValue) => (typeof v === "string" ? v : JSON.stringify(v));

export function terraformConfig(t: TopologySpec, opts: TerraformOptions = {}): TerraformConfig {
  const password = opts.password ?? (() => randomBytes(24).toString("base64url"));
  const gaps: string[] = [];
  const resource: Record<string, Record<string, Block>> = {};
  const add = (type: string, name: string, block: Block) => {
    const of = (resource[type] ??= {});
    if (name in of) throw new Error(`internal: two ${type} resources named ${name}`);
    of[name] = block;
  };

  const vhostNames = new Map(t.vhosts.map((v) => [v.name, resourceName(v.name)]));
  const vhostRef = (vhost: string) => {
    const n = vhostNames.get(vhost);
    if (!n) throw new Error(`internal: vhost ${vhost} is not declared (validation let it through)`);
    return ref(RESOURCE_TYPES.vhosts, n);
  };
  for (const v of t.vhosts) {
    add(RESOURCE_TYPES.vhosts, vhostNames.get(v.name)!, { name: literal(v.name) });
    if (v.description) gaps.push(`vhost ${v.name}: description (rabbitmq_vhost has only a name)`);
    if (v.defaultQueueType) gaps.push(`vhost ${v.name}: default queue type`);
    if (v.limits?.maxConnections !== undefined || v.limits?.maxQueues !== undefined)
      gaps.push(`vhost ${v.name}: limits`);
  }

  // Users not declared (the broker's admin) are named as they are.
  const userNames = new Map(t.users.map((u) => [u.name, resourceName(u.name)]));
  const userRef = (user: string) => {
    const n = userNames.get(user);
    return n ? ref(RESOURCE_TYPES.users, n) : literal(user);
  };
  for (const u of t.users)
    add(RESOURCE_TYPES.users, userNames.get(u.name)!, {
      name: literal(u.name),
      password: literal(password(u.name)),
      tags: u.tags.map(literal),
    });
  for (const p of t.permissions)
    add(RESOURCE_TYPES.permissions, resourceName(grantKey(p.user, p.vhost)), {
      user: userRef(p.user),
      vhost: vhostRef(p.vhost),
      permissions: [
        { configure: literal(p.configure), write: literal(p.write), read: literal(p.read) },
      ],
    });
  const topic = new Map<string, { user: string; vhost: string; permissions: Block[] }>();
  for (const p of t.topicPermissions) {
    const k = grantKey(p.user, p.vhost);
    if (!topic.has(k)) topic.set(k, { user: p.user, vhost: p.vhost, permissions: [] });
    topic.get(k)!.permissions.push({
      exchange: literal(p.exchange),
      write: literal(p.write),
      read: literal(p.read),
    });
  }
  for (const [k, g] of topic)
    add(RESOURCE_TYPES.topicPermissions, resourceName(k), {
      user: userRef(g.user),
      vhost: vhostRef(g.vhost),
      permissions: g.permissions,
    });

  // Exchanges and queues are named per vhost; bindings refer to the ones declared here (others,
  // such as amq.topic, exist in every vhost).
  const exchangeNames = new Map<string, string>();
  const queueNames = new Map<string, string>();
  for (const x of t.exchanges) {
    const name = resourceName(x.vhost, x.name);
    exchangeNames.set(`${x.vhost}\u0000${x.name}`, name);
    const args: Record<string, string> = {};
    for (const [k, v] of Object.entries(x.arguments)) args[k] = literal(stringOf(v));
    if (x.alternateExchange !== undefined)
      args["alternate-exchange"] = literal(x.alternateExchange);
    if (x.internal)
      gaps.push(
        `exchange ${x.name} in vhost ${x.vhost}: internal (the provider has no such field)`,
      );
    add(RESOURCE_TYPES.exchanges, name, {
      name: literal(x.name),
      vhost: vhostRef(x.vhost),
      settings: [
        {
          type: x.type,
          durable: x.durable,
          auto_delete: x.autoDelete,
          ...(Object.keys(args).length ? { arguments: args } : {}),
        },
      ],
    });
  }
  for (const q of t.queues) {
    const name = resourceName(q.vhost, q.name);
    queueNames.set(`${q.vhost}\u0000${q.name}`, name);
    add(RESOURCE_TYPES.queues, name, {
      name: literal(q.name),
      vhost: vhostRef(q.vhost),
      settings: [
        {
          durable: q.durable,
          auto_delete: q.autoDelete,
          // As plan.ts: numbers stay numbers, the queue type is always explicit.
          arguments_json: literal(
            JSON.stringify(sortedArgs({ ...q.arguments, "x-queue-type": q.type })),
          ),
        },
      ],
    });
  }
  for (const b of t.bindings) {
    const exchange = (x: string) => {
      const n = exchangeNames.get(`${b.vhost}\u0000${x}`);
      return n ? ref(RESOURCE_TYPES.exchanges, n) : literal(x);
    };
    const queue = queueNames.get(`${b.vhost}\u0000${b.destination}`);
    add(RESOURCE_TYPES.bindings, resourceName(b.vhost, bindingKey(b)), {
      vhost: vhostRef(b.vhost),
      source: exchange(b.source),
      destination:
        b.destinationType === "queue"
          ? queue
            ? ref(RESOURCE_TYPES.queues, queue)
            : literal(b.destination)
          : exchange(b.destination),
      destination_type: b.destinationType,
      routing_key: literal(b.routingKey),
      ...(Object.keys(b.arguments).length
        ? { arguments_json: literal(JSON.stringify(sortedArgs(b.arguments))) }
        : {}),
    });
  }

  const policy = (kind: string, p: PolicySpec): Block => {
    // The provider's definition is a map of strings; it turns strings of digits back into integers.
    const definition: Record<string, string> = {};
    for (const [k, v] of Object.entries(sortedArgs(p.definition))) {
      if (typeof v === "number" && Number.isInteger(v)) definition[k] = String(v);
      else if (typeof v === "string" && !/^[-+]?\d+$/.test(v)) definition[k] = literal(v);
      else {
        definition[k] = literal(stringOf(v));
        gaps.push(
          `${kind} ${p.name} in vhost ${p.vhost}: ${k} = ${JSON.stringify(v)} becomes a string`,
        );
      }
    }
    return {
      name: literal(p.name),
      vhost: vhostRef(p.vhost),
      policy: [
        {
          pattern: literal(p.pattern),
          priority: p.priority,
          apply_to: p.applyTo,
          definition,
        },
      ],
    };
  };
  for (const p of t.policies)
    add(RESOURCE_TYPES.policies, resourceName(p.vhost, p.name), policy("policy", p));
  for (const p of t.operatorPolicies)
    add(
      RESOURCE_TYPES.operatorPolicies,
      resourceName(p.vhost, p.name),
      policy("operator policy", p),
    );

  return {
    json: {
      terraform: {
        required_version: `= ${TERRAFORM_VERSION}`,
        required_providers: {
          rabbitmq: { source: PROVIDER_SOURCE, version: `= ${PROVIDER_VERSION}` },
        },
      },
      variable: {
        [VARIABLES.endpoint]: { type: "string" },
        [VARIABLES.username]: { type: "string" },
        [VARIABLES.password]: { type: "string", sensitive: true },
      },
      provider: {
        rabbitmq: {
          endpoint: `\${var.${VARIABLES.endpoint}}`,
          username: `\${var.${VARIABLES.username}}`,
          password: `\${var.${VARIABLES.password}}`,
        },
      },
      resource,
    },
    gaps,
  };
}

/** How many resources of each type a configuration declares. */
export function resourceCounts(json: TerraformJson): Record<string, number> {
  return Object.fromEntries(
    Object.entries(json.resource).map(([type, byName]) => [type, Object.keys(byName).length]),
  );
}
