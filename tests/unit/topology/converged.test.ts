// The convergence check's comparison (tests/support/converged.ts): a broker that holds exactly the
// declared topology passes; anything missing, extra or with other settings is named.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadWarrenSpec } from "../../../components/config/spec";
import {
  type BrokerState,
  brokerView,
  canonical,
  declaredView,
  diffViews,
} from "../../support/converged";

const spec = loadWarrenSpec({
  "warren:environment": "dev",
  "warren:broker": { managementUrl: "http://127.0.0.1:1", username: "admin", password: "x" },
  "warren:topology": {
    vhosts: [{ name: "v", description: "d", limits: { maxQueues: 5 } }],
    users: [{ name: "u", tags: ["monitoring", "management"] }],
    permissions: [{ user: "u", vhost: "v", configure: "^$", write: ".*", read: ".*" }],
    topicPermissions: [{ user: "u", vhost: "v", exchange: "x", write: "^a$", read: ".*" }],
    exchanges: [{ name: "x", vhost: "v", type: "topic" }],
    queues: [{ name: "q", vhost: "v", type: "quorum", arguments: { "x-max-length": 10 } }],
    bindings: [{ vhost: "v", source: "x", destination: "q", routingKey: "a.#" }],
    policies: [
      { name: "p", vhost: "v", pattern: "^q$", applyTo: "queues", definition: { "max-length": 3 } },
    ],
    operatorPolicies: [
      { name: "o", vhost: "v", pattern: ".*", applyTo: "queues", definition: { "max-length": 9 } },
    ],
  },
}).topology;

/** A broker holding exactly `spec`, plus what every broker has (admin, "/", amq.*). */
function exactBroker(): BrokerState {
  const policy = (name: string, pattern: string, n: number) => ({
    vhost: "v",
    name,
    pattern,
    "apply-to": "queues",
    priority: 0,
    definition: { "max-length": n },
  });
  return {
    definitions: {
      users: [
        { name: "admin", tags: "administrator" },
        { name: "u", tags: "management,monitoring" },
      ],
      vhosts: [{ name: "/" }, { name: "v", metadata: { description: "d" } }],
      permissions: [
        { user: "admin", vhost: "/", configure: ".*", write: ".*", read: ".*" },
        { user: "admin", vhost: "v", configure: ".*", write: ".*", read: ".*" },
        { user: "u", vhost: "v", configure: "^$", write: ".*", read: ".*" },
      ],
      topic_permissions: [{ user: "u", vhost: "v", exchange: "x", write: "^a$", read: ".*" }],
      exchanges: [
        {
          name: "amq.topic",
          vhost: "v",
          type: "topic",
          durable: true,
          auto_delete: false,
          internal: false,
        },
        {
          name: "x",
          vhost: "v",
          type: "topic",
          durable: true,
          auto_delete: false,
          internal: false,
          arguments: {},
        },
      ],
      queues: [
        {
          name: "q",
          vhost: "v",
          durable: true,
          auto_delete: false,
          arguments: { "x-queue-type": "quorum", "x-max-length": 10 },
        },
      ],
      bindings: [
        {
          vhost: "v",
          source: "",
          destination: "q",
          destination_type: "queue",
          routing_key: "q",
          arguments: {},
        },
        {
          vhost: "v",
          source: "x",
          destination: "q",
          destination_type: "queue",
          routing_key: "a.#",
          arguments: {},
        },
      ],
      policies: [policy("p", "^q$", 3)],
    },
    operatorPolicies: [policy("o", ".*", 9)],
    vhostLimits: [{ vhost: "v", value: { "max-queues": 5 } }],
  };
}

const diff = (b: BrokerState) => {
  const declared = declaredView(spec);
  return diffViews(declared, brokerView(b, { adminUser: "admin" }, declared));
};

describe("convergence check", () => {
  it("canonical JSON ignores key order, not array order", () => {
    assert.equal(canonical({ b: 1, a: { d: 2, c: 3 } }), canonical({ a: { c: 3, d: 2 }, b: 1 }));
    assert.notEqual(canonical([1, 2]), canonical([2, 1]));
  });

  it("passes a broker with exactly the declared objects (admin, / and amq.* aside)", () => {
    assert.deepEqual(diff(exactBroker()), []);
  });

  it("takes user tags as a list or a comma-separated string", () => {
    const b = exactBroker();
    const users = [b.definitions.users![0], { name: "u", tags: ["monitoring", "management"] }];
    assert.deepEqual(diff({ ...b, definitions: { ...b.definitions, users } }), []);
  });

  it("names what is missing, extra, or declared otherwise", () => {
    const b = exactBroker();
    const d = b.definitions;
    const lines = diff({
      ...b,
      definitions: {
        ...d,
        // q missing; an extra queue; the exchange with another type; an extra binding
        queues: [{ name: "stray", vhost: "v", durable: true, auto_delete: false, arguments: {} }],
        exchanges: [d.exchanges![0], { ...d.exchanges![1], type: "direct" }],
        bindings: [
          ...d.bindings!,
          {
            vhost: "v",
            source: "x",
            destination: "q",
            destination_type: "queue",
            routing_key: "b",
            arguments: {},
          },
        ],
        users: [...d.users!, { name: "ghost", tags: "" }],
        vhosts: [...d.vhosts!, { name: "orphan" }],
      },
      operatorPolicies: [],
      vhostLimits: [],
    });
    assert.deepEqual(lines, [
      'vhosts: v differs: declared {"description":"d","limits":{"max-queues":5}}, broker has {"description":"d","limits":{}}',
      'vhosts: extra orphan {"description":"","limits":{}}',
      'users: extra ghost {"tags":[]}',
      'exchanges: v/x differs: declared {"arguments":{},"autoDelete":false,"durable":true,"internal":false,"type":"topic"}, broker has {"arguments":{},"autoDelete":false,"durable":true,"internal":false,"type":"direct"}',
      "queues: missing v/q",
      'queues: extra v/stray {"arguments":{},"autoDelete":false,"durable":true}',
      "bindings: extra v/x>queue:q[b]{}",
      "operatorPolicies: missing v/o",
    ]);
  });

  it("counts objects in the default vhost, and the admin's grants nowhere", () => {
    const b = exactBroker();
    const lines = diff({
      ...b,
      definitions: {
        ...b.definitions,
        queues: [
          ...b.definitions.queues!,
          { name: "left", vhost: "/", durable: true, auto_delete: false, arguments: {} },
        ],
      },
    });
    assert.deepEqual(lines, [
      'queues: extra //left {"arguments":{},"autoDelete":false,"durable":true}',
    ]);
  });

  it("keeps the list short: at most perKind lines and a count", () => {
    const b = exactBroker();
    const users = Array.from({ length: 30 }, (_, i) => ({ name: `x${i}`, tags: "" }));
    const declared = declaredView(spec);
    const lines = diffViews(
      declared,
      brokerView(
        { ...b, definitions: { ...b.definitions, users: [...b.definitions.users!, ...users] } },
        { adminUser: "admin" },
        declared,
      ),
      5,
    );
    assert.equal(lines.length, 6);
    assert.equal(lines[5], "users: ... and 25 more");
  });
});
