// Routing rules (stack policies), on resources shaped like the ones warren's Topology declares.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alertsAlternateExchange } from "../../../policies/rules/alerts-alternate-exchange";
import { bindingsReferenceExisting } from "../../../policies/rules/bindings-reference-existing";
import { channelSeverities } from "../../../policies/rules/channel-severities";
import { queuesBoundOrConsumed } from "../../../policies/rules/queues-bound-or-consumed";
import { type Fixture, T, res, violations } from "../../support/policy";

const V = "alerting";
const exchange = (name: string, type: string, args: object = {}) =>
  res(T.exchange, { name, vhost: V, settings: { type, durable: true, arguments: args } });
const queue = (name: string) =>
  res(T.queue, {
    name,
    vhost: V,
    settings: { durable: true, argumentsJson: '{"x-queue-type":"quorum"}' },
  });
const bind = (source: string, destination: string, routingKey: string) =>
  res(T.binding, { vhost: V, source, destination, destinationType: "queue", routingKey });

/** alerts → sms takes error and critical; unrouted via the alternate exchange. */
function platform(): Fixture[] {
  return [
    exchange("alerts", "topic", { "alternate-exchange": "alerts.unrouted" }),
    exchange("alerts.unrouted", "fanout"),
    queue("alerts.unrouted"),
    queue("alerts.sms"),
    bind("alerts.unrouted", "alerts.unrouted", ""),
    bind("alerts", "alerts.sms", "error.all"),
    bind("alerts", "alerts.sms", "critical.all"),
  ];
}

describe("channels-receive-higher-severities", () => {
  it("passes a channel that takes its minimum and everything above", async () => {
    assert.deepEqual(
      await violations(channelSeverities, platform(), { minSeverities: { sms: "error" } }),
      [],
    );
  });
  it("fails a channel that misses a higher severity", async () => {
    const broken = platform().filter((r) => r.props.routingKey !== "critical.all");
    assert.deepEqual(await violations(channelSeverities, broken), [
      'channel queue "alerts.sms" does not receive critical (it receives error)',
    ]);
  });
  it("fails a channel below its configured minimum, and one that receives nothing", async () => {
    const r = [...platform(), queue("alerts.phone")];
    assert.deepEqual(
      await violations(channelSeverities, r, { minSeverities: { sms: "warning" } }),
      [
        'channel queue "alerts.sms" does not receive warning (its minimum is warning)',
        'channel queue "alerts.phone" receives no severity',
      ],
    );
  });
});

describe("alerts-exchange-has-alternate", () => {
  it("passes the alerts exchange with its alternate", async () => {
    assert.deepEqual(await violations(alertsAlternateExchange, platform()), []);
  });
  it("fails without it", async () => {
    assert.deepEqual(await violations(alertsAlternateExchange, [exchange("alerts", "topic")]), [
      'alerts exchange "alerts" in vhost "alerting" has no alternate exchange: unroutable alerts would be dropped',
    ]);
  });
});

describe("bindings-reference-existing-objects", () => {
  it("passes bindings between declared objects and from amq.* exchanges", async () => {
    assert.deepEqual(
      await violations(bindingsReferenceExisting, [
        ...platform(),
        bind("amq.topic", "alerts.sms", "#"),
      ]),
      [],
    );
  });
  it("fails a binding from an undeclared exchange to an undeclared queue", async () => {
    assert.deepEqual(
      await violations(bindingsReferenceExisting, [
        ...platform(),
        bind("alertz", "alerts.smss", "x"),
      ]),
      [
        'binding from "alertz" in vhost "alerting": the exchange is not declared',
        'binding to queue "alerts.smss" in vhost "alerting": it is not declared',
      ],
    );
  });
});

describe("queues-bound-or-consumed", () => {
  it("passes bound queues and queues a consumer reads by name", async () => {
    const readable = res(T.permissions, {
      user: "worker",
      vhost: V,
      permissions: { configure: "^$", write: "^$", read: "^jobs$" },
    });
    assert.deepEqual(
      await violations(queuesBoundOrConsumed, [...platform(), queue("jobs"), readable]),
      [],
    );
  });
  it("fails an orphan queue", async () => {
    assert.deepEqual(await violations(queuesBoundOrConsumed, [...platform(), queue("leftover")]), [
      'queue "leftover" in vhost "alerting" is neither bound nor readable by any consumer',
    ]);
  });
});
