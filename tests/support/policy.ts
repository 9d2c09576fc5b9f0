// Runs policy-pack rules directly (without the PolicyPack server): resource fixtures with real
// type tokens, and the violations a rule reports for them.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type { Rule } from "../../policies/rules";

type Props = Record<string, unknown>;

export interface Fixture {
  type: string;
  name: string;
  urn: string;
  props: Props;
  opts: { protect: boolean; parent?: string };
}

let n = 0;
/** A resource as the analyzer sees it; `parent` is a URN (e.g. of a warren:rabbitmq:Topology). */
export function res(type: string, props: Props, opts: Partial<Fixture["opts"]> = {}): Fixture {
  const name = `r${n++}`;
  return {
    type,
    name,
    urn: `urn:pulumi:test::warren::${type}::${name}`,
    props,
    opts: { protect: false, ...opts },
  };
}

export const TOPOLOGY_URN = "urn:pulumi:test::warren::warren:rabbitmq:Topology::warren";

const isStack = (r: Rule): r is StackValidationPolicy => "validateStack" in r;

/** Every message the rule reports for `resources` (a resource rule is run on each one). */
export async function violations(
  rule: Rule,
  resources: Fixture[],
  config: object = {},
): Promise<string[]> {
  const out: string[] = [];
  const report = (m: string) => out.push(m);
  if (isStack(rule)) {
    const stackResources = resources.map(
      (r) =>
        ({
          ...r,
          opts: { ...r.opts },
          dependencies: [],
          propertyDependencies: {},
        }) as unknown as PolicyResource,
    );
    await rule.validateStack?.(
      { resources: stackResources, getConfig: <T>() => config as T } as never,
      report,
    );
  } else {
    const validate = rule.validateResource;
    for (const f of [validate ?? []].flat())
      for (const r of resources)
        await f({ ...r, getConfig: <T>() => config as T, stackTags: new Map() } as never, report);
  }
  return out;
}

/** Resource type tokens, as the providers register them. */
export { T } from "../../policies/lib/resources";

/** Enforcement level and settings of a rule in an environment config (policies/<env>.json). */
export function ruleSettings(
  rule: Rule,
  envConfig: Record<string, unknown>,
): { level: string; config: Record<string, unknown> } {
  const entry = envConfig[rule.name];
  const defaults = Object.fromEntries(
    Object.entries(rule.configSchema?.properties ?? {}).flatMap(([k, s]) =>
      (s as { default?: unknown }).default !== undefined
        ? [[k, (s as { default: unknown }).default]]
        : [],
    ),
  );
  if (typeof entry === "string") return { level: entry, config: defaults };
  const { enforcementLevel, ...settings } = (entry ?? {}) as Record<string, unknown>;
  return {
    level:
      (enforcementLevel as string) ??
      (envConfig.all as string) ??
      rule.enforcementLevel ??
      "advisory",
    config: { ...defaults, ...settings },
  };
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Mocks show secrets in Pulumi's envelope; the analyzer gets their plain values. */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** Resources recorded by the Pulumi mocks, as the analyzer would see them. */
export function fromMocks(
  recorded: readonly { type: string; name: string; inputs: Props; parent?: string }[],
): Fixture[] {
  return recorded.map((r) => ({
    type: r.type,
    name: r.name,
    urn: `urn:pulumi:test::warren::${r.type}::${r.name}`,
    props: unwrapSecrets(r.inputs) as Props,
    opts: { protect: false, parent: r.parent },
  }));
}

/** Every violation of every rule, with the level the environment config gives it. */
export async function evaluate(
  rules: readonly Rule[],
  resources: Fixture[],
  envConfig: Record<string, unknown>,
) {
  const found: { rule: string; level: string; message: string }[] = [];
  for (const rule of rules) {
    const { level, config } = ruleSettings(rule, envConfig);
    if (level === "disabled") continue;
    for (const message of await violations(rule, resources, config))
      found.push({ rule: rule.name, level, message });
  }
  return found;
}
