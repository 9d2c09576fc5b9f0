// `warren graph`: the Mermaid flowchart of a topology, checked line by line on a small topology
// that has every kind of node and edge, and for safe, unique node ids on any name.
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { loadWarrenSpec } from "../../../components/config/spec";
import { readStackConfig } from "../../../components/config/stack-file";
import { mermaidGraph, mermaidText, nodeId } from "../../../review/graph";
import { PROJECT_DIR } from "../../support/program";

const topology = loadWarrenSpec({
  "warren:environment": "dev",
  "warren:topology": {
    vhosts: [{ name: "shop" }, { name: "ops/ü" }],
    users: [{ name: "reader" }, { name: "nobody" }],
    permissions: [
      { user: "reader", vhost: "shop", configure: "^$", write: "^$", read: "^orders(\\.dlq)?$" },
      { user: "nobody", vhost: "shop", configure: "", write: "", read: "" },
      { user: "reader", vhost: "ops/ü", configure: "^$", write: "^$", read: ".*" },
    ],
    exchanges: [
      { name: "orders", vhost: "shop", type: "topic", alternateExchange: "unrouted" },
      { name: "unrouted", vhost: "shop", type: "fanout" },
      { name: "by-header", vhost: "shop", type: "headers" },
      { name: "dlx", vhost: "shop", type: "direct" },
      { name: "events", vhost: "shop", type: "topic", internal: true },
      { name: 'alarm#1 "x"', vhost: "ops/ü", type: "fanout" },
    ],
    queues: [
      {
        name: "orders",
        vhost: "shop",
        arguments: { "x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "dead" },
      },
      { name: "orders.dlq", vhost: "shop" },
      { name: "lost", vhost: "shop" },
      { name: "eu", vhost: "shop", type: "quorum" },
      { name: "inbox/ü", vhost: "ops/ü" },
    ],
    bindings: [
      { vhost: "shop", source: "orders", destination: "orders", routingKey: "order.*" },
      { vhost: "shop", source: "orders", destination: "orders", routingKey: "order.#.urgent" },
      { vhost: "shop", source: "unrouted", destination: "lost" },
      {
        vhost: "shop",
        source: "by-header",
        destination: "eu",
        arguments: { "x-match": "all", region: "eu", tier: 1 },
      },
      { vhost: "shop", source: "dlx", destination: "orders.dlq", routingKey: "dead" },
      {
        vhost: "shop",
        source: "events",
        destination: "orders",
        destinationType: "exchange",
        routingKey: "order.created",
      },
      { vhost: "shop", source: "amq.topic", destination: "lost", routingKey: "#" },
      { vhost: "ops/ü", source: 'alarm#1 "x"', destination: "inbox/ü" },
    ],
    policies: [
      {
        name: "events-ae",
        vhost: "shop",
        pattern: "^events$",
        applyTo: "exchanges",
        definition: { "alternate-exchange": "unrouted" },
      },
      // The higher priority wins: dead-lettering through the default exchange to orders.dlq.
      {
        name: "eu-dl",
        vhost: "shop",
        pattern: "^eu$",
        applyTo: "queues",
        priority: 5,
        definition: { "dead-letter-exchange": "", "dead-letter-routing-key": "orders.dlq" },
      },
      {
        name: "eu-low",
        vhost: "shop",
        pattern: "^eu$",
        applyTo: "queues",
        priority: 1,
        definition: { "dead-letter-exchange": "dlx" },
      },
    ],
  },
}).topology;

const ex = (v: string, n: string) => nodeId("exchange", v, n);
const qu = (v: string, n: string) => nodeId("queue", v, n);
const us = (v: string, n: string) => nodeId("user", v, n);

/** One line of the flowchart this module writes; anything else is a syntax slip. */
const ID = "(?:vh|ex|qu|us)_(?:[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*_)?[0-9a-f]{8}";
const LABEL = '"[^"]*"';
const LINE = new RegExp(
  [
    "^flowchart LR$",
    `^  subgraph ${ID} \\[${LABEL}\\]$`,
    "^  end$",
    `^    ${ID}(?:\\{\\{${LABEL}\\}\\}|\\[\\(${LABEL}\\)\\]|\\(\\[${LABEL}\\]\\))$`,
    `^    ${ID} (?:-->|-\\.->)(?:\\|${LABEL}\\|)? ${ID}$`,
  ].join("|"),
);

describe("mermaidGraph", () => {
  it("draws every exchange, queue, binding, alternate exchange, dead-letter path and consumer, per vhost", () => {
    assert.deepEqual(mermaidGraph(topology).split("\n"), [
      "flowchart LR",
      `  subgraph ${nodeId("vhost", "shop", "shop")} ["vhost shop"]`,
      `    ${ex("shop", "orders")}{{"orders<br/>topic"}}`,
      `    ${ex("shop", "unrouted")}{{"unrouted<br/>fanout"}}`,
      `    ${ex("shop", "by-header")}{{"by-header<br/>headers"}}`,
      `    ${ex("shop", "dlx")}{{"dlx<br/>direct"}}`,
      `    ${ex("shop", "events")}{{"events<br/>topic, internal"}}`,
      `    ${ex("shop", "amq.topic")}{{"amq.topic<br/>topic, built-in"}}`,
      `    ${qu("shop", "orders")}[("orders<br/>classic")]`,
      `    ${qu("shop", "orders.dlq")}[("orders.dlq<br/>classic")]`,
      `    ${qu("shop", "lost")}[("lost<br/>classic")]`,
      `    ${qu("shop", "eu")}[("eu<br/>quorum")]`,
      `    ${us("shop", "reader")}(["reader"])`,
      `    ${ex("shop", "orders")} -->|"order.*<br/>order.#35;.urgent"| ${qu("shop", "orders")}`,
      `    ${ex("shop", "unrouted")} --> ${qu("shop", "lost")}`,
      `    ${ex("shop", "by-header")} -->|"region=eu, tier=1, x-match=all"| ${qu("shop", "eu")}`,
      `    ${ex("shop", "dlx")} -->|"dead"| ${qu("shop", "orders.dlq")}`,
      `    ${ex("shop", "events")} -->|"order.created"| ${ex("shop", "orders")}`,
      `    ${ex("shop", "amq.topic")} -->|"#35;"| ${qu("shop", "lost")}`,
      `    ${ex("shop", "orders")} -.->|"alternate"| ${ex("shop", "unrouted")}`,
      `    ${ex("shop", "events")} -.->|"alternate"| ${ex("shop", "unrouted")}`,
      `    ${qu("shop", "orders")} -.->|"dead-letter<br/>key dead"| ${ex("shop", "dlx")}`,
      `    ${qu("shop", "eu")} -.->|"dead-letter<br/>key orders.dlq"| ${qu("shop", "orders.dlq")}`,
      `    ${qu("shop", "orders")} -->|"read"| ${us("shop", "reader")}`,
      `    ${qu("shop", "orders.dlq")} -->|"read"| ${us("shop", "reader")}`,
      "  end",
      `  subgraph ${nodeId("vhost", "ops/ü", "ops/ü")} ["vhost ops/ü"]`,
      `    ${ex("ops/ü", 'alarm#1 "x"')}{{"alarm#35;1 #quot;x#quot;<br/>fanout"}}`,
      `    ${qu("ops/ü", "inbox/ü")}[("inbox/ü<br/>classic")]`,
      `    ${us("ops/ü", "reader")}(["reader"])`,
      `    ${ex("ops/ü", 'alarm#1 "x"')} --> ${qu("ops/ü", "inbox/ü")}`,
      `    ${qu("ops/ü", "inbox/ü")} -->|"read"| ${us("ops/ü", "reader")}`,
      "  end",
    ]);
  });

  it("writes only lines of the flowchart grammar, with unique node ids, for the small topology and the dev stack", () => {
    const dev = loadWarrenSpec(
      readStackConfig({ file: path.join(PROJECT_DIR, "Pulumi.dev.yaml") }),
    ).topology;
    for (const t of [topology, dev]) {
      const lines = mermaidGraph(t).split("\n");
      for (const line of lines) assert.match(line, LINE);
      // Subgraph and node definitions: `subgraph ID [...]`, `ID{{...}}`, `ID[(...)]`, `ID([...])`.
      const defined = lines
        .map((l) => /^ {2}subgraph (\S+) /.exec(l)?.[1] ?? /^ {4}([A-Za-z0-9_]+)[[{(]/.exec(l)?.[1])
        .filter((x): x is string => !!x);
      assert.equal(new Set(defined).size, defined.length, "each node and subgraph is defined once");
      for (const v of t.vhosts)
        assert.ok(
          defined.includes(nodeId("vhost", v.name, v.name)),
          `vhost ${v.name} is a subgraph`,
        );
      for (const x of t.exchanges)
        assert.ok(defined.includes(ex(x.vhost, x.name)), `exchange ${x.name} is drawn`);
      for (const q of t.queues)
        assert.ok(defined.includes(qu(q.vhost, q.name)), `queue ${q.name} is drawn`);
      // Every edge joins nodes drawn in the diagram.
      for (const l of lines.filter((x) => x.includes("->"))) {
        const [from, to] = [l.trim().split(" ")[0], l.trim().split(" ").at(-1)!];
        assert.ok(defined.includes(from) && defined.includes(to), l);
      }
    }
  });
});

describe("nodeId", () => {
  it("is a prefix for the kind, the name's letters and digits, and a digest of kind, vhost and name", () => {
    assert.equal(nodeId("queue", "alerting", "alerts.sms"), "qu_alerts_sms_d7bf09ca");
    assert.equal(nodeId("user", "ops/ü", "ü"), "us_41cb8445");
  });

  it("keeps names that read alike, kinds and vhosts apart", () => {
    const ids = ["a.b", "a-b", "a_b", "a b", "a/b", "ä.b"].flatMap((n) => [
      nodeId("queue", "v", n),
      nodeId("exchange", "v", n),
      nodeId("queue", "w", n),
    ]);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, new RegExp(`^${ID}$`));
  });

  it("never emits a Mermaid keyword such as end as a bare id", () => {
    assert.match(nodeId("queue", "v", "end"), /^qu_end_[0-9a-f]{8}$/);
  });
});

describe("mermaidText", () => {
  it("turns characters that would end or alter a label into entity codes", () => {
    assert.equal(mermaidText('a"b#c<d>e&f|g`h'), "a#quot;b#35;c#60;d#62;e#38;f#124;g#96;h");
    assert.equal(mermaidText("ünïcode/dots.and-dashes"), "ünïcode/dots.and-dashes");
  });
});
