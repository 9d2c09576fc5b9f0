// Prometheus metrics on a registry of the dispatcher's own (so two dispatchers in one test process
// do not share counters), served on /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  readonly registry: Registry;
  /** Alerts the target accepted. */
  readonly delivered: Counter<"channel">;
  /** Failed delivery attempts, by kind: transient, permanent, invalid (not an alert). */
  readonly failed: Counter<"channel" | "kind">;
  /** Alerts sent to a retry queue, by delay. */
  readonly retried: Counter<"channel" | "delay">;
  /** Alerts parked, by outcome: invalid, permanent, exhausted. */
  readonly parked: Counter<"channel" | "outcome">;
  /** Deliveries received and not yet acknowledged (or requeued). */
  readonly inFlight: Gauge<"channel">;
  /** From the alert's timestamp to the target accepting it. */
  readonly latency: Histogram<"channel">;
  /** Duration of one call to the target, by outcome. */
  readonly targetDuration: Histogram<"channel" | "outcome">;
  /** 1 while connected to the broker and consuming. */
  readonly ready: Gauge<"channel">;
  /** Connections to the broker lost (and retried). */
  readonly reconnects: Counter<"channel">;
  /** Republishes (retry, park) the broker did not confirm; the alert is requeued. */
  readonly publishFailures: Counter<"channel" | "exchange">;
  /** Deliveries of an alert this dispatcher had delivered already (acked, not sent again). */
  readonly duplicates: Counter<"channel">;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: "warren_dispatcher_" });
  const registers = [registry];
  return {
    registry,
    delivered: new Counter({
      name: "warren_dispatcher_delivered_total",
      help: "Alerts the target accepted.",
      labelNames: ["channel"],
      registers,
    }),
    failed: new Counter({
      name: "warren_dispatcher_failed_total",
      help: "Failed delivery attempts by kind (transient, permanent, invalid).",
      labelNames: ["channel", "kind"],
      registers,
    }),
    retried: new Counter({
      name: "warren_dispatcher_retried_total",
      help: "Alerts sent to a retry queue.",
      labelNames: ["channel", "delay"],
      registers,
    }),
    parked: new Counter({
      name: "warren_dispatcher_parked_total",
      help: "Alerts parked, by outcome (invalid, permanent, exhausted).",
      labelNames: ["channel", "outcome"],
      registers,
    }),
    inFlight: new Gauge({
      name: "warren_dispatcher_in_flight",
      help: "Deliveries being processed.",
      labelNames: ["channel"],
      registers,
    }),
    latency: new Histogram({
      name: "warren_dispatcher_latency_seconds",
      help: "From the alert's timestamp to the target accepting it.",
      labelNames: ["channel"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    targetDuration: new Histogram({
      name: "warren_dispatcher_target_duration_seconds",
      help: "Duration of one call to the target.",
      labelNames: ["channel", "outcome"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    ready: new Gauge({
      name: "warren_dispatcher_ready",
      help: "1 while connected and consuming.",
      labelNames: ["channel"],
      registers,
    }),
    reconnects: new Counter({
      name: "warren_dispatcher_reconnects_total",
      help: "Broker connections lost.",
      labelNames: ["channel"],
      registers,
    }),
    publishFailures: new Counter({
      name: "warren_dispatcher_publish_failures_total",
      help: "Retry or park publishes the broker did not confirm (the alert is requeued).",
      labelNames: ["channel", "exchange"],
      registers,
    }),
    duplicates: new Counter({
      name: "warren_dispatcher_duplicates_total",
      help: "Copies of an alert delivered already within the de-duplication window (acked, not sent again).",
      labelNames: ["channel"],
      registers,
    }),
  };
}
