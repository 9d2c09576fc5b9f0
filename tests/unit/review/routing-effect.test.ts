// The alert-routing effect of a change, computed with the routing simulator on both sides: pairs
// that gain or lose delivery and convention keys that become, or stop being, unroutable.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type WarrenSpec, loadWarrenSpec } from "../../../components/config/spec";
import { routingEffect } from "../../../review/routing-effect";

function spec(alerting?: Record<string, unknown>): WarrenSpec {
  return loadWarrenSpec({
    "warren:environment": "dev",
    ...(alerting ? { "warren:alerting": alerting } : {}),
  });
}
const channels = (...cs: [string, string][]) =>
  cs.map(([name, minSeverity]) => ({ name, minSeverity }));
const alerting = (cs: [string, string][], more: Record<string, unknown> = {}) => ({
  severities: ["warning", "critical"],
  channels: channels(...cs),
  ...more,
});

/** The effect without the matrices, which alertRoutes' own tests cover. */
function effect(before: WarrenSpec | undefined, after: WarrenSpec) {
  const e = routingEffect(before, after);
  if (!e) return undefined;
  const { before: _b, after: _a, ...rest } = e;
  return rest;
}

describe("routingEffect", () => {
  it("is undefined when neither side has alerting", () => {
    assert.equal(routingEffect(spec(), spec()), undefined);
  });

  it("finds no change between equal alerting configs", () => {
    const s = spec(
      alerting([
        ["email", "warning"],
        ["sms", "critical"],
      ]),
    );
    assert.deepEqual(effect(s, s), {
      severities: ["warning", "critical"],
      channels: ["email", "sms"],
      entry: undefined,
      lost: [],
      gained: [],
      becameUnroutable: [],
      noLongerUnroutable: [],
    });
  });

  it("reports the pairs a raised minSeverity loses and the keys that then land in alerts.unrouted", () => {
    const before = spec(
      alerting([
        ["email", "warning"],
        ["sms", "warning"],
      ]),
    );
    const after = spec(
      alerting([
        ["email", "warning"],
        ["sms", "critical"],
      ]),
    );
    assert.deepEqual(effect(before, after), {
      severities: ["warning", "critical"],
      channels: ["email", "sms"],
      entry: undefined,
      lost: [{ severity: "warning", channel: "sms", keys: ["warning.all", "warning.sms"] }],
      gained: [],
      becameUnroutable: [{ key: "warning.sms", queues: ["alerts.unrouted"] }],
      noLongerUnroutable: [],
    });
  });

  it("reports a removed channel losing every pair, its addressed keys unroutable, channels of both sides listed", () => {
    const before = spec(
      alerting([
        ["email", "warning"],
        ["sms", "critical"],
      ]),
    );
    const after = spec(alerting([["email", "warning"]]));
    assert.deepEqual(effect(before, after), {
      severities: ["warning", "critical"],
      channels: ["email", "sms"],
      entry: undefined,
      lost: [{ severity: "critical", channel: "sms", keys: ["critical.all", "critical.sms"] }],
      gained: [],
      becameUnroutable: [{ key: "critical.sms", queues: ["alerts.unrouted"] }],
      noLongerUnroutable: [],
    });
  });

  it("reports a new severity's keys as no longer unroutable", () => {
    const before = spec(alerting([["email", "warning"]]));
    const after = spec(
      alerting([["email", "warning"]], { severities: ["warning", "critical", "fatal"] }),
    );
    assert.deepEqual(effect(before, after), {
      severities: ["warning", "critical", "fatal"],
      channels: ["email"],
      entry: undefined,
      lost: [],
      gained: [{ severity: "fatal", channel: "email", keys: ["fatal.all", "fatal.email"] }],
      becameUnroutable: [],
      noLongerUnroutable: [
        { key: "fatal.all", queues: ["alerts.email"] },
        { key: "fatal.email", queues: ["alerts.email"] },
      ],
    });
  });

  it("reports where producers publish when the alerting exchange is renamed, delivery unchanged", () => {
    const before = spec(alerting([["email", "warning"]]));
    const after = spec(alerting([["email", "warning"]], { exchange: "alarms" }));
    const e = effect(before, after)!;
    assert.deepEqual(
      [e.entry, e.lost, e.gained],
      [{ before: "alerting/alerts", after: "alerting/alarms" }, [], []],
    );
  });

  it("counts every pair as gained when alerting is turned on, with no unroutable comparison", () => {
    assert.deepEqual(effect(spec(), spec(alerting([["sms", "critical"]]))), {
      severities: ["warning", "critical"],
      channels: ["sms"],
      entry: undefined,
      lost: [],
      gained: [{ severity: "critical", channel: "sms", keys: ["critical.all", "critical.sms"] }],
      becameUnroutable: [],
      noLongerUnroutable: [],
    });
  });
});
