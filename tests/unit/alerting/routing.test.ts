// The alerting platform's routing, proven on the expanded topology with the routing simulator:
// the full severity × channel matrix, addressed alerts, unroutable keys, retries and parking.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alertRoutes, formatRoutes } from "../../../components/alerting/matrix";
import { addressedKey, broadcastKey } from "../../../components/alerting/model";
import { loadWarrenSpec } from "../../../components/config/spec";
import { RoutingTable } from "../../../components/topology/routing";

const spec = loadWarrenSpec({ "warren:environment": "dev", "warren:alerting": {} });
const a = spec.alerting!;
const table = new RoutingTable(spec.topology);
const publish = (exchange: string, routingKey: string) =>
  table.route({ vhost: a.vhost, exchange, routingKey });

/** The rule the platform promises, written independently of the expansion. */
const MIN: Record<string, string> = {
  wechat: "warning",
  wecom: "warning",
  dingtalk: "warning",
  email: "info",
  sms: "error",
  phone: "critical",
};
const RANK = ["info", "warning", "error", "critical"];
const promised = (severity: string, channel: string) =>
  RANK.indexOf(severity) >= RANK.indexOf(MIN[channel]);

describe("alert routing", () => {
  for (const severity of RANK) {
    for (const channel of Object.keys(MIN)) {
      const expect = promised(severity, channel);
      it(`${expect ? "delivers" : "does not deliver"} ${severity} alerts to ${channel}`, () => {
        assert.equal(
          publish(a.exchange, broadcastKey(severity)).includes(`alerts.${channel}`),
          expect,
        );
        // Addressed to the channel alone: that channel if it takes the severity, else unrouted.
        assert.deepEqual(
          publish(a.exchange, addressedKey(severity, channel)),
          expect ? [`alerts.${channel}`] : ["alerts.unrouted"],
        );
      });
    }
  }

  it("routes critical alerts to every channel and info alerts to email only", () => {
    assert.deepEqual(publish(a.exchange, "critical.all"), [
      "alerts.dingtalk",
      "alerts.email",
      "alerts.phone",
      "alerts.sms",
      "alerts.wechat",
      "alerts.wecom",
    ]);
    assert.deepEqual(publish(a.exchange, "info.all"), ["alerts.email"]);
  });

  it("sends keys outside the convention to the unrouted queue instead of dropping them", () => {
    for (const key of [
      "",
      "critical",
      "fatal.all",
      "critical.all.extra",
      "critical.pager",
      "CRITICAL.all",
    ])
      assert.deepEqual(publish(a.exchange, key), ["alerts.unrouted"], key);
  });

  it("takes a failed delivery through the retry queue of its delay and back to its channel", () => {
    assert.deepEqual(publish(a.retryExchange, "sms.30s"), ["alerts.retry.30s"]);
    // Expired, it is dead-lettered with the same key to the requeue exchange.
    assert.deepEqual(publish(a.requeueExchange, "sms.30s"), ["alerts.sms"]);
    assert.deepEqual(publish(a.parkedExchange, "sms"), ["alerts.parked.sms"]);
  });

  it("prints the matrix that warren routes shows", () => {
    assert.equal(
      formatRoutes(a, alertRoutes(a, spec.topology)),
      [
        "severity  wechat  wecom  dingtalk  email  sms  phone",
        "info      -       -      -         x      -    -",
        "warning   x       x      x         x      -    -",
        "error     x       x      x         x      x    -",
        "critical  x       x      x         x      x    x",
      ].join("\n"),
    );
  });
});

describe("alerting permissions", () => {
  const perm = (user: string) => spec.topology.permissions.find((p) => p.user === user)!;
  const topic = (user: string, exchange: string) =>
    spec.topology.topicPermissions.find((p) => p.user === user && p.exchange === exchange)!;

  it("lets the producer write only to the alerts exchange, with valid severity keys", () => {
    const p = perm("alerts-producer");
    assert.deepEqual([p.configure, p.write, p.read], ["^$", "^alerts$", "^$"]);
    const write = new RegExp(topic("alerts-producer", "alerts").write);
    for (const s of RANK)
      for (const c of ["all", ...Object.keys(MIN)]) assert.ok(write.test(`${s}.${c}`), `${s}.${c}`);
    for (const bad of [
      "fatal.all",
      "critical.all.x",
      "critical",
      "xcritical.all",
      "critical.allx",
      "critical.sms\n",
    ])
      assert.equal(write.test(bad), false, bad);
  });

  it("lets each consumer read only its own queue and write only retries and parking", () => {
    const p = perm("alerts-consumer-sms");
    assert.deepEqual(
      [p.configure, p.write, p.read],
      ["^$", "^(alerts\\.retry|alerts\\.parked)$", "^alerts\\.sms$"],
    );
    const read = new RegExp(p.read);
    assert.equal(read.test("alerts.sms"), true);
    assert.equal(read.test("alerts.phone"), false);
    assert.equal(read.test("alertsXsms"), false, "the dot must be escaped");
    assert.equal(
      new RegExp(topic("alerts-consumer-sms", "alerts.retry").write).test("phone.30s"),
      false,
    );
    assert.equal(new RegExp(topic("alerts-consumer-sms", "alerts.parked").write).test("sms"), true);
  });

  it("tags the monitoring user and gives it no configure, write or read", () => {
    assert.deepEqual(spec.topology.users.find((u) => u.name === "alerts-monitor")!.tags, [
      "monitoring",
    ]);
    const p = perm("alerts-monitor");
    assert.deepEqual([p.configure, p.write, p.read], ["^$", "^$", "^$"]);
  });
});
