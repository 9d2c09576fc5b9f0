// A throw-away vhost on the test broker for one producer test: declare what the case needs with
// the admin, read back what arrived, delete everything (users too) afterwards.
import { randomBytes } from "node:crypto";
import * as amqp from "amqplib";
import type { Broker } from "../../../support/broker";
import { until } from "../../../support/wait";

export interface TestVhost {
  readonly name: string;
  /** The admin's AMQP URL for this vhost, with password. */
  readonly url: string;
  /** The same without password (for `credentials` or the CLI). */
  readonly urlWithoutPassword: string;
  /** Runs `f` on a fresh admin channel in the vhost. */
  withChannel<T>(f: (ch: amqp.Channel) => Promise<T>): Promise<T>;
  /** A topic exchange `exchange` and a queue bound to it with each key. */
  exchangeWithQueue(
    exchange: string,
    queue: string,
    keys: readonly string[],
    args?: Record<string, unknown>,
  ): Promise<void>;
  /** Every message `queue` holds now, consumed and acknowledged. */
  take(queue: string): Promise<amqp.ConsumeMessage[]>;
  /** A user with a password, permissions in this vhost and optional topic permissions; deleted by destroy(). */
  user(
    name: string,
    perms: { configure: string; write: string; read: string },
    topic?: { exchange: string; write: string },
  ): Promise<string>;
  destroy(): Promise<void>;
}

export async function createTestVhost(broker: Broker, prefix: string): Promise<TestVhost> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  const enc = encodeURIComponent;
  const users: string[] = [];
  await broker.mgmtJson(`/api/vhosts/${enc(name)}`, { method: "PUT", body: "{}" });
  await broker.mgmtJson(`/api/permissions/${enc(name)}/${enc(broker.adminUser)}`, {
    method: "PUT",
    body: JSON.stringify({ configure: ".*", write: ".*", read: ".*" }),
  });
  const url = broker.amqpUrl(broker.adminUser, broker.adminPassword, name);
  const withChannel = async <T>(f: (ch: amqp.Channel) => Promise<T>): Promise<T> => {
    const conn = await amqp.connect(url);
    conn.on("error", () => {});
    try {
      const ch = await conn.createChannel();
      ch.on("error", () => {});
      const result = await f(ch);
      // channel.close goes out behind the acks queued on the channel; a connection.close alone
      // could overtake them, and the broker would put the messages back.
      await ch.close().catch(() => {});
      return result;
    } finally {
      await conn.close().catch(() => {});
    }
  };
  return {
    name,
    url,
    urlWithoutPassword: url.replace(/:[^:@/]*@/, "@"),
    withChannel,
    exchangeWithQueue(exchange, queue, keys, args = {}) {
      return withChannel(async (ch) => {
        await ch.assertExchange(exchange, "topic", { durable: true });
        await ch.assertQueue(queue, { durable: true, arguments: args });
        for (const k of keys) await ch.bindQueue(queue, exchange, k);
      });
    },
    take(queue) {
      // A consumer, not basic.get: a get on a quorum queue is one slow round trip per message.
      return withChannel(async (ch) => {
        const { messageCount } = await ch.checkQueue(queue);
        const out: amqp.ConsumeMessage[] = [];
        if (messageCount === 0) return out;
        await ch.prefetch(500);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new Error(`took ${out.length} of ${messageCount} messages from ${queue} in 30 s`),
              ),
            30_000,
          );
          void ch.consume(queue, (m) => {
            if (!m) return;
            out.push(m);
            ch.ack(m);
            if (out.length === messageCount) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        return out;
      });
    },
    async user(user, perms, topic) {
      const password = randomBytes(12).toString("hex");
      users.push(user);
      await broker.mgmtJson(`/api/users/${enc(user)}`, {
        method: "PUT",
        body: JSON.stringify({ password, tags: "" }),
      });
      await broker.mgmtJson(`/api/permissions/${enc(name)}/${enc(user)}`, {
        method: "PUT",
        body: JSON.stringify(perms),
      });
      if (topic)
        await broker.mgmtJson(`/api/topic-permissions/${enc(name)}/${enc(user)}`, {
          method: "PUT",
          body: JSON.stringify({ exchange: topic.exchange, write: topic.write, read: "^$" }),
        });
      return password;
    },
    async destroy() {
      await broker.mgmt(`/api/vhosts/${enc(name)}`, { method: "DELETE" });
      for (const u of users) await broker.mgmt(`/api/users/${enc(u)}`, { method: "DELETE" });
    },
  };
}

/** The management API's name of the connection whose client property connection_name is `connectionName` (polls: the list lags). */
export async function connectionNamed(
  broker: Broker,
  connectionName: string,
  timeoutMs = 15_000,
): Promise<string> {
  return until(
    `the broker to list a connection named ${JSON.stringify(connectionName)}`,
    async () => {
      const list = await broker.mgmtJson<
        { name: string; client_properties?: { connection_name?: string } }[]
      >("/api/connections?columns=name,client_properties");
      return list.find((c) => c.client_properties?.connection_name === connectionName)?.name;
    },
    timeoutMs,
    100,
  );
}
