// A throw-away vhost with the alerting layout for one channel, built from warren's own expansion
// (components/alerting), so the dispatcher is tested against exactly what `pulumi up` creates:
// exchanges, quorum queues, bindings, TTL and dead-letter policies, and the channel's
// least-privilege consumer user with its topic permissions. It calls the model and expansion
// directly rather than the whole config loader, which the dispatcher does not need.
import { randomBytes } from "node:crypto";
import * as amqp from "amqplib";
import { expandAlerting } from "../../../../components/alerting/expand";
import { type AlertingSpec, buildAlertingSpec } from "../../../../components/alerting/model";
import type { ConfigIssue } from "../../../../components/core/issues";
import type { Broker } from "../../../support/broker";
import { objectDefinitions } from "../../../support/definitions";

export type BrokerLike = Pick<Broker, "amqpUrl" | "mgmt" | "mgmtJson">;

export interface AlertingVhost {
  readonly vhost: string;
  readonly spec: AlertingSpec;
  readonly channel: string;
  /** The channel's queue, its parked queue. */
  readonly queue: string;
  readonly parkedQueue: string;
  /** AMQP URL of the channel's consumer user (least privilege) and of the admin, in the vhost. */
  readonly consumerUrl: string;
  readonly consumerPassword: string;
  readonly adminUrl: string;
  /** Messages ready + unacknowledged in a queue, from the management API (lags by seconds). */
  depth(queue: string): Promise<{ ready: number; unacked: number }>;
  /** Messages ready in a queue, from the broker itself (AMQP passive declare): no lag. */
  ready(queue: string): Promise<number>;
  /** Publishes alerts to the alerts exchange with `<severity>.<channel>` keys, with confirms. */
  publish(alerts: readonly object[], opts?: { raw?: readonly Buffer[] }): Promise<void>;
  /** Takes every message from `queue` (basic.get + ack). */
  take(queue: string): Promise<amqp.GetMessage[]>;
  /** Adds a classic queue bound to `exchange` with `key`, to watch what passes through. */
  spy(exchange: string, key: string): Promise<string>;
  /** Deletes the vhost and the users; idempotent. */
  destroy(): Promise<void>;
}

export async function createAlertingVhost(
  broker: BrokerLike,
  opts: { channel: string; delays: readonly string[]; queueType?: "classic" | "quorum" },
): Promise<AlertingVhost> {
  const tag = randomBytes(4).toString("hex");
  const vhost = `warren-dispatcher-it-${tag}`;
  const prefix = `wd-${tag}-`;
  const issues: ConfigIssue[] = [];
  const a = buildAlertingSpec(
    {
      enabled: true,
      vhost,
      exchange: "alerts",
      channels: [{ name: opts.channel, minSeverity: "info" }],
      queueType: opts.queueType ?? "quorum",
      maxLength: 100_000,
      parkedMaxLength: 1_000_000,
      retry: { delays: [...opts.delays] },
      users: {
        producer: `${prefix}producer`,
        consumerPrefix: `${prefix}consumer-`,
        monitoring: `${prefix}monitor`,
      },
    },
    issues,
  );
  if (issues.length) throw new Error(`alerting spec: ${JSON.stringify(issues)}`);
  const t = expandAlerting(a);
  const ch = a.channels[0];
  const passwords = new Map(t.users.map((u) => [u.name, randomBytes(12).toString("hex")]));
  const enc = encodeURIComponent;
  const json = (body: unknown) => ({ method: "PUT", body: JSON.stringify(body) });

  const destroy = async () => {
    await broker.mgmt(`/api/vhosts/${enc(vhost)}`, { method: "DELETE" });
    for (const u of t.users) await broker.mgmt(`/api/users/${enc(u.name)}`, { method: "DELETE" });
  };

  try {
    for (const v of t.vhosts)
      await broker.mgmtJson(
        `/api/vhosts/${enc(v.name)}`,
        json({ description: v.description ?? "", default_queue_type: v.defaultQueueType }),
      );
    for (const u of t.users)
      await broker.mgmtJson(
        `/api/users/${enc(u.name)}`,
        json({ password: passwords.get(u.name), tags: u.tags.join(",") }),
      );
    for (const p of t.permissions)
      await broker.mgmtJson(
        `/api/permissions/${enc(p.vhost)}/${enc(p.user)}`,
        json({ configure: p.configure, write: p.write, read: p.read }),
      );
    for (const p of t.topicPermissions)
      await broker.mgmtJson(
        `/api/topic-permissions/${enc(p.vhost)}/${enc(p.user)}`,
        json({ exchange: p.exchange, write: p.write, read: p.read }),
      );
    // The admin needs access to the fresh vhost to publish and inspect.
    const admin = (await broker.mgmtJson<{ name: string }>("/api/whoami")).name;
    await broker.mgmtJson(
      `/api/permissions/${enc(vhost)}/${enc(admin)}`,
      json({ configure: ".*", write: ".*", read: ".*" }),
    );
    await broker.mgmtJson("/api/definitions", {
      method: "POST",
      body: JSON.stringify(objectDefinitions(t)),
    });
  } catch (e) {
    await destroy();
    throw e;
  }

  const adminUrl = broker.amqpUrl(undefined, undefined, vhost);

  const withChannel = async <T>(f: (c: amqp.ConfirmChannel) => Promise<T>): Promise<T> => {
    const conn = await amqp.connect(adminUrl);
    conn.on("error", () => {});
    try {
      const c = await conn.createConfirmChannel();
      c.on("error", () => {});
      const r = await f(c);
      await c.close();
      return r;
    } finally {
      await conn.close().catch(() => {});
    }
  };

  return {
    vhost,
    spec: a,
    channel: ch.name,
    queue: ch.queue,
    parkedQueue: ch.parkedQueue,
    consumerUrl: broker.amqpUrl(ch.consumerUser, passwords.get(ch.consumerUser), vhost),
    consumerPassword: passwords.get(ch.consumerUser)!,
    adminUrl,
    async depth(queue) {
      const q = await broker.mgmtJson<{
        messages_ready?: number;
        messages_unacknowledged?: number;
      }>(`/api/queues/${enc(vhost)}/${enc(queue)}?msg_rates_age=0`);
      return { ready: q.messages_ready ?? 0, unacked: q.messages_unacknowledged ?? 0 };
    },
    async ready(queue) {
      return withChannel(async (c) => (await c.checkQueue(queue)).messageCount);
    },
    async publish(alerts, o = {}) {
      await withChannel(async (c) => {
        const bodies = [...alerts.map((x) => Buffer.from(JSON.stringify(x))), ...(o.raw ?? [])];
        for (const b of bodies) {
          let severity = "critical";
          try {
            severity = (JSON.parse(b.toString()) as { severity?: string }).severity ?? "critical";
          } catch {
            // Not JSON: poison on purpose; routed as critical.
          }
          if (!a.severities.includes(severity)) severity = "critical";
          c.publish(a.exchange, `${severity}.${ch.name}`, b, {
            persistent: true,
            contentType: "application/json",
            mandatory: true,
          });
        }
        await c.waitForConfirms();
      });
    },
    async take(queue) {
      return withChannel(async (c) => {
        const out: amqp.GetMessage[] = [];
        for (;;) {
          const m = await c.get(queue, { noAck: false });
          if (m === false) return out;
          out.push(m);
          c.ack(m);
        }
      });
    },
    async spy(exchange, key) {
      const name = `spy-${randomBytes(3).toString("hex")}`;
      await withChannel(async (c) => {
        await c.assertQueue(name, { durable: true, arguments: { "x-queue-type": "classic" } });
        await c.bindQueue(name, exchange, key);
      });
      return name;
    },
    destroy,
  };
}
