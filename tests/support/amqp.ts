// AMQP helpers for tests: publish with confirms, drain a queue, expect a refusal.
import * as amqp from "amqplib";

/** Publishes every message on one confirm channel and waits for the broker's confirms. */
export async function publishConfirmed(
  url: string,
  exchange: string,
  messages: readonly { routingKey: string; body: string; headers?: Record<string, unknown> }[],
): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createConfirmChannel();
    for (const m of messages)
      ch.publish(exchange, m.routingKey, Buffer.from(m.body), {
        persistent: true,
        headers: m.headers,
      });
    await ch.waitForConfirms();
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** Every message body in `queue`, taken with basic.get and acknowledged, until it is empty. */
export async function drain(url: string, queue: string): Promise<string[]> {
  const conn = await amqp.connect(url);
  // A refused operation closes the channel: the pending call rejects with the reason; the
  // 'error' events would otherwise be uncaught.
  conn.on("error", () => {});
  try {
    const ch = await conn.createChannel();
    ch.on("error", () => {});
    const bodies: string[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: false });
      if (m === false) break;
      bodies.push(m.content.toString());
      ch.ack(m);
    }
    await ch.close();
    return bodies;
  } finally {
    await conn.close().catch(() => {});
  }
}

/** The broker's reply text when `action` makes it close the channel or refuse the connection. */
export async function refusal(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (e) {
    const m = (e as { message?: unknown })?.message;
    return typeof m === "string" ? m : JSON.stringify(e);
  }
  throw new Error("the broker did not refuse");
}

/** The reason the broker closes a channel while `f` uses it ("not refused" after 5 s). */
export async function channelRefusal(
  url: string,
  f: (ch: amqp.ConfirmChannel) => unknown,
): Promise<string> {
  const conn = await amqp.connect(url);
  conn.on("error", () => {});
  try {
    const ch = await conn.createConfirmChannel();
    const reason = new Promise<string>((resolve) => {
      ch.on("error", (e: Error) => resolve(e.message));
      ch.on("close", () => resolve("closed without an error"));
    });
    // The close reason is what counts, not what f returns or throws (now or later).
    Promise.resolve()
      .then(() => f(ch))
      .catch(() => {});
    return await Promise.race([
      reason,
      new Promise<string>((r) => setTimeout(() => r("not refused"), 5000)),
    ]);
  } finally {
    await conn.close().catch(() => {});
  }
}
