// The pure apply plan of a vhost's objects (components/topology/apply-plan.ts): what is deleted
// first, what one definitions import declares, what a destroy leaves in prod, what reviewers are
// told, and which objects already on the broker conflict with the declaration.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type QueueEntry,
  type VhostEntries,
  declarationConflicts,
  definitionsOf,
  planApply,
  planDestroy,
  redeclarations,
  retainedQueueChanges,
} from "../../../components/topology/apply-plan";

const queue = (
  name: string,
  args: Record<string, unknown> = { "x-queue-type": "quorum" },
): QueueEntry => ({
  name,
  vhost: "alerting",
  settings: { durable: true, autoDelete: false, argumentsJson: JSON.stringify(args) },
});

function entries(over: Partial<VhostEntries> = {}): VhostEntries {
  return {
    vhost: { name: "alerting", description: "alerts", limits: { "max-queues": 50 } },
    exchanges: {
      alerts: {
        name: "alerts",
        vhost: "alerting",
        internal: false,
        settings: { type: "topic", durable: true, autoDelete: false, arguments: {} },
      },
    },
    queues: { "alerts.sms": queue("alerts.sms"), "alerts.email": queue("alerts.email") },
    bindings: {
      "alerts>alerts.sms#0000000001": {
        vhost: "alerting",
        source: "alerts",
        destination: "alerts.sms",
        destinationType: "queue",
        routingKey: "*.sms",
      },
    },
    policies: {
      ttl: {
        name: "ttl",
        vhost: "alerting",
        policy: {
          pattern: "^alerts\\.",
          priority: 0,
          applyTo: "queues",
          definition: { "message-ttl": 1000 },
        },
      },
    },
    operatorPolicies: {},
    retain: false,
    ...over,
  };
}

describe("planApply", () => {
  it("on create declares everything in one import and deletes nothing", () => {
    const s = planApply(undefined, entries());
    assert.equal(s.putVhost, true);
    assert.deepEqual(s.putLimits, [["max-queues", 50]]);
    assert.deepEqual(
      [s.deleteBindings, s.deletePolicies, s.deleteQueues, s.deleteExchanges, s.deleteLimits],
      [[], [], [], [], []],
    );
    assert.deepEqual(s.definitions, definitionsOf(entries()));
    assert.deepEqual(
      s.definitions.queues.map((q) => q.name),
      ["alerts.sms", "alerts.email"],
    );
    assert.deepEqual(s.definitions.queues[0].arguments, { "x-queue-type": "quorum" });
  });

  it("an unchanged vhost puts nothing but the idempotent import", () => {
    const s = planApply(entries(), entries());
    assert.equal(s.putVhost, false);
    assert.deepEqual(s.putLimits, []);
    assert.deepEqual(s.deleteQueues, []);
    assert.deepEqual(s.redeclared, []);
  });

  it("deletes removed objects, and deletes then declares a queue whose arguments changed", () => {
    const olds = entries();
    const news = entries({
      queues: { "alerts.sms": queue("alerts.sms", { "x-queue-type": "classic" }) },
      bindings: {},
      policies: {},
      vhost: { name: "alerting", description: "alerts", limits: {} },
    });
    const s = planApply(olds, news);
    assert.deepEqual(s.deleteQueues.slice().sort(), ["alerts.email", "alerts.sms"]);
    assert.deepEqual(
      s.deleteBindings.map((b) => b.destination),
      ["alerts.sms"],
    );
    assert.deepEqual(s.deletePolicies, ["ttl"]);
    assert.deepEqual(s.deleteLimits, ["max-queues"]);
    assert.deepEqual(
      s.definitions.queues.map((q) => q.name),
      ["alerts.sms"],
    );
    assert.deepEqual(s.redeclared, [
      'queue alerts.sms in vhost alerting: x-queue-type "quorum" → "classic"; deleted and declared again, its messages are lost',
    ]);
  });

  it("in prod keeps a removed queue on the broker", () => {
    const news = entries({ retain: true, queues: { "alerts.sms": queue("alerts.sms") } });
    assert.deepEqual(planApply(entries({ retain: true }), news).deleteQueues, []);
  });
});

describe("retainedQueueChanges and redeclarations", () => {
  it("refuses a queue redeclaration where queues are retained, not elsewhere", () => {
    const news = (retain: boolean) =>
      entries({
        retain,
        queues: { ...entries().queues, "alerts.sms": queue("alerts.sms", { "x-max-length": 10 }) },
      });
    assert.deepEqual(retainedQueueChanges(entries(), news(false)), []);
    const [refusal, ...rest] = retainedQueueChanges(entries({ retain: true }), news(true));
    assert.deepEqual(rest, []);
    assert.match(
      refusal,
      /^queue alerts\.sms in vhost alerting: .*x-max-length unset → 10.*this stack retains queues/,
    );
  });

  it("tells reviewers an exchange is redeclared with its bindings", () => {
    const x = entries().exchanges.alerts;
    const news = entries({
      exchanges: { alerts: { ...x, settings: { ...x.settings, type: "direct" } } },
    });
    assert.deepEqual(redeclarations(entries(), news), [
      'exchange alerts in vhost alerting: type "topic" → "direct"; deleted and declared again with its bindings',
    ]);
    assert.deepEqual(redeclarations(undefined, news), []);
  });
});

describe("planDestroy", () => {
  it("deletes the whole vhost, or in prod everything but the vhost and its queues", () => {
    assert.equal(planDestroy(entries()).deleteVhost, true);
    const kept = planDestroy(entries({ retain: true }));
    assert.equal(kept.deleteVhost, false);
    assert.deepEqual(kept.deleteExchanges, ["alerts"]);
    assert.deepEqual(kept.deletePolicies, ["ttl"]);
    assert.deepEqual(kept.deleteLimits, ["max-queues"]);
    assert.equal(kept.deleteBindings.length, 1);
    assert.equal("deleteQueues" in kept, false);
  });
});

describe("declarationConflicts", () => {
  const declared = definitionsOf(entries());
  it("accepts what the broker holds as declared, whatever its key order", () => {
    const live = {
      queues: declared.queues.map((q) => ({
        ...q,
        name: q.name as string,
        vhost: "alerting",
        type: "quorum",
      })),
      exchanges: [
        {
          name: "alerts",
          arguments: {},
          internal: false,
          auto_delete: false,
          durable: true,
          type: "topic",
        },
      ],
    };
    assert.deepEqual(declarationConflicts("alerting", declared, live), []);
    assert.deepEqual(declarationConflicts("alerting", declared, {}), []);
  });

  it("names a queue and an exchange the broker holds with other settings", () => {
    const live = {
      queues: [
        {
          name: "alerts.sms",
          durable: true,
          auto_delete: false,
          arguments: { "x-queue-type": "classic" },
        },
      ],
      exchanges: [
        {
          name: "alerts",
          type: "fanout",
          durable: true,
          auto_delete: false,
          internal: false,
          arguments: {},
        },
      ],
    };
    assert.deepEqual(declarationConflicts("alerting", declared, live), [
      'exchange alerts in vhost alerting exists on the broker with other settings: type "fanout" (declared "topic"); ' +
        "RabbitMQ cannot change them in place and warren did not create it with these, so it leaves it alone: " +
        "delete it on the broker (its messages go with it) or declare the settings it has",
      'queue alerts.sms in vhost alerting exists on the broker with other settings: arguments {"x-queue-type":"classic"} (declared {"x-queue-type":"quorum"}); ' +
        "RabbitMQ cannot change them in place and warren did not create it with these, so it leaves it alone: " +
        "delete it on the broker (its messages go with it) or declare the settings it has",
    ]);
  });
});
