// The routing simulator against a real RabbitMQ: declare one topology on the broker, publish a
// table of edge cases, and check every queue received exactly what the simulator predicts.
// Long and kept whole: one declared topology serves every case (declaring it is the slow part),
// and the cases are a table read top to bottom.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as amqp from "amqplib";

import { ensureBroker, type Broker } from "../support/broker";
import { until } from "../support/wait";
import { RoutingError, RoutingTable, type Message } from "../../components/topology/routing";
import type { ArgValue, Arguments, TopologySpec } from "../../components/topology/spec";

const VH = `warren-routing-it-${randomBytes(4).toString("hex")}`;

function spec(admin: string): TopologySpec {
  const exchange = (
    name: string,
    type: "direct" | "fanout" | "topic" | "headers",
    internal: boolean,
    alternateExchange: string | undefined,
    args: Record<string, ArgValue>,
  ) => ({
    path: `it.exchanges.${name}`,
    name,
    vhost: VH,
    type,
    durable: true,
    autoDelete: false,
    internal,
    alternateExchange,
    arguments: args,
  });
  const queue = (name: string, type: "classic" | "quorum") => {
    const args: Arguments = type === "classic" ? { "x-max-length": 1000 } : {};
    return {
      path: `it.queues.${name}`,
      name,
      vhost: VH,
      type,
      durable: true,
      autoDelete: false,
      arguments: args,
    };
  };
  const binding = (
    source: string,
    destination: string,
    destinationType: "queue" | "exchange",
    routingKey: string,
    args: Record<string, ArgValue> = {},
  ) => ({
    path: `it.bindings.${source}.${destination}.${routingKey}`,
    vhost: VH,
    source,
    destination,
    destinationType,
    routingKey,
    arguments: args,
  });
  return {
    vhosts: [
      {
        path: "it.vhosts[0]",
        name: VH,
        description: "routing simulator vs broker",
        defaultQueueType: "classic",
        limits: { maxConnections: 50, maxQueues: 200 },
      },
    ],
    users: [{ path: "it.users[0]", name: admin, tags: ["administrator"] }],
    permissions: [
      {
        path: "it.permissions[0]",
        user: admin,
        vhost: VH,
        configure: ".*",
        write: ".*",
        read: ".*",
      },
    ],
    topicPermissions: [
      {
        path: "it.topicPermissions[0]",
        user: admin,
        vhost: VH,
        exchange: "alerts",
        write: ".*",
        read: ".*",
      },
    ],
    exchanges: [
      exchange("alerts", "topic", false, "alerts.unrouted", {}),
      exchange("alerts.unrouted", "fanout", true, undefined, {}),
      exchange("by-severity", "direct", false, undefined, {}),
      exchange("broadcast", "fanout", true, undefined, {}),
      exchange("by-team", "headers", false, undefined, {}),
      exchange("by-x-only", "headers", true, undefined, {}),
      exchange("cycle-a", "fanout", false, undefined, {}),
      exchange("cycle-b", "topic", false, undefined, {}),
      exchange("ingest", "direct", false, "ingest.unrouted", {}),
      exchange("ingest.unrouted", "fanout", false, undefined, {}),
      exchange("sink-empty", "direct", false, undefined, {}),
      exchange("sink-guarded", "direct", false, undefined, {
        "alternate-exchange": "guard.unrouted",
      }),
      exchange("guard.unrouted", "fanout", false, undefined, {}),
      exchange("policy-guarded", "direct", false, undefined, {}),
      exchange("policy-hidden", "direct", false, undefined, {}),
    ],
    queues: [
      queue("unrouted", "classic"),
      queue("critical-any-service", "quorum"),
      queue("all-alerts", "classic"),
      queue("cpu", "classic"),
      queue("one-word", "classic"),
      queue("empty-key", "classic"),
      queue("empty-word", "classic"),
      queue("two-words", "classic"),
      queue("trailing-empty", "classic"),
      queue("mid-x", "classic"),
      queue("pager", "quorum"),
      queue("ticket", "classic"),
      queue("audit", "classic"),
      queue("dashboard", "classic"),
      queue("db-pager", "classic"),
      queue("web-any", "classic"),
      queue("eu-db", "classic"),
      queue("urgent", "classic"),
      queue("oncall", "classic"),
      queue("level3", "classic"),
      queue("silenced", "classic"),
      queue("tagged", "classic"),
      queue("meta", "classic"),
      queue("catch-all-headers", "classic"),
      queue("never", "classic"),
      queue("cycle-a-q", "classic"),
      queue("cycle-b-q", "classic"),
      queue("ingest-known", "classic"),
      queue("ingest-unrouted", "classic"),
      queue("guard-unrouted", "classic"),
      queue("builtin", "classic"),
    ],
    bindings: [
      binding("alerts.unrouted", "unrouted", "queue", ""),
      binding("alerts", "critical-any-service", "queue", "alert.*.critical"),
      binding("alerts", "all-alerts", "queue", "alert.#"),
      binding("alerts", "cpu", "queue", "#.cpu"),
      binding("alerts", "one-word", "queue", "*"),
      binding("alerts", "empty-key", "queue", ""),
      binding("alerts", "empty-word", "queue", "a..b"),
      binding("alerts", "two-words", "queue", "*.*"),
      binding("alerts", "trailing-empty", "queue", "a."),
      binding("alerts", "mid-x", "queue", "#.x.#"),
      binding("alerts", "broadcast", "exchange", "alert.#.page"),
      binding("alerts", "by-team", "exchange", "team.#"),
      binding("alerts", "by-severity", "exchange", "sev.*"),
      binding("by-severity", "pager", "queue", "sev.critical"),
      binding("by-severity", "audit", "queue", "sev.critical"),
      binding("by-severity", "ticket", "queue", "sev.warning"),
      binding("broadcast", "audit", "queue", "ignored"),
      binding("broadcast", "dashboard", "queue", ""),
      binding("by-team", "db-pager", "queue", "", { team: "db", severity: "critical" }),
      binding("by-team", "web-any", "queue", "", { "x-match": "any", team: "web", service: "api" }),
      binding("by-team", "eu-db", "queue", "", {
        "x-match": "all-with-x",
        "x-region": "eu",
        team: "db",
      }),
      binding("by-team", "urgent", "queue", "", { "x-match": "any-with-x", "x-priority": 9 }),
      binding("by-team", "oncall", "queue", "", { oncall: null }),
      binding("by-team", "level3", "queue", "", { "x-match": "all", level: 3, "x-ignored": "y" }),
      binding("by-team", "silenced", "queue", "", { silenced: true }),
      binding("by-team", "tagged", "queue", "", { tags: ["a", "b"] }),
      binding("by-team", "meta", "queue", "", { meta: { a: 1, b: "two" } }),
      binding("alerts", "by-x-only", "exchange", "catch.#"),
      binding("by-x-only", "catch-all-headers", "queue", "", { "x-match": "all", "x-only": "x" }),
      binding("by-x-only", "never", "queue", "", { "x-match": "any", "x-only": "x" }),
      binding("cycle-a", "cycle-b", "exchange", ""),
      binding("cycle-b", "cycle-a", "exchange", "back.#"),
      binding("cycle-b", "cycle-b", "exchange", "self"),
      binding("cycle-a", "cycle-a-q", "queue", ""),
      binding("cycle-b", "cycle-b-q", "queue", "#.b"),
      binding("ingest", "ingest-known", "queue", "known"),
      binding("ingest", "sink-empty", "exchange", "to-empty"),
      binding("ingest", "sink-guarded", "exchange", "to-guarded"),
      binding("ingest", "ingest", "exchange", "to-self"),
      binding("ingest.unrouted", "ingest-unrouted", "queue", ""),
      binding("guard.unrouted", "guard-unrouted", "queue", ""),
      binding("amq.topic", "builtin", "queue", "builtin.#"),
    ],
    policies: [
      {
        path: "it.policies[0]",
        name: "ae-for-policy-exchanges",
        vhost: VH,
        pattern: "^policy-",
        applyTo: "exchanges",
        priority: 1,
        definition: { "alternate-exchange": "ingest.unrouted" },
      },
      {
        path: "it.policies[1]",
        name: "higher-without-ae",
        vhost: VH,
        pattern: "^policy-hidden$",
        applyTo: "all",
        priority: 7,
        definition: { "max-length": 100 },
      },
    ],
    operatorPolicies: [],
  };
}

interface Case {
  readonly label: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly headers?: Record<string, ArgValue>;
}

const CASES: Case[] = [
  // Topic: word splitting, wildcards, empty words.
  { label: "an empty key on a topic exchange", exchange: "alerts", routingKey: "" },
  { label: "a lone dot (two empty words)", exchange: "alerts", routingKey: "." },
  { label: "two dots (three empty words)", exchange: "alerts", routingKey: ".." },
  { label: "a..b (empty middle word)", exchange: "alerts", routingKey: "a..b" },
  { label: "a.b (no empty word)", exchange: "alerts", routingKey: "a.b" },
  { label: "a trailing dot", exchange: "alerts", routingKey: "a." },
  { label: "a leading dot", exchange: "alerts", routingKey: ".a" },
  { label: "one word", exchange: "alerts", routingKey: "alert" },
  { label: "a literal * as key", exchange: "alerts", routingKey: "*" },
  { label: "a literal # as key", exchange: "alerts", routingKey: "#" },
  { label: "alert.db.critical", exchange: "alerts", routingKey: "alert.db.critical" },
  {
    label: "alert.db.eu.critical (* is one word)",
    exchange: "alerts",
    routingKey: "alert.db.eu.critical",
  },
  { label: "alert.cpu (# at start and end)", exchange: "alerts", routingKey: "alert.cpu" },
  { label: "cpu alone (#.cpu with zero words)", exchange: "alerts", routingKey: "cpu" },
  { label: "deep.x.in.the.middle", exchange: "alerts", routingKey: "deep.x.in.the.middle" },
  { label: "x alone (#.x.# with nothing around)", exchange: "alerts", routingKey: "x" },
  { label: "unmatched key to the topic AE", exchange: "alerts", routingKey: "metric.disk.full" },
  // Topic into other exchanges.
  { label: "alert.page into the fanout", exchange: "alerts", routingKey: "alert.page" },
  { label: "alert.db.x.page into the fanout", exchange: "alerts", routingKey: "alert.db.x.page" },
  { label: "sev.critical into direct", exchange: "alerts", routingKey: "sev.critical" },
  { label: "sev.warning into direct", exchange: "alerts", routingKey: "sev.warning" },
  {
    label: "sev.info: matched e2e, dropped downstream",
    exchange: "alerts",
    routingKey: "sev.info",
  },
  {
    label: "team.db with headers via topic",
    exchange: "alerts",
    routingKey: "team.db",
    headers: { team: "db", severity: "critical" },
  },
  // Headers.
  {
    label: "headers: all/any with only x- arguments",
    exchange: "alerts",
    routingKey: "catch.me",
    headers: { "x-only": "x" },
  },
  { label: "headers: none at all", exchange: "by-team", routingKey: "k" },
  {
    label: "headers: all matched",
    exchange: "by-team",
    routingKey: "",
    headers: { team: "db", severity: "critical" },
  },
  {
    label: "headers: all, one missing",
    exchange: "by-team",
    routingKey: "",
    headers: { team: "db" },
  },
  {
    label: "headers: any, one of two",
    exchange: "by-team",
    routingKey: "",
    headers: { service: "api" },
  },
  {
    label: "headers: any, value differs",
    exchange: "by-team",
    routingKey: "",
    headers: { team: "mobile" },
  },
  {
    label: "headers: all-with-x needs x-region",
    exchange: "by-team",
    routingKey: "",
    headers: { team: "db", "x-region": "eu" },
  },
  {
    label: "headers: all-with-x, wrong x-region",
    exchange: "by-team",
    routingKey: "",
    headers: { team: "db", "x-region": "us", severity: "warning" },
  },
  {
    label: "headers: any-with-x on x-priority",
    exchange: "by-team",
    routingKey: "",
    headers: { "x-priority": 9 },
  },
  {
    label: "headers: x-priority as string",
    exchange: "by-team",
    routingKey: "",
    headers: { "x-priority": "9" },
  },
  {
    label: "headers: presence with a string",
    exchange: "by-team",
    routingKey: "",
    headers: { oncall: "ann" },
  },
  {
    label: "headers: presence with void",
    exchange: "by-team",
    routingKey: "",
    headers: { oncall: null },
  },
  { label: "headers: number 3", exchange: "by-team", routingKey: "", headers: { level: 3 } },
  { label: "headers: string 3", exchange: "by-team", routingKey: "", headers: { level: "3" } },
  {
    label: "headers: 3 with other x-ignored",
    exchange: "by-team",
    routingKey: "",
    headers: { level: 3, "x-ignored": "n" },
  },
  {
    label: "headers: void where 3 is wanted",
    exchange: "by-team",
    routingKey: "",
    headers: { level: null },
  },
  {
    label: "headers: boolean true",
    exchange: "by-team",
    routingKey: "",
    headers: { silenced: true },
  },
  {
    label: "headers: string true",
    exchange: "by-team",
    routingKey: "",
    headers: { silenced: "true" },
  },
  {
    label: "headers: number 1 for true",
    exchange: "by-team",
    routingKey: "",
    headers: { silenced: 1 },
  },
  {
    label: "headers: array in order",
    exchange: "by-team",
    routingKey: "",
    headers: { tags: ["a", "b"] },
  },
  {
    label: "headers: array reordered",
    exchange: "by-team",
    routingKey: "",
    headers: { tags: ["b", "a"] },
  },
  {
    label: "headers: table in order",
    exchange: "by-team",
    routingKey: "",
    headers: { meta: { a: 1, b: "two" } },
  },
  {
    label: "headers: table keys reordered",
    exchange: "by-team",
    routingKey: "",
    headers: { meta: { b: "two", a: 1 } },
  },
  // Cycles.
  { label: "cycle: into a, fans to b", exchange: "cycle-a", routingKey: "z.b" },
  { label: "cycle: into b, back to a", exchange: "cycle-b", routingKey: "back.b" },
  { label: "cycle: into b, self-binding only", exchange: "cycle-b", routingKey: "self" },
  // Alternate exchanges.
  { label: "AE: known key, no AE", exchange: "ingest", routingKey: "known" },
  { label: "AE: unknown key to the AE", exchange: "ingest", routingKey: "unknown" },
  { label: "AE: e2e match to an empty exchange", exchange: "ingest", routingKey: "to-empty" },
  { label: "AE: e2e match, downstream AE", exchange: "ingest", routingKey: "to-guarded" },
  { label: "AE: self-binding counts as a match", exchange: "ingest", routingKey: "to-self" },
  { label: "AE: from a policy", exchange: "policy-guarded", routingKey: "nothing" },
  { label: "AE: hidden by a higher policy", exchange: "policy-hidden", routingKey: "nothing" },
  // Default and built-in exchanges.
  { label: "default exchange to a declared queue", exchange: "", routingKey: "pager" },
  { label: "default exchange to no queue", exchange: "", routingKey: "no-such-queue" },
  { label: "amq.topic never declared", exchange: "amq.topic", routingKey: "builtin.thing" },
  { label: "amq.direct with no bindings", exchange: "amq.direct", routingKey: "pager" },
];

describe("routing simulator against a real broker", () => {
  let broker: Broker;
  let conn: amqp.ChannelModel | undefined;
  let topology: TopologySpec;
  let table: RoutingTable;
  const received = new Map<string, string[]>();

  before(async () => {
    broker = await ensureBroker();
    topology = spec(broker.adminUser);
    table = new RoutingTable(topology);
    await applyTopology(broker, topology);

    conn = await amqp.connect(broker.amqpUrl(undefined, undefined, VH));
    const ch = await conn.createConfirmChannel();
    CASES.forEach((c, i) => {
      ch.publish(c.exchange, c.routingKey, Buffer.from(`case-${i}`), { headers: c.headers });
    });
    await ch.waitForConfirms();
    for (const q of topology.queues) {
      for (;;) {
        const m = await ch.get(q.name, { noAck: true });
        if (m === false) break;
        const label = CASES[Number(m.content.toString().slice("case-".length))].label;
        received.set(label, [...(received.get(label) ?? []), q.name]);
      }
    }
    await ch.close();
  });

  after(async () => {
    await conn?.close().catch(() => {});
    if (broker) {
      await broker.mgmt(`/api/vhosts/${encodeURIComponent(VH)}`, { method: "DELETE" });
      await broker.stop();
    }
  });

  it("uses a case table with both deliveries and drops", () => {
    const routed = CASES.filter((c) => table.route(msg(c)).length > 0).length;
    assert.ok(routed >= 30, `only ${routed} cases route somewhere`);
    assert.ok(CASES.length - routed >= 8, `only ${CASES.length - routed} cases route nowhere`);
    assert.equal(new Set(CASES.map((c) => c.label)).size, CASES.length);
  });

  for (const c of CASES) {
    it(`routes ${c.label} to the queues the simulator predicts`, () => {
      const actual = [...(received.get(c.label) ?? [])].sort();
      assert.deepEqual(actual, table.route(msg(c)));
    });
  }

  it("refuses a publish to an internal exchange, as the simulator does", async () => {
    assert.equal(await publishError(broker, "alerts.unrouted"), 403);
    assert.throws(() => table.route({ vhost: VH, exchange: "alerts.unrouted", routingKey: "" }), {
      code: "internal-exchange",
    });
  });

  it("refuses a publish to an undeclared exchange, as the simulator does", async () => {
    assert.equal(await publishError(broker, "alertz"), 404);
    assert.throws(
      () => table.route({ vhost: VH, exchange: "alertz", routingKey: "" }),
      (e: unknown) => e instanceof RoutingError && e.code === "unknown-exchange",
    );
  });
});

function msg(c: Case): Message {
  return { vhost: VH, exchange: c.exchange, routingKey: c.routingKey, headers: c.headers };
}

/** Declares the spec's vhost, permissions and policies (management API) and the rest (AMQP). */
async function applyTopology(broker: Broker, t: TopologySpec): Promise<void> {
  const enc = encodeURIComponent;
  for (const v of t.vhosts) {
    await broker.mgmtJson(`/api/vhosts/${enc(v.name)}`, {
      method: "PUT",
      body: JSON.stringify({ description: v.description ?? "" }),
    });
    for (const [key, value] of [
      ["max-connections", v.limits?.maxConnections],
      ["max-queues", v.limits?.maxQueues],
    ] as const) {
      if (value === undefined) continue;
      await broker.mgmtJson(`/api/vhost-limits/${enc(v.name)}/${key}`, {
        method: "PUT",
        body: JSON.stringify({ value }),
      });
    }
  }
  for (const p of t.permissions) {
    await broker.mgmtJson(`/api/permissions/${enc(p.vhost)}/${enc(p.user)}`, {
      method: "PUT",
      body: JSON.stringify({ configure: p.configure, write: p.write, read: p.read }),
    });
  }
  for (const p of t.topicPermissions) {
    await broker.mgmtJson(`/api/topic-permissions/${enc(p.vhost)}/${enc(p.user)}`, {
      method: "PUT",
      body: JSON.stringify({ exchange: p.exchange, write: p.write, read: p.read }),
    });
  }
  for (const p of t.policies) {
    await broker.mgmtJson(`/api/policies/${enc(p.vhost)}/${enc(p.name)}`, {
      method: "PUT",
      body: JSON.stringify({
        pattern: p.pattern,
        "apply-to": p.applyTo,
        priority: p.priority,
        definition: p.definition,
      }),
    });
  }

  const conn = await amqp.connect(broker.amqpUrl(undefined, undefined, VH));
  try {
    const ch = await conn.createChannel();
    for (const x of t.exchanges) {
      await ch.assertExchange(x.name, x.type, {
        durable: x.durable,
        autoDelete: x.autoDelete,
        internal: x.internal,
        alternateExchange: x.alternateExchange,
        arguments: x.arguments,
      });
    }
    for (const q of t.queues) {
      await ch.assertQueue(q.name, {
        durable: q.durable,
        autoDelete: q.autoDelete,
        arguments: { ...q.arguments, "x-queue-type": q.type },
      });
    }
    for (const b of t.bindings) {
      if (b.destinationType === "queue") {
        await ch.bindQueue(b.destination, b.source, b.routingKey, b.arguments);
      } else {
        await ch.bindExchange(b.destination, b.source, b.routingKey, b.arguments);
      }
    }
    await ch.close();
  } finally {
    await conn.close();
  }
  // Policies reach exchanges asynchronously; publishing before that would miss the policy AE.
  await until(
    "the exchange policy to apply",
    async () => {
      const xs = await broker.mgmtJson<Array<{ name: string; policy?: string }>>(
        `/api/exchanges/${enc(VH)}`,
      );
      return xs.some((x) => x.name === "policy-guarded" && x.policy === "ae-for-policy-exchanges");
    },
    10_000,
    100,
  );
}

/** The AMQP reply code the broker closes the channel with when publishing to `exchange`. */
async function publishError(broker: Broker, exchange: string): Promise<number | undefined> {
  const conn = await amqp.connect(broker.amqpUrl(undefined, undefined, VH));
  try {
    const ch = await conn.createConfirmChannel();
    const closed = new Promise<number | undefined>((resolve) => {
      ch.on("error", (e: { code?: number }) => resolve(e.code));
      ch.on("close", () => resolve(undefined));
    });
    ch.publish(exchange, "k", Buffer.from("x"));
    await ch.waitForConfirms().catch(() => {});
    return await closed;
  } finally {
    await conn.close().catch(() => {});
  }
}
