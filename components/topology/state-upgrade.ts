// The one-time state upgrade from the per-object topology (before issue 15) to the batched one.
//
// Before, `warren:rabbitmq:Topology` had one child resource per broker object (rabbitmq.Queue,
// rabbitmq.User, ..., ManagementObject and GeneratedPassword dynamic resources) under a
// `rabbitmq` provider. Now it has one `warren:VhostObjects` per vhost and one
// `warren:BrokerAccess`. Left in the state, the old children would be deleted by the next
// `pulumi up` (their resources are no longer declared), and deleting a rabbitmq.Queue deletes
// the queue and its messages on the broker. So before that `up`, the old children are dropped
// from the state alone (`pulumi stack export` → this → `pulumi stack import`): nothing on the
// broker changes, and the new resources' create declares the same objects again (a create is an
// upsert: a definitions import and PUTs, which keep existing queues and their messages).
//
// Pure: a stack export's JSON in, the upgraded JSON and what was dropped out.

/** The type of the topology component whose old children are dropped. */
export const TOPOLOGY_TYPE = "warren:rabbitmq:Topology";
/** The resource types the batched topology creates; they are kept. */
export const BATCHED_TYPES: readonly string[] = [
  "pulumi-nodejs:dynamic/warren:VhostObjects",
  "pulumi-nodejs:dynamic/warren:BrokerAccess",
];

interface StateResource {
  urn: string;
  type: string;
  parent?: string;
  provider?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  deletedWith?: string;
  [k: string]: unknown;
}

interface PendingOperation {
  resource: StateResource;
  type: string;
}

export interface StackExport {
  version: number;
  deployment: {
    resources?: StateResource[];
    pending_operations?: PendingOperation[];
    [k: string]: unknown;
  };
}

export interface UpgradeResult {
  /** The export to import; the same object when nothing changed. */
  readonly state: StackExport;
  /** The URNs dropped from the state, in state order. */
  readonly dropped: readonly string[];
  /** Dropped per resource type, for the message. */
  readonly byType: Readonly<Record<string, number>>;
}

/** The URN of a provider reference (`urn::id`). */
function providerUrn(ref: string): string {
  const i = ref.lastIndexOf("::");
  return i < 0 ? ref : ref.slice(0, i);
}

/** Whether `r` is one of the per-object topology's resources. */
function isLegacy(r: StateResource, byUrn: ReadonlyMap<string, StateResource>): boolean {
  // The provider the old rabbitmq.* resources used (the new design has no rabbitmq provider).
  if (r.type === "pulumi:providers:rabbitmq") return true;
  if (r.type.startsWith("rabbitmq:")) return true;
  if (BATCHED_TYPES.includes(r.type) || r.type === TOPOLOGY_TYPE) return false;
  // A dynamic resource (ManagementObject, GeneratedPassword) under the topology component.
  for (let p = r.parent; p !== undefined; p = byUrn.get(p)?.parent)
    if (byUrn.get(p)?.type === TOPOLOGY_TYPE) return r.type.startsWith("pulumi-nodejs:dynamic");
  return false;
}

/** Drops the per-object topology's resources and every reference to them. */
export function upgradeState(state: StackExport): UpgradeResult {
  const resources = state.deployment.resources ?? [];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const dropped = new Set(resources.filter((r) => isLegacy(r, byUrn)).map((r) => r.urn));
  const pending = state.deployment.pending_operations ?? [];
  const pendingDropped = pending.filter((o) => isLegacy(o.resource, byUrn));
  if (dropped.size === 0 && pendingDropped.length === 0) return { state, dropped: [], byType: {} };

  const byType: Record<string, number> = {};
  for (const r of resources) if (dropped.has(r.urn)) byType[r.type] = (byType[r.type] ?? 0) + 1;
  const keep = (urns: string[] | undefined) => urns?.filter((u) => !dropped.has(u));
  const kept = resources
    .filter((r) => !dropped.has(r.urn))
    .map((r): StateResource => {
      if (r.provider !== undefined && dropped.has(providerUrn(r.provider)))
        throw new Error(`${r.urn} uses the rabbitmq provider but is not part of the topology`);
      const out: StateResource = { ...r };
      if (r.dependencies) out.dependencies = keep(r.dependencies);
      if (r.propertyDependencies)
        out.propertyDependencies = Object.fromEntries(
          Object.entries(r.propertyDependencies).map(([k, v]) => [k, keep(v) ?? []]),
        );
      if (r.deletedWith !== undefined && dropped.has(r.deletedWith)) delete out.deletedWith;
      return out;
    });
  const deployment = { ...state.deployment, resources: kept };
  if (state.deployment.pending_operations)
    deployment.pending_operations = pending.filter((o) => !isLegacy(o.resource, byUrn));
  return {
    state: { ...state, deployment },
    dropped: resources.filter((r) => dropped.has(r.urn)).map((r) => r.urn),
    byType,
  };
}
