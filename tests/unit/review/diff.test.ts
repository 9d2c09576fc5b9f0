// The object diff behind `warren diff`: what is added, removed, updated in place or replaced, as
// plan.ts and the Topology component would do it on the broker.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type WarrenSpec, loadWarrenSpec } from "../../../components/config/spec";
import { type ObjectChange, diffSpecs } from "../../../review/diff";

type Topology = Record<string, unknown[]>;

function spec(topology: Topology, more: Record<string, unknown> = {}): WarrenSpec {
  return loadWarrenSpec({ "warren:environment": "dev", "warren:topology": topology, ...more });
}

const changes = (before: WarrenSpec | undefined, after: WarrenSpec) =>
  diffSpecs(before, after).changes;

const base: Topology = {
  vhosts: [{ name: "v" }],
  users: [{ name: "app" }],
  permissions: [{ user: "app", vhost: "v", configure: "^$", write: "^in$", read: "^work$" }],
  exchanges: [
    { name: "in", vhost: "v", type: "topic" },
    { name: "lost", vhost: "v", type: "fanout" },
  ],
  queues: [{ name: "work", vhost: "v", type: "quorum", arguments: { "x-max-length": 10 } }],
  bindings: [
    { vhost: "v", source: "in", destination: "work", routingKey: "a.*" },
    { vhost: "v", source: "in", destination: "work", routingKey: "b.#" },
    { vhost: "v", source: "in", destination: "lost", destinationType: "exchange", routingKey: "x" },
  ],
  policies: [
    {
      name: "ttl",
      vhost: "v",
      pattern: "^work$",
      applyTo: "queues",
      definition: { "message-ttl": 1000 },
    },
  ],
};
const with_ = (patch: Topology): Topology => ({ ...base, ...patch });

describe("diffSpecs", () => {
  it("finds nothing between equal specs", () => {
    assert.deepEqual(diffSpecs(spec(base), spec(base)), { changes: [], settings: [] });
  });

  it("replaces a queue whose arguments change, naming the argument, with the bindings it takes along", () => {
    const after = with_({
      queues: [{ name: "work", vhost: "v", type: "quorum", arguments: { "x-max-length": 20 } }],
    });
    assert.deepEqual(changes(spec(base), spec(after)), [
      {
        kind: "queue",
        vhost: "v",
        name: "work",
        action: "replace",
        fields: [{ field: "arguments.x-max-length", before: 10, after: 20 }],
        bindings: 2,
      },
    ]);
  });

  it("does not replace a queue whose type moves from `type` to the x-queue-type argument", () => {
    const after = with_({
      queues: [
        { name: "work", vhost: "v", arguments: { "x-max-length": 10, "x-queue-type": "quorum" } },
      ],
    });
    assert.deepEqual(changes(spec(base), spec(after)), []);
  });

  it("replaces a queue that takes its type from a vhost whose defaultQueueType changes", () => {
    const t = (type: string): Topology => ({
      vhosts: [{ name: "v", defaultQueueType: type }],
      queues: [{ name: "q", vhost: "v" }],
    });
    assert.deepEqual(changes(spec(t("classic")), spec(t("quorum"))), [
      {
        kind: "vhost",
        vhost: "v",
        name: "v",
        action: "update",
        fields: [{ field: "defaultQueueType", before: "classic", after: "quorum" }],
      },
      {
        kind: "queue",
        vhost: "v",
        name: "q",
        action: "replace",
        fields: [{ field: "type", before: "classic", after: "quorum" }],
        bindings: 0,
      },
    ]);
  });

  it("replaces an exchange whose settings change, counting bindings from and to it", () => {
    const after = with_({
      exchanges: [
        { name: "in", vhost: "v", type: "topic", alternateExchange: "lost" },
        { name: "lost", vhost: "v", type: "fanout", durable: false },
      ],
    });
    assert.deepEqual(changes(spec(base), spec(after)), [
      {
        kind: "exchange",
        vhost: "v",
        name: "in",
        action: "replace",
        fields: [{ field: "alternateExchange", before: undefined, after: "lost" }],
        bindings: 3,
      },
      {
        kind: "exchange",
        vhost: "v",
        name: "lost",
        action: "replace",
        fields: [{ field: "durable", before: true, after: false }],
        bindings: 1,
      },
    ]);
  });

  it("updates permissions, policies, user tags and vhost limits in place", () => {
    const after = with_({
      vhosts: [{ name: "v", limits: { maxQueues: 5 } }],
      users: [{ name: "app", tags: ["monitoring"] }],
      permissions: [
        { user: "app", vhost: "v", configure: "^$", write: "^in$", read: "^(work|in)$" },
      ],
      policies: [
        {
          name: "ttl",
          vhost: "v",
          pattern: "^work$",
          applyTo: "queues",
          priority: 1,
          definition: { "message-ttl": 2000 },
        },
      ],
    });
    assert.deepEqual(changes(spec(base), spec(after)), [
      {
        kind: "vhost",
        vhost: "v",
        name: "v",
        action: "update",
        fields: [{ field: "limits.maxQueues", before: undefined, after: 5 }],
      },
      {
        kind: "policy",
        vhost: "v",
        name: "ttl",
        action: "update",
        fields: [
          { field: "priority", before: 0, after: 1 },
          { field: "definition.message-ttl", before: 1000, after: 2000 },
        ],
      },
      {
        kind: "permission",
        vhost: "v",
        name: "app",
        action: "update",
        fields: [{ field: "read", before: "^work$", after: "^(work|in)$" }],
      },
      {
        kind: "user",
        name: "app",
        action: "update",
        fields: [{ field: "tags", before: [], after: ["monitoring"] }],
      },
    ]);
  });

  it("updates a vhost that gains a description in place", () => {
    const [c] = changes(spec(base), spec(with_({ vhosts: [{ name: "v", description: "work" }] })));
    assert.equal(c.action, "update");
    assert.deepEqual(c.fields, [{ field: "description", before: undefined, after: "work" }]);
    assert.equal(c.reason, undefined);
  });

  it("reports a changed binding as a removal and an addition", () => {
    const after = with_({
      bindings: [
        { vhost: "v", source: "in", destination: "work", routingKey: "a.#" },
        { vhost: "v", source: "in", destination: "work", routingKey: "b.#" },
        {
          vhost: "v",
          source: "in",
          destination: "lost",
          destinationType: "exchange",
          routingKey: "x",
          arguments: { k: "v" },
        },
      ],
    });
    assert.deepEqual(
      changes(spec(base), spec(after)).map((c: ObjectChange) => [c.action, c.name]),
      [
        ["remove", 'in → exchange lost, key "x"'],
        ["add", 'in → exchange lost, key "x", arguments {"k":"v"}'],
        ["add", 'in → queue work, key "a.#"'],
        ["remove", 'in → queue work, key "a.*"'],
      ],
    );
  });

  it("describes added and removed objects and counts the bindings a removed queue takes along", () => {
    const after = with_({ queues: [{ name: "next", vhost: "v" }], bindings: [], policies: [] });
    const cs = changes(spec(base), spec(after));
    assert.deepEqual(
      cs.filter((c) => c.kind === "queue"),
      [
        { kind: "queue", vhost: "v", name: "next", action: "add", fields: [], summary: "classic" },
        {
          kind: "queue",
          vhost: "v",
          name: "work",
          action: "remove",
          fields: [],
          summary: "quorum",
          bindings: 2,
        },
      ],
    );
    assert.deepEqual(
      cs.find((c) => c.kind === "policy"),
      {
        kind: "policy",
        vhost: "v",
        name: "ttl",
        action: "remove",
        fields: [],
        attributes: [
          ["pattern", "^work$"],
          ["applyTo", "queues"],
          ["priority", 0],
          ["definition", { "message-ttl": 1000 }],
        ],
      },
    );
  });

  it("marks queues removed or replaced in a prod stack as retained on the broker", () => {
    const prod = (t: Topology) => spec(t, { "warren:environment": "prod" });
    const after = with_({ queues: [{ name: "work", vhost: "v", type: "classic" }], bindings: [] });
    assert.deepEqual(
      changes(prod(base), prod(after))
        .filter((c) => c.kind === "queue")
        .map((c) => [c.action, c.retained]),
      [["replace", true]],
    );
    const gone = with_({ queues: [], bindings: [base.bindings[2]], policies: [] });
    assert.deepEqual(
      changes(prod(base), spec(gone))
        .filter((c) => c.kind === "queue")
        .map((c) => [c.action, c.retained]),
      [["remove", true]],
    );
    // Retention is recorded with the deployed queue: a stack that only now becomes prod deletes it.
    assert.deepEqual(
      changes(spec(base), prod(gone))
        .filter((c) => c.kind === "queue")
        .map((c) => [c.action, c.retained]),
      [["remove", undefined]],
    );
  });

  it("reports stack settings that change, and none against a new stack", () => {
    const broker = (username: string) => ({
      "warren:broker": { managementUrl: "http://127.0.0.1:15672", username },
    });
    assert.deepEqual(
      diffSpecs(
        spec(base, broker("a")),
        spec(base, { ...broker("b"), "warren:environment": "staging" }),
      ).settings,
      [
        { field: "environment", before: "dev", after: "staging" },
        { field: "broker.username", before: "a", after: "b" },
      ],
    );
    assert.deepEqual(diffSpecs(undefined, spec(base)).settings, []);
  });

  it("orders changes by vhost, then kind, then name, with users last", () => {
    const before = spec({ vhosts: [{ name: "b" }, { name: "a" }] });
    const after = spec({
      vhosts: [{ name: "b" }, { name: "a" }],
      users: [{ name: "u" }],
      queues: [
        { name: "z", vhost: "a" },
        { name: "y", vhost: "b" },
        { name: "c", vhost: "a" },
      ],
      exchanges: [{ name: "x", vhost: "a", type: "direct" }],
    });
    assert.deepEqual(
      diffSpecs(before, after).changes.map((c) => `${c.vhost ?? "-"} ${c.kind} ${c.name}`),
      ["a exchange x", "a queue c", "a queue z", "b queue y", "- user u"],
    );
  });
});
