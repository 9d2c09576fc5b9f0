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
import { queueArguments, queueType, type StackResource, T } from "./resources";

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

export function topologyOf(resources: readonly StackResource[]): TopologySpec {
  const t = emptyTopology();
  const of = (type: string) => resources.filter((r) => r.type === type);
  const exchanges: ExchangeSpec[] = of(T.exchange).map((r) => {
    const args = { ...(r.props.settings?.arguments ?? {}) } as Record<string, string>;
    const ae = args["alternate-exchange"];
    delete args["alternate-exchange"];
    return {
      name: r.props.name,
      vhost: r.props.vhost,
      type: r.props.settings?.type,
      durable: !!r.props.settings?.durable,
      autoDelete: !!r.props.settings?.autoDelete,
      internal: false,
      alternateExchange: ae,
      arguments: args,
      path: r.urn,
    };
  });
  const queues: QueueSpec[] = of(T.queue).map((r) => ({
    name: r.props.name,
    vhost: r.props.vhost,
    type: queueType(r.props) as QueueSpec["type"],
    durable: !!r.props.settings?.durable,
    autoDelete: !!r.props.settings?.autoDelete,
    arguments: queueArguments(r.props) as Record<string, ArgValue>,
    path: r.urn,
  }));
  const bindings: BindingSpec[] = of(T.binding).map((r) => ({
    vhost: r.props.vhost,
    source: r.props.source,
    destination: r.props.destination,
    destinationType: r.props.destinationType ?? "queue",
    routingKey: r.props.routingKey ?? "",
    arguments: { ...(r.props.arguments ?? {}), ...parseJson(r.props.argumentsJson) },
    path: r.urn,
  }));
  const policies: PolicySpec[] = of(T.policy).map((r) => ({
    name: r.props.name,
    vhost: r.props.vhost,
    pattern: r.props.policy?.pattern ?? "",
    applyTo: r.props.policy?.applyTo ?? "queues",
    priority: r.props.policy?.priority ?? 0,
    definition: definition(r.props.policy?.definition),
    path: r.urn,
  }));
  const vhosts = [
    ...new Set([...exchanges, ...queues, ...bindings, ...policies].map((o) => o.vhost)),
  ].map((name) => ({ name, path: name }));
  return { ...t, vhosts, exchanges, queues, bindings, policies };
}
