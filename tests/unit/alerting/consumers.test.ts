// Consumers: the dispatcher's environment contract rendered from config, and its validation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { consumersSchema } from "../../../components/alerting/consumers-schema";
import { planConsumers, validateConsumers } from "../../../components/alerting/consumer-plan";
import { loadWarrenSpec } from "../../../components/config/spec";

const alerting = loadWarrenSpec({ "warren:environment": "dev", "warren:alerting": {} }).alerting!;
const parse = (c: object) => consumersSchema.parse(c);

describe("consumer environment", () => {
  it("renders the dispatcher's variables, with every secret as a file", () => {
    const [sms] = planConsumers(
      parse({
        channels: {
          sms: {
            replicas: 2,
            target: { url: "https://gw.test/send?key=s3cret", token: "tok", template: "{}" },
          },
        },
      }),
      alerting,
    );
    assert.deepEqual(sms.env, {
      WARREN_AMQP_URL_FILE: "/run/secrets/warren/amqp-url",
      WARREN_CHANNEL: "sms",
      WARREN_CHANNEL_KIND: "sms",
      WARREN_QUEUE: "alerts.sms",
      WARREN_PREFETCH: "10",
      WARREN_CONCURRENCY: "2",
      WARREN_RETRY_EXCHANGE: "alerts.retry",
      WARREN_RETRY_DELAYS: "5s,30s,5m",
      WARREN_MAX_ATTEMPTS: "4",
      WARREN_PARKED_EXCHANGE: "alerts.parked",
      WARREN_HTTP_PORT: "8080",
      WARREN_GATEWAY_URL_FILE: "/run/secrets/warren/gateway-url",
      WARREN_GATEWAY_TOKEN_FILE: "/run/secrets/warren/gateway-token",
      WARREN_GATEWAY_TEMPLATE: "{}",
    });
    assert.deepEqual(sms.secretFiles, {
      "gateway-url": "https://gw.test/send?key=s3cret",
      "gateway-token": "tok",
    });
    assert.equal(sms.replicas, 2);
  });

  it("renders email settings as plain variables but the SMTP password as a file", () => {
    const [email] = planConsumers(
      parse({
        channels: {
          email: {
            target: {
              smtpHost: "smtp.test",
              smtpUser: "u",
              smtpPassword: "p",
              from: "a@test",
              to: ["b@test", "c@test"],
            },
          },
        },
      }),
      alerting,
    );
    assert.equal(email.env.WARREN_EMAIL_TO, "b@test,c@test");
    assert.equal(email.env.WARREN_SMTP_PASSWORD_FILE, "/run/secrets/warren/smtp-password");
    assert.equal(email.env.WARREN_SMTP_PASSWORD, undefined);
  });
});

describe("consumer validation", () => {
  it("accepts complete targets", () => {
    assert.deepEqual(
      validateConsumers(
        parse({
          channels: { dingtalk: { target: { webhookUrl: "https://x.test", secret: "s" } } },
        }),
        alerting,
      ),
      [],
    );
  });

  it("rejects unknown channels, missing and foreign target fields, and half SMTP auth", () => {
    const c = parse({
      channels: {
        smss: { kind: "sms", target: { url: "https://x.test" } },
        wecom: { target: { url: "https://x.test" } },
        email: { target: { smtpHost: "h", from: "a@test", to: ["b@test"], smtpUser: "u" } },
      },
    });
    assert.deepEqual(
      validateConsumers(c, alerting).map((i) => `${i.path}: ${i.message}`),
      [
        'warren:consumers.channels.smss: no alerting channel "smss" (did you mean "sms"?)',
        "warren:consumers.channels.wecom.target.webhookUrl: is required for a wecom channel",
        "warren:consumers.channels.wecom.target.url: does not apply to a wecom channel (it takes webhookUrl)",
        "warren:consumers.channels.email.target: SMTP authentication needs both smtpUser and smtpPassword",
      ],
    );
  });

  it("refuses consumers on an external broker and unpinned images", () => {
    const errors = (c: Record<string, unknown>) => {
      try {
        loadWarrenSpec(c);
        return [];
      } catch (e) {
        return (e as { issues: { path: string; message: string }[] }).issues.map(
          (i) => `${i.path}: ${i.message}`,
        );
      }
    };
    assert.deepEqual(
      errors({ "warren:environment": "dev", "warren:alerting": {}, "warren:consumers": {} }),
      [
        'warren:consumers: needs warren:runtime "docker" or "kubernetes" to run the dispatchers (this stack\'s runtime is "external")',
      ],
    );
    assert.deepEqual(
      errors({
        "warren:environment": "dev",
        "warren:runtime": "docker",
        "warren:consumers": { image: "warren/dispatcher:latest" },
      }),
      [
        'warren:consumers.image: must be pinned to a version tag or a digest, e.g. "warren/dispatcher:0.1.0": "warren/dispatcher:latest" uses the moving tag "latest"',
      ],
    );
  });
});
