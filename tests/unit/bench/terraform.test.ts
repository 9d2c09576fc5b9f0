// The Terraform peer of bench:engine (bench/terraform.ts): the same objects warren creates, one
// resource each, referring to each other by reference expressions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  RESOURCE_TYPES,
  literal,
  resourceCounts,
  resourceName,
  terraformConfig,
} from "../../../bench/terraform";
import { syntheticConfig } from "../../../bench/topology-run";
import { loadWarrenSpec } from "../../../components/config/spec";
import { planTopology } from "../../../components/topology/plan";
import type { TopologySpec } from "../../../components/topology/spec";
import { baseConfig } from "../../support/config";

const broker = { managementUrl: "http://127.0.0.1:15672", username: "admin", password: "x" };
const synthetic = (n: number) =>
  loadWarrenSpec({ ...syntheticConfig(n), "warren:broker": broker }).topology;
const password = (u: string) => `pw-${u}`;

/** What warren's plan creates, per Terraform resource type. */
function plannedCounts(t: TopologySpec): Record<string, number> {
  const plan = planTopology(t, { environment: "dev" });
  const vs = Object.values(plan.vhosts);
  const sum = (f: (v: (typeof vs)[number]) => object) =>
    vs.reduce((s, v) => s + Object.keys(f(v)).length, 0);
  const counts: Record<string, number> = {
    [RESOURCE_TYPES.vhosts]: vs.length,
    [RESOURCE_TYPES.users]: Object.keys(plan.access.users).length,
    [RESOURCE_TYPES.permissions]: Object.keys(plan.access.permissions).length,
    [RESOURCE_TYPES.topicPermissions]: Object.keys(plan.access.topicPermissions).length,
    [RESOURCE_TYPES.exchanges]: sum((v) => v.exchanges),
    [RESOURCE_TYPES.queues]: sum((v) => v.queues),
    [RESOURCE_TYPES.bindings]: sum((v) => v.bindings),
    [RESOURCE_TYPES.policies]: sum((v) => v.policies),
    [RESOURCE_TYPES.operatorPolicies]: sum((v) => v.operatorPolicies),
  };
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

describe("bench/terraform: the Terraform configuration of a topology", () => {
  for (const n of [100, 1_000]) {
    it(`declares one resource per object of syntheticConfig(${n}), as the spec and warren's plan`, () => {
      const t = synthetic(n);
      const { json, gaps } = terraformConfig(t, { password });
      const counts = resourceCounts(json);
      for (const [kind, type] of Object.entries(RESOURCE_TYPES)) {
        // Topic permissions are one resource per user and vhost (none in the synthetic topology).
        const listed = t[kind as keyof TopologySpec].length;
        assert.equal(counts[type] ?? 0, listed, `${type} for ${kind}`);
      }
      assert.deepEqual(counts, plannedCounts(t));
      const total = Object.values(counts).reduce((s, c) => s + c, 0);
      // Object.values() of an interface is any[]: its values are the topology's lists.
      const lists = Object.values(t) as readonly (readonly unknown[])[];
      const objects = lists.reduce((s, l) => s + l.length, 0);
      assert.equal(total, objects);
      assert.deepEqual(gaps, []);
    });
  }

  it("covers every kind of the base config, topic permissions grouped by user and vhost", () => {
    const t = loadWarrenSpec(baseConfig()).topology;
    const { json, gaps } = terraformConfig(t, { password });
    assert.deepEqual(resourceCounts(json), plannedCounts(t));
    const topic = Object.values(json.resource[RESOURCE_TYPES.topicPermissions]);
    assert.equal(
      topic.reduce((s, b) => s + (b.permissions as unknown[]).length, 0),
      t.topicPermissions.length,
    );
    // The audit vhost's description and limit are what the provider cannot say.
    assert.deepEqual(gaps, [
      "vhost audit: description (rabbitmq_vhost has only a name)",
      "vhost audit: limits",
    ]);
  });

  it("writes the provider block from variables and pins the provider", () => {
    const { json } = terraformConfig(synthetic(100), { password });
    assert.deepEqual(json.provider.rabbitmq, {
      endpoint: "${var.rabbitmq_endpoint}",
      username: "${var.rabbitmq_username}",
      password: "${var.rabbitmq_password}",
    });
    assert.deepEqual(json.terraform.required_providers, {
      rabbitmq: { source: "cyrilgdn/rabbitmq", version: "= 1.8.0" },
    });
    assert.equal(json.variable.rabbitmq_password.sensitive, true);
  });

  it("writes a queue with its type in arguments_json and its vhost as a reference", () => {
    const { json } = terraformConfig(synthetic(100), { password });
    assert.deepEqual(json.resource.rabbitmq_vhost.vh0, { name: "vh0" });
    assert.deepEqual(json.resource.rabbitmq_queue.vh0__q1, {
      name: "q1",
      vhost: "${rabbitmq_vhost.vh0.name}",
      settings: [
        {
          durable: true,
          auto_delete: false,
          arguments_json: '{"x-max-length":1001,"x-queue-type":"quorum"}',
        },
      ],
    });
    assert.deepEqual(json.resource.rabbitmq_exchange.vh0__ex0, {
      name: "ex0",
      vhost: "${rabbitmq_vhost.vh0.name}",
      settings: [{ type: "topic", durable: true, auto_delete: false }],
    });
  });

  it("refers to the exchange, queue, user and vhost it needs, so Terraform orders them", () => {
    const t = synthetic(100);
    const { json } = terraformConfig(t, { password });
    const [binding] = Object.values(json.resource.rabbitmq_binding);
    const b = t.bindings[0];
    assert.deepEqual(binding, {
      vhost: `\${rabbitmq_vhost.${b.vhost}.name}`,
      source: `\${rabbitmq_exchange.${b.vhost}__${b.source}.name}`,
      destination: `\${rabbitmq_queue.${b.vhost}__${b.destination}.name}`,
      destination_type: "queue",
      routing_key: "k0.#",
    });
    const [grantName, grant] = Object.entries(json.resource.rabbitmq_permissions)[0];
    assert.match(grantName, /^u0_vh0_[0-9a-f]{8}$/);
    assert.deepEqual(grant, {
      user: "${rabbitmq_user.u0.name}",
      vhost: "${rabbitmq_vhost.vh0.name}",
      permissions: [{ configure: "^$", write: "^ex\\d+$", read: "^q\\d+$" }],
    });
    assert.deepEqual(json.resource.rabbitmq_user.u0, {
      name: "u0",
      password: "pw-u0",
      tags: ["monitoring"],
    });
    assert.deepEqual(json.resource.rabbitmq_policy.vh0__p0.policy, [
      { pattern: "^q0$", priority: 0, apply_to: "queues", definition: { "message-ttl": "60000" } },
    ]);
  });

  it("keeps names valid and distinct, and literal text literal", () => {
    assert.equal(resourceName("vh0", "q1"), "vh0__q1");
    assert.match(resourceName("a.b", "c"), /^a_b__c_[0-9a-f]{8}$/);
    assert.notEqual(resourceName("a.b"), resourceName("a/b"));
    assert.match(resourceName("1x"), /^_1x_[0-9a-f]{8}$/);
    assert.equal(literal("^${x}%{y}$"), "^$${x}%%{y}$");
  });
});
