// The alert producer other teams' services import: every alert persistent, mandatory, on a
// confirm channel, with its id as message-id; publish() resolves only once the broker confirmed
// it, and republishes it (same id, next node) after a nack, a lost connection or a missing confirm
// until a deadline. Many messages are in flight at once on one confirm channel: confirms are per
// delivery tag (amqplib keeps the window), a basic.return is matched to its message by message-id.
// The contract is in ../README.md.
// Long (one class): its jobs, sessions, confirm timers and waiters are one state machine over
// shared fields; what stands alone is apart already (alert.ts, options.ts, session.ts, fifo.ts,
// urls.ts, errors.ts).
import type * as amqp from "amqplib";
import { backoffMs } from "../../dispatcher/src/backoff";
import { type AlertInput, type AlertRules, prepareAlert } from "./alert";
import { PublishError, type PublishFailure, refusalOf } from "./errors";
import { Fifo } from "./fifo";
import {
  type ProducerEvent,
  type ProducerOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options";
import { type Session as SessionOf, closeSession, openSession } from "./session";
import type { ProducerStats, PublishOptions, PublishResult } from "./types";

export { type AlertInput, BROADCAST, DEFAULT_SEVERITIES, prepareAlert } from "./alert";
export { PublishError, type PublishFailure } from "./errors";
export type { ProducerEvent, ProducerOptions } from "./options";
export type { ProducerStats, PublishOptions, PublishResult } from "./types";
export { redactUrl } from "./urls";

type Phase = "queued" | "backoff" | "sent" | "done";

interface Job {
  readonly id: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly props: amqp.Options.Publish;
  readonly resolve: (r: PublishResult) => void;
  readonly reject: (e: PublishError) => void;
  phase: Phase;
  attempts: number;
  nacks: number;
  /** The send in flight, if any: a confirm for any other send of this job is stale. */
  send?: Send;
  lastFailure?: string;
  deadlineTimer?: NodeJS.Timeout;
  backoffTimer?: NodeJS.Timeout;
}

interface Send {
  readonly job: Job;
  readonly session: Session;
  returned: boolean;
  timer?: NodeJS.Timeout;
}

type Session = SessionOf<Send>;

interface ConnectWaiter {
  readonly resolve: (url: string) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class AlertProducer {
  /** The `connection_name` the broker shows (management UI, `rabbitmqctl list_connections`). */
  readonly connectionName: string;
  private readonly o: ResolvedOptions;
  private readonly rules: AlertRules;
  private next: number;
  private session?: Session;
  private connecting = false;
  /** The connection attempt in progress, for close() to wait on. */
  private opening?: Promise<void>;
  private reconnectTimer?: NodeJS.Timeout;
  /** Connection attempts and lost sessions since the broker last answered a publish. */
  private failures = 0;
  private lastConnectError?: string;
  private readonly queue = new Fifo<Job>((j) => j.phase === "queued");
  private readonly jobs = new Set<Job>();
  private readonly connectWaiters = new Set<ConnectWaiter>();
  private idleWaiters: (() => void)[] = [];
  private closing = false;
  private shutDown = false;
  private readonly counts = {
    published: 0,
    confirmed: 0,
    republished: 0,
    unroutable: 0,
    failed: 0,
    invalid: 0,
    connections: 0,
  };

  /** Checks the options (throws a TypeError listing every problem); connects on first use. */
  constructor(options: ProducerOptions) {
    this.o = resolveOptions(options);
    this.rules = {
      severities: this.o.severities,
      channels: this.o.channels,
      source: this.o.source,
    };
    this.connectionName = this.o.connectionName;
    this.next = this.o.startIndex;
  }

  get stats(): ProducerStats {
    return {
      ...this.counts,
      inFlight: this.session?.inFlight.size ?? 0,
      queued: this.queue.length,
      blocked: this.session?.blocked !== undefined,
    };
  }

  /**
   * Connects now instead of at the first publish (to fail fast at start-up); resolves with the
   * node's URL (without password). Rejects after `publishTimeoutMs`, or at once if refused.
   */
  connect(): Promise<string> {
    if (this.session) return Promise.resolve(this.session.node.display);
    if (this.closing) return Promise.reject(new Error("the producer is closed"));
    return new Promise((resolve, reject) => {
      const w: ConnectWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.connectWaiters.delete(w);
          reject(
            new Error(
              `could not connect within ${this.o.publishTimeoutMs} ms; last: ${this.lastConnectError ?? "still connecting"}`,
            ),
          );
        }, this.o.publishTimeoutMs),
      };
      this.connectWaiters.add(w);
      this.scheduleConnect();
    });
  }

  /**
   * Publishes one alert; resolves once the broker confirmed it. Rejects with a PublishError:
   * `invalid` at once, `unroutable` or `refused` without retrying, `timeout` at the deadline,
   * `closed` if the producer is closed first.
   */
  publish(alert: AlertInput, options: PublishOptions = {}): Promise<PublishResult> {
    const id = typeof alert?.id === "string" ? alert.id : "";
    if (this.closing)
      return Promise.reject(
        new PublishError(`alert ${JSON.stringify(id)}: the producer is closed`, "closed", id, 0),
      );
    const timeoutMs = options.timeoutMs ?? this.o.publishTimeoutMs;
    const p = prepareAlert(alert, options.channel, this.rules);
    if (!p.ok || !Number.isInteger(timeoutMs) || timeoutMs < 1) {
      this.counts.invalid++;
      const reason = p.ok
        ? `timeoutMs: must be a positive integer, got ${JSON.stringify(timeoutMs)}`
        : p.reason;
      return Promise.reject(
        new PublishError(`alert ${JSON.stringify(id)}: ${reason}`, "invalid", id, 0),
      );
    }
    return new Promise<PublishResult>((resolve, reject) => {
      const job: Job = {
        id: p.alert.id,
        routingKey: p.routingKey,
        content: p.content,
        props: {
          deliveryMode: 2,
          persistent: true,
          mandatory: true,
          messageId: p.alert.id,
          contentType: "application/json",
        },
        resolve,
        reject,
        phase: "queued",
        attempts: 0,
        nacks: 0,
      };
      job.deadlineTimer = setTimeout(() => this.onDeadline(job, timeoutMs), timeoutMs);
      this.jobs.add(job);
      this.counts.published++;
      this.queue.push(job);
      this.pump();
    });
  }

  /**
   * Stops accepting publishes, waits for those pending to settle (each within its deadline; with
   * `timeoutMs`, rejects what is left then as `closed`), and closes the connection.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closing = true;
    if (this.jobs.size > 0) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        if (options.timeoutMs !== undefined) {
          const t = setTimeout(() => {
            for (const job of [...this.jobs]) {
              if (job.send) this.untrack(job.send);
              this.fail(
                job,
                "closed",
                `alert ${JSON.stringify(job.id)}: the producer was closed before the broker confirmed it (${job.attempts} attempt(s))`,
              );
            }
          }, options.timeoutMs);
          this.idleWaiters.push(() => clearTimeout(t));
        }
      });
    }
    this.shutDown = true;
    clearTimeout(this.reconnectTimer);
    for (const w of this.connectWaiters) {
      clearTimeout(w.timer);
      w.reject(new Error("the producer is closed"));
    }
    this.connectWaiters.clear();
    await this.opening; // a connection that opens now is closed by openSession itself
    const s = this.session;
    this.session = undefined;
    if (s) await closeSession(s, this.o.confirmTimeoutMs);
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  private pump(): void {
    const s = this.session;
    if (!s) {
      if (this.queue.length > 0) this.scheduleConnect();
      return;
    }
    // Blocked by a resource alarm: the broker reads nothing from this connection, so new
    // messages would only pile up in socket buffers. They wait here instead.
    if (s.blocked !== undefined) return;
    while (this.session === s && s.inFlight.size < this.o.maxInFlight) {
      const job = this.queue.shift();
      if (!job) break;
      this.send(job, s);
    }
  }

  private send(job: Job, s: Session): void {
    job.attempts++;
    if (job.attempts > 1) this.counts.republished++;
    const send: Send = { job, session: s, returned: false };
    job.phase = "sent";
    job.send = send;
    s.inFlight.add(send);
    const list = s.byId.get(job.id);
    if (list) list.push(send);
    else s.byId.set(job.id, [send]);
    this.armConfirmTimer(send);
    try {
      // amqplib calls back with null (ack) or an Error (nack, or the channel closed first).
      s.ch.publish(this.o.exchange, job.routingKey, job.content, job.props, (err: Error | null) =>
        this.onConfirm(send, err),
      );
    } catch (e) {
      // amqplib queues the confirm callback before it encodes the message, so after any throw its
      // delivery-tag window is off by one: this channel's confirms cannot be trusted any more.
      if ((e as Error).name !== "IllegalOperationError") {
        this.untrack(send);
        this.fail(
          job,
          "invalid",
          `alert ${JSON.stringify(job.id)}: cannot be encoded: ${(e as Error).message}`,
        );
      }
      this.loseSession(s, e as Error);
    }
  }

  private onConfirm(send: Send, err: Error | null): void {
    const { job, session: s } = send;
    if (job.send !== send) return; // requeued, failed or timed out meanwhile
    // "channel closed": the channel's 'close' handler requeues everything in flight, in order.
    if (err !== null && err.message !== "message nacked") return;
    this.untrack(send);
    // The broker answered: the connection works, so the next loss reconnects without delay.
    this.failures = 0;
    if (err !== null) {
      job.nacks++;
      this.retryLater(
        job,
        `nacked by ${s.node.display} (a queue is full with overflow reject-publish, or has no leader)`,
      );
    } else if (send.returned) {
      this.fail(
        job,
        "unroutable",
        `alert ${JSON.stringify(job.id)}: unroutable: exchange "${this.o.exchange}" has no queue for routing key "${job.routingKey}" and no alternate exchange`,
      );
    } else {
      this.finish(job, s.node.display);
    }
    this.pump();
  }

  private onReturn(s: Session, msg: amqp.Message): void {
    // basic.return comes before the confirm of the same message; with many messages in flight,
    // the message-id (the alert id) says which. Two in flight with one id and one key route alike.
    const id = msg.properties.messageId as unknown;
    if (typeof id !== "string" || msg.fields.exchange !== this.o.exchange) return;
    const send = s.byId
      .get(id)
      ?.find((x) => !x.returned && x.job.routingKey === msg.fields.routingKey);
    if (send) send.returned = true;
  }

  private armConfirmTimer(send: Send): void {
    clearTimeout(send.timer);
    send.timer = undefined;
    // While blocked the clocks stop: a confirm cannot come, and republishing elsewhere would not
    // help (alarms are cluster-wide), so a long alarm must not set off a republish storm.
    if (send.session.blocked !== undefined) return;
    send.timer = setTimeout(() => {
      if (send.job.send !== send) return;
      this.loseSession(
        send.session,
        new Error(
          `no confirm from ${send.session.node.display} within ${this.o.confirmTimeoutMs} ms`,
        ),
      );
    }, this.o.confirmTimeoutMs);
  }

  private untrack(send: Send): void {
    const s = send.session;
    clearTimeout(send.timer);
    s.inFlight.delete(send);
    const list = s.byId.get(send.job.id);
    if (list) {
      const i = list.indexOf(send);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) s.byId.delete(send.job.id);
    }
    if (send.job.send === send) send.job.send = undefined;
  }

  private retryLater(job: Job, why: string): void {
    job.lastFailure = why;
    job.phase = "backoff";
    job.backoffTimer = setTimeout(
      () => {
        job.backoffTimer = undefined;
        if (job.phase !== "backoff") return;
        job.phase = "queued";
        this.queue.pushFront([job]);
        this.pump();
      },
      backoffMs(job.nacks - 1, this.o.retryMinMs, this.o.retryMaxMs, this.o.random),
    );
  }

  private onDeadline(job: Job, timeoutMs: number): void {
    if (job.phase === "done") return;
    if (job.send) this.untrack(job.send);
    const s = this.session;
    const last =
      s?.blocked !== undefined
        ? `the broker blocks publishing (resource alarm: ${s.blocked}) for ${Date.now() - (s.blockedAt ?? Date.now())} ms`
        : (job.lastFailure ??
          (job.attempts === 0
            ? this.lastConnectError
              ? `cannot connect: ${this.lastConnectError}`
              : "not sent yet"
            : "no confirm yet"));
    this.fail(
      job,
      "timeout",
      `alert ${JSON.stringify(job.id)}: not confirmed within ${timeoutMs} ms (${job.attempts} attempt(s)); last: ${last}`,
    );
    this.pump();
  }

  private finish(job: Job, url: string): void {
    clearTimeout(job.deadlineTimer);
    job.phase = "done";
    this.jobs.delete(job);
    this.counts.confirmed++;
    job.resolve({ id: job.id, attempts: job.attempts, url });
    this.checkIdle();
  }

  private fail(job: Job, reason: PublishFailure, message: string): void {
    if (job.phase === "done") return;
    if (job.phase === "queued") this.queue.forget();
    clearTimeout(job.deadlineTimer);
    clearTimeout(job.backoffTimer);
    job.phase = "done";
    this.jobs.delete(job);
    if (reason === "unroutable") this.counts.unroutable++;
    else this.counts.failed++;
    job.reject(new PublishError(message, reason, job.id, job.attempts));
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.jobs.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  // -------------------------------------------------------------------------------------------
  // Connections

  /** Opens the next connection when there is work: at once to another node, with backoff after each full round. */
  private scheduleConnect(): void {
    if (this.session || this.connecting || this.reconnectTimer || this.shutDown) return;
    if (this.queue.length === 0 && this.connectWaiters.size === 0) return;
    const n = this.o.nodes.length;
    const f = this.failures;
    const delay =
      f === 0 || f % n !== 0
        ? 0
        : backoffMs(f / n - 1, this.o.retryMinMs, this.o.retryMaxMs, this.o.random);
    if (delay === 0) {
      this.opening = this.openSession();
      return;
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.opening = this.openSession();
    }, delay);
  }

  private async openSession(): Promise<void> {
    this.connecting = true;
    const node = this.o.nodes[this.next % this.o.nodes.length];
    this.next = (this.next + 1) % this.o.nodes.length;
    let s: Session;
    try {
      s = await openSession<Send>(node, this.o, (session) => ({
        lost: (err) => this.loseSession(session, err),
        blocked: (reason) => this.onBlocked(session, reason),
        unblocked: () => this.onUnblocked(session),
        returned: (msg) => this.onReturn(session, msg),
      }));
    } catch (e) {
      this.connecting = false;
      this.failures++;
      this.lastConnectError = `${node.display}: ${(e as Error).message}`;
      this.emit({ type: "connect-failed", url: node.display, error: (e as Error).message });
      const refusal = refusalOf(e);
      if (refusal) this.refuseWaiting(`${node.display} refused the connection: ${refusal.message}`);
      this.scheduleConnect();
      return;
    }
    this.connecting = false;
    if (this.shutDown) {
      await closeSession(s, this.o.confirmTimeoutMs);
      return;
    }
    this.session = s;
    this.counts.connections++;
    this.emit({ type: "connected", url: node.display });
    for (const w of this.connectWaiters) {
      clearTimeout(w.timer);
      w.resolve(node.display);
    }
    this.connectWaiters.clear();
    this.pump();
  }

  /**
   * The session is unusable (closed by the broker or the network, or no confirm in time):
   * everything in flight goes back to the front of the queue, in order, and is sent again on the
   * next node; except after a refusal, which fails the messages it concerns.
   */
  private loseSession(s: Session, err: Error): void {
    if (s.dead) return;
    s.dead = true;
    if (this.session === s) this.session = undefined;
    const refusal = refusalOf(err);
    const requeue: Job[] = [];
    for (const send of s.inFlight) {
      clearTimeout(send.timer);
      const job = send.job;
      job.send = undefined;
      if (refusal && (refusal.routingKey === undefined || refusal.routingKey === job.routingKey)) {
        this.fail(
          job,
          "refused",
          `alert ${JSON.stringify(job.id)}: ${s.node.display} refused it: ${refusal.message}`,
        );
      } else {
        job.lastFailure = `${s.node.display}: ${err.message}`;
        job.phase = "queued";
        requeue.push(job);
      }
    }
    s.inFlight.clear();
    s.byId.clear();
    this.queue.pushFront(requeue);
    this.failures++;
    s.conn.close().catch(() => {});
    this.emit({
      type: "disconnected",
      url: s.node.display,
      error: err.message,
      requeued: requeue.length,
    });
    this.pump();
  }

  private onBlocked(s: Session, reason: string): void {
    if (s.dead) return;
    s.blocked = reason || "unknown";
    s.blockedAt = Date.now();
    for (const send of s.inFlight) {
      clearTimeout(send.timer);
      send.timer = undefined;
    }
    this.emit({ type: "blocked", url: s.node.display, reason: s.blocked });
  }

  private onUnblocked(s: Session): void {
    if (s.dead || s.blocked === undefined) return;
    s.blocked = undefined;
    s.blockedAt = undefined;
    // Each waiting message gets a full confirm timeout again from now.
    for (const send of s.inFlight) this.armConfirmTimer(send);
    this.emit({ type: "unblocked", url: s.node.display });
    this.pump();
  }

  /** A refused login or vhost: every message waiting for a connection fails now. */
  private refuseWaiting(message: string): void {
    for (const job of [...this.jobs])
      if (job.phase === "queued")
        this.fail(job, "refused", `alert ${JSON.stringify(job.id)}: ${message}`);
    for (const w of this.connectWaiters) {
      clearTimeout(w.timer);
      w.reject(new Error(message));
    }
    this.connectWaiters.clear();
  }

  private emit(event: ProducerEvent): void {
    try {
      this.o.onEvent(event);
    } catch {
      // An observer's bug must not break publishing.
    }
  }
}
