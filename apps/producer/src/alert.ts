// What a producer sends: an alert completed with its defaults, checked by the dispatcher's own
// parser on the exact bytes that go out (so nothing the producer confirms is parked as invalid),
// and the routing key `<severity>.<channel|all>`.
import { type Alert, parseAlert } from "../../dispatcher/src/schema";

/** The platform's default severities, lowest first (root README, `warren:alerting`). */
export const DEFAULT_SEVERITIES: readonly string[] = ["info", "warning", "error", "critical"];

/** The routing word that reaches every channel taking the severity. */
export const BROADCAST = "all";

/** Channel and severity names, as `warren:alerting` allows them. */
const WORD = /^[a-z][a-z0-9-]*$/;

/**
 * An alert as a caller writes it. `body`, `labels`, `source` and `timestamp` may be left out: the
 * dispatcher's schema requires all of them, so the producer fills them in (`""`, `{}`, the
 * producer's `source`, now) rather than send a message the dispatcher would park as invalid.
 */
export interface AlertInput {
  /** Stable and unique per alert: it is the AMQP message-id consumers de-duplicate by. */
  readonly id: string;
  readonly severity: string;
  readonly title: string;
  readonly body?: string;
  readonly source?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** ISO 8601 with a zone, or a Date; default: now. */
  readonly timestamp?: string | Date;
}

export interface AlertRules {
  readonly severities: readonly string[];
  /** Channels a key may name; undefined: any well-formed name (the broker decides). */
  readonly channels?: readonly string[];
  /** Used when the alert has no `source`. */
  readonly source: string;
}

export type PreparedAlert =
  | {
      readonly ok: true;
      readonly alert: Alert;
      readonly routingKey: string;
      readonly content: Buffer;
    }
  | { readonly ok: false; readonly reason: string };

/** Completes, checks and serialises one alert. Never throws. */
export function prepareAlert(
  input: AlertInput,
  channel: string | undefined,
  rules: AlertRules,
  now: () => Date = () => new Date(),
): PreparedAlert {
  const issues: string[] = [];
  if (input === null || typeof input !== "object")
    return { ok: false, reason: "invalid alert: (message): expected an object" };
  const ts =
    input.timestamp instanceof Date
      ? Number.isNaN(input.timestamp.getTime())
        ? "Invalid Date"
        : input.timestamp.toISOString()
      : input.timestamp;
  const full = {
    ...input,
    body: input.body ?? "",
    source: input.source ?? rules.source,
    labels: input.labels ?? {},
    timestamp: ts ?? now().toISOString(),
  };

  if (typeof full.severity === "string" && !rules.severities.includes(full.severity))
    issues.push(
      `severity: must be one of ${rules.severities.join(", ")}, got ${JSON.stringify(full.severity)}`,
    );
  // The id is also the AMQP message-id, a short string: at most 255 bytes (the schema counts
  // 256 characters, which amqplib would refuse while encoding the frame).
  if (typeof full.id === "string" && Buffer.byteLength(full.id) > 255)
    issues.push("id: must be at most 255 bytes in UTF-8 (it is the AMQP message-id)");
  const word = channel ?? BROADCAST;
  if (word !== BROADCAST) {
    if (!WORD.test(word))
      issues.push(
        `channel: must be lower-case letters, digits and dashes, starting with a letter, got ${JSON.stringify(word)}`,
      );
    else if (rules.channels && !rules.channels.includes(word))
      issues.push(
        `channel: must be one of ${[BROADCAST, ...rules.channels].join(", ")}, got ${JSON.stringify(word)}`,
      );
  }

  // The dispatcher's parser, on the bytes that will be sent.
  const content = Buffer.from(JSON.stringify(full));
  const parsed = parseAlert(content);
  if (!parsed.ok) issues.push(parsed.reason.replace(/^invalid alert: /, ""));
  if (issues.length || !parsed.ok)
    return { ok: false, reason: `invalid alert: ${issues.join("; ")}` };
  return { ok: true, alert: parsed.alert, routingKey: `${parsed.alert.severity}.${word}`, content };
}
