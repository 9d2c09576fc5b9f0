// The dispatcher's environment contract: defaults, every validation rule with its exact message,
// secrets from files, and unknown variables.
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseConfig } from "../../../apps/dispatcher/src/config";
import { DEFAULT_TEMPLATE } from "../../../apps/dispatcher/src/template";
import { tempFiles } from "../../support/temp";

const AMQP = "amqp://alerts-consumer-sms:s3cret-pass@rabbit:5672/alerting";
const base = {
  WARREN_AMQP_URL: AMQP,
  WARREN_CHANNEL_KIND: "sms",
  WARREN_GATEWAY_URL: "https://sms.example/send",
};

const errorsOf = (env: Record<string, string>) => {
  const r = parseConfig(env);
  assert.equal(r.ok, false, "expected the configuration to be refused");
  return r.ok ? [] : r.errors;
};
const withoutUrl = () =>
  Object.fromEntries(Object.entries(base).filter(([k]) => k !== "WARREN_AMQP_URL"));
const configOf = (env: Record<string, string>) => {
  const r = parseConfig(env);
  if (!r.ok) assert.fail(`expected a valid configuration, got:\n${r.errors.join("\n")}`);
  return r;
};

const { dir, file } = tempFiles("warren-dispatcher-config-");

describe("dispatcher configuration", () => {
  it("reads the cluster's CA for amqps:// URLs from WARREN_AMQP_CA_FILE, as a PEM file", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const amqps = AMQP.replace("amqp://", "amqps://").replace(":5672", ":5671");
    const ca = file("ca.crt", pem);
    assert.equal(
      configOf({ ...base, WARREN_AMQP_URL: amqps, WARREN_AMQP_CA_FILE: ca }).config.amqpCa,
      pem,
    );
    assert.equal(configOf(base).config.amqpCa, undefined);
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_CA_FILE: ca }), [
      "WARREN_AMQP_CA_FILE: is for amqps:// URLs; some of the URLs are amqp://",
    ]);
    const text = file("not-a-cert", "hello");
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_URL: amqps, WARREN_AMQP_CA_FILE: text }), [
      `WARREN_AMQP_CA_FILE: ${JSON.stringify(text)} holds no PEM certificate`,
    ]);
    const missing = path.join(dir, "missing.crt");
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_URL: amqps, WARREN_AMQP_CA_FILE: missing }), [
      `WARREN_AMQP_CA_FILE: cannot read ${JSON.stringify(missing)}: ENOENT`,
    ]);
  });

  it("fills in the alerting platform's defaults for an sms dispatcher", () => {
    const { config, warnings } = configOf(base);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      { ...config, target: { ...config.target, url: String((config.target as { url: URL }).url) } },
      {
        amqpUrls: [AMQP],
        heartbeatSeconds: 15,
        dedupe: { maxEntries: 10_000, maxAgeMs: 600_000 },
        channel: "sms",
        queue: "alerts.sms",
        prefetch: 10,
        concurrency: 1,
        retryExchange: "alerts.retry",
        retryDelays: ["5s", "30s", "5m"],
        parkedExchange: "alerts.parked",
        maxAttempts: 4,
        http: { port: 8080, host: undefined },
        targetTimeoutMs: 10_000,
        publishTimeoutMs: 10_000,
        connectTimeoutMs: 10_000,
        shutdownTimeoutMs: 25_000,
        reconnect: { minMs: 500, maxMs: 30_000 },
        logLevel: "info",
        target: {
          kind: "sms",
          url: "https://sms.example/send",
          template: DEFAULT_TEMPLATE,
          token: undefined,
        },
        // Gateway and webhook URLs count as secrets: they often carry a key.
        secrets: [AMQP, "https://sms.example/send"],
      },
    );
  });

  it("takes the channel name, queue, exchanges, delays and limits from the environment", () => {
    const { config } = configOf({
      ...base,
      WARREN_CHANNEL: "sms-backup",
      WARREN_QUEUE: "alerts.sms-backup",
      WARREN_RETRY_EXCHANGE: "x.retry",
      WARREN_PARKED_EXCHANGE: "x.parked",
      WARREN_RETRY_DELAYS: " 200ms, 1s ,1h",
      WARREN_MAX_ATTEMPTS: "6",
      WARREN_PREFETCH: "100",
      WARREN_CONCURRENCY: "4",
      WARREN_HTTP_PORT: "0",
      WARREN_HTTP_HOST: "127.0.0.1",
      WARREN_TARGET_TIMEOUT: "1500ms",
      WARREN_SHUTDOWN_TIMEOUT: "1m",
      WARREN_RECONNECT_MIN_DELAY: "100ms",
      WARREN_RECONNECT_MAX_DELAY: "5s",
      WARREN_LOG_LEVEL: "debug",
    });
    assert.deepEqual(
      [
        config.channel,
        config.queue,
        config.retryExchange,
        config.parkedExchange,
        config.retryDelays,
        config.maxAttempts,
      ],
      ["sms-backup", "alerts.sms-backup", "x.retry", "x.parked", ["200ms", "1s", "1h"], 6],
    );
    assert.deepEqual(
      [
        config.prefetch,
        config.concurrency,
        config.http,
        config.targetTimeoutMs,
        config.shutdownTimeoutMs,
        config.reconnect,
        config.logLevel,
      ],
      [100, 4, { port: 0, host: "127.0.0.1" }, 1500, 60_000, { minMs: 100, maxMs: 5000 }, "debug"],
    );
  });

  it("reports every problem at once, each naming its variable", () => {
    assert.deepEqual(
      errorsOf({
        WARREN_CHANNEL_KIND: "wecon",
        WARREN_PREFETCH: "0",
        WARREN_CONCURRENCY: "many",
        WARREN_TARGET_TIMEOUT: "10",
        WARREN_LOG_LEVEL: "verbose",
      }),
      [
        "WARREN_AMQP_URL: is required (or WARREN_AMQP_URL_FILE, a file holding it)",
        'WARREN_CHANNEL_KIND: must be one of wecom, dingtalk, wechat, email, sms, phone, got "wecon" (did you mean "wecom"?)',
        'WARREN_PREFETCH: must be an integer from 1 to 65535, got "0"',
        'WARREN_CONCURRENCY: must be an integer from 1 to 64, got "many"',
        'WARREN_TARGET_TIMEOUT: must be a duration such as "500ms", "10s", "5m" or "1h", got "10"',
        'WARREN_LOG_LEVEL: must be one of debug, info, warn, error, got "verbose"',
      ],
    );
  });

  it("requires the channel kind", () => {
    assert.deepEqual(errorsOf({ WARREN_AMQP_URL: AMQP }), [
      "WARREN_CHANNEL_KIND: is required: one of wecom, dingtalk, wechat, email, sms, phone",
    ]);
  });

  it("refuses an AMQP URL that is not amqp(s) without echoing it", () => {
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_URL: "http://u:p4ssw0rd@rabbit/" }), [
      "WARREN_AMQP_URL: must be an amqp:// or amqps:// URL, not http://",
    ]);
    const errors = errorsOf({ ...base, WARREN_AMQP_URL: "not a url p4ssw0rd" });
    assert.deepEqual(errors, [
      "WARREN_AMQP_URL: is not a valid URL (amqp://user:password@host:5672/vhost)",
    ]);
  });

  it("takes every node of the cluster, separated by commas or new lines, each one a secret", () => {
    const nodes = [
      "amqp://u:p1@rabbit-1:5672/alerting",
      "amqp://u:p1@rabbit-2:5672/alerting",
      "amqps://u:p1@rabbit-3:5671/alerting",
    ];
    const { config } = configOf({
      ...withoutUrl(),
      WARREN_AMQP_URL_FILE: file("urls", `${nodes[0]},${nodes[1]}\n${nodes[2]}\n`),
    });
    assert.deepEqual(config.amqpUrls, nodes);
    for (const n of nodes) assert.ok(config.secrets.includes(n), n);
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_URL: `${nodes[0]},http://x/` }), [
      "WARREN_AMQP_URL: must be an amqp:// or amqps:// URL, not http:// (URL 2 of 2)",
    ]);
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_URL: " , " }), [
      "WARREN_AMQP_URL: lists no URL",
    ]);
    assert.deepEqual(errorsOf({ ...base, WARREN_HEARTBEAT: "1500ms" }), [
      "WARREN_HEARTBEAT: must be a whole number of seconds (AMQP counts heartbeats in seconds)",
    ]);
  });

  it("reads secrets from files, without the trailing newline", () => {
    const { config } = configOf({
      WARREN_AMQP_URL_FILE: file("amqp-url", `${AMQP}\n`),
      WARREN_CHANNEL_KIND: "phone",
      WARREN_GATEWAY_URL_FILE: file("gateway-url", "https://voice.example/call?key=k3y-in-url\n"),
      WARREN_GATEWAY_TOKEN_FILE: file("token", "t0ken-value\n"),
    });
    assert.deepEqual(config.amqpUrls, [AMQP]);
    assert.deepEqual(config.target, {
      kind: "phone",
      url: new URL("https://voice.example/call?key=k3y-in-url"),
      template: DEFAULT_TEMPLATE,
      token: "t0ken-value",
    });
    assert.deepEqual(config.secrets, [
      AMQP,
      "https://voice.example/call?key=k3y-in-url",
      "t0ken-value",
    ]);
  });

  it("refuses a secret given both directly and as a file, and unreadable or empty secret files", () => {
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_URL_FILE: file("dup", AMQP) }), [
      "WARREN_AMQP_URL: set either WARREN_AMQP_URL or WARREN_AMQP_URL_FILE, not both",
    ]);
    const missing = path.join(dir, "nope");
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_URL: "", WARREN_AMQP_URL_FILE: missing }), [
      `WARREN_AMQP_URL_FILE: cannot read ${JSON.stringify(missing)}: ENOENT`,
    ]);
    const empty = file("empty", "");
    assert.deepEqual(errorsOf({ ...base, WARREN_AMQP_URL: "", WARREN_AMQP_URL_FILE: empty }), [
      `WARREN_AMQP_URL_FILE: ${JSON.stringify(empty)} is empty`,
    ]);
  });

  it("parks at once when no retry delays are configured, and refuses retries without retry queues", () => {
    assert.deepEqual(
      [
        configOf({ ...base, WARREN_RETRY_DELAYS: "" }).config.retryDelays,
        configOf({ ...base, WARREN_RETRY_DELAYS: "" }).config.maxAttempts,
      ],
      [[], 1],
    );
    assert.deepEqual(errorsOf({ ...base, WARREN_RETRY_DELAYS: "", WARREN_MAX_ATTEMPTS: "3" }), [
      "WARREN_MAX_ATTEMPTS: is 3 but WARREN_RETRY_DELAYS is empty: retries need retry queues (set WARREN_MAX_ATTEMPTS=1 to park on the first failure)",
    ]);
  });

  it("refuses delay labels that are not retry queue labels, and duplicates", () => {
    assert.deepEqual(errorsOf({ ...base, WARREN_RETRY_DELAYS: "5s,30 s,5min" }), [
      'WARREN_RETRY_DELAYS: must be a comma-separated list of delay labels as in the retry queue names ("5s,30s,5m"); not a delay: "30 s", "5min"',
    ]);
    assert.deepEqual(errorsOf({ ...base, WARREN_RETRY_DELAYS: "5s,5s" }), [
      'WARREN_RETRY_DELAYS: lists a delay more than once: "5s,5s"',
    ]);
  });

  it("refuses a channel name that cannot be a routing-key word, and names over 255 bytes", () => {
    assert.deepEqual(errorsOf({ ...base, WARREN_CHANNEL: "sms.eu" }), [
      'WARREN_CHANNEL: must be lower-case letters, digits and dashes, starting with a letter (the channel\'s name in routing keys), got "sms.eu"',
    ]);
    assert.deepEqual(errorsOf({ ...base, WARREN_QUEUE: "q".repeat(256) }), [
      "WARREN_QUEUE: must be at most 255 bytes",
    ]);
  });

  it("refuses a reconnect ceiling below its floor", () => {
    assert.deepEqual(
      errorsOf({ ...base, WARREN_RECONNECT_MIN_DELAY: "10s", WARREN_RECONNECT_MAX_DELAY: "1s" }),
      ["WARREN_RECONNECT_MAX_DELAY: must not be shorter than WARREN_RECONNECT_MIN_DELAY"],
    );
  });

  it("flags a misspelt variable as an error and warns about other kinds' and foreign variables", () => {
    assert.deepEqual(errorsOf({ ...base, WARREN_PREFECTH: "5" }), [
      'WARREN_PREFECTH: unknown variable (did you mean "WARREN_PREFETCH"?)',
    ]);
    const { warnings } = configOf({ ...base, WARREN_SMTP_HOST: "mail", WARREN_TEST_BROKER: "{}" });
    assert.deepEqual(warnings, [
      "WARREN_SMTP_HOST is set but channel kind sms does not use it",
      "WARREN_TEST_BROKER is not a dispatcher variable; ignored",
    ]);
  });

  describe("targets", () => {
    it("needs the WeCom webhook URL and refuses non-http URLs without echoing them", () => {
      assert.deepEqual(errorsOf({ WARREN_AMQP_URL: AMQP, WARREN_CHANNEL_KIND: "wecom" }), [
        "WARREN_WECOM_WEBHOOK_URL: is required (or WARREN_WECOM_WEBHOOK_URL_FILE, a file holding it)",
      ]);
      assert.deepEqual(
        errorsOf({
          WARREN_AMQP_URL: AMQP,
          WARREN_CHANNEL_KIND: "wecom",
          WARREN_WECOM_WEBHOOK_URL: "ftp://x/?key=abc",
        }),
        ["WARREN_WECOM_WEBHOOK_URL: must be an http:// or https:// URL, not ftp://"],
      );
      assert.deepEqual(
        errorsOf({
          WARREN_AMQP_URL: AMQP,
          WARREN_CHANNEL_KIND: "wecom",
          WARREN_WECOM_WEBHOOK_URL: "key=abc",
        }),
        ["WARREN_WECOM_WEBHOOK_URL: is not a valid URL"],
      );
    });

    it("takes the DingTalk webhook and its optional signing secret", () => {
      const env = {
        WARREN_AMQP_URL: AMQP,
        WARREN_CHANNEL_KIND: "dingtalk",
        WARREN_DINGTALK_WEBHOOK_URL: "https://oapi.dingtalk.com/robot/send?access_token=tok",
      };
      assert.deepEqual(configOf(env).config.target, {
        kind: "dingtalk",
        webhookUrl: new URL(env.WARREN_DINGTALK_WEBHOOK_URL),
        secret: undefined,
      });
      assert.deepEqual(configOf({ ...env, WARREN_DINGTALK_SECRET: "SECabc" }).config.target, {
        kind: "dingtalk",
        webhookUrl: new URL(env.WARREN_DINGTALK_WEBHOOK_URL),
        secret: "SECabc",
      });
    });

    it("refuses gateway URLs with credentials in them and templates that are not valid", () => {
      assert.deepEqual(errorsOf({ ...base, WARREN_GATEWAY_URL: "https://user:pw@sms.example/" }), [
        "WARREN_GATEWAY_URL: must not hold credentials (user:password@); use the token setting",
      ]);
      assert.deepEqual(errorsOf({ ...base, WARREN_GATEWAY_TEMPLATE: '{"msg":"{{titel}}"}' }), [
        "WARREN_GATEWAY_TEMPLATE: unknown placeholder {{titel}}; use one of {{id}}, {{severity}}, {{title}}, {{body}}, {{source}}, {{timestamp}}, {{headline}}, {{text}}, {{labels.<name>}} or {{labels}}",
      ]);
      const [unquoted] = errorsOf({ ...base, WARREN_GATEWAY_TEMPLATE: '{"msg":{{title}}}' });
      assert.match(
        unquoted,
        /^WARREN_GATEWAY_TEMPLATE: does not render valid JSON \(put string placeholders inside quotes: "\{\{title\}\}"\): /,
      );
    });

    it("configures email with STARTTLS on 587 by default, and implicit TLS on 465", () => {
      const env = {
        WARREN_AMQP_URL: AMQP,
        WARREN_CHANNEL_KIND: "email",
        WARREN_SMTP_HOST: "smtp.example",
        WARREN_EMAIL_FROM: "Alerts <alerts@example.com>",
        WARREN_EMAIL_TO: "a@example.com, b@example.com",
      };
      assert.deepEqual(configOf(env).config.target, {
        kind: "email",
        host: "smtp.example",
        port: 587,
        tls: "starttls",
        auth: undefined,
        from: "Alerts <alerts@example.com>",
        to: ["a@example.com", "b@example.com"],
      });
      const implicit = configOf({
        ...env,
        WARREN_SMTP_TLS: "implicit",
        WARREN_SMTP_USER: "bot",
        WARREN_SMTP_PASSWORD_FILE: file("smtp-pw", "pw-from-file\n"),
      }).config.target;
      assert.deepEqual(
        [implicit.kind === "email" && implicit.port, implicit.kind === "email" && implicit.auth],
        [465, { user: "bot", password: "pw-from-file" }],
      );
    });

    it("refuses email without sender, recipients, or with half the credentials", () => {
      assert.deepEqual(
        errorsOf({
          WARREN_AMQP_URL: AMQP,
          WARREN_CHANNEL_KIND: "email",
          WARREN_SMTP_USER: "bot",
          WARREN_EMAIL_TO: "ops@example.com, nobody",
        }),
        [
          "WARREN_SMTP_HOST: is required",
          "WARREN_SMTP_PASSWORD: SMTP authentication needs both WARREN_SMTP_USER and WARREN_SMTP_PASSWORD (or _FILE)",
          "WARREN_EMAIL_FROM: is required",
          'WARREN_EMAIL_TO: not an address: "nobody"',
        ],
      );
    });
  });
});
