// The one place where raw `warren:*` config becomes the typed WarrenSpec: shape (zod), defaults,
// alerting expansion, then the cross-object rules. Errors come back all at once, path-addressed.
import type { ZodIssue } from "zod";
import { type AlertingSpec, buildAlertingSpec } from "../alerting/model";
import { expandAlerting } from "../alerting/expand";
import type { QueueType, TopologySpec } from "../topology/spec";
import { validateTopology } from "../topology/validate";
import { type ConfigIssue, ConfigError, show, suggest } from "./issues";
import type { ConsumersConfig } from "../alerting/consumers-schema";
import { validateConsumers } from "../alerting/dispatcher-env";
import { type ClusterSpec, clusterSchema } from "../cluster/schema";
import { validateCluster } from "../cluster/validate";
import {
  type DockerConfig,
  type Environment,
  type KubernetesConfig,
  type ParsedWarrenConfig,
  type Runtime,
  dockerSchema,
  warrenConfigSchema,
} from "./schema";

export const NAMESPACE = "warren";

/** A secret as config holds it: decrypted (under the engine) or still encrypted (in a stack file). */
export type SecretInput = string | { readonly secure: string };

export interface BrokerSpec {
  readonly managementUrl: string;
  readonly username: string;
  readonly password?: SecretInput;
  readonly insecure: boolean;
}

export interface WarrenSpec {
  readonly environment: Environment;
  readonly runtime: Runtime;
  /** The broker to manage (external runtime). */
  readonly broker?: BrokerSpec;
  /** The nodes warren runs itself (docker and kubernetes runtimes). */
  readonly cluster?: ClusterSpec;
  readonly docker?: DockerConfig;
  readonly kubernetes?: KubernetesConfig;
  /** The dispatcher deployments (docker and kubernetes runtimes). */
  readonly consumers?: ConsumersConfig;
  readonly topology: TopologySpec;
  readonly alerting?: AlertingSpec;
  /** Users whose password comes from `warren:passwords` rather than being generated. */
  readonly passwords?: Readonly<Record<string, string>> | { readonly secure: string };
}

function formatPath(key: string, path: readonly (string | number)[]): string {
  let out = `${NAMESPACE}:${key}`;
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `.${p}`;
  return out;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${show(v)}`;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** Turns one zod issue into path-addressed messages. */
function fromZod(issue: ZodIssue, raw: Record<string, unknown>): ConfigIssue[] {
  const [key, ...rest] = issue.path as (string | number)[];
  if (key === undefined) {
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((k) => ({
        path: `${NAMESPACE}:${k}`,
        message: `unknown config key${suggest(k, Object.keys(warrenConfigSchema.shape))}`,
      }));
    return [{ path: NAMESPACE, message: issue.message }];
  }
  const path = formatPath(String(key), rest);
  switch (issue.code) {
    case "unrecognized_keys": {
      // Suggest from the keys the object does accept.
      const known = knownKeysAt(issue.path as (string | number)[]);
      return issue.keys.map((k) => ({ path: `${path}.${k}`, message: `unknown key${suggest(k, known)}` }));
    }
    case "invalid_type": {
      const value = valueAt(raw, issue.path as (string | number)[]);
      if (issue.received === "undefined") return [{ path, message: "is required" }];
      return [{ path, message: `must be ${article(issue.expected)}, got ${describe(value)}` }];
    }
    case "invalid_enum_value":
      return [
        {
          path,
          message: `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}, got ${show(issue.received)}${suggest(String(issue.received), issue.options.map(String))}`,
        },
      ];
    case "invalid_union": {
      // Report the branch that got furthest rather than zod's "Invalid input".
      const inner = issue.unionErrors.flatMap((e) => e.issues).filter((i) => i.code !== "invalid_type");
      if (inner.length) return fromZod(inner[0], raw);
      return [{ path, message: `has the wrong type (${describe(valueAt(raw, issue.path as (string | number)[]))})` }];
    }
    case "too_small":
      if (issue.type === "string") return [{ path, message: issue.message === "must not be empty" ? issue.message : `must be at least ${issue.minimum} characters` }];
      return [{ path, message: `must be at least ${issue.minimum}${issue.inclusive ? "" : " (exclusive)"}, got ${show(valueAt(raw, issue.path as (string | number)[]))}` }];
    case "too_big":
      return [{ path, message: `must be at most ${issue.maximum}, got ${show(valueAt(raw, issue.path as (string | number)[]))}` }];
    default:
      return [{ path, message: issue.message.replace(/^Expected integer, received float$/, "must be an integer") }];
  }
}

function valueAt(raw: Record<string, unknown>, path: readonly (string | number)[]): unknown {
  let v: unknown = raw;
  for (const p of path) v = v === null || typeof v !== "object" ? undefined : (v as Record<string, unknown>)[p];
  return v;
}

/** The keys the schema accepts for the object at `path`, for "did you mean" hints. */
function knownKeysAt(path: readonly (string | number)[]): string[] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let s: any = warrenConfigSchema;
  for (const p of path) {
    while (s && !s.shape && s._def) s = s._def.innerType ?? s._def.schema ?? s._def.type ?? (s._def.options?.find((o: { shape?: unknown }) => o.shape));
    if (!s) return [];
    s = typeof p === "number" ? s : s.shape?.[p];
  }
  while (s && !s.shape && s._def) s = s._def.innerType ?? s._def.schema ?? s._def.type;
  return s?.shape ? Object.keys(s.shape) : [];
}

/**
 * Keeps the `warren:*` keys of a raw config map (full keys such as `warren:topology`), with
 * values either already structured (a stack file) or JSON strings (the engine's config bag).
 */
export function warrenKeys(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [full, value] of Object.entries(config)) {
    const i = full.indexOf(":");
    if (i < 0 || full.slice(0, i) !== NAMESPACE) continue;
    let key = full.slice(i + 1);
    if (key.startsWith("config:")) key = key.slice("config:".length); // legacy `ns:config:key` form
    out[key] = typeof value === "string" && /^\s*[[{]/.test(value) ? tryJson(value) : value;
  }
  return out;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function resolveQueueTypes(c: ParsedWarrenConfig): { topology: TopologySpec } {
  const t = c.topology;
  const vhostDefault = new Map(t.vhosts.map((v) => [v.name, v.defaultQueueType]));
  const at = (kind: string) => (i: number) => `${NAMESPACE}:topology.${kind}[${i}]`;
  return {
    topology: {
      vhosts: t.vhosts.map((v, i) => ({ ...v, path: at("vhosts")(i) })),
      users: t.users.map((u, i) => ({ ...u, path: at("users")(i) })),
      permissions: t.permissions.map((p, i) => ({ ...p, path: at("permissions")(i) })),
      topicPermissions: t.topicPermissions.map((p, i) => ({ ...p, path: at("topicPermissions")(i) })),
      exchanges: t.exchanges.map((x, i) => ({ ...x, arguments: x.arguments as never, path: at("exchanges")(i) })),
      queues: t.queues.map((q, i) => {
        const fromArg = q.arguments["x-queue-type"];
        const type = (q.type ??
          (typeof fromArg === "string" && ["classic", "quorum", "stream"].includes(fromArg) ? fromArg : undefined) ??
          vhostDefault.get(q.vhost) ??
          "classic") as QueueType;
        return { ...q, type, arguments: q.arguments as never, path: at("queues")(i) };
      }),
      bindings: t.bindings.map((b, i) => ({ ...b, arguments: b.arguments as never, path: at("bindings")(i) })),
      policies: t.policies.map((p, i) => ({ ...p, definition: p.definition as never, path: at("policies")(i) })),
      operatorPolicies: t.operatorPolicies.map((p, i) => ({ ...p, definition: p.definition as never, path: at("operatorPolicies")(i) })),
    },
  };
}

/**
 * Merges generated objects with the user's. Generated ones come first so that a collision is
 * reported at the object the user wrote; a vhost the user declared is not declared twice.
 */
function merge(user: TopologySpec, generated: TopologySpec): TopologySpec {
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

/** The admin user the cluster runtimes create (its password is generated). */
export const ADMIN_USER = "warren-admin";

/** Which runtime keys go with which runtime. */
function runtimeIssues(c: ParsedWarrenConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const only = (key: string, runtime: Runtime) =>
    issues.push({ path: `${NAMESPACE}:${key}`, message: `only applies to warren:runtime "${runtime}" (this stack's runtime is "${c.runtime}")` });
  // (An external runtime's missing warren:broker is reported when the program runs: reviewers'
  // tools validate a topology without any broker.)
  if (c.runtime !== "external" && c.broker) only("broker", "external");
  if (c.runtime === "external" && c.cluster)
    issues.push({ path: `${NAMESPACE}:cluster`, message: `only applies to warren:runtime "docker" or "kubernetes" (this stack's runtime is "external")` });
  if (c.runtime !== "docker" && c.docker) only("docker", "docker");
  if (c.runtime !== "kubernetes" && c.kubernetes) only("kubernetes", "kubernetes");
  if (c.runtime === "external" && c.consumers)
    issues.push({ path: `${NAMESPACE}:consumers`, message: `needs warren:runtime "docker" or "kubernetes" to run the dispatchers (this stack's runtime is "external")` });
  if (c.runtime === "kubernetes" && !c.kubernetes)
    issues.push({ path: `${NAMESPACE}:kubernetes`, message: `is required when warren:runtime is "kubernetes" (at least managementUrl: how pulumi reaches the management API)` });
  return issues;
}

export type ParseResult = { ok: true; spec: WarrenSpec } | { ok: false; issues: ConfigIssue[] };

/** Parses and validates a raw config map (full `ns:key` keys); never throws on bad input. */
export function parseWarrenConfig(config: Record<string, unknown>): ParseResult {
  const raw = warrenKeys(config);
  const parsed = warrenConfigSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: dedupe(parsed.error.issues.flatMap((i) => fromZod(i, raw))) };
  const c = parsed.data;
  const issues: ConfigIssue[] = [];
  let { topology } = resolveQueueTypes(c);
  let alerting: AlertingSpec | undefined;
  if (c.alerting?.enabled) {
    alerting = buildAlertingSpec(c.alerting, issues);
    if (issues.length === 0) topology = merge(topology, expandAlerting(alerting));
  }
  issues.push(...runtimeIssues(c));
  const cluster = c.runtime === "external" ? undefined : (c.cluster ?? clusterSchema.parse({}));
  if (cluster) issues.push(...validateCluster(cluster, c.environment));
  if (c.consumers) issues.push(...validateConsumers(c.consumers, alerting));
  if (issues.length === 0) issues.push(...validateTopology(topology, { externalUsers: c.broker ? [c.broker.username] : [ADMIN_USER] }));
  if (c.passwords && !("secure" in c.passwords)) {
    const declared = new Set(topology.users.map((u) => u.name));
    for (const user of Object.keys(c.passwords))
      if (!declared.has(user)) issues.push({ path: `${NAMESPACE}:passwords.${user}`, message: `user ${show(user)} is not declared${suggest(user, [...declared])}` });
  }
  if (issues.length) return { ok: false, issues: dedupe(issues) };
  return {
    ok: true,
    spec: {
      environment: c.environment,
      runtime: c.runtime,
      broker: c.broker,
      cluster,
      docker: c.runtime === "docker" ? (c.docker ?? dockerSchema.parse({})) : undefined,
      kubernetes: c.runtime === "kubernetes" ? c.kubernetes : undefined,
      consumers: c.consumers,
      topology,
      alerting,
      passwords: c.passwords as WarrenSpec["passwords"],
    },
  };
}

/** Like parseWarrenConfig, but throws one ConfigError carrying every issue. */
export function loadWarrenSpec(config: Record<string, unknown>): WarrenSpec {
  const r = parseWarrenConfig(config);
  if (!r.ok) throw new ConfigError(r.issues);
  return r.spec;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
