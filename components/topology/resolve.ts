// From `warren:topology` as parsed (schema.ts) to the typed TopologySpec: every object gets its
// config path, every queue its effective type; and the merge of generated objects with the user's.
import type { z } from "zod";
import type { topologySchema } from "./schema";
import type { QueueType, TopologySpec } from "./spec";

export type ParsedTopology = z.output<typeof topologySchema>;

/** The typed spec of a parsed topology; `key` is the config key it sits under (messages). */
export function resolveTopology(t: ParsedTopology, key = "warren:topology"): TopologySpec {
  const vhostDefault = new Map(t.vhosts.map((v) => [v.name, v.defaultQueueType]));
  const at = (kind: string) => (i: number) => `${key}.${kind}[${i}]`;
  return {
    vhosts: t.vhosts.map((v, i) => ({ ...v, path: at("vhosts")(i) })),
    users: t.users.map((u, i) => ({ ...u, path: at("users")(i) })),
    permissions: t.permissions.map((p, i) => ({ ...p, path: at("permissions")(i) })),
    topicPermissions: t.topicPermissions.map((p, i) => ({ ...p, path: at("topicPermissions")(i) })),
    exchanges: t.exchanges.map((x, i) => ({
      ...x,
      arguments: x.arguments as never,
      path: at("exchanges")(i),
    })),
    queues: t.queues.map((q, i) => {
      const fromArg = q.arguments["x-queue-type"];
      const type = (q.type ??
        (typeof fromArg === "string" && ["classic", "quorum", "stream"].includes(fromArg)
          ? fromArg
          : undefined) ??
        vhostDefault.get(q.vhost) ??
        "classic") as QueueType;
      return { ...q, type, arguments: q.arguments as never, path: at("queues")(i) };
    }),
    bindings: t.bindings.map((b, i) => ({
      ...b,
      arguments: b.arguments as never,
      path: at("bindings")(i),
    })),
    policies: t.policies.map((p, i) => ({
      ...p,
      definition: p.definition as never,
      path: at("policies")(i),
    })),
    operatorPolicies: t.operatorPolicies.map((p, i) => ({
      ...p,
      definition: p.definition as never,
      path: at("operatorPolicies")(i),
    })),
  };
}

/**
 * Merges generated objects with the user's. Generated ones come first so that a collision is
 * reported at the object the user wrote; a vhost the user declared is not declared twice.
 */
export function mergeTopologies(user: TopologySpec, generated: TopologySpec): TopologySpec {
  const userVhosts = new Set(user.vhosts.map((v) => v.name));
  return {
    vhosts: [...generated.vhosts.filter((v) => !userVhosts.has(v.name)), ...user.vhosts],
    users: [...generated.users, ...user.users],
    permissions: [...generated.permissions, ...user.permissions],
    topicPermissions: [...generated.topicPermissions, ...user.topicPermissions],
    exchanges: [...generated.exchanges, ...user.exchanges],
    queues: [...generated.queues, ...user.queues],
    bindings: [...generated.bindings, ...user.bindings],
    policies: [...generated.policies, ...user.policies],
    operatorPolicies: [...generated.operatorPolicies, ...user.operatorPolicies],
  };
}
