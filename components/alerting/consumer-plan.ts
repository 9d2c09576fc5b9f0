// The dispatcher's environment contract (apps/dispatcher/README.md), rendered once from the spec
// for both runtimes: plain variables, and secret files (`<VAR>_FILE`) that Kubernetes mounts from
// a Secret and Docker uploads, so no secret is ever an environment value.
import type { ConfigIssue } from "../core/issues";
import { show, suggest } from "../core/issues";
import type { SecretInput } from "../core/secret";
import {
  type ChannelKind,
  CHANNEL_KINDS,
  type ConsumerChannelConfig,
  type ConsumersConfig,
} from "./consumers-schema";
import type { AlertingSpec, ChannelSpec } from "./model";

/** Where secret files are mounted in the dispatcher's container. */
export const SECRETS_DIR = "/run/secrets/warren";
export const HTTP_PORT = 8080;

export interface ConsumerPlan {
  readonly channel: ChannelSpec;
  readonly kind: ChannelKind;
  readonly replicas: number;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly resources: ConsumersConfig["resources"];
  readonly autoscale?: ConsumerChannelConfig["autoscale"];
  /** Plain variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Secret files by file name (besides `amqp-url`, which the runtime builds from the credentials). */
  readonly secretFiles: Readonly<Record<string, SecretInput>>;
}

const REQUIRED: Record<ChannelKind, readonly (keyof ConsumerChannelConfig["target"])[]> = {
  wecom: ["webhookUrl"],
  dingtalk: ["webhookUrl"],
  wechat: ["url"],
  sms: ["url"],
  phone: ["url"],
  email: ["smtpHost", "from", "to"],
};

/** Which target fields each kind reads (others are errors: a typo or a wrong kind). */
const ALLOWED: Record<ChannelKind, readonly string[]> = {
  wecom: ["webhookUrl"],
  dingtalk: ["webhookUrl", "secret"],
  wechat: ["url", "template", "token"],
  sms: ["url", "template", "token"],
  phone: ["url", "template", "token"],
  email: ["smtpHost", "smtpPort", "smtpTls", "smtpUser", "smtpPassword", "from", "to"],
};

/** Checks `warren:consumers` against the alerting channels; returns path-addressed issues. */
export function validateConsumers(
  c: ConsumersConfig,
  alerting: AlertingSpec | undefined,
  base = "warren:consumers",
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path: `${base}.${path}`, message });
  const names = alerting?.channels.map((ch) => ch.name) ?? [];
  if (!alerting && Object.keys(c.channels).length)
    add("channels", "needs warren:alerting (consumers deliver its channels)");
  for (const [name, ch] of Object.entries(c.channels)) {
    const at = `channels.${name}`;
    if (alerting && !names.includes(name))
      add(at, `no alerting channel ${show(name)}${suggest(name, names)}`);
    const kind =
      ch.kind ??
      ((CHANNEL_KINDS as readonly string[]).includes(name) ? (name as ChannelKind) : undefined);
    if (!kind) {
      add(
        `${at}.kind`,
        `is required: ${show(name)} is not a channel kind (${CHANNEL_KINDS.join(", ")})`,
      );
      continue;
    }
    for (const f of REQUIRED[kind])
      if (ch.target[f] === undefined) add(`${at}.target.${f}`, `is required for a ${kind} channel`);
    for (const f of Object.keys(ch.target))
      if (!ALLOWED[kind].includes(f))
        add(
          `${at}.target.${f}`,
          `does not apply to a ${kind} channel (it takes ${ALLOWED[kind].join(", ")})`,
        );
    if (
      kind === "email" &&
      (ch.target.smtpUser === undefined) !== (ch.target.smtpPassword === undefined)
    )
      add(`${at}.target`, "SMTP authentication needs both smtpUser and smtpPassword");
    if (ch.autoscale && ch.autoscale.maxReplicas < (ch.replicas ?? c.replicas))
      add(
        `${at}.autoscale.maxReplicas`,
        `must be at least replicas (${ch.replicas ?? c.replicas})`,
      );
  }
  return issues;
}

/** The consumers to run: one per channel listed in `warren:consumers.channels`. */
export function planConsumers(c: ConsumersConfig, alerting: AlertingSpec): ConsumerPlan[] {
  return alerting.channels
    .filter((ch) => c.channels[ch.name])
    .map((channel) => {
      const cfg = c.channels[channel.name];
      const kind = (cfg.kind ?? channel.name) as ChannelKind;
      const t = cfg.target;
      const env: Record<string, string> = {
        WARREN_AMQP_URL_FILE: `${SECRETS_DIR}/amqp-url`,
        WARREN_CHANNEL: channel.name,
        WARREN_CHANNEL_KIND: kind,
        WARREN_QUEUE: channel.queue,
        WARREN_PREFETCH: String(cfg.prefetch ?? c.prefetch),
        WARREN_CONCURRENCY: String(cfg.concurrency ?? c.concurrency),
        WARREN_RETRY_EXCHANGE: alerting.retryExchange,
        WARREN_RETRY_DELAYS: alerting.retryDelays.map((d) => d.label).join(","),
        WARREN_MAX_ATTEMPTS: String(alerting.retryDelays.length + 1),
        WARREN_PARKED_EXCHANGE: alerting.parkedExchange,
        WARREN_HTTP_PORT: String(HTTP_PORT),
      };
      const secretFiles: Record<string, SecretInput> = {};
      const secret = (variable: string, file: string, value: SecretInput | undefined) => {
        if (value === undefined) return;
        secretFiles[file] = value;
        env[`${variable}_FILE`] = `${SECRETS_DIR}/${file}`;
      };
      switch (kind) {
        case "wecom":
          secret("WARREN_WECOM_WEBHOOK_URL", "webhook-url", t.webhookUrl);
          break;
        case "dingtalk":
          secret("WARREN_DINGTALK_WEBHOOK_URL", "webhook-url", t.webhookUrl);
          secret("WARREN_DINGTALK_SECRET", "signing-secret", t.secret);
          break;
        case "email":
          env.WARREN_SMTP_HOST = t.smtpHost!;
          if (t.smtpPort !== undefined) env.WARREN_SMTP_PORT = String(t.smtpPort);
          if (t.smtpTls !== undefined) env.WARREN_SMTP_TLS = t.smtpTls;
          if (t.smtpUser !== undefined) env.WARREN_SMTP_USER = t.smtpUser;
          secret("WARREN_SMTP_PASSWORD", "smtp-password", t.smtpPassword);
          env.WARREN_EMAIL_FROM = t.from!;
          env.WARREN_EMAIL_TO = t.to!.join(",");
          break;
        default:
          secret("WARREN_GATEWAY_URL", "gateway-url", t.url);
          secret("WARREN_GATEWAY_TOKEN", "gateway-token", t.token);
          if (t.template !== undefined) env.WARREN_GATEWAY_TEMPLATE = t.template;
      }
      return {
        channel,
        kind,
        replicas: cfg.replicas ?? c.replicas,
        prefetch: cfg.prefetch ?? c.prefetch,
        concurrency: cfg.concurrency ?? c.concurrency,
        resources: cfg.resources ?? c.resources,
        autoscale: cfg.autoscale,
        env,
        secretFiles,
      };
    });
}

/** The AMQP URL of a consumer user (the runtime fills in host and password); amqps with TLS on. */
export function amqpUrl(
  user: string,
  password: string,
  hostPort: string,
  vhost: string,
  tls = false,
): string {
  return `${tls ? "amqps" : "amqp"}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${hostPort}/${encodeURIComponent(vhost)}`;
}
