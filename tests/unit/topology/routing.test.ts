// Unit tests of the routing simulator: every routing rule on small hand-made topologies, and the
// topic trie against a naive matcher. The same rules are checked on a real broker elsewhere.
// Long (one describe per exchange type and rule) and kept whole: the helpers at the top build
// every case, and the trie's property test routes through them too.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import {
  RoutingError,
  RoutingTable,
  routeMessage,
  type Message,
} from "../../../components/topology/routing";
import { TopicTrie, splitTopicKey } from "../../../components/topology/matching";
import type {
  ArgValue,
  Arguments,
  BindingSpec,
  ExchangeSpec,
  ExchangeType,
  PolicySpec,
  QueueSpec,
  TopologySpec,
} from "../../../components/topology/spec";

const VH = "alerting";

function exchange(
  name: string,
  type: ExchangeType,
  extra: Partial<Omit<ExchangeSpec, "name" | "type">> = {},
): ExchangeSpec {
  return {
    path: `test.exchanges.${name}`,
    name,
    vhost: VH,
    type,
    durable: true,
    autoDelete: false,
    internal: false,
    arguments: {},
    ...extra,
  };
}

function queue(name: string, vhost = VH): QueueSpec {
  return {
    path: `test.queues.${name}`,
    name,
    vhost,
    type: "quorum",
    durable: true,
    autoDelete: false,
    arguments: {},
  };
}

function bind(
  source: string,
  destination: string,
  routingKey = "",
  args: Arguments = {},
  destinationType: BindingSpec["destinationType"] = "queue",
): BindingSpec {
  return {
    path: `test.bindings.${source}->${destination}`,
    vhost: VH,
    source,
    destination,
    destinationType,
    routingKey,
    arguments: args,
  };
}

function e2e(source: string, destination: string, routingKey = ""): BindingSpec {
  return bind(source, destination, routingKey, {}, "exchange");
}

function policy(name: string, pattern: string, priority: number, definition: Arguments) {
  const p: PolicySpec = {
    path: `test.policies.${name}`,
    name,
    vhost: VH,
    pattern,
    applyTo: "exchanges",
    priority,
    definition,
  };
  return p;
}

function topology(parts: {
  exchanges?: ExchangeSpec[];
  queues?: QueueSpec[];
  bindings?: BindingSpec[];
  policies?: PolicySpec[];
  vhosts?: string[];
}): TopologySpec {
  return {
    vhosts: (parts.vhosts ?? [VH]).map((name) => ({ path: `test.vhosts.${name}`, name })),
    users: [],
    permissions: [],
    topicPermissions: [],
    exchanges: parts.exchanges ?? [],
    queues: parts.queues ?? [],
    bindings: parts.bindings ?? [],
    policies: parts.policies ?? [],
    operatorPolicies: [],
  };
}

/** Queues, built from the names used in bindings so each test lists only what matters. */
function queuesOf(bindings: BindingSpec[], more: string[] = []): QueueSpec[] {
  const names = new Set(more);
  for (const b of bindings) if (b.destinationType === "queue") names.add(b.destination);
  return [...names].map((n) => queue(n));
}

function msg(exchange: string, routingKey = "", headers?: Record<string, ArgValue>): Message {
  return { vhost: VH, exchange, routingKey, headers };
}

describe("default exchange", () => {
  const t = new RoutingTable(topology({ queues: [queue("pages"), queue("other", "elsewhere")] }));

  it("routes to the queue named by the routing key", () => {
    assert.deepEqual(t.route(msg("", "pages")), ["pages"]);
  });

  it("routes to nothing when no queue of that name is declared in the vhost", () => {
    assert.deepEqual(t.route(msg("", "missing")), []);
    assert.deepEqual(t.route(msg("", "other")), []);
  });
});

describe("built-in exchanges", () => {
  const bindings = [bind("amq.topic", "alerts", "alert.#"), bind("amq.direct", "direct-q", "k")];
  const t = new RoutingTable(topology({ queues: queuesOf(bindings), bindings }));

  it("routes through amq.* exchanges that the topology never declares", () => {
    assert.deepEqual(t.route(msg("amq.topic", "alert.cpu")), ["alerts"]);
    assert.deepEqual(t.route(msg("amq.direct", "k")), ["direct-q"]);
  });

  it("knows amq.fanout and amq.headers even with no bindings", () => {
    assert.deepEqual(t.route(msg("amq.fanout", "x")), []);
    assert.deepEqual(t.route(msg("amq.match", "", { a: 1 })), []);
  });

  it("refuses a publish to amq.rabbitmq.trace, which is internal", () => {
    assert.throws(() => t.route(msg("amq.rabbitmq.trace", "x")), { code: "internal-exchange" });
  });
});

describe("direct exchange", () => {
  const bindings = [
    bind("d", "critical", "critical"),
    bind("d", "all", "critical"),
    bind("d", "all", "warning"),
    bind("d", "empty-key", ""),
  ];
  const t = new RoutingTable(
    topology({ exchanges: [exchange("d", "direct")], queues: queuesOf(bindings), bindings }),
  );

  it("routes on the exact routing key to every queue bound with it", () => {
    assert.deepEqual(t.route(msg("d", "critical")), ["all", "critical"]);
    assert.deepEqual(t.route(msg("d", "warning")), ["all"]);
  });

  it("does not treat keys as prefixes or patterns", () => {
    assert.deepEqual(t.route(msg("d", "critical.db")), []);
    assert.deepEqual(t.route(msg("d", "#")), []);
  });

  it("routes the empty key only to bindings with the empty key", () => {
    assert.deepEqual(t.route(msg("d", "")), ["empty-key"]);
  });
});

describe("fanout exchange", () => {
  const bindings = [bind("f", "a", "ignored"), bind("f", "b")];
  const t = new RoutingTable(
    topology({ exchanges: [exchange("f", "fanout")], queues: queuesOf(bindings), bindings }),
  );

  it("routes to every bound queue whatever the routing key", () => {
    assert.deepEqual(t.route(msg("f", "anything")), ["a", "b"]);
    assert.deepEqual(t.route(msg("f", "")), ["a", "b"]);
  });
});

describe("topic exchange", () => {
  const patterns: Record<string, string> = {
    hashOnly: "#",
    starOnly: "*",
    emptyPattern: "",
    hashStart: "#.cpu",
    hashMiddle: "alert.#.cpu",
    hashEnd: "alert.#",
    starMiddle: "alert.*.cpu",
    twoStars: "*.*",
    emptyWord: "a..b",
    trailingDot: "a.",
    leadingDot: ".a",
    literalStarInWord: "a*",
    doubleHash: "#.#",
  };
  const bindings = Object.entries(patterns).map(([q, p]) => bind("t", q, p));
  const t = new RoutingTable(
    topology({ exchanges: [exchange("t", "topic")], queues: queuesOf(bindings), bindings }),
  );
  const route = (key: string) => t.route(msg("t", key));

  it("matches # at the start, middle and end with zero or more words", () => {
    assert.deepEqual(route("cpu"), ["doubleHash", "hashOnly", "hashStart", "starOnly"]);
    assert.deepEqual(route("alert.cpu"), [
      "doubleHash",
      "hashEnd",
      "hashMiddle",
      "hashOnly",
      "hashStart",
      "twoStars",
    ]);
    assert.deepEqual(route("alert.db.eu.cpu"), [
      "doubleHash",
      "hashEnd",
      "hashMiddle",
      "hashOnly",
      "hashStart",
    ]);
  });

  it("matches * with exactly one word", () => {
    assert.deepEqual(route("alert.db.cpu"), [
      "doubleHash",
      "hashEnd",
      "hashMiddle",
      "hashOnly",
      "hashStart",
      "starMiddle",
    ]);
    assert.ok(!route("alert.cpu").includes("starMiddle"));
  });

  it("counts empty words between, before and after dots", () => {
    assert.ok(route("a..b").includes("emptyWord"));
    assert.ok(!route("a.b").includes("emptyWord"));
    assert.deepEqual(route("a."), ["doubleHash", "hashOnly", "trailingDot", "twoStars"]);
    assert.deepEqual(route(".a"), ["doubleHash", "hashOnly", "leadingDot", "twoStars"]);
    assert.deepEqual(route("."), ["doubleHash", "hashOnly", "twoStars"]);
  });

  it("gives the empty key no words: # and the empty pattern match it, * does not", () => {
    assert.deepEqual(route(""), ["doubleHash", "emptyPattern", "hashOnly"]);
  });

  it("treats * and # inside a longer word as literal characters", () => {
    assert.ok(route("a*").includes("literalStarInWord"));
    assert.ok(!route("ab").includes("literalStarInWord"));
  });

  it("splits keys the way the broker does", () => {
    assert.deepEqual(splitTopicKey(""), []);
    assert.deepEqual(splitTopicKey("."), ["", ""]);
    assert.deepEqual(splitTopicKey("a..b"), ["a", "", "b"]);
  });
});

describe("headers exchange", () => {
  const cases: Array<[string, Arguments]> = [
    ["allDefault", { team: "db", sev: 1 }],
    ["allExplicit", { "x-match": "all", team: "db", "x-region": "eu" }],
    ["any", { "x-match": "any", team: "db", sev: 1 }],
    ["anyOnlyX", { "x-match": "any", "x-region": "eu" }],
    ["allWithX", { "x-match": "all-with-x", team: "db", "x-region": "eu" }],
    ["anyWithX", { "x-match": "any-with-x", "x-region": "eu" }],
    ["allNothing", { "x-match": "all" }],
    ["anyNothing", { "x-match": "any" }],
    ["presence", { oncall: null }],
    ["bool", { paged: true }],
    ["array", { tags: ["a", "b"] }],
    ["table", { meta: { a: 1, b: 2 } }],
  ];
  const bindings = cases.map(([q, args]) => bind("h", q, "ignored-key", args));
  const t = new RoutingTable(
    topology({ exchanges: [exchange("h", "headers")], queues: queuesOf(bindings), bindings }),
  );
  const route = (headers?: Record<string, ArgValue>) => t.route(msg("h", "any.key", headers));

  it("requires every non-x header under all (the default) and ignores the routing key", () => {
    assert.ok(route({ team: "db", sev: 1 }).includes("allDefault"));
    assert.ok(!route({ team: "db" }).includes("allDefault"));
    assert.ok(!route({ team: "db", sev: 2 }).includes("allDefault"));
  });

  it("ignores x- binding arguments and x- message headers under all and any", () => {
    assert.ok(route({ team: "db" }).includes("allExplicit"));
    assert.ok(route({ team: "db", "x-region": "us" }).includes("allExplicit"));
    assert.ok(!route({ "x-region": "eu" }).includes("anyOnlyX"));
  });

  it("needs one matching header under any", () => {
    assert.ok(route({ sev: 1 }).includes("any"));
    assert.ok(route({ team: "db", sev: 9 }).includes("any"));
    assert.ok(!route({ team: "web", sev: 9 }).includes("any"));
  });

  it("compares x- headers too under all-with-x and any-with-x, but never x-match itself", () => {
    assert.ok(route({ team: "db", "x-region": "eu" }).includes("allWithX"));
    assert.ok(!route({ team: "db" }).includes("allWithX"));
    assert.ok(!route({ team: "db", "x-region": "us" }).includes("allWithX"));
    assert.ok(route({ "x-region": "eu" }).includes("anyWithX"));
  });

  it("matches every message under all with nothing to compare, and none under any", () => {
    const r = route(undefined);
    assert.ok(r.includes("allNothing"));
    assert.ok(!r.includes("anyNothing"));
    assert.ok(route({ team: "db", sev: 1 }).includes("allNothing"));
    assert.ok(!route({ team: "db", sev: 1 }).includes("anyNothing"));
  });

  it("treats a binding argument with no value as: header present, any value", () => {
    assert.ok(route({ oncall: "ann" }).includes("presence"));
    assert.ok(route({ oncall: null }).includes("presence"));
    assert.ok(!route({}).includes("presence"));
  });

  it("never equates a number, a string and a boolean, nor a void header with a value", () => {
    assert.ok(!route({ team: "db", sev: "1" }).includes("allDefault"));
    assert.ok(!route({ paged: "true" }).includes("bool"));
    assert.ok(!route({ paged: 1 }).includes("bool"));
    assert.ok(route({ paged: true }).includes("bool"));
    assert.ok(!route({ team: null, sev: 1 }).includes("allDefault"));
  });

  it("compares arrays in order and tables key by key in order", () => {
    assert.ok(route({ tags: ["a", "b"] }).includes("array"));
    assert.ok(!route({ tags: ["b", "a"] }).includes("array"));
    assert.ok(route({ meta: { a: 1, b: 2 } }).includes("table"));
    assert.ok(!route({ meta: { b: 2, a: 1 } }).includes("table"));
  });

  it("refuses a binding whose x-match the broker would reject", () => {
    const bad = [bind("h", "q", "", { "x-match": "ALL" })];
    assert.throws(
      () =>
        new RoutingTable(
          topology({ exchanges: [exchange("h", "headers")], queues: queuesOf(bad), bindings: bad }),
        ),
      (e: unknown) =>
        e instanceof RoutingError && e.code === "invalid-binding" && /"ALL"/.test(e.message),
    );
  });
});

describe("exchange-to-exchange bindings", () => {
  it("routes transitively through a chain of exchanges, each with its own rules", () => {
    const bindings = [
      e2e("ingress", "by-team", "alert.#"),
      e2e("by-team", "fan"),
      bind("by-team", "team-q", "", { team: "db" }),
      bind("fan", "archive"),
      bind("fan", "audit"),
    ];
    const t = new RoutingTable(
      topology({
        exchanges: [
          exchange("ingress", "topic"),
          exchange("by-team", "headers", { internal: true }),
          exchange("fan", "fanout", { internal: true }),
        ],
        queues: queuesOf(bindings),
        bindings,
      }),
    );
    // The headers binding to `fan` has no arguments: "all" of nothing takes every message.
    assert.deepEqual(t.route(msg("ingress", "alert.cpu", { team: "db" })), [
      "archive",
      "audit",
      "team-q",
    ]);
    assert.deepEqual(t.route(msg("ingress", "alert.cpu", { team: "web" })), ["archive", "audit"]);
    assert.deepEqual(t.route(msg("ingress", "metric.cpu")), []);
  });

  it("visits each exchange once in a cycle and still delivers along it", () => {
    const bindings = [
      e2e("a", "b"),
      e2e("b", "a"),
      e2e("b", "b"),
      bind("a", "qa"),
      bind("b", "qb"),
    ];
    const t = new RoutingTable(
      topology({
        exchanges: [exchange("a", "fanout"), exchange("b", "fanout")],
        queues: queuesOf(bindings),
        bindings,
      }),
    );
    assert.deepEqual(t.route(msg("a")), ["qa", "qb"]);
    assert.deepEqual(t.route(msg("b")), ["qa", "qb"]);
  });

  it("delivers to a queue reached along several paths once", () => {
    const bindings = [
      e2e("top", "left"),
      e2e("top", "right"),
      bind("left", "q"),
      bind("right", "q"),
    ];
    const t = new RoutingTable(
      topology({
        exchanges: [
          exchange("top", "fanout"),
          exchange("left", "fanout"),
          exchange("right", "fanout"),
        ],
        queues: queuesOf(bindings),
        bindings,
      }),
    );
    assert.deepEqual(t.route(msg("top")), ["q"]);
  });

  it("ignores bindings to objects that are not declared, as the broker cannot create them", () => {
    const bindings = [bind("f", "ghost-q"), e2e("f", "ghost-x"), bind("f", "real")];
    const t = new RoutingTable(
      topology({ exchanges: [exchange("f", "fanout")], queues: [queue("real")], bindings }),
    );
    assert.deepEqual(t.route(msg("f")), ["real"]);
  });
});

describe("alternate exchanges", () => {
  const bindings = [
    bind("unrouted", "unrouted-q"),
    bind("unrouted-2", "unrouted-2-q"),
    bind("main", "main-q", "known"),
    e2e("main", "empty-downstream", "to-empty"),
    e2e("main", "downstream-with-ae", "to-ae"),
    bind("chain-end", "chain-q"),
  ];
  const exchanges = [
    exchange("unrouted", "fanout", { internal: true }),
    exchange("unrouted-2", "fanout"),
    exchange("main", "direct", { alternateExchange: "unrouted" }),
    exchange("empty-downstream", "direct"),
    exchange("downstream-with-ae", "direct", { arguments: { "alternate-exchange": "unrouted-2" } }),
    exchange("chain-start", "fanout", { alternateExchange: "chain-middle" }),
    exchange("chain-middle", "fanout", { alternateExchange: "chain-end" }),
    exchange("chain-end", "fanout"),
    exchange("loop-a", "fanout", { alternateExchange: "loop-b" }),
    exchange("loop-b", "fanout", { alternateExchange: "loop-a" }),
    exchange("dangling", "fanout", { alternateExchange: "no-such-exchange" }),
    exchange("to-default", "direct", { alternateExchange: "" }),
    exchange("self-bound", "direct", { alternateExchange: "unrouted" }),
  ];
  const all = [...bindings, e2e("self-bound", "self-bound", "me")];
  const t = new RoutingTable(topology({ exchanges, queues: queuesOf(all, ["me"]), bindings: all }));

  it("takes over when the exchange matches nothing, even if the AE is internal", () => {
    assert.deepEqual(t.route(msg("main", "unknown")), ["unrouted-q"]);
  });

  it("is not used when the exchange routed to a queue", () => {
    assert.deepEqual(t.route(msg("main", "known")), ["main-q"]);
  });

  it("is not used when the exchange matched an exchange that then dropped the message", () => {
    assert.deepEqual(t.route(msg("main", "to-empty")), []);
  });

  it("is used per exchange: the downstream exchange's own AE catches what it does not route", () => {
    assert.deepEqual(t.route(msg("main", "to-ae")), ["unrouted-2-q"]);
  });

  it("chains from AE to AE", () => {
    assert.deepEqual(t.route(msg("chain-start")), ["chain-q"]);
  });

  it("stops on AE cycles, missing AEs and an AE naming the default exchange", () => {
    assert.deepEqual(t.route(msg("loop-a")), []);
    assert.deepEqual(t.route(msg("dangling")), []);
    assert.deepEqual(t.route(msg("to-default", "me")), []);
  });

  it("is skipped for an exchange whose only match is a binding to itself", () => {
    assert.deepEqual(t.route(msg("self-bound", "me")), []);
    assert.deepEqual(t.route(msg("self-bound", "other")), ["unrouted-q"]);
  });

  it("comes from the single highest-priority policy when the exchange sets none itself", () => {
    const exs = [
      exchange("ae", "fanout"),
      exchange("p-low", "direct"),
      exchange("p-high", "direct"),
      exchange("p-own", "direct", { arguments: { "alternate-exchange": "own-ae" } }),
      exchange("own-ae", "fanout"),
    ];
    const bs = [bind("ae", "ae-q"), bind("own-ae", "own-q")];
    const pt = new RoutingTable(
      topology({
        exchanges: exs,
        queues: queuesOf(bs),
        bindings: bs,
        policies: [
          policy("with-ae", "^p-", 1, { "alternate-exchange": "ae" }),
          policy("hides-it", "^p-high$", 5, { "message-ttl": 1000 }),
        ],
      }),
    );
    assert.deepEqual(pt.route(msg("p-low", "x")), ["ae-q"]);
    assert.deepEqual(pt.route(msg("p-high", "x")), []);
    assert.deepEqual(pt.route(msg("p-own", "x")), ["own-q"]);
  });
});

describe("errors", () => {
  const t = new RoutingTable(
    topology({
      exchanges: [exchange("alerts", "topic"), exchange("inner", "fanout", { internal: true })],
    }),
  );

  it("names an undeclared vhost", () => {
    assert.throws(() => t.route({ vhost: "x", exchange: "alerts", routingKey: "" }), {
      name: "RoutingError",
      code: "unknown-vhost",
      message: 'vhost "x" is not declared',
    });
  });

  it("names an undeclared exchange and its vhost", () => {
    assert.throws(() => t.route(msg("alertz")), {
      code: "unknown-exchange",
      message: 'exchange "alertz" is not declared in vhost "alerting"',
    });
  });

  it("refuses a direct publish to an internal exchange unless asked to allow it", () => {
    assert.throws(() => t.route(msg("inner")), { code: "internal-exchange" });
    assert.deepEqual(t.route(msg("inner"), { allowInternal: true }), []);
  });

  it("keeps vhosts apart: an exchange of another vhost is unknown", () => {
    const two = topology({
      vhosts: [VH, "other"],
      exchanges: [{ ...exchange("only-other", "fanout"), vhost: "other" }],
    });
    assert.throws(() => routeMessage(two, msg("only-other")), { code: "unknown-exchange" });
    assert.deepEqual(
      routeMessage(two, { vhost: "other", exchange: "only-other", routingKey: "" }),
      [],
    );
  });
});

describe("results", () => {
  it("lists queue names sorted, each once", () => {
    const bindings = [bind("f", "zeta"), bind("f", "alpha"), bind("f", "mid"), bind("f", "alpha")];
    const r = routeMessage(
      topology({ exchanges: [exchange("f", "fanout")], queues: queuesOf(bindings), bindings }),
      msg("f"),
    );
    assert.deepEqual(r, ["alpha", "mid", "zeta"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The trie against a naive matcher written straight from the definition.

function naiveWords(key: string): string[] {
  return key === "" ? [] : key.split(".");
}

function naiveMatch(pattern: string[], key: string[]): boolean {
  if (pattern.length === 0) return key.length === 0;
  const [head, ...rest] = pattern;
  if (head === "#")
    return naiveMatch(rest, key) || (key.length > 0 && naiveMatch(pattern, key.slice(1)));
  return key.length > 0 && (head === "*" || head === key[0]) && naiveMatch(rest, key.slice(1));
}

describe("topic trie", () => {
  const word = fc.constantFrom("a", "b", "", "*", "#");
  const keyWord = fc.constantFrom("a", "b", "", "*", "#");
  const pattern = fc.array(word, { maxLength: 5 }).map((ws) => ws.join("."));
  const routingKey = fc.array(keyWord, { maxLength: 5 }).map((ws) => ws.join("."));

  it("matches exactly the binding keys a naive recursive matcher matches", () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 8 }), routingKey, (pats, key) => {
        const trie = new TopicTrie<number>();
        pats.forEach((p, i) => trie.add(p, i));
        const expected = pats
          .map((p, i) => (naiveMatch(naiveWords(p), naiveWords(key)) ? i : -1))
          .filter((i) => i >= 0);
        assert.deepEqual(
          [...trie.matchAll(key)].sort((x, y) => x - y),
          expected,
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with the naive matcher when routing through a topic exchange", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(pattern, { minLength: 1, maxLength: 6 }),
        routingKey,
        (pats, key) => {
          const bindings = pats.map((p, i) => bind("t", `q${i}`, p));
          const got = routeMessage(
            topology({ exchanges: [exchange("t", "topic")], queues: queuesOf(bindings), bindings }),
            msg("t", key),
          );
          const expected = pats
            .map((p, i) => (naiveMatch(naiveWords(p), naiveWords(key)) ? `q${i}` : ""))
            .filter((q) => q !== "")
            .sort();
          assert.deepEqual(got, expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
