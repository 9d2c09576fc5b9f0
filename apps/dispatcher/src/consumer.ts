// The consumer: one AMQP connection with `concurrency` consuming channels (manual ack, prefetch
// each), reconnecting with capped, jittered exponential backoff after the broker is lost (each
// attempt to the next node of the cluster, with a heartbeat that notices a dead node), and a
// graceful stop (cancel consumers, finish in-flight deliveries, close). A delivery is acked only
// once the target accepted it, or once its retry or parked copy has been confirmed by the broker;
// anything else leaves it unacked, so the broker delivers it again: at least once, never lost.
// Long (one class): connection, channels, in-flight deliveries and the stop share its state; the
// decisions are in decide.ts, publishing with confirms in publisher.ts, de-duplication in dedupe.ts.
import * as amqp from "amqplib";
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import { backoffMs } from "./backoff";
import { DeliveredIds } from "./dedupe";
import type { Config } from "./config";
import {
  type Action,
  type Invalid,
  type Outcome,
  type RetryPolicy,
  attemptsFrom,
  decide,
  parkUnroutableRetry,
  republishHeaders,
} from "./decide";
import type { Adapter } from "./adapters/types";
import type { Logger, Redactor } from "./log";
import type { Metrics } from "./metrics";
import { ConfirmPublisher, PublishError } from "./publisher";
import { parseAlert } from "./schema";

export type ConsumerState = "connecting" | "consuming" | "draining" | "stopped";

interface Worker {
  readonly ch: amqp.Channel;
  readonly publisher: ConfirmPublisher;
  consumerTag?: string;
}

interface Session {
  readonly conn: amqp.ChannelModel;
  readonly workers: Worker[];
  /** Resolves when the connection has closed, for whatever reason. */
  readonly closed: Promise<void>;
  closing: boolean;
}

export interface ConsumerDeps {
  readonly config: Config;
  readonly adapter: Adapter;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly redactor: Redactor;
  /** Pause before requeueing a delivery whose republish failed, so a broken path does not spin. */
  readonly requeueDelayMs?: number;
}

export class Consumer {
  private state: ConsumerState = "connecting";
  private stopping = false;
  private session?: Session;
  private loopDone?: Promise<void>;
  private wake?: () => void;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly policy: RetryPolicy;
  private readonly labels: { channel: string };
  /** The name the broker shows for this consumer's connection (management UI, logs). */
  readonly connectionName: string;
  /** Index into config.amqpUrls of the node to try next; starts at a random node. */
  private nextUrl: number;
  /** Alert ids this dispatcher delivered recently (undefined: de-duplication off). */
  private readonly delivered?: DeliveredIds;
  /** Alert ids being sent to the target right now, settled when that attempt has its outcome. */
  private readonly sending = new Map<string, Promise<void>>();

  constructor(private readonly deps: ConsumerDeps) {
    const c = deps.config;
    this.policy = { channel: c.channel, delays: c.retryDelays, maxAttempts: c.maxAttempts };
    this.labels = { channel: c.channel };
    this.connectionName = `warren-dispatcher ${c.channel} ${os.hostname()} ${process.pid}/${randomBytes(3).toString("hex")}`;
    // Dispatchers of one channel spread over the nodes instead of all queueing up on the first.
    this.nextUrl = Math.floor(Math.random() * c.amqpUrls.length);
    if (c.dedupe.maxEntries > 0) this.delivered = new DeliveredIds(c.dedupe);
  }

  /** Connected, consuming and not stopping: what /readyz reports. */
  get ready(): boolean {
    return this.state === "consuming";
  }

  get status(): ConsumerState {
    return this.state;
  }

  /** Deliveries being processed right now. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Starts connecting and consuming in the background; returns at once. */
  start(): void {
    this.loopDone ??= this.loop();
  }

  /**
   * Graceful stop: no new deliveries (consumers cancelled), in-flight ones finished and acked
   * (for at most the shutdown timeout; unfinished ones the broker requeues when the connection
   * closes), then channels and connection closed.
   */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.setState("draining");
      this.wake?.();
      const s = this.session;
      if (s && !s.closing) {
        await Promise.all(
          s.workers.map(async (w) => {
            if (w.consumerTag === undefined) return;
            try {
              await w.ch.cancel(w.consumerTag);
            } catch {
              // The channel is gone already: nothing more will arrive on it.
            }
          }),
        );
        this.deps.log.info("stopped consuming; finishing in-flight deliveries", {
          inFlight: this.inFlight,
        });
      }
      if (!(await this.idle(this.deps.config.shutdownTimeoutMs))) {
        this.deps.log.warn(
          "shutdown timeout: closing with deliveries in flight; the broker delivers them again",
          {
            inFlight: this.inFlight,
          },
        );
      }
      if (s) await this.closeSession(s, true);
    }
    await this.loopDone;
    this.setState("stopped");
  }

  private setState(state: ConsumerState): void {
    if (this.state === "stopped") return;
    this.state = state;
    this.deps.metrics.ready.set(this.labels, state === "consuming" ? 1 : 0);
  }

  private async loop(): Promise<void> {
    const { config, log, metrics } = this.deps;
    let failures = 0;
    let connectedBefore = false;
    while (!this.stopping) {
      this.setState("connecting");
      try {
        const s = await this.openSession();
        if (this.stopping) {
          await this.closeSession(s);
          break;
        }
        this.session = s;
        failures = 0;
        connectedBefore = true;
        this.setState("consuming");
        log.info("consuming", {
          queue: config.queue,
          prefetch: config.prefetch,
          concurrency: config.concurrency,
        });
        await s.closed;
        if (!this.stopping) log.warn("lost the broker connection");
      } catch (e) {
        log.warn(connectedBefore ? "reconnect failed" : "cannot connect to the broker", {
          error: e,
        });
      }
      if (this.stopping) break;
      this.setState("connecting");
      metrics.reconnects.inc(this.labels);
      const delayMs = backoffMs(failures++, config.reconnect.minMs, config.reconnect.maxMs);
      log.info("reconnecting", { delayMs, attempt: failures });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * Connects, opens the channels and subscribes, all within the connect timeout: a node that
   * accepts the TCP connection but never answers (booting, stopping, or a Service that sent us
   * to a pod on its way out) costs one attempt, never the channel's delivery for good. Seen on
   * Kubernetes: a dispatcher stuck in "connecting" for good after every node restarted at once.
   */
  private async openSession(): Promise<Session> {
    const { config } = this.deps;
    const opening: { conn?: amqp.ChannelModel; late: boolean } = { late: false };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        opening.late = true;
        reject(new Error(`no AMQP session within ${config.connectTimeoutMs} ms`));
      }, config.connectTimeoutMs);
    });
    const attempt = this.establish(opening);
    try {
      return await Promise.race([attempt, deadline]);
    } catch (e) {
      attempt.catch(() => undefined); // its own failure, once the socket is gone, is expected
      if (opening.late) destroyConnection(opening.conn);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async establish(opening: { conn?: amqp.ChannelModel; late: boolean }): Promise<Session> {
    const { config, log } = this.deps;
    // Every attempt goes to the next node: a node that is down, paused or cut off costs one
    // attempt, not the channel's delivery.
    const url = config.amqpUrls[this.nextUrl];
    this.nextUrl = (this.nextUrl + 1) % config.amqpUrls.length;
    log.info("connecting", { node: nodeOf(url) });
    const conn = await amqp.connect(withHeartbeat(url, config.heartbeatSeconds), {
      timeout: config.connectTimeoutMs,
      clientProperties: { connection_name: this.connectionName },
      ...(config.amqpCa === undefined ? {} : { ca: [config.amqpCa] }),
    });
    opening.conn = conn;
    if (opening.late) {
      destroyConnection(conn);
      throw new Error("connected after the deadline");
    }
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    const session: Session = { conn, workers: [], closed, closing: false };
    conn.on("error", (e: Error) => log.warn("broker connection error", { error: e }));
    conn.on("close", () => onClosed());
    conn.on("blocked", (reason: string) =>
      log.warn("the broker blocks publishing (resource alarm)", { reason }),
    );
    conn.on("unblocked", () => log.info("the broker unblocked publishing"));
    // Any channel closing under us means this session is broken: start over on a new connection.
    const fail = (what: string) => (e?: Error) => {
      if (session.closing) return;
      log.warn(`${what} closed; reconnecting`, e ? { error: e } : {});
      void this.closeSession(session);
    };
    try {
      for (let i = 0; i < config.concurrency; i++) {
        const ch = await conn.createChannel();
        ch.on("error", (e: Error) => log.warn("consume channel error", { error: e }));
        ch.on("close", fail("consume channel"));
        await ch.prefetch(config.prefetch);
        const pub = await conn.createConfirmChannel();
        pub.on("error", (e: Error) => log.warn("publish channel error", { error: e }));
        pub.on("close", fail("publish channel"));
        const worker: Worker = {
          ch,
          publisher: new ConfirmPublisher(pub, config.publishTimeoutMs, () =>
            fail("publish channel (no confirm)")(),
          ),
        };
        session.workers.push(worker);
        const { consumerTag } = await ch.consume(
          config.queue,
          (msg) => this.onMessage(session, worker, msg),
          { noAck: false },
        );
        worker.consumerTag = consumerTag;
      }
    } catch (e) {
      await this.closeSession(session);
      throw e;
    }
    return session;
  }

  /**
   * Closes the session's connection. `graceful` closes each channel first: amqplib buffers frames
   * per channel, so a connection.close could overtake acks still queued on a channel, and the
   * broker would deliver those alerts again; channel.close goes out behind them and waits for
   * the broker's close-ok.
   */
  private async closeSession(s: Session, graceful = false): Promise<void> {
    if (!s.closing) {
      s.closing = true;
      if (graceful) {
        for (const w of s.workers) {
          for (const ch of [w.ch, w.publisher.channel]) {
            try {
              await ch.close();
            } catch {
              // Already closed.
            }
          }
        }
      }
      try {
        await s.conn.close();
      } catch {
        // Already closed (the broker went away): the 'close' event has fired or will.
      }
    }
    await s.closed;
  }

  private onMessage(session: Session, w: Worker, msg: amqp.ConsumeMessage | null): void {
    if (msg === null) {
      // basic.cancel from the broker: the queue was deleted or moved. Reconnect and re-subscribe.
      this.deps.log.warn("the broker cancelled the consumer (queue deleted?); reconnecting", {
        queue: this.deps.config.queue,
      });
      void this.closeSession(session);
      return;
    }
    this.inFlight++;
    this.deps.metrics.inFlight.inc(this.labels);
    this.handle(w, msg)
      .catch(async (e) => {
        // A bug, not an outcome: the delivery must not stay unacked (and its alert stuck) for
        // as long as the connection lives. Give it back to the broker, which delivers it again.
        this.deps.log.error("unexpected error handling a delivery; it is requeued", { error: e });
        await this.requeue(w, msg);
      })
      .finally(() => {
        this.inFlight--;
        this.deps.metrics.inFlight.dec(this.labels);
        if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
  }

  /** Resolves true once nothing is in flight, false if `timeoutMs` passes first. */
  private idle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private async handle(w: Worker, msg: amqp.ConsumeMessage): Promise<void> {
    const { adapter, metrics, log, redactor } = this.deps;
    // Header values as unknown (@types/amqplib says `any`).
    const headers: Readonly<Record<string, unknown>> | undefined = msg.properties.headers;
    const { attempts, malformed } = attemptsFrom(headers);
    if (malformed)
      log.warn("ignoring a malformed x-warren-attempt header", {
        value: String(headers?.["x-warren-attempt"]),
      });

    const parsed = parseAlert(msg.content);
    // At least once means copies: a producer's republish after a lost confirm, the broker's
    // redelivery after a lost ack. A copy of an alert delivered already is acked, not sent again.
    const id = parsed.ok
      ? typeof msg.properties.messageId === "string" && msg.properties.messageId !== ""
        ? msg.properties.messageId
        : parsed.alert.id
      : "";
    if (parsed.ok && this.delivered) {
      // A copy that comes while another copy is with the target (say, redelivered after a lost
      // connection) waits for that attempt's outcome rather than race it.
      await this.sending.get(id);
      if (this.delivered.seen(id)) {
        metrics.duplicates.inc(this.labels);
        log.debug("duplicate of a delivered alert; acked without sending", { id: parsed.alert.id });
        this.ack(w, msg);
        return;
      }
    }
    let result: Outcome | Invalid;
    if (!parsed.ok) {
      result = { kind: "invalid", reason: parsed.reason };
      metrics.failed.inc({ ...this.labels, kind: "invalid" });
    } else {
      const t0 = performance.now();
      let settle!: () => void;
      if (this.delivered) this.sending.set(id, new Promise<void>((r) => (settle = r)));
      try {
        result = await adapter.send(parsed.alert);
      } catch (e) {
        // Adapters report failures as outcomes; a throw is a bug, but the alert is not lost.
        result = { kind: "transient", reason: `adapter error: ${(e as Error).message}` };
      }
      metrics.targetDuration.observe(
        { ...this.labels, outcome: result.kind },
        (performance.now() - t0) / 1000,
      );
      if (result.kind === "delivered") {
        // Before the ack: a redelivery because the ack was lost is caught too.
        this.delivered?.remember(id);
        metrics.delivered.inc(this.labels);
        const age = (Date.now() - Date.parse(parsed.alert.timestamp)) / 1000;
        metrics.latency.observe(this.labels, Math.max(0, age));
      } else {
        metrics.failed.inc({ ...this.labels, kind: result.kind });
        result = { ...result, reason: redactor.redact(result.reason) };
      }
      if (this.delivered) {
        this.sending.delete(id);
        settle();
      }
    }
    const alertFields: Record<string, string> = parsed.ok
      ? { id: parsed.alert.id, severity: parsed.alert.severity }
      : {};
    await this.execute(w, msg, decide(this.policy, attempts, result), alertFields);
  }

  private async execute(
    w: Worker,
    msg: amqp.ConsumeMessage,
    action: Action,
    alert: Record<string, string>,
  ): Promise<void> {
    const { config, metrics, log } = this.deps;
    if (action.kind === "ack") {
      this.ack(w, msg);
      log.debug("delivered", alert);
      return;
    }
    const headers: Readonly<Record<string, unknown>> | undefined = msg.properties.headers;
    const exchange = action.kind === "retry" ? config.retryExchange : config.parkedExchange;
    try {
      await w.publisher.publish(
        exchange,
        action.routingKey,
        msg.content,
        republishOptions(msg, republishHeaders(headers, action)),
      );
    } catch (e) {
      if (action.kind === "retry" && e instanceof PublishError && e.failure === "unroutable") {
        log.error("no retry queue for this delay; parking instead", {
          ...alert,
          exchange,
          routingKey: action.routingKey,
        });
        return this.execute(w, msg, parkUnroutableRetry(this.policy, action, exchange), alert);
      }
      metrics.publishFailures.inc({ ...this.labels, exchange });
      log.warn("republish failed; the delivery is requeued", {
        ...alert,
        exchange,
        routingKey: action.routingKey,
        error: e,
      });
      await this.requeue(w, msg);
      return;
    }
    if (action.kind === "retry") {
      metrics.retried.inc({ ...this.labels, delay: action.delay });
      log.info("retry scheduled", {
        ...alert,
        attempt: action.attempts,
        delay: action.delay,
        reason: action.reason,
      });
    } else {
      metrics.parked.inc({ ...this.labels, outcome: action.outcome });
      log.warn("parked", {
        ...alert,
        outcome: action.outcome,
        attempts: action.attempts,
        reason: action.reason,
      });
    }
    this.ack(w, msg);
  }

  private ack(w: Worker, msg: amqp.ConsumeMessage): void {
    try {
      w.ch.ack(msg);
    } catch {
      // The channel closed meanwhile: the broker has requeued the delivery and sends it again.
      this.deps.log.warn(
        "could not acknowledge (channel closed); the broker delivers the alert again",
        {
          deliveryTag: msg.fields.deliveryTag,
        },
      );
    }
  }

  private async requeue(w: Worker, msg: amqp.ConsumeMessage): Promise<void> {
    if (!this.stopping) await new Promise((r) => setTimeout(r, this.deps.requeueDelayMs ?? 1000));
    try {
      w.ch.nack(msg, false, true);
    } catch {
      // Channel closed: the broker requeued it already.
    }
  }
}

/** `host:port` of a node URL, for logs (never the credentials). */
function nodeOf(url: string): string {
  const u = new URL(url);
  return u.port ? `${u.hostname}:${u.port}` : u.hostname;
}

/** The URL with `heartbeat` set, unless the URL sets it itself. */
function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has("heartbeat")) u.searchParams.set("heartbeat", String(seconds));
  return u.toString();
}

/** The properties a republished copy keeps from the original. */
type CopiedProperties = Pick<
  amqp.Options.Publish,
  | "contentType"
  | "contentEncoding"
  | "messageId"
  | "correlationId"
  | "timestamp"
  | "type"
  | "appId"
  | "priority"
>;

/** The original's properties on the copy, persistent, with `headers`. */
function republishOptions(
  msg: amqp.ConsumeMessage,
  headers: Record<string, unknown>,
): amqp.Options.Publish {
  // @types/amqplib gives a delivery's properties as `any`; amqplib decodes them as the AMQP
  // field types, the very types it takes them as when publishing.
  const p: CopiedProperties = msg.properties;
  return {
    persistent: true,
    headers,
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    messageId: p.messageId,
    correlationId: p.correlationId,
    timestamp: p.timestamp,
    type: p.type,
    appId: p.appId,
    priority: p.priority,
  };
}

/** Drops a connection's socket at once (no close handshake: the broker is not answering). */
function destroyConnection(conn: amqp.ChannelModel | undefined): void {
  const stream = (conn as unknown as { connection?: { stream?: { destroy(): void } } } | undefined)
    ?.connection?.stream;
  stream?.destroy();
}
