// One connection with its confirm channel, and what the producer tracks on it. Opening and
// closing live here; deciding what to send and when to give a session up is the producer's.
import * as amqp from "amqplib";
import type { ResolvedOptions } from "./options";
import type { NodeUrl } from "./urls";

export interface Session<S> {
  readonly conn: amqp.ChannelModel;
  readonly ch: amqp.ConfirmChannel;
  readonly node: NodeUrl;
  /** Sends in flight, in send order (a Set keeps insertion order), so a lost session requeues in order. */
  readonly inFlight: Set<S>;
  /** Sends in flight by message-id, to attribute a basic.return. */
  readonly byId: Map<string, S[]>;
  /** The broker's reason for closing, from the 'error' event that precedes 'close'. */
  error?: Error;
  /** Set by connection.blocked (the alarm's reason), cleared by connection.unblocked. */
  blocked?: string;
  blockedAt?: number;
  dead: boolean;
}

export interface SessionEvents {
  /** The connection or the channel is gone; `err` is the broker's reason when it gave one. */
  lost(err: Error): void;
  blocked(reason: string): void;
  unblocked(): void;
  returned(msg: amqp.Message): void;
}

/** Connects to `node` and opens a confirm channel; rejects with amqplib's error. */
export async function openSession<S>(
  node: NodeUrl,
  o: ResolvedOptions,
  events: (s: Session<S>) => SessionEvents,
): Promise<Session<S>> {
  const conn = await amqp.connect(node.connect, {
    ...o.tls,
    timeout: o.connectTimeoutMs,
    clientProperties: { connection_name: o.connectionName },
  });
  // An 'error' without a listener would throw; the session's own handlers come below.
  conn.on("error", () => {});
  let ch: amqp.ConfirmChannel;
  try {
    ch = await conn.createConfirmChannel();
  } catch (e) {
    await conn.close().catch(() => {});
    throw e;
  }
  const s: Session<S> = { conn, ch, node, inFlight: new Set(), byId: new Map(), dead: false };
  const on = events(s);
  conn.on("error", (e: Error) => (s.error ??= e));
  conn.on("close", (e?: Error) => on.lost(s.error ?? e ?? new Error("connection closed")));
  conn.on("blocked", (reason: string) => on.blocked(reason));
  conn.on("unblocked", () => on.unblocked());
  ch.on("error", (e: Error) => (s.error ??= e));
  // When the connection goes, amqplib closes its channels first and then emits the connection's
  // 'close' with the broker's reason, in the same turn: wait a microtask so that reason (e.g. 320
  // CONNECTION_FORCED) is the one reported.
  ch.on("close", () => queueMicrotask(() => on.lost(s.error ?? new Error("channel closed"))));
  ch.on("return", (msg: amqp.Message) => on.returned(msg));
  return s;
}

/**
 * Closes the channel (close-ok waits for the frames queued on it), then the connection, waiting
 * at most `boundMs`: a broker that never answers must not hang the caller.
 */
export async function closeSession<S>(s: Session<S>, boundMs: number): Promise<void> {
  s.dead = true;
  const closing = (async () => {
    await s.ch.close().catch(() => {});
    await s.conn.close().catch(() => {});
  })();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = await Promise.race([
    closing.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), boundMs))),
  ]);
  clearTimeout(timer);
  // amqplib has no public way to drop a connection whose close is not answered; its socket is
  // `connection.stream`. Without this, its heartbeat timers would keep the process alive.
  if (gaveUp)
    (
      s.conn as unknown as { connection?: { stream?: { destroy(): void } } }
    ).connection?.stream?.destroy();
}
