// The Topology component under Pulumi mocks: which resources it registers, with which inputs.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type MockRun, installMocks, settle, valueOf } from "../../support/mocks";

const run: MockRun = installMocks();

// Imported after the mocks are installed.
import * as pulumi from "@pulumi/pulumi";
import { loadWarrenSpec } from "../../../components/config/spec";
import { Topology } from "../../../components/topology/topology";
import { baseConfig, withTopology } from "../../support/config";

const T = {
  vhost: "rabbitmq:index/vHost:VHost",
  user: "rabbitmq:index/user:User",
  exchange: "rabbitmq:index/exchange:Exchange",
  queue: "rabbitmq:index/queue:Queue",
  binding: "rabbitmq:index/binding:Binding",
  policy: "rabbitmq:index/policy:Policy",
  operatorPolicy: "rabbitmq:index/operatorPolicy:OperatorPolicy",
  permissions: "rabbitmq:index/permissions:Permissions",
  topicPermissions: "rabbitmq:index/topicPermissions:TopicPermissions",
  management: "pulumi-nodejs:dynamic/warren:ManagementObject",
  password: "pulumi-nodejs:dynamic/warren:GeneratedPassword",
} as const;

const mgmt = { url: "http://127.0.0.1:15672", username: "admin", password: "admin-pass" };

/** Resource options by child name, captured by a transformation on the component. */
interface SeenOptions {
  replaceWith?: string[];
  deleteBeforeReplace?: boolean;
  retainOnDelete?: boolean;
}
const options = new Map<string, SeenOptions>();
const record: pulumi.ResourceTransformation = (a) => {
  const o = a.opts as pulumi.CustomResourceOptions;
  options.set(a.name, {
    replaceWith: o.replaceWith?.map((r) => (r as unknown as { __name: string }).__name),
    deleteBeforeReplace: o.deleteBeforeReplace,
    retainOnDelete: o.retainOnDelete,
  });
  return undefined;
};

describe("Topology component (dev)", () => {
  let topology: Topology;
  before(async () => {
    const spec = loadWarrenSpec({ ...baseConfig(), "warren:alerting": { vhost: "paging" } });
    topology = new Topology(
      "dev",
      {
        topology: spec.topology,
        environment: "dev",
        management: mgmt,
        passwords: { app: pulumi.secret("given") },
      },
      { transformations: [record] },
    );
    await settle();
  });

  it("gives every broker object an explicit name, so the provider adds no random suffix", () => {
    for (const type of [T.user, T.exchange, T.queue, T.policy, T.operatorPolicy])
      for (const r of run.ofType(type))
        assert.equal(typeof r.inputs.name, "string", `${r.name} has no name`);
    assert.equal(run.named(T.queue, "work").inputs.name, "work");
  });

  it("names children after vhost and object names, not list positions", () => {
    const names = run.resources.map((r) => r.name);
    assert.ok(names.includes("dev:queue:alerting/work"));
    assert.ok(names.includes("dev:exchange:paging/alerts"));
    assert.ok(names.includes("dev:permissions:app@alerting"));
    assert.ok(names.every((n) => !/\[\d+\]/.test(n)));
    assert.equal(new Set(names).size, names.length, "child names collide");
  });

  it("declares exchanges durable explicitly, with their alternate exchange", () => {
    const alerts = run.named(T.exchange, "alerts", "paging");
    assert.deepEqual(alerts.inputs.settings, {
      type: "topic",
      durable: true,
      autoDelete: false,
      arguments: { "alternate-exchange": "alerts.unrouted" },
    });
  });

  it("sends queue arguments as typed JSON with the queue type explicit", () => {
    const work = run.named(T.queue, "work");
    assert.equal(work.inputs.settings.durable, true);
    assert.deepEqual(JSON.parse(work.inputs.settings.argumentsJson), {
      "x-delivery-limit": 5,
      "x-queue-type": "quorum",
    });
    const lost = run.named(T.queue, "lost");
    assert.deepEqual(JSON.parse(lost.inputs.settings.argumentsJson), {
      "x-dead-letter-exchange": "dlx",
      "x-message-ttl": 60000,
      "x-queue-type": "classic",
    });
  });

  it("binds with typed arguments and default routing key", () => {
    const headers = run.ofType(T.binding).find((b) => b.inputs.source === "by-header")!;
    assert.deepEqual(JSON.parse(headers.inputs.argumentsJson), { team: "ops", "x-match": "any" });
    const fanout = run.ofType(T.binding).find((b) => b.inputs.source === "unrouted")!;
    assert.equal(fanout.inputs.routingKey, "");
    assert.equal(fanout.inputs.destinationType, "queue");
  });

  it("sends policy definitions as the provider expects them", () => {
    const p = run.named(T.policy, "work-limits");
    assert.deepEqual(p.inputs.policy, {
      pattern: "^work$",
      priority: 0,
      applyTo: "queues",
      definition: { "max-length": "1000", overflow: "reject-publish" },
    });
    assert.equal(
      run.named(T.operatorPolicy, "cap").inputs.policy.definition["max-length"],
      "100000",
    );
  });

  it("puts channel limits, dead-lettering and retry delays in policies, not queue arguments", () => {
    const sms = run.named(T.queue, "alerts.sms", "paging");
    assert.deepEqual(JSON.parse(sms.inputs.settings.argumentsJson), { "x-queue-type": "quorum" });
    assert.deepEqual(run.named(T.policy, "alerts.sms-limits").inputs.policy.definition, {
      "max-length": "100000",
      overflow: "reject-publish",
      "dead-letter-exchange": "alerts.parked",
      "dead-letter-routing-key": "sms",
      "dead-letter-strategy": "at-least-once",
    });
    assert.deepEqual(run.named(T.policy, "alerts.retry.30s-delay").inputs.policy, {
      pattern: "^alerts\\.retry\\.30s$",
      priority: 10,
      applyTo: "queues",
      definition: {
        "message-ttl": "30000",
        "dead-letter-exchange": "alerts.requeue",
        "max-length": "100000",
        overflow: "reject-publish",
        "dead-letter-strategy": "at-least-once",
      },
    });
  });

  it("generates passwords for users without one and keeps them secret", async () => {
    const generated = run.ofType(T.password).map((r) => r.name);
    assert.ok(generated.includes("dev:password:alerts-producer"));
    assert.ok(
      !generated.includes("dev:password:app"),
      "a user with a given password also got a generated one",
    );
    const passwords = await valueOf(topology.userPasswords);
    assert.equal(passwords.app, "given");
    assert.equal(passwords["alerts-producer"], "generated-dev:password:alerts-producer");
    assert.equal(await pulumi.isSecret(topology.userPasswords), true);
  });

  it("creates vhosts with their metadata, and vhost limits, through the management API", () => {
    assert.deepEqual(run.ofType(T.vhost), []);
    const objects = run.ofType(T.management).map((r) => [r.inputs.path, r.inputs.body]);
    assert.deepEqual(objects.sort(), [
      ["vhost-limits/audit/max-queues", { value: 10 }],
      ["vhosts/alerting", { description: "" }],
      ["vhosts/audit", { description: "audit trail" }],
      [
        "vhosts/paging",
        {
          description: "warren alerting platform",
          default_queue_type: "quorum",
          defaultqueuetype: "quorum",
        },
      ],
    ]);
  });

  it("replaces a queue's bindings with it, deleting the old queue first", () => {
    const key = [...options.keys()].find((k) => k.startsWith("dev:binding:alerting/alerts>work#"))!;
    const binding = options.get(key)!;
    assert.deepEqual(binding.replaceWith, [
      "dev:exchange:alerting/alerts",
      "dev:queue:alerting/work",
    ]);
    assert.equal(options.get("dev:queue:alerting/work")!.deleteBeforeReplace, true);
    assert.equal(options.get("dev:exchange:alerting/alerts")!.deleteBeforeReplace, true);
  });

  it("does not retain queues or vhosts on delete outside prod", async () => {
    assert.equal(options.get("dev:queue:alerting/work")!.retainOnDelete, false);
    assert.equal(options.get("dev:vhost:alerting")!.retainOnDelete, false);
    assert.deepEqual(await valueOf(topology.retainedOnDelete), []);
  });

  it("creates one queue per declared queue and channel", () => {
    // 2 declared + unrouted + 3 retry delays + 6 channels × (queue, parked queue)
    assert.equal(run.ofType(T.queue).length, 2 + 1 + 3 + 12);
  });
});

describe("Topology component (prod)", () => {
  it("retains queues, and the vhosts that hold them, on delete in prod, and says so", async () => {
    const spec = loadWarrenSpec({ ...baseConfig(), "warren:environment": "prod" });
    const t = new Topology(
      "prod",
      { topology: spec.topology, environment: "prod", management: mgmt },
      { transformations: [record] },
    );
    await settle();
    assert.equal(options.get("prod:queue:alerting/work")!.retainOnDelete, true);
    assert.equal(options.get("prod:queue:alerting/lost")!.retainOnDelete, true);
    // Deleting a vhost would delete its queues: both kinds of vhost resource are kept.
    assert.equal(options.get("prod:vhost:alerting")!.retainOnDelete, true);
    assert.equal(options.get("prod:vhost:audit")!.retainOnDelete, true);
    const audit = run.ofType(T.management).find((r) => r.name === "prod:vhost:audit")!;
    assert.equal(audit.inputs.deleteOnDestroy, false);
    assert.deepEqual(await valueOf(t.retainedOnDelete), [
      "alerting",
      "audit",
      "alerting/work",
      "alerting/lost",
    ]);
  });

  it("declares a vhost as the same kind of resource with or without metadata", async () => {
    // Adding a description later must update the vhost in place: a different resource type
    // would make Pulumi delete the old vhost, and with it every queue inside.
    const spec = loadWarrenSpec(withTopology((t) => (t.vhosts[0].description = "now described")));
    new Topology("meta", { topology: spec.topology, environment: "dev", management: mgmt });
    await settle();
    const vhosts = run.resources.filter((r) => r.name.startsWith("meta:vhost:"));
    assert.deepEqual(
      vhosts.map((r) => [r.type, r.name, r.inputs.body]),
      [
        [T.management, "meta:vhost:alerting", { description: "now described" }],
        [T.management, "meta:vhost:audit", { description: "audit trail" }],
      ],
    );
  });
});
