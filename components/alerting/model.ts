// The alerting platform's model: severities, channels, the names of the broker objects that carry
// alerts, and the routing-key convention producers use (documented in README, "Routing keys").
import type { ConfigIssue } from "../core/issues";
import { show, suggest } from "../core/issues";
import { escapeRegex } from "../core/patterns";
import type { AlertingConfig } from "./schema";

export const DEFAULT_SEVERITIES = ["info", "warning", "error", "critical"] as const;

/** Default channels and the lowest severity each receives. */
export const DEFAULT_CHANNELS: readonly { name: string; minSeverity: string }[] = [
  { name: "wechat", minSeverity: "warning" },
  { name: "wecom", minSeverity: "warning" },
  { name: "dingtalk", minSeverity: "warning" },
  { name: "email", minSeverity: "info" },
  { name: "sms", minSeverity: "error" },
  { name: "phone", minSeverity: "critical" },
];

/** The words after `<exchange>.` that name the platform's own exchanges and queues, not channels. */
export const PLATFORM_WORDS = ["retry", "parked", "unrouted", "requeue"] as const;

/**
 * Matches the channel queues of an alerts exchange (`alerts.<channel>`), not its retry, parked,
 * unrouted and requeue objects. The policy pack's default.
 */
export function channelQueuePattern(exchange: string): string {
  return `^${escapeRegex(exchange)}\\.(?!${PLATFORM_WORDS.map((w) => `${w}$`).join("|")})[a-z][a-z0-9-]*$`;
}

/** The second word of a routing key that addresses every eligible channel. */
export const BROADCAST = "all";

export interface ChannelSpec {
  readonly name: string;
  readonly minSeverity: string;
  readonly queue: string;
  readonly parkedQueue: string;
  readonly consumerUser: string;
  readonly queueType: "classic" | "quorum";
  readonly maxLength: number;
  /** Config path, for messages. */
  readonly path: string;
}

export interface RetryDelay {
  /** As written in config (`30s`), used in queue names and routing keys. */
  readonly label: string;
  readonly ms: number;
  readonly queue: string;
}

export interface AlertingSpec {
  readonly vhost: string;
  /** The topic exchange producers publish to. */
  readonly exchange: string;
  /** Alternate exchange and queue of the alerts exchange: alerts no channel takes. */
  readonly unroutedExchange: string;
  readonly unroutedQueue: string;
  /** Consumers publish failed deliveries here with key `<channel>.<delay>`. */
  readonly retryExchange: string;
  /** Expired retries are dead-lettered here and routed back to their channel queue. */
  readonly requeueExchange: string;
  /** Consumers publish deliveries that failed for good here with key `<channel>`. */
  readonly parkedExchange: string;
  readonly severities: readonly string[];
  readonly channels: readonly ChannelSpec[];
  readonly retryDelays: readonly RetryDelay[];
  readonly queueType: "classic" | "quorum";
  readonly maxLength: number;
  readonly parkedMaxLength: number;
  readonly producerUser: string;
  readonly monitoringUser: string;
}

/** Routing key that reaches every channel whose minimum severity is at or below `severity`. */
export function broadcastKey(severity: string): string {
  return `${severity}.${BROADCAST}`;
}

/** Routing key that reaches only `channel`, and only if it takes `severity`. */
export function addressedKey(severity: string, channel: string): string {
  return `${severity}.${channel}`;
}

/** Whether `channel` takes alerts of `severity` (its minimum severity is at or below it). */
export function takes(spec: AlertingSpec, channel: ChannelSpec, severity: string): boolean {
  return spec.severities.indexOf(severity) >= spec.severities.indexOf(channel.minSeverity);
}

/** The severities a channel takes, in order. */
export function severitiesFor(spec: AlertingSpec, channel: ChannelSpec): string[] {
  return spec.severities.filter((s) => takes(spec, channel, s));
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(d: string | number): number {
  if (typeof d === "number") return d;
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * UNITS[m[2]];
}

/** Builds the alerting model from its (shape-checked) config, reporting semantic errors. */
export function buildAlertingSpec(
  c: AlertingConfig,
  issues: ConfigIssue[],
  base = "warren:alerting",
): AlertingSpec {
  const severities = c.severities ?? [...DEFAULT_SEVERITIES];
  if (severities.length === 0)
    issues.push({ path: `${base}.severities`, message: "must list at least one severity" });
  const seenSev = new Set<string>();
  severities.forEach((s, i) => {
    if (seenSev.has(s))
      issues.push({
        path: `${base}.severities[${i}]`,
        message: `severity ${show(s)} is listed more than once`,
      });
    seenSev.add(s);
  });

  const x = c.exchange;
  const channels = channelSpecs(c, severities, issues, base);
  const retryDelays = retryDelaySpecs(c, issues, base);

  return {
    vhost: c.vhost,
    exchange: x,
    unroutedExchange: `${x}.unrouted`,
    unroutedQueue: `${x}.unrouted`,
    retryExchange: `${x}.retry`,
    requeueExchange: `${x}.requeue`,
    parkedExchange: `${x}.parked`,
    severities,
    channels,
    retryDelays,
    queueType: c.queueType,
    maxLength: c.maxLength,
    parkedMaxLength: c.parkedMaxLength,
    producerUser: c.users.producer,
    monitoringUser: c.users.monitoring,
  };
}

/** The channels (the defaults when none are configured), each with its queues and consumer user. */
function channelSpecs(
  c: AlertingConfig,
  severities: readonly string[],
  issues: ConfigIssue[],
  base: string,
): ChannelSpec[] {
  const x = c.exchange;
  const channelsIn = c.channels ?? DEFAULT_CHANNELS;
  const seenCh = new Set<string>();
  const channels = channelsIn.map((ch, i): ChannelSpec => {
    const path = c.channels ? `${base}.channels[${i}]` : `${base}.channels`;
    if (seenCh.has(ch.name))
      issues.push({
        path: `${path}.name`,
        message: `channel ${show(ch.name)} is listed more than once`,
      });
    seenCh.add(ch.name);
    if (ch.name === BROADCAST)
      issues.push({
        path: `${path}.name`,
        message: `${show(BROADCAST)} is reserved for alerts sent to every channel`,
      });
    if (!severities.includes(ch.minSeverity))
      issues.push({
        path: `${path}.minSeverity`,
        message: `severity ${show(ch.minSeverity)} is not one of ${severities.join(", ")}${suggest(ch.minSeverity, severities)}`,
      });
    const cfg = ch as { queueType?: "classic" | "quorum"; maxLength?: number };
    return {
      name: ch.name,
      minSeverity: ch.minSeverity,
      queue: `${x}.${ch.name}`,
      parkedQueue: `${x}.parked.${ch.name}`,
      consumerUser: `${c.users.consumerPrefix}${ch.name}`,
      queueType: cfg.queueType ?? c.queueType,
      maxLength: cfg.maxLength ?? c.maxLength,
      path,
    };
  });
  if (channels.length === 0)
    issues.push({ path: `${base}.channels`, message: "must list at least one channel" });
  return channels;
}

/** The retry delays, each with its label (as written) and queue. */
function retryDelaySpecs(c: AlertingConfig, issues: ConfigIssue[], base: string): RetryDelay[] {
  const x = c.exchange;
  const seenDelay = new Set<string>();
  const retryDelays = c.retry.delays.map((d, i): RetryDelay => {
    const label = typeof d === "number" ? `${d}ms` : d;
    const ms = parseDuration(d);
    if (seenDelay.has(label))
      issues.push({
        path: `${base}.retry.delays[${i}]`,
        message: `delay ${show(d)} is listed more than once`,
      });
    seenDelay.add(label);
    return { label, ms, queue: `${x}.retry.${label}` };
  });
  return retryDelays;
}
