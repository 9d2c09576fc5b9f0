// Expands the alerting model into plain topology objects (exchanges, queues, bindings, policies,
// users, permissions), merged with `warren:topology` and validated like hand-written ones.
// TTL, dead-lettering and length limits go in policies: they update in place, while changing a
// queue's arguments would replace the queue and drop its messages.
import { escapeRegex, exactly } from "../core/patterns";
import type {
  BindingSpec,
  ExchangeSpec,
  PolicySpec,
  QueueSpec,
  TopologySpec,
} from "../topology/spec";
import { type AlertingSpec, BROADCAST, type ChannelSpec, severitiesFor } from "./model";

/** The topology an alerting spec generates, path-addressed at `base` (channels at their own paths). */
export function expandAlerting(a: AlertingSpec, base = "warren:alerting"): TopologySpec {
  const make = makers(a.vhost, base);
  const t: Parts = {
    vhosts: [],
    users: [],
    permissions: [],
    topicPermissions: [],
    exchanges: [],
    queues: [],
    bindings: [],
    policies: [],
  };
  sharedObjects(a, make, t, base);
  for (const c of a.channels) channelObjects(a, c, makers(a.vhost, c.path), t);
  return { ...t, operatorPolicies: [] };
}

type Parts = {
  -readonly [K in Exclude<keyof TopologySpec, "operatorPolicies">]: TopologySpec[K][number][];
};

/** Objects of one vhost with warren's settings for alerting: durable, not auto-deleted. */
function makers(vhost: string, path: string) {
  return {
    exchange: (
      name: string,
      type: ExchangeSpec["type"],
      alternateExchange?: string,
    ): ExchangeSpec => ({
      name,
      vhost,
      type,
      durable: true,
      autoDelete: false,
      internal: false,
      alternateExchange,
      arguments: {},
      path,
    }),
    queue: (name: string, type: QueueSpec["type"]): QueueSpec => ({
      name,
      vhost,
      type,
      durable: true,
      autoDelete: false,
      arguments: {},
      path,
    }),
    bind: (source: string, destination: string, routingKey: string): BindingSpec => ({
      vhost,
      source,
      destination,
      destinationType: "queue",
      routingKey,
      arguments: {},
      path,
    }),
    policy: (name: string, target: string, definition: PolicySpec["definition"]): PolicySpec => ({
      name,
      vhost,
      pattern: exactly(target),
      applyTo: "queues",
      priority: 10,
      definition,
      path,
    }),
  };
}

type Makers = ReturnType<typeof makers>;

/** The vhost, the exchanges, the unrouted and retry queues, and the producer and monitoring users. */
function sharedObjects(a: AlertingSpec, m: Makers, t: Parts, path: string): void {
  const vhost = a.vhost;
  t.vhosts.push({
    name: vhost,
    description: "warren alerting platform",
    defaultQueueType: a.queueType,
    path,
  });
  t.exchanges.push(
    m.exchange(a.exchange, "topic", a.unroutedExchange),
    m.exchange(a.unroutedExchange, "fanout"),
    m.exchange(a.retryExchange, "topic"),
    m.exchange(a.requeueExchange, "topic"),
    m.exchange(a.parkedExchange, "topic"),
  );
  t.queues.push(m.queue(a.unroutedQueue, a.queueType));
  t.bindings.push(m.bind(a.unroutedExchange, a.unroutedQueue, ""));
  t.policies.push(
    m.policy(`${a.unroutedQueue}-limits`, a.unroutedQueue, {
      "max-length": a.maxLength,
      overflow: "reject-publish",
    }),
  );

  for (const d of a.retryDelays) {
    t.queues.push(m.queue(d.queue, a.queueType));
    // Any channel's retry at this delay: `<channel>.<delay>`.
    t.bindings.push(m.bind(a.retryExchange, d.queue, `*.${d.label}`));
    // Expired retries go back through the requeue exchange with their `<channel>.<delay>` key.
    t.policies.push(
      m.policy(`${d.queue}-delay`, d.queue, {
        "message-ttl": d.ms,
        "dead-letter-exchange": a.requeueExchange,
        "max-length": a.maxLength,
        overflow: "reject-publish",
        ...(a.queueType === "quorum" ? { "dead-letter-strategy": "at-least-once" } : {}),
      }),
    );
  }

  t.users.push(
    { name: a.producerUser, tags: [], path },
    { name: a.monitoringUser, tags: ["monitoring"], path },
  );
  t.permissions.push(
    { user: a.producerUser, vhost, configure: "^$", write: exactly(a.exchange), read: "^$", path },
    { user: a.monitoringUser, vhost, configure: "^$", write: "^$", read: "^$", path },
  );
  const channelNames = a.channels.map((c) => c.name);
  t.topicPermissions.push({
    user: a.producerUser,
    vhost,
    exchange: a.exchange,
    write: `^(${a.severities.map(escapeRegex).join("|")})\\.(${[BROADCAST, ...channelNames].map(escapeRegex).join("|")})$`,
    read: "^$",
    path,
  });
}

/** One channel's queue and parked queue, their bindings and limits, and its consumer user. */
function channelObjects(a: AlertingSpec, c: ChannelSpec, m: Makers, t: Parts): void {
  const vhost = a.vhost;
  const path = c.path;
  t.queues.push(m.queue(c.queue, c.queueType), m.queue(c.parkedQueue, a.queueType));
  for (const s of severitiesFor(a, c))
    t.bindings.push(
      m.bind(a.exchange, c.queue, `${s}.${BROADCAST}`),
      m.bind(a.exchange, c.queue, `${s}.${c.name}`),
    );
  t.bindings.push(
    m.bind(a.requeueExchange, c.queue, `${c.name}.*`),
    m.bind(a.parkedExchange, c.parkedQueue, c.name),
  );
  t.policies.push(
    m.policy(`${c.queue}-limits`, c.queue, {
      "max-length": c.maxLength,
      overflow: "reject-publish",
      // A consumer that rejects without requeue parks the alert rather than dropping it.
      "dead-letter-exchange": a.parkedExchange,
      "dead-letter-routing-key": c.name,
      ...(c.queueType === "quorum" ? { "dead-letter-strategy": "at-least-once" } : {}),
    }),
    m.policy(`${c.parkedQueue}-limits`, c.parkedQueue, {
      "max-length": a.parkedMaxLength,
      overflow: "reject-publish",
    }),
  );
  t.users.push({ name: c.consumerUser, tags: [], path });
  t.permissions.push({
    user: c.consumerUser,
    vhost,
    configure: "^$",
    write: exactly(a.retryExchange, a.parkedExchange),
    read: exactly(c.queue),
    path,
  });
  const retryKeys = a.retryDelays.map((d) => `${c.name}.${d.label}`);
  t.topicPermissions.push(
    // With no retry delays configured, consumers park failed alerts straight away.
    {
      user: c.consumerUser,
      vhost,
      exchange: a.retryExchange,
      write: retryKeys.length ? exactly(...retryKeys) : "^$",
      read: "^$",
      path,
    },
    {
      user: c.consumerUser,
      vhost,
      exchange: a.parkedExchange,
      write: exactly(c.name),
      read: "^$",
      path,
    },
  );
}
