// A topology's broker objects in RabbitMQ's definitions format (POST /api/definitions), for
// harnesses that declare a topology without the engine: the dispatcher's test vhosts and the
// engine benchmark's floor.
import type { TopologySpec } from "../../components/topology/spec";

/** Exchanges, queues, bindings and policies as the broker imports them. */
export function objectDefinitions(t: TopologySpec) {
  return {
    exchanges: t.exchanges.map((x) => ({
      name: x.name,
      vhost: x.vhost,
      type: x.type,
      durable: x.durable,
      auto_delete: x.autoDelete,
      internal: x.internal,
      arguments: x.alternateExchange
        ? { ...x.arguments, "alternate-exchange": x.alternateExchange }
        : x.arguments,
    })),
    queues: t.queues.map((q) => ({
      name: q.name,
      vhost: q.vhost,
      durable: q.durable,
      auto_delete: q.autoDelete,
      arguments: { ...q.arguments, "x-queue-type": q.type },
    })),
    bindings: t.bindings.map((b) => ({
      source: b.source,
      vhost: b.vhost,
      destination: b.destination,
      destination_type: b.destinationType,
      routing_key: b.routingKey,
      arguments: b.arguments,
    })),
    policies: t.policies.map((p) => ({
      name: p.name,
      vhost: p.vhost,
      pattern: p.pattern,
      "apply-to": p.applyTo,
      priority: p.priority,
      definition: p.definition,
    })),
  };
}
