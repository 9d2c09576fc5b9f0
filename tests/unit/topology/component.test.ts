// The Topology component under Pulumi mocks: which resources it registers, with which inputs.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  BROKER_ACCESS,
  type MockRun,
  VHOST_OBJECTS,
  installMocks,
  settle,
  valueOf,
} from "../../support/mocks";

const run: MockRun = installMocks();

// Imported after the mocks are installed.
import * as pulumi from "@pulumi/pulumi";
import { loadWarrenSpec } from "../../../components/config/spec";
import { Topology } from "../../../components/topology/topology";
import { baseConfig, withTopology } from "../../support/config";

const mgmt = { url: "http://127.0.0.1:15672", username: "admin", password: "admin-pass" };

describe("Topology component (dev)", () => {
  let topology: Topology;
  before(async () => {
    const spec = loadWarrenSpec({ ...baseConfig(), "warren:alerting": { vhost: "paging" } });
    topology = new Topology("dev", {
      topology: spec.topology,
      environment: "dev",
      management: mgmt,
      passwords: { app: pulumi.secret("given") },
    });
    await settle();
  });

  it("registers one resource per vhost and one for the users and grants, nothing per object", () => {
    const children = run.resources.filter((r) => r.name.startsWith("dev:"));
    assert.deepEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
      `${BROKER_ACCESS} dev:access`,
      `${VHOST_OBJECTS} dev:vhost:alerting`,
      `${VHOST_OBJECTS} dev:vhost:audit`,
      `${VHOST_OBJECTS} dev:vhost:paging`,
    ]);
    assert.ok(children.every((r) => r.parent?.endsWith("warren:rabbitmq:Topology::dev")));
  });

  it("keys each object by its name (bindings by ends and a digest), not by list position", () => {
    const alerting = run.vhost("alerting", "dev");
    assert.deepEqual(Object.keys(alerting.queues).sort(), ["lost", "work"]);
    assert.equal(alerting.queues.work.name, "work");
    assert.equal(alerting.queues.work.vhost, "alerting");
    for (const k of Object.keys(alerting.bindings)) assert.match(k, /^[^>]*>[^#]+#[0-9a-f]{10}$/);
    assert.ok(Object.keys(run.access("dev").permissions).includes("app@alerting"));
  });

  it("declares exchanges durable explicitly, with their alternate exchange", () => {
    assert.deepEqual(run.vhost("paging", "dev").exchanges.alerts.settings, {
      type: "topic",
      durable: true,
      autoDelete: false,
      arguments: { "alternate-exchange": "alerts.unrouted" },
    });
  });

  it("sends queue arguments as typed JSON with the queue type explicit", () => {
    const { queues } = run.vhost("alerting", "dev");
    assert.equal(queues.work.settings.durable, true);
    assert.deepEqual(JSON.parse(queues.work.settings.argumentsJson), {
      "x-delivery-limit": 5,
      "x-queue-type": "quorum",
    });
    assert.deepEqual(JSON.parse(queues.lost.settings.argumentsJson), {
      "x-dead-letter-exchange": "dlx",
      "x-message-ttl": 60000,
      "x-queue-type": "classic",
    });
  });

  it("binds with typed arguments and default routing key", () => {
    const bindings = Object.values(run.vhost("alerting", "dev").bindings);
    const headers = bindings.find((b) => b.source === "by-header")!;
    assert.deepEqual(JSON.parse(headers.argumentsJson), { team: "ops", "x-match": "any" });
    const fanout = bindings.find((b) => b.source === "unrouted")!;
    assert.equal(fanout.routingKey, "");
    assert.equal(fanout.destinationType, "queue");
  });

  it("sends policy definitions with typed values", () => {
    const v = run.vhost("alerting", "dev");
    assert.deepEqual(v.policies["work-limits"].policy, {
      pattern: "^work$",
      priority: 0,
      applyTo: "queues",
      definition: { "max-length": 1000, overflow: "reject-publish" },
    });
    assert.equal(v.operatorPolicies.cap.policy.definition["max-length"], 100000);
  });

  it("puts channel limits, dead-lettering and retry delays in policies, not queue arguments", () => {
    const paging = run.vhost("paging", "dev");
    assert.deepEqual(JSON.parse(paging.queues["alerts.sms"].settings.argumentsJson), {
      "x-queue-type": "quorum",
    });
    assert.deepEqual(paging.policies["alerts.sms-limits"].policy.definition, {
      "dead-letter-exchange": "alerts.parked",
      "dead-letter-routing-key": "sms",
      "dead-letter-strategy": "at-least-once",
      "max-length": 100000,
      overflow: "reject-publish",
    });
    assert.deepEqual(paging.policies["alerts.retry.30s-delay"].policy, {
      pattern: "^alerts\\.retry\\.30s$",
      priority: 10,
      applyTo: "queues",
      definition: {
        "dead-letter-exchange": "alerts.requeue",
        "dead-letter-strategy": "at-least-once",
        "max-length": 100000,
        "message-ttl": 30000,
        overflow: "reject-publish",
      },
    });
  });

  it("generates passwords for users without one and keeps them secret", async () => {
    const access = run.access("dev");
    assert.ok(access.generate.includes("alerts-producer"));
    assert.ok(!access.generate.includes("app"), "a user with a given password is also generated");
    assert.deepEqual(access.given.value, { app: "given" });
    assert.ok(
      !JSON.stringify(access.users).includes("given"),
      "a password is among the users' plain inputs",
    );
    const passwords = await valueOf(topology.userPasswords);
    assert.equal(passwords.app, "given");
    assert.equal(passwords["alerts-producer"], "generated-dev:password:alerts-producer");
    assert.equal(await pulumi.isSecret(topology.userPasswords), true);
  });

  it("declares vhosts with their metadata and limits", () => {
    assert.deepEqual(run.vhost("audit", "dev").vhost, {
      name: "audit",
      description: "audit trail",
      limits: { "max-queues": 10 },
    });
    assert.deepEqual(run.vhost("paging", "dev").vhost, {
      name: "paging",
      description: "warren alerting platform",
      defaultQueueType: "quorum",
      limits: {},
    });
    assert.deepEqual(run.vhost("alerting", "dev").vhost.description, "");
  });

  it("does not retain queues or vhosts on delete outside prod", async () => {
    for (const v of ["alerting", "audit", "paging"])
      assert.equal(run.vhost(v, "dev").retain, false);
    assert.deepEqual(await valueOf(topology.retainedOnDelete), []);
  });

  it("declares every queue and channel queue in its vhost", () => {
    // unrouted + 3 retry delays + 6 channels × (queue, parked queue)
    assert.equal(Object.keys(run.vhost("paging", "dev").queues).length, 1 + 3 + 12);
  });
});

describe("Topology component (prod)", () => {
  it("retains queues, and the vhosts that hold them, on delete in prod, and says so", async () => {
    const spec = loadWarrenSpec({ ...baseConfig(), "warren:environment": "prod" });
    const t = new Topology("prod", {
      topology: spec.topology,
      environment: "prod",
      management: mgmt,
    });
    await settle();
    assert.equal(run.vhost("alerting", "prod").retain, true);
    assert.equal(run.vhost("audit", "prod").retain, true);
    assert.deepEqual((await valueOf(t.retainedOnDelete)).sort(), [
      "alerting",
      "alerting/lost",
      "alerting/work",
      "audit",
    ]);
  });

  it("keeps a vhost the same resource with or without metadata", async () => {
    // Adding a description later must update the vhost in place: a different resource would
    // make Pulumi delete the old vhost, and with it every queue inside.
    const spec = loadWarrenSpec(withTopology((t) => (t.vhosts[0].description = "now described")));
    new Topology("meta", { topology: spec.topology, environment: "dev", management: mgmt });
    await settle();
    const vhosts = run.resources.filter((r) => r.name.startsWith("meta:vhost:"));
    assert.deepEqual(
      vhosts.map((r) => [r.type, r.name]).sort((a, b) => a[1].localeCompare(b[1])),
      [
        [VHOST_OBJECTS, "meta:vhost:alerting"],
        [VHOST_OBJECTS, "meta:vhost:audit"],
      ],
    );
    assert.equal(run.vhost("alerting", "meta").vhost.description, "now described");
  });
});
