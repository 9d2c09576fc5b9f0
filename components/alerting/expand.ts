// Expands the alerting model into plain topology objects (exchanges, queues, bindings, policies,
// users, permissions), merged with `warren:topology` and validated like hand-written ones.
// TTL, dead-lettering and length limits go in policies: they update in place, while changing a
// queue's arguments would replace the queue and drop its messages.
import type {
  BindingSpec,
  ExchangeSpec,
  PermissionSpec,
  PolicySpec,
  QueueSpec,
  TopicPermissionSpec,
  TopologySpec,
  UserSpec,
  VHostSpec,
} from "../topology/spec";
import { type AlertingSpec, BROADCAST, severitiesFor } from "./model";

/** Escapes a literal for use inside a RabbitMQ (PCRE) permission or policy pattern. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** `^(a|b|c)$` for literals, anchored and escaped. */
export function exactly(...names: string[]): string {
  return names.length === 1 ? `^${escapeRegex(names[0])}$` : `^(${names.map(escapeRegex).join("|")})$`;
}

export function expandAlerting(a: AlertingSpec, base = "warren:alerting"): TopologySpec {
  const vhost = a.vhost;
  const path = base;
  const exchange = (name: string, type: ExchangeSpec["type"], alternateExchange?: string): ExchangeSpec => ({
    name, vhost, type, durable: true, autoDelete: false, internal: false, alternateExchange, arguments: {}, path,
  });
  const queue = (name: string, type: QueueSpec["type"], p = path): QueueSpec => ({
    name, vhost, type, durable: true, autoDelete: false, arguments: {}, path: p,
  });
  const bind = (source: string, destination: string, routingKey: string, p = path): BindingSpec => ({
    vhost, source, destination, destinationType: "queue", routingKey, arguments: {}, path: p,
  });
  const policy = (name: string, target: string, definition: PolicySpec["definition"], p = path): PolicySpec => ({
    name, vhost, pattern: exactly(target), applyTo: "queues", priority: 10, definition, path: p,
  });

  const vhosts: VHostSpec[] = [{ name: vhost, description: "warren alerting platform", defaultQueueType: a.queueType, path }];
  const exchanges: ExchangeSpec[] = [
    exchange(a.exchange, "topic", a.unroutedExchange),
    exchange(a.unroutedExchange, "fanout"),
    exchange(a.retryExchange, "topic"),
    exchange(a.requeueExchange, "topic"),
    exchange(a.parkedExchange, "topic"),
  ];
  const queues: QueueSpec[] = [queue(a.unroutedQueue, a.queueType)];
  const bindings: BindingSpec[] = [bind(a.unroutedExchange, a.unroutedQueue, "")];
  const policies: PolicySpec[] = [
    policy(`${a.unroutedQueue}-limits`, a.unroutedQueue, { "max-length": a.maxLength, overflow: "reject-publish" }),
  ];

  for (const d of a.retryDelays) {
    queues.push(queue(d.queue, a.queueType));
    // Any channel's retry at this delay: `<channel>.<delay>`.
    bindings.push(bind(a.retryExchange, d.queue, `*.${d.label}`));
    // Expired retries go back through the requeue exchange with their `<channel>.<delay>` key.
    policies.push(
      policy(`${d.queue}-delay`, d.queue, {
        "message-ttl": d.ms,
        "dead-letter-exchange": a.requeueExchange,
        "max-length": a.maxLength,
        overflow: "reject-publish",
        ...(a.queueType === "quorum" ? { "dead-letter-strategy": "at-least-once" } : {}),
      }),
    );
  }

  const users: UserSpec[] = [
    { name: a.producerUser, tags: [], path },
    { name: a.monitoringUser, tags: ["monitoring"], path },
  ];
  const channelNames = a.channels.map((c) => c.name);
  const permissions: PermissionSpec[] = [
    { user: a.producerUser, vhost, configure: "^$", write: exactly(a.exchange), read: "^$", path },
    { user: a.monitoringUser, vhost, configure: "^$", write: "^$", read: "^$", path },
  ];
  const topicPermissions: TopicPermissionSpec[] = [
    {
      user: a.producerUser,
      vhost,
      exchange: a.exchange,
      write: `^(${a.severities.map(escapeRegex).join("|")})\\.(${[BROADCAST, ...channelNames].map(escapeRegex).join("|")})$`,
      read: "^$",
      path,
    },
  ];

  for (const c of a.channels) {
    const p = c.path;
    queues.push(queue(c.queue, c.queueType, p), queue(c.parkedQueue, a.queueType, p));
    for (const s of severitiesFor(a, c)) {
      bindings.push(bind(a.exchange, c.queue, `${s}.${BROADCAST}`, p), bind(a.exchange, c.queue, `${s}.${c.name}`, p));
    }
    bindings.push(bind(a.requeueExchange, c.queue, `${c.name}.*`, p), bind(a.parkedExchange, c.parkedQueue, c.name, p));
    policies.push(
      policy(`${c.queue}-limits`, c.queue, {
        "max-length": c.maxLength,
        overflow: "reject-publish",
        // A consumer that rejects without requeue parks the alert rather than dropping it.
        "dead-letter-exchange": a.parkedExchange,
        "dead-letter-routing-key": c.name,
        ...(c.queueType === "quorum" ? { "dead-letter-strategy": "at-least-once" } : {}),
      }, p),
      policy(`${c.parkedQueue}-limits`, c.parkedQueue, { "max-length": a.parkedMaxLength, overflow: "reject-publish" }, p),
    );
    users.push({ name: c.consumerUser, tags: [], path: p });
    permissions.push({
      user: c.consumerUser,
      vhost,
      configure: "^$",
      write: exactly(a.retryExchange, a.parkedExchange),
      read: exactly(c.queue),
      path: p,
    });
    const retryKeys = a.retryDelays.map((d) => `${c.name}.${d.label}`);
    topicPermissions.push(
      // With no retry delays configured, consumers park failed alerts straight away.
      { user: c.consumerUser, vhost, exchange: a.retryExchange, write: retryKeys.length ? exactly(...retryKeys) : "^$", read: "^$", path: p },
      { user: c.consumerUser, vhost, exchange: a.parkedExchange, write: exactly(c.name), read: "^$", path: p },
    );
  }

  return { vhosts, users, permissions, topicPermissions, exchanges, queues, bindings, policies, operatorPolicies: [] };
}
