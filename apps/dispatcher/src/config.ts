// The dispatcher's whole configuration, from the environment (contract: apps/dispatcher/README.md).
// Every problem is reported at once, each naming its variable; nothing starts on a bad config.
import { DURATION, type Env, EnvReader, readAmqpCa, suggest } from "./env";
import type { Level } from "./log";
import { LEVELS } from "./log";
import { compileTemplate, DEFAULT_TEMPLATE } from "./template";

export const KINDS = ["wecom", "dingtalk", "wechat", "email", "sms", "phone"] as const;
export type Kind = (typeof KINDS)[number];

export type SmtpTls = "starttls" | "implicit" | "none";

export type TargetConfig =
  | { readonly kind: "wecom"; readonly webhookUrl: URL }
  | { readonly kind: "dingtalk"; readonly webhookUrl: URL; readonly secret?: string }
  | {
      readonly kind: "wechat" | "sms" | "phone";
      readonly url: URL;
      readonly template: string;
      readonly token?: string;
    }
  | {
      readonly kind: "email";
      readonly host: string;
      readonly port: number;
      readonly tls: SmtpTls;
      readonly auth?: { readonly user: string; readonly password: string };
      readonly from: string;
      readonly to: readonly string[];
    };

export interface Config {
  /**
   * The cluster's nodes, one URL each (WARREN_AMQP_URL lists them separated by commas or new
   * lines): the consumer connects to one and moves on to the next whenever it has to reconnect.
   */
  readonly amqpUrls: readonly string[];
  /**
   * The CA (PEM) the nodes' certificates must chain to, for amqps:// URLs (WARREN_AMQP_CA_FILE,
   * the cluster's own CA with its TLS on). Without it, the system's CAs.
   */
  readonly amqpCa?: string;
  /** AMQP heartbeat: a connection silent for about twice this long is given up as dead. */
  readonly heartbeatSeconds: number;
  /** De-duplication window of delivered alert ids: how many (0: off), and for how long. */
  readonly dedupe: { readonly maxEntries: number; readonly maxAgeMs: number };
  /** The channel's name: the word in routing keys (`<channel>.<delay>`, `<channel>`) and metrics. */
  readonly channel: string;
  readonly queue: string;
  readonly prefetch: number;
  /** AMQP channels consuming in parallel on the one connection. */
  readonly concurrency: number;
  readonly retryExchange: string;
  /** Delay labels, in order (`5s`, `30s`, `5m`): retry `n` goes with key `<channel>.<delays[n-1]>`. */
  readonly retryDelays: readonly string[];
  readonly parkedExchange: string;
  /** Delivery attempts before an alert is parked; the last delay repeats if this exceeds delays + 1. */
  readonly maxAttempts: number;
  readonly http: { readonly port: number; readonly host?: string };
  readonly targetTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly reconnect: { readonly minMs: number; readonly maxMs: number };
  readonly logLevel: Level;
  readonly target: TargetConfig;
  /** Every secret value read (URLs, passwords, tokens): redacted from logs and reasons. */
  readonly secrets: readonly string[];
}

export type ConfigResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

const GATEWAY_VARS = [
  "WARREN_GATEWAY_URL",
  "WARREN_GATEWAY_URL_FILE",
  "WARREN_GATEWAY_TEMPLATE",
  "WARREN_GATEWAY_TOKEN",
  "WARREN_GATEWAY_TOKEN_FILE",
];

/** Variables each channel kind reads, beyond the common ones. */
const KIND_VARS: Record<Kind, readonly string[]> = {
  wecom: ["WARREN_WECOM_WEBHOOK_URL", "WARREN_WECOM_WEBHOOK_URL_FILE"],
  dingtalk: [
    "WARREN_DINGTALK_WEBHOOK_URL",
    "WARREN_DINGTALK_WEBHOOK_URL_FILE",
    "WARREN_DINGTALK_SECRET",
    "WARREN_DINGTALK_SECRET_FILE",
  ],
  wechat: GATEWAY_VARS,
  sms: GATEWAY_VARS,
  phone: GATEWAY_VARS,
  email: [
    "WARREN_SMTP_HOST",
    "WARREN_SMTP_PORT",
    "WARREN_SMTP_TLS",
    "WARREN_SMTP_USER",
    "WARREN_SMTP_PASSWORD",
    "WARREN_SMTP_PASSWORD_FILE",
    "WARREN_EMAIL_FROM",
    "WARREN_EMAIL_TO",
  ],
};

/** Each AMQP name is at most 255 bytes (a short string on the wire). */
function amqpName(r: EnvReader, name: string, value: string): string {
  if (Buffer.byteLength(value) > 255) r.fail(name, "must be at most 255 bytes");
  return value;
}

const EMAIL = /^(?:[^<>@\s]+@[^<>@\s]+|[^<>]*<[^<>@\s]+@[^<>@\s]+>)$/;

/** The retry delays (labels as in the retry queues' names) and the attempts before parking. */
function parseRetries(r: EnvReader): { retryDelays: string[]; maxAttempts: number } {
  // Unset: the alerting platform's default delays. Set but empty: no retry queues, park at once.
  const delaysRaw = r.raw("WARREN_RETRY_DELAYS", true) ?? "5s,30s,5m";
  const retryDelays = delaysRaw.trim() === "" ? [] : delaysRaw.split(",").map((d) => d.trim());
  const badDelays = retryDelays.filter((d) => !DURATION.test(d));
  if (badDelays.length)
    r.fail(
      "WARREN_RETRY_DELAYS",
      `must be a comma-separated list of delay labels as in the retry queue names ("5s,30s,5m"); not a delay: ${badDelays.map((d) => JSON.stringify(d)).join(", ")}`,
    );
  else if (new Set(retryDelays).size !== retryDelays.length)
    r.fail("WARREN_RETRY_DELAYS", `lists a delay more than once: ${JSON.stringify(delaysRaw)}`);

  const maxAttempts = r.int("WARREN_MAX_ATTEMPTS", retryDelays.length + 1, 1, 1000);
  if (maxAttempts > 1 && retryDelays.length === 0)
    r.fail(
      "WARREN_MAX_ATTEMPTS",
      `is ${maxAttempts} but WARREN_RETRY_DELAYS is empty: retries need retry queues (set WARREN_MAX_ATTEMPTS=1 to park on the first failure)`,
    );
  return { retryDelays, maxAttempts };
}

/** Other kinds' variables and unknown ones: a warning, or an error for a near-miss of a known name. */
function checkStrayVariables(
  r: EnvReader,
  env: Env,
  kind: string | undefined,
  warnings: string[],
): void {
  // Other kinds' variables are harmless (a shared ConfigMap) but worth a word; a near-miss of a
  // known name is a typo and an error.
  const all = new Set([...r.known, ...Object.values(KIND_VARS).flat()]);
  const mine = new Set(r.known);
  for (const name of Object.keys(env)
    .filter((n) => n.startsWith("WARREN_"))
    .sort()) {
    if (mine.has(name)) continue;
    if (all.has(name)) {
      // Without a (valid) kind the config is refused below, warnings and all.
      if (kind) warnings.push(`${name} is set but channel kind ${kind} does not use it`);
      continue;
    }
    const hint = suggest(name, all);
    if (hint) r.fail(name, `unknown variable${hint}`);
    else warnings.push(`${name} is not a dispatcher variable; ignored`);
  }
}

/** WARREN_AMQP_CA_FILE: a readable PEM certificate, for amqps:// URLs only. */
function parseAmqpCa(r: EnvReader, urls: readonly string[] | undefined): string | undefined {
  const file = r.string("WARREN_AMQP_CA_FILE");
  if (file === undefined) return undefined;
  const { pem, problems } = readAmqpCa(file, urls ?? []);
  for (const p of problems) r.fail("WARREN_AMQP_CA_FILE", p);
  return pem;
}

/** Throughput, timeouts, reconnection, logging and de-duplication: every setting with a default. */
function parseTuning(r: EnvReader) {
  const prefetch = r.int("WARREN_PREFETCH", 10, 1, 65535);
  const concurrency = r.int("WARREN_CONCURRENCY", 1, 1, 64);
  const port = r.int("WARREN_HTTP_PORT", 8080, 0, 65535);
  const host = r.string("WARREN_HTTP_HOST");
  const targetTimeoutMs = r.duration("WARREN_TARGET_TIMEOUT", "10s");
  const publishTimeoutMs = r.duration("WARREN_PUBLISH_TIMEOUT", "10s");
  const connectTimeoutMs = r.duration("WARREN_CONNECT_TIMEOUT", "10s");
  // Short enough that a half-dead connection (a node frozen or cut off) gives its unacked
  // alerts back within about 30 s, long enough not to trip on a busy node.
  const heartbeatMs = r.duration("WARREN_HEARTBEAT", "15s", 1000);
  if (heartbeatMs % 1000 !== 0)
    r.fail(
      "WARREN_HEARTBEAT",
      "must be a whole number of seconds (AMQP counts heartbeats in seconds)",
    );
  const shutdownTimeoutMs = r.duration("WARREN_SHUTDOWN_TIMEOUT", "25s");
  const minMs = r.duration("WARREN_RECONNECT_MIN_DELAY", "500ms", 10);
  const maxMs = r.duration("WARREN_RECONNECT_MAX_DELAY", "30s", 10);
  if (maxMs < minMs)
    r.fail("WARREN_RECONNECT_MAX_DELAY", "must not be shorter than WARREN_RECONNECT_MIN_DELAY");
  const logLevel = r.oneOf("WARREN_LOG_LEVEL", LEVELS, "info")!;
  const dedupeEntries = r.int("WARREN_DEDUPE_WINDOW", 10_000, 0, 1_000_000);
  const dedupeAgeMs = r.duration("WARREN_DEDUPE_MAX_AGE", "10m", 1000);
  return {
    heartbeatSeconds: heartbeatMs / 1000,
    dedupe: { maxEntries: dedupeEntries, maxAgeMs: dedupeAgeMs },
    prefetch,
    concurrency,
    http: { port, host },
    targetTimeoutMs,
    publishTimeoutMs,
    connectTimeoutMs,
    shutdownTimeoutMs,
    reconnect: { minMs, maxMs },
    logLevel,
  };
}

export function parseConfig(env: Env): ConfigResult {
  const r = new EnvReader(env);
  const warnings: string[] = [];

  const amqpUrls = parseAmqpUrls(r, r.secret("WARREN_AMQP_URL", { required: true }));
  const amqpCa = parseAmqpCa(r, amqpUrls);
  const kind = r.oneOf("WARREN_CHANNEL_KIND", KINDS);
  const channel = r.string("WARREN_CHANNEL", { default: kind ?? "" })!;
  if (kind !== undefined && !/^[a-z][a-z0-9-]*$/.test(channel))
    r.fail(
      "WARREN_CHANNEL",
      `must be lower-case letters, digits and dashes, starting with a letter (the channel's name in routing keys), got ${JSON.stringify(channel)}`,
    );
  const queue = amqpName(
    r,
    "WARREN_QUEUE",
    r.string("WARREN_QUEUE", { default: `alerts.${channel}` })!,
  );
  const retryExchange = amqpName(
    r,
    "WARREN_RETRY_EXCHANGE",
    r.string("WARREN_RETRY_EXCHANGE", { default: "alerts.retry" })!,
  );
  const parkedExchange = amqpName(
    r,
    "WARREN_PARKED_EXCHANGE",
    r.string("WARREN_PARKED_EXCHANGE", { default: "alerts.parked" })!,
  );

  const { retryDelays, maxAttempts } = parseRetries(r);

  const tuning = parseTuning(r);
  const target = kind === undefined ? undefined : parseTarget(r, kind);

  checkStrayVariables(r, env, kind, warnings);

  if (r.errors.length || !amqpUrls || !kind || !target) return { ok: false, errors: r.errors };
  return {
    ok: true,
    warnings,
    config: {
      amqpUrls,
      ...(amqpCa === undefined ? {} : { amqpCa }),
      channel,
      queue,
      retryExchange,
      retryDelays,
      parkedExchange,
      maxAttempts,
      ...tuning,
      target,
      secrets: r.secrets,
    },
  };
}

/**
 * WARREN_AMQP_URL: one URL per node of the cluster, separated by commas or new lines, each
 * amqp:// or amqps://. Undefined (and errors reported) when any is not.
 */
function parseAmqpUrls(r: EnvReader, raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const urls = raw
    .split(/[,\n]/)
    .map((u) => u.trim())
    .filter((u) => u !== "");
  if (urls.length === 0) r.fail("WARREN_AMQP_URL", "lists no URL");
  let ok = urls.length > 0;
  urls.forEach((u, i) => {
    const which = urls.length > 1 ? ` (URL ${i + 1} of ${urls.length})` : "";
    let protocol = "";
    try {
      protocol = new URL(u).protocol;
    } catch {
      r.fail(
        "WARREN_AMQP_URL",
        `is not a valid URL${which} (amqp://user:password@host:5672/vhost)`,
      );
      ok = false;
      return;
    }
    if (protocol !== "amqp:" && protocol !== "amqps:") {
      r.fail("WARREN_AMQP_URL", `must be an amqp:// or amqps:// URL, not ${protocol}//${which}`);
      ok = false;
    }
  });
  // The whole value is a secret already; with several URLs each one is too (each carries a password).
  if (ok && urls.length > 1) for (const u of urls) r.secrets.push(u);
  return ok ? urls : undefined;
}

function parseTarget(r: EnvReader, kind: Kind): TargetConfig | undefined {
  switch (kind) {
    case "wecom": {
      const webhookUrl = r.httpUrl(
        "WARREN_WECOM_WEBHOOK_URL",
        r.secret("WARREN_WECOM_WEBHOOK_URL", { required: true }),
      );
      return webhookUrl && { kind, webhookUrl };
    }
    case "dingtalk": {
      const webhookUrl = r.httpUrl(
        "WARREN_DINGTALK_WEBHOOK_URL",
        r.secret("WARREN_DINGTALK_WEBHOOK_URL", { required: true }),
      );
      const secret = r.secret("WARREN_DINGTALK_SECRET", { required: false });
      return webhookUrl && { kind, webhookUrl, secret };
    }
    case "wechat":
    case "sms":
    case "phone": {
      const url = r.httpUrl(
        "WARREN_GATEWAY_URL",
        r.secret("WARREN_GATEWAY_URL", { required: true }),
      );
      const template = r.string("WARREN_GATEWAY_TEMPLATE", { default: DEFAULT_TEMPLATE })!;
      const compiled = compileTemplate(template);
      if (!compiled.ok) for (const e of compiled.errors) r.fail("WARREN_GATEWAY_TEMPLATE", e);
      const token = r.secret("WARREN_GATEWAY_TOKEN", { required: false });
      return url && compiled.ok ? { kind, url, template, token } : undefined;
    }
    case "email": {
      const host = r.string("WARREN_SMTP_HOST", { required: true });
      const tls = r.oneOf<SmtpTls>(
        "WARREN_SMTP_TLS",
        ["starttls", "implicit", "none"],
        "starttls",
      )!;
      const port = r.int(
        "WARREN_SMTP_PORT",
        tls === "implicit" ? 465 : tls === "starttls" ? 587 : 25,
        1,
        65535,
      );
      const user = r.string("WARREN_SMTP_USER");
      const password = r.secret("WARREN_SMTP_PASSWORD", { required: false });
      if ((user === undefined) !== (password === undefined))
        r.fail(
          user === undefined ? "WARREN_SMTP_USER" : "WARREN_SMTP_PASSWORD",
          "SMTP authentication needs both WARREN_SMTP_USER and WARREN_SMTP_PASSWORD (or _FILE)",
        );
      const from = r.string("WARREN_EMAIL_FROM", { required: true });
      if (from !== undefined && !EMAIL.test(from))
        r.fail(
          "WARREN_EMAIL_FROM",
          `must be an address such as alerts@example.com or "Alerts <alerts@example.com>", got ${JSON.stringify(from)}`,
        );
      const toRaw = r.string("WARREN_EMAIL_TO", { required: true });
      const to = (toRaw ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      if (toRaw !== undefined && to.length === 0)
        r.fail("WARREN_EMAIL_TO", "must list at least one address");
      for (const a of to)
        if (!EMAIL.test(a)) r.fail("WARREN_EMAIL_TO", `not an address: ${JSON.stringify(a)}`);
      if (host === undefined || from === undefined || to.length === 0) return undefined;
      return {
        kind,
        host,
        port,
        tls,
        auth: user !== undefined && password !== undefined ? { user, password } : undefined,
        from,
        to,
      };
    }
  }
}
