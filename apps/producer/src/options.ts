// The producer's options: documented defaults, and every problem reported at once.
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import type { ConnectionOptions } from "node:tls";
import { BROADCAST, DEFAULT_SEVERITIES } from "./alert";
import { type Credentials, type NodeUrl, parseNodeUrl } from "./urls";

export type ProducerEvent =
  | { readonly type: "connected"; readonly url: string }
  | { readonly type: "connect-failed"; readonly url: string; readonly error: string }
  | {
      readonly type: "disconnected";
      readonly url: string;
      readonly error: string;
      readonly requeued: number;
    }
  | { readonly type: "blocked"; readonly url: string; readonly reason: string }
  | { readonly type: "unblocked"; readonly url: string };

export interface ProducerOptions {
  /** Every node of the cluster, `amqp://user:password@host:5672/alerting` or `amqps://…`; tried in rotation. */
  readonly urls: readonly string[];
  /** User and password instead of the URLs' (e.g. a password read from a secret file). */
  readonly credentials?: Credentials;
  /** The topic exchange alerts go to. @default "alerts" */
  readonly exchange?: string;
  /** Index in `urls` of the first node to connect to. @default random */
  readonly startIndex?: number;
  /** AMQP heartbeat. @default 10 */
  readonly heartbeatSeconds?: number;
  /** Limit on the TCP/TLS connect and AMQP handshake of one node. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** How long a message may wait for its confirm before the connection is given up (not while blocked). @default 10_000 */
  readonly confirmTimeoutMs?: number;
  /** How long publish() keeps trying before it rejects; per publish with `timeoutMs`. @default 60_000 */
  readonly publishTimeoutMs?: number;
  /** Bounds of the jittered exponential backoff between retries of a nacked message and between rounds of connection attempts. @default 100 */
  readonly retryMinMs?: number;
  /** @default 5_000 */
  readonly retryMaxMs?: number;
  /** Messages written and not yet confirmed, at most; more publishes wait in the producer. @default 1_000 */
  readonly maxInFlight?: number;
  /** The `connection_name` client property the broker shows. @default "warren-producer <host> <pid>/<random>" */
  readonly connectionName?: string;
  /** Severities an alert may have, as in `warren:alerting.severities`. @default info, warning, error, critical */
  readonly severities?: readonly string[];
  /** Channels a publish may address; undefined: any well-formed name. @default undefined */
  readonly channels?: readonly string[];
  /** `source` of alerts that have none. @default os.hostname() */
  readonly source?: string;
  /** TLS options for amqps:// nodes (ca, cert, key, servername, …). */
  readonly tls?: ConnectionOptions;
  /** Connection events, for logs and metrics; must not throw. */
  readonly onEvent?: (event: ProducerEvent) => void;
  /** Source of randomness for the start node and the jitter (tests). @default Math.random */
  readonly random?: () => number;
}

export interface ResolvedOptions {
  readonly nodes: readonly NodeUrl[];
  readonly exchange: string;
  readonly startIndex: number;
  readonly connectTimeoutMs: number;
  readonly confirmTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly maxInFlight: number;
  readonly connectionName: string;
  readonly severities: readonly string[];
  readonly channels?: readonly string[];
  readonly source: string;
  readonly tls?: ConnectionOptions;
  readonly onEvent: (event: ProducerEvent) => void;
  readonly random: () => number;
}

const WORD = /^[a-z][a-z0-9-]*$/;

/** Applies the defaults; throws one TypeError listing every problem. */
export function resolveOptions(o: ProducerOptions): ResolvedOptions {
  const issues: string[] = [];
  const int = (name: keyof ProducerOptions, def: number, min: number): number => {
    const v = o[name] ?? def;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      issues.push(`${name}: must be an integer of at least ${min}, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  };
  const heartbeat = int("heartbeatSeconds", 10, 0);
  const nodes = nodeUrls(o, heartbeat, issues);
  const random = o.random ?? Math.random;
  const n = Array.isArray(o.urls) ? o.urls.length : 0;
  const startIndex = o.startIndex ?? Math.floor(random() * Math.max(1, n));
  if (!Number.isInteger(startIndex) || startIndex < 0 || (n > 0 && startIndex >= n))
    issues.push(
      `startIndex: must be an index into urls (0 to ${Math.max(0, n - 1)}), got ${JSON.stringify(startIndex)}`,
    );
  const exchange = o.exchange ?? "alerts";
  if (typeof exchange !== "string" || exchange === "" || Buffer.byteLength(exchange) > 255)
    issues.push(`exchange: must be a name of 1 to 255 bytes, got ${JSON.stringify(exchange)}`);
  const severities = o.severities ?? DEFAULT_SEVERITIES;
  checkNames(severities, o.channels, issues);
  const source = o.source ?? os.hostname();
  if (typeof source !== "string" || source === "")
    issues.push("source: must be a non-empty string");
  const retryMinMs = int("retryMinMs", 100, 1);
  const retryMaxMs = int("retryMaxMs", 5_000, 1);
  if (retryMaxMs < retryMinMs)
    issues.push(`retryMaxMs: must be at least retryMinMs (${retryMinMs}), got ${retryMaxMs}`);
  const resolved: ResolvedOptions = {
    nodes,
    exchange,
    startIndex,
    connectTimeoutMs: int("connectTimeoutMs", 10_000, 1),
    confirmTimeoutMs: int("confirmTimeoutMs", 10_000, 1),
    publishTimeoutMs: int("publishTimeoutMs", 60_000, 1),
    retryMinMs,
    retryMaxMs,
    maxInFlight: int("maxInFlight", 1_000, 1),
    connectionName:
      o.connectionName ??
      `warren-producer ${os.hostname()} ${process.pid}/${randomBytes(3).toString("hex")}`,
    severities,
    channels: o.channels,
    source,
    tls: o.tls,
    onEvent: o.onEvent ?? (() => {}),
    random,
  };
  if (issues.length) throw new TypeError(`invalid producer options: ${issues.join("; ")}`);
  return resolved;
}

/** Each URL parsed, with its user; a problem with one is an issue naming its index. */
function nodeUrls(o: ProducerOptions, heartbeat: number, issues: string[]): NodeUrl[] {
  const nodes: NodeUrl[] = [];
  if (!Array.isArray(o.urls) || o.urls.length === 0)
    issues.push("urls: must list at least one amqp:// or amqps:// URL");
  else
    o.urls.forEach((raw, i) => {
      try {
        if (typeof raw !== "string") throw new TypeError(`must be a string`);
        const node = parseNodeUrl(raw, heartbeat, o.credentials);
        if (!node.connect.username)
          throw new TypeError(
            `${node.display}: no user (give it in the URL or as credentials.username)`,
          );
        nodes.push(node);
      } catch (e) {
        issues.push(`urls[${i}]: ${(e as Error).message}`);
      }
    });
  return nodes;
}

/** Severities and channels are words of the routing key: lower-case letters, digits, dashes. */
function checkNames(
  severities: readonly string[],
  channels: readonly string[] | undefined,
  issues: string[],
): void {
  if (!Array.isArray(severities) || severities.length === 0)
    issues.push("severities: must list at least one severity");
  else
    for (const s of severities)
      if (typeof s !== "string" || !WORD.test(s))
        issues.push(
          `severities: ${JSON.stringify(s)} is not lower-case letters, digits and dashes`,
        );
  if (channels !== undefined)
    for (const c of channels)
      if (typeof c !== "string" || !WORD.test(c) || c === BROADCAST)
        issues.push(
          `channels: ${JSON.stringify(c)} is not a channel name (lower-case letters, digits and dashes; not "${BROADCAST}")`,
        );
}
