// Durability rules: a compliant fixture passes; each change fails with the exact message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deadLetteredAndBounded } from "../../../policies/rules/dead-lettered-and-bounded";
import { durable } from "../../../policies/rules/durable";
import { queuesRetained } from "../../../policies/rules/queues-retained";
import { quorumAlertQueues } from "../../../policies/rules/quorum-alert-queues";
import { T, TOPOLOGY_URN, res, violations } from "../../support/policy";

const queue = (name: string, args: object = { "x-queue-type": "quorum" }, durable = true) =>
  res(T.queue, {
    name,
    vhost: "alerting",
    settings: { durable, autoDelete: false, argumentsJson: JSON.stringify(args) },
  });
const policy = (
  name: string,
  pattern: string,
  definition: Record<string, string>,
  priority = 10,
  applyTo = "queues",
) => res(T.policy, { name, vhost: "alerting", policy: { pattern, priority, applyTo, definition } });

describe("durable-exchanges-and-queues", () => {
  it("passes durable exchanges and queues", async () => {
    assert.deepEqual(
      await violations(durable, [
        res(T.exchange, {
          name: "alerts",
          vhost: "alerting",
          settings: { type: "topic", durable: true },
        }),
        queue("alerts.sms"),
      ]),
      [],
    );
  });
  it("fails a non-durable exchange and queue", async () => {
    assert.deepEqual(
      await violations(durable, [
        res(T.exchange, { name: "alerts", vhost: "alerting", settings: { type: "topic" } }),
        queue("alerts.sms", {}, false),
      ]),
      [
        'exchange "alerts" in vhost "alerting" is not durable',
        'queue "alerts.sms" in vhost "alerting" is not durable',
      ],
    );
  });
});

describe("quorum-alert-queues", () => {
  it("passes quorum channel queues and leaves other queues alone", async () => {
    assert.deepEqual(
      await violations(quorumAlertQueues, [
        queue("alerts.sms"),
        queue("alerts.retry.5s", { "x-queue-type": "classic" }),
        queue("audit.log", {}),
      ]),
      [],
    );
  });
  it("fails a classic channel queue", async () => {
    assert.deepEqual(
      await violations(quorumAlertQueues, [queue("alerts.phone", { "x-queue-type": "classic" })]),
      ['alert queue "alerts.phone" is a classic queue; use a quorum queue'],
    );
  });
});

describe("queues-bounded-and-dead-lettered", () => {
  const ok = () => [
    queue("alerts.sms"),
    policy("alerts.sms-limits", "^alerts\\.sms$", {
      "max-length": "100000",
      overflow: "reject-publish",
      "dead-letter-exchange": "alerts.parked",
    }),
    queue("audit.log", { "x-queue-type": "quorum", "x-max-length": 5000 }),
  ];
  it("passes queues bounded by argument or policy, channel queues dead-lettered", async () => {
    assert.deepEqual(await violations(deadLetteredAndBounded, ok()), []);
  });
  it("fails an unbounded queue and a channel queue without a dead-letter exchange", async () => {
    const [, , audit] = ok();
    assert.deepEqual(
      await violations(deadLetteredAndBounded, [
        queue("alerts.sms"),
        policy("cap", "^alerts\\.sms$", { "max-length": "10" }),
        queue("tmp", {}),
        audit,
      ]),
      [
        'queue "alerts.sms" in vhost "alerting" has no dead-letter exchange',
        'queue "tmp" in vhost "alerting" has no length limit',
      ],
    );
  });
  it("applies only the highest-priority matching policy, as RabbitMQ does", async () => {
    const shadowed = [
      queue("alerts.sms"),
      policy("low", "^alerts\\.", { "max-length": "5", "dead-letter-exchange": "x" }, 1),
      policy("high", "^alerts\\.sms$", { "message-ttl": "1000" }, 5),
    ];
    assert.deepEqual(await violations(deadLetteredAndBounded, shadowed), [
      'queue "alerts.sms" in vhost "alerting" has no length limit',
      'queue "alerts.sms" in vhost "alerting" has no dead-letter exchange',
    ]);
  });
  it("counts operator policies for the length limit", async () => {
    const capped = [
      queue("tmp", {}),
      res(T.operatorPolicy, {
        name: "cap",
        vhost: "alerting",
        policy: {
          pattern: ".*",
          priority: 0,
          applyTo: "queues",
          definition: { "max-length-bytes": "1000" },
        },
      }),
    ];
    assert.deepEqual(await violations(deadLetteredAndBounded, capped), []);
  });
});

describe("queues-retained-in-prod", () => {
  it("passes protected queues and queues of a warren Topology", async () => {
    assert.deepEqual(
      await violations(queuesRetained, [
        res(T.queue, { name: "a", vhost: "v" }, { protect: true }),
        res(T.queue, { name: "b", vhost: "v" }, { parent: TOPOLOGY_URN }),
      ]),
      [],
    );
  });
  it("fails a bare queue", async () => {
    assert.deepEqual(await violations(queuesRetained, [res(T.queue, { name: "a", vhost: "v" })]), [
      'queue "a" in vhost "v" is neither protected nor retained on delete',
    ]);
  });
});
