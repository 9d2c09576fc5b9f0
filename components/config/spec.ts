// The one place where raw `warren:*` config becomes the typed WarrenSpec: shape (zod), defaults,
// alerting expansion, then each domain's cross-object rules. Errors come back all at once,
// path-addressed. The spec is a union by runtime, so each runtime's parts are there when needed.
import { expandAlerting } from "../alerting/expand";
import { type AlertingSpec, buildAlertingSpec } from "../alerting/model";
import type { ConsumersConfig } from "../alerting/consumers-schema";
import { validateConsumers } from "../alerting/consumer-plan";
import { type ClusterSpec, clusterSchema } from "../cluster/schema";
import { validateCluster } from "../cluster/validate";
import type { Environment } from "../core/environment";
import { type ConfigIssue, ConfigError, show, suggest } from "../core/issues";
import { ADMIN_USER } from "../core/naming";
import type { SecretInput } from "../core/secret";
import { mergeTopologies, resolveTopology } from "../topology/resolve";
import type { TopologySpec } from "../topology/spec";
import { validateTopology } from "../topology/validate";
import {
  type DockerConfig,
  type KubernetesConfig,
  type ParsedWarrenConfig,
  type Runtime,
  dockerSchema,
  warrenConfigSchema,
} from "./schema";
import { NAMESPACE, fromZod } from "./zod-issues";

export { NAMESPACE } from "./zod-issues";

export interface BrokerSpec {
  readonly managementUrl: string;
  readonly username: string;
  readonly password?: SecretInput;
  readonly insecure: boolean;
}

/** What every stack has, whatever its runtime. */
interface SpecBase {
  readonly environment: Environment;
  readonly topology: TopologySpec;
  readonly alerting?: AlertingSpec;
  /** Users whose password comes from `warren:passwords` rather than being generated. */
  readonly passwords?: Readonly<Record<string, string>> | { readonly secure: string };
}

/** A broker someone else runs; warren manages what lives inside it. */
export interface ExternalStackSpec extends SpecBase {
  readonly runtime: "external";
  /** Required to run; a reviewer's tools validate a topology without it. */
  readonly broker?: BrokerSpec;
}

/** The runtimes where warren runs the nodes and the dispatchers itself. */
interface ClusterStackSpec extends SpecBase {
  readonly cluster: ClusterSpec;
  /** The dispatcher deployments. */
  readonly consumers?: ConsumersConfig;
}

export interface DockerStackSpec extends ClusterStackSpec {
  readonly runtime: "docker";
  readonly docker: DockerConfig;
}

export interface KubernetesStackSpec extends ClusterStackSpec {
  readonly runtime: "kubernetes";
  readonly kubernetes: KubernetesConfig;
}

export type WarrenSpec = ExternalStackSpec | DockerStackSpec | KubernetesStackSpec;

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

/** Which runtime keys go with which runtime. */
function runtimeIssues(c: ParsedWarrenConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const only = (key: string, runtime: Runtime) =>
    issues.push({
      path: `${NAMESPACE}:${key}`,
      message: `only applies to warren:runtime "${runtime}" (this stack's runtime is "${c.runtime}")`,
    });
  // (An external runtime's missing warren:broker is reported when the program runs: reviewers'
  // tools validate a topology without any broker.)
  if (c.runtime !== "external" && c.broker) only("broker", "external");
  if (c.runtime === "external" && c.cluster)
    issues.push({
      path: `${NAMESPACE}:cluster`,
      message: `only applies to warren:runtime "docker" or "kubernetes" (this stack's runtime is "external")`,
    });
  if (c.runtime !== "docker" && c.docker) only("docker", "docker");
  if (c.runtime !== "kubernetes" && c.kubernetes) only("kubernetes", "kubernetes");
  if (c.runtime === "external" && c.consumers)
    issues.push({
      path: `${NAMESPACE}:consumers`,
      message: `needs warren:runtime "docker" or "kubernetes" to run the dispatchers (this stack's runtime is "external")`,
    });
  if (c.runtime === "kubernetes" && !c.kubernetes)
    issues.push({
      path: `${NAMESPACE}:kubernetes`,
      message: `is required when warren:runtime is "kubernetes" (at least managementUrl: how pulumi reaches the management API)`,
    });
  return issues;
}

export type ParseResult = { ok: true; spec: WarrenSpec } | { ok: false; issues: ConfigIssue[] };

/** Parses and validates a raw config map (full `ns:key` keys); never throws on bad input. */
export function parseWarrenConfig(config: Record<string, unknown>): ParseResult {
  const raw = warrenKeys(config);
  const parsed = warrenConfigSchema.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      issues: dedupe(parsed.error.issues.flatMap((i) => fromZod(i, raw, warrenConfigSchema))),
    };
  const c = parsed.data;
  const issues: ConfigIssue[] = [];
  let topology = resolveTopology(c.topology, `${NAMESPACE}:topology`);
  let alerting: AlertingSpec | undefined;
  if (c.alerting?.enabled) {
    alerting = buildAlertingSpec(c.alerting, issues);
    if (issues.length === 0) topology = mergeTopologies(topology, expandAlerting(alerting));
  }
  issues.push(...runtimeIssues(c));
  const cluster = c.runtime === "external" ? undefined : (c.cluster ?? clusterSchema.parse({}));
  if (cluster && c.runtime !== "external")
    issues.push(...validateCluster(cluster, c.environment, undefined, c.runtime));
  if (c.consumers) issues.push(...validateConsumers(c.consumers, alerting));
  if (issues.length === 0)
    issues.push(
      ...validateTopology(topology, {
        externalUsers: c.broker ? [c.broker.username] : [ADMIN_USER],
      }),
    );
  if (c.passwords && !("secure" in c.passwords)) {
    const declared = new Set(topology.users.map((u) => u.name));
    for (const user of Object.keys(c.passwords))
      if (!declared.has(user))
        issues.push({
          path: `${NAMESPACE}:passwords.${user}`,
          message: `user ${show(user)} is not declared${suggest(user, [...declared])}`,
        });
  }
  if (issues.length) return { ok: false, issues: dedupe(issues) };
  return { ok: true, spec: assemble(c, cluster ?? clusterSchema.parse({}), topology, alerting) };
}

/** The spec of a config that passed every check, shaped by its runtime. */
function assemble(
  c: ParsedWarrenConfig,
  cluster: ClusterSpec,
  topology: TopologySpec,
  alerting: AlertingSpec | undefined,
): WarrenSpec {
  const base: SpecBase = {
    environment: c.environment,
    topology,
    alerting,
    passwords: c.passwords,
  };
  switch (c.runtime) {
    case "external":
      return { ...base, runtime: "external", broker: c.broker };
    case "docker":
      return {
        ...base,
        runtime: "docker",
        cluster,
        docker: c.docker ?? dockerSchema.parse({}),
        consumers: c.consumers,
      };
    case "kubernetes":
      // runtimeIssues refuses a kubernetes stack without warren:kubernetes.
      if (!c.kubernetes) throw new Error("unreachable: warren:kubernetes was checked");
      return {
        ...base,
        runtime: "kubernetes",
        cluster,
        kubernetes: c.kubernetes,
        consumers: c.consumers,
      };
  }
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
