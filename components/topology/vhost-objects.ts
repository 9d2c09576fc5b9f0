// warren:VhostObjects — one vhost and everything in it (exchanges, queues, bindings, policies,
// operator policies, limits) as one Pulumi resource, applied through the management API: explicit
// deletes first, then one definitions import of everything declared (`POST /api/definitions/
// {vhost}`, idempotent). One resource per vhost instead of one per object keeps `pulumi up`
// linear in the number of objects (the file backend rewrites the whole state around every
// resource step), and an interrupted apply is simply applied again. The steps are decided in
// apply-plan.ts; a preview still shows each object's change (the inputs are keyed by name).
import * as pulumi from "@pulumi/pulumi";
import { DynamicResource, dynamicProvider } from "../core/dynamic-resource";
import {
  type ApplySteps,
  type BindingEntry,
  type DestroySteps,
  type LiveDeclaration,
  type VhostEntries,
  bindingArguments,
  canonical,
  declarationConflicts,
  planApply,
  planDestroy,
  policyBody,
  redeclarations,
  retainedQueueChanges,
} from "./apply-plan";
import { type ManagementConnection, apiPath, callApi, eachLimited } from "./management";

interface Inputs extends VhostEntries {
  readonly connection: ManagementConnection;
  /** Filled in by `check` for the preview: objects this change deletes and declares again. */
  readonly redeclared: readonly string[];
}

/** Parallel management calls per step (the broker handles them one vhost at a time anyway). */
const WIDTH = 8;

async function apply(c: ManagementConnection, v: string, s: ApplySteps, e: VhostEntries) {
  if (s.putVhost)
    // The description and default queue type in one PUT. RabbitMQ before 3.11.17 takes the
    // default queue type only when the vhost is created (rabbitmq/rabbitmq-server#7912), and 3.10
    // spells the key `defaultqueuetype`.
    await callApi(c, "PUT", apiPath("vhosts", v), {
      description: e.vhost.description,
      ...(e.vhost.defaultQueueType
        ? {
            default_queue_type: e.vhost.defaultQueueType,
            defaultqueuetype: e.vhost.defaultQueueType,
          }
        : {}),
    });
  await eachLimited(s.putLimits, WIDTH, ([name, value]) =>
    callApi(c, "PUT", apiPath("vhost-limits", v, name), { value }),
  );
  await eachLimited(s.deleteLimits, WIDTH, (name) =>
    callApi(c, "DELETE", apiPath("vhost-limits", v, name), undefined, { missingOk: true }),
  );
  await deleteObjects(c, v, s);
  await callApi(c, "POST", apiPath("definitions", v), s.definitions);
  // The import leaves an existing queue or exchange as it is: fail on one that differs.
  const live = (await callApi(c, "GET", apiPath("definitions", v))) as {
    queues?: LiveDeclaration[];
    exchanges?: LiveDeclaration[];
  };
  const conflicts = declarationConflicts(v, s.definitions, live);
  if (conflicts.length) throw new Error(conflicts.join("\n"));
  await eachLimited(s.putOperatorPolicies, WIDTH, (p) =>
    callApi(c, "PUT", apiPath("operator-policies", v, p.name), policyBody(p)),
  );
}

async function deleteObjects(
  c: ManagementConnection,
  v: string,
  s: Omit<DestroySteps, "deleteVhost" | "deleteLimits"> & {
    readonly deleteQueues?: readonly string[];
  },
) {
  const gone = { missingOk: true };
  await eachLimited(s.deleteBindings, WIDTH, (b) => deleteBinding(c, v, b));
  await eachLimited(s.deletePolicies, WIDTH, (n) =>
    callApi(c, "DELETE", apiPath("policies", v, n), undefined, gone),
  );
  await eachLimited(s.deleteOperatorPolicies, WIDTH, (n) =>
    callApi(c, "DELETE", apiPath("operator-policies", v, n), undefined, gone),
  );
  await eachLimited(s.deleteQueues ?? [], WIDTH, (n) =>
    callApi(c, "DELETE", apiPath("queues", v, n), undefined, gone),
  );
  await eachLimited(s.deleteExchanges, WIDTH, (n) =>
    callApi(c, "DELETE", apiPath("exchanges", v, n), undefined, gone),
  );
}

/** Bindings have no name: find the one with this routing key and arguments, delete it by its key. */
async function deleteBinding(c: ManagementConnection, v: string, b: BindingEntry) {
  const kind = b.destinationType === "queue" ? "q" : "e";
  const at = apiPath("bindings", v, "e", b.source, kind, b.destination);
  const live = (await callApi(c, "GET", at, undefined, { missingOk: true })) as
    | { routing_key: string; arguments: Record<string, unknown>; properties_key: string }[]
    | undefined;
  const args = canonical(bindingArguments(b));
  for (const l of live ?? [])
    if (l.routing_key === b.routingKey && canonical(l.arguments ?? {}) === args)
      await callApi(c, "DELETE", `${at}/${encodeURIComponent(l.properties_key)}`, undefined, {
        missingOk: true,
      });
}

const provider = dynamicProvider("VhostObjects", {
  check(olds, news) {
    const before = olds && "vhost" in olds ? olds : undefined;
    const failures = retainedQueueChanges(before, news).map((reason) => ({
      property: "queues",
      reason,
    }));
    return Promise.resolve({
      inputs: { ...news, redeclared: redeclarations(before, news) },
      failures,
    });
  },
  diff(_id, olds, news) {
    const keys = [
      "vhost",
      "exchanges",
      "queues",
      "bindings",
      "policies",
      "operatorPolicies",
      "retain",
      "connection",
    ] as const;
    const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    const replaces = olds.vhost.name !== news.vhost.name ? ["vhost"] : [];
    return Promise.resolve({ changes: changed.length > 0, replaces, deleteBeforeReplace: true });
  },
  async create(inputs) {
    const v = inputs.vhost.name;
    await apply(inputs.connection, v, planApply(undefined, inputs), inputs);
    return { id: v, outs: { ...inputs, redeclared: [] } };
  },
  async update(_id, olds, news) {
    const v = news.vhost.name;
    await apply(news.connection, v, planApply(olds, news), news);
    return { outs: { ...news, redeclared: [] } };
  },
  // For refresh: a vhost deleted out of band is reported gone, and objects deleted from it are
  // dropped from the state (the next `up` declares them again); settings are not re-read.
  async read(id, props) {
    const p = props!;
    const c = p.connection;
    const v = p.vhost.name;
    if (!(await callApi(c, "GET", apiPath("vhosts", v), undefined, { missingOk: true }))) return {};
    const live = (await callApi(c, "GET", apiPath("definitions", v))) as {
      exchanges?: { name: string }[];
      queues?: { name: string }[];
      policies?: { name: string }[];
      bindings?: {
        source: string;
        destination: string;
        destination_type: string;
        routing_key: string;
        arguments?: Record<string, unknown>;
      }[];
    };
    const ops = ((await callApi(c, "GET", apiPath("operator-policies", v))) ?? []) as {
      name: string;
    }[];
    const names = (l: { name: string }[] | undefined) => new Set((l ?? []).map((o) => o.name));
    const keep = <E>(m: Readonly<Record<string, E>>, has: (e: E, k: string) => boolean) =>
      Object.fromEntries(Object.entries(m).filter(([k, e]) => has(e, k)));
    const xs = names(live.exchanges);
    const qs = names(live.queues);
    const ps = names(live.policies);
    const os = names(ops);
    const bs = new Set(
      (live.bindings ?? []).map((b) =>
        canonical([b.source, b.destination, b.destination_type, b.routing_key, b.arguments ?? {}]),
      ),
    );
    return {
      id,
      props: {
        ...p,
        exchanges: keep(p.exchanges, (x) => xs.has(x.name)),
        queues: keep(p.queues, (q) => qs.has(q.name)),
        policies: keep(p.policies, (x) => ps.has(x.name)),
        operatorPolicies: keep(p.operatorPolicies, (x) => os.has(x.name)),
        bindings: keep(p.bindings, (b) =>
          bs.has(
            canonical([
              b.source,
              b.destination,
              b.destinationType,
              b.routingKey,
              bindingArguments(b),
            ]),
          ),
        ),
      },
    };
  },
  async delete(_id, props) {
    const c = props.connection;
    const v = props.vhost.name;
    const s = planDestroy(props);
    if (s.deleteVhost) {
      await callApi(c, "DELETE", apiPath("vhosts", v), undefined, { missingOk: true });
      return;
    }
    await deleteObjects(c, v, s);
    await eachLimited(s.deleteLimits, WIDTH, (name) =>
      callApi(c, "DELETE", apiPath("vhost-limits", v, name), undefined, { missingOk: true }),
    );
  },
} satisfies pulumi.dynamic.ResourceProvider<Inputs, Inputs>);

export interface VhostObjectsArgs {
  readonly connection: pulumi.Input<ManagementConnection>;
  readonly entries: VhostEntries;
}

/** One vhost and its objects, applied as a whole (see the header). */
export class VhostObjects extends DynamicResource {
  constructor(name: string, args: VhostObjectsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "VhostObjects",
      provider,
      name,
      { ...args.entries, connection: args.connection, redeclared: [] },
      { ...opts, additionalSecretOutputs: ["connection"] },
    );
  }
}
