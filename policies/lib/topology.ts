// A TopologySpec rebuilt from the resources of a stack, so the routing rules can use warren's
// routing simulator on what will actually be declared.
import type {
  ArgValue,
  BindingSpec,
  ExchangeSpec,
  PolicySpec,
  QueueSpec,
  TopologySpec,
} from "../../components/topology/spec";
import { emptyTopology } from "../../components/topology/spec";
import { ofType, queueArguments, queueType, type StackResource, T } from "./resources";

function parseJson(s: unknown): Record<string, ArgValue> {
  if (typeof s !== "string" || s === "") return {};
  try {
    return JSON.parse(s) as Record<string, ArgValue>;
  } catch {
    return {};
  }
}

/** Policy definitions come as strings; integer-looking ones are numbers on the broker. */
function definition(d: Record<string, string> = {}): Record<string, ArgValue> {
  return Object.fromEntries(
    Object.entries(d).map(([k, v]) => [k, /^-?\d+$/.test(v) ? Number(v) : v]),
  );
}

// The spec's fields are the properties as they are: a name or vhost the program leaves out (the
// provider's defaults are not applied here) stays undefined, and the provider's strings are taken
// for the spec's unions (exchange type, destination type, apply-to).
export function topologyOf(resources: readonly StackResource[]): TopologySpec {
  const t = emptyTopology();
  const exchanges: ExchangeSpec[] = ofType(resources, T.exchange).map(({ props: x, urn }) => {
    const args: Record<string, string> = { ...(x.settings?.arguments ?? {}) };
    const ae = args["alternate-exchange"];
    delete args["alternate-exchange"];
    return {
      name: x.name as string,
      vhost: x.vhost as string,
      type: x.settings?.type as ExchangeSpec["type"],
      durable: !!x.settings?.durable,
      autoDelete: !!x.settings?.autoDelete,
      internal: false,
      alternateExchange: ae,
      arguments: args,
      path: urn,
    };
  });
  const queues: QueueSpec[] = ofType(resources, T.queue).map(({ props: q, urn }) => ({
    name: q.name as string,
    vhost: q.vhost as string,
    type: queueType(q) as QueueSpec["type"],
    durable: !!q.settings?.durable,
    autoDelete: !!q.settings?.autoDelete,
    arguments: queueArguments(q) as Record<string, ArgValue>,
    path: urn,
  }));
  const bindings: BindingSpec[] = ofType(resources, T.binding).map(({ props: b, urn }) => ({
    vhost: b.vhost,
    source: b.source,
    destination: b.destination,
    destinationType: (b.destinationType ?? "queue") as BindingSpec["destinationType"],
    routingKey: b.routingKey ?? "",
    arguments: { ...(b.arguments ?? {}), ...parseJson(b.argumentsJson) },
    path: urn,
  }));
  const policies: PolicySpec[] = ofType(resources, T.policy).map(({ props: p, urn }) => ({
    name: p.name as string,
    vhost: p.vhost,
    pattern: p.policy?.pattern ?? "",
    applyTo: (p.policy?.applyTo ?? "queues") as PolicySpec["applyTo"],
    priority: p.policy?.priority ?? 0,
    definition: definition(p.policy?.definition),
    path: urn,
  }));
  const vhosts = [
    ...new Set([...exchanges, ...queues, ...bindings, ...policies].map((o) => o.vhost)),
  ].map((name) => ({ name, path: name }));
  return { ...t, vhosts, exchanges, queues, bindings, policies };
}
