// Property tests over generated configs: valid ones pass; a corrupted field is rejected with an
// error at that field's path; nothing throws.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseWarrenConfig } from "../../../components/config/spec";

type Obj = Record<string, unknown>;
interface Generated {
  config: Record<string, unknown>;
  topology: {
    vhosts: Obj[];
    users: Obj[];
    permissions: Obj[];
    exchanges: Obj[];
    queues: Obj[];
    bindings: Obj[];
  };
}

const NAMES = [
  "orders",
  "alerts",
  "audit",
  "sms",
  "mail",
  "ops",
  "a.b",
  "x-1",
  "é",
  "long.name.here",
];
const TYPES = ["direct", "fanout", "topic", "headers"] as const;
const QTYPES = ["classic", "quorum", "stream"] as const;

/** A valid config: every reference points at a declared object, names are unique per vhost. */
const validConfig: fc.Arbitrary<Generated> = fc
  .record({
    vhostCount: fc.integer({ min: 1, max: 3 }),
    exchanges: fc.array(
      fc.record({ v: fc.nat(), n: fc.nat(), t: fc.constantFrom(...TYPES), durable: fc.boolean() }),
      { maxLength: 8 },
    ),
    queues: fc.array(
      fc.record({
        v: fc.nat(),
        n: fc.nat(),
        t: fc.constantFrom(...QTYPES),
        ttl: fc.option(fc.nat({ max: 1e9 })),
      }),
      { maxLength: 8 },
    ),
    bindings: fc.array(
      fc.record({
        x: fc.nat(),
        q: fc.nat(),
        key: fc.stringMatching(/^[a-z#*]{0,5}(\.[a-z#*]{1,5}){0,3}$/),
      }),
      { maxLength: 10 },
    ),
    users: fc.array(fc.record({ tags: fc.subarray(["management", "monitoring", "policymaker"]) }), {
      maxLength: 3,
    }),
  })
  .map(({ vhostCount, exchanges, queues, bindings, users }) => {
    const vhosts = Array.from({ length: vhostCount }, (_, i) => ({ name: `vh${i}` }));
    const uniq = <T extends { v: number; n: number }>(list: T[]) => {
      const seen = new Set<string>();
      return list.filter((o) => {
        const k = `${o.v % vhostCount}/${o.n % NAMES.length}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    };
    const xs = uniq(exchanges).map((x) => ({
      name: `ex-${NAMES[x.n % NAMES.length]}`,
      vhost: `vh${x.v % vhostCount}`,
      type: x.t,
      durable: x.durable,
    }));
    const qs = uniq(queues).map((q) => ({
      name: `q-${NAMES[q.n % NAMES.length]}`,
      vhost: `vh${q.v % vhostCount}`,
      type: q.t,
      ...(q.ttl !== null && q.t !== "stream" ? { arguments: { "x-message-ttl": q.ttl } } : {}),
    }));
    const seenB = new Set<string>();
    const bs =
      xs.length && qs.length
        ? bindings.flatMap((b) => {
            const x = xs[b.x % xs.length];
            const sameVhost = qs.filter((q) => q.vhost === x.vhost);
            if (!sameVhost.length) return [];
            const q = sameVhost[b.q % sameVhost.length];
            const id = `${x.vhost}/${x.name}/${q.name}/${b.key}`;
            if (seenB.has(id)) return [];
            seenB.add(id);
            return [
              {
                vhost: x.vhost,
                source: x.name,
                destination: q.name,
                routingKey: b.key,
                ...(x.type === "headers" ? { arguments: { "x-match": "any", k: b.key } } : {}),
              },
            ];
          })
        : [];
    const us = users.map((u, i) => ({ name: `user${i}`, tags: u.tags }));
    const perms = us.map((u, i) => ({
      user: u.name,
      vhost: `vh${i % vhostCount}`,
      configure: "^$",
      write: "^ex-.*$",
      read: "^q-(sms|mail)$",
    }));
    const topology = {
      vhosts,
      users: us,
      permissions: perms,
      exchanges: xs,
      queues: qs,
      bindings: bs,
    };
    return { topology, config: { "warren:environment": "staging", "warren:topology": topology } };
  });

type Corruption = { kind: string; apply: (g: Generated) => string | undefined };

/** Each corrupts one field of a generated config and returns its path (undefined: not applicable). */
const CORRUPTIONS: Corruption[] = [
  {
    kind: "undeclared vhost",
    apply: (g) => at(g.topology.queues, (q, i) => ((q.vhost = "nowhere"), `queues[${i}].vhost`)),
  },
  {
    kind: "undeclared source",
    apply: (g) =>
      at(g.topology.bindings, (b, i) => ((b.source = "ex-missing"), `bindings[${i}].source`)),
  },
  {
    kind: "bad enum",
    apply: (g) => at(g.topology.queues, (q, i) => ((q.type = "quorom"), `queues[${i}].type`)),
  },
  {
    kind: "unknown key",
    apply: (g) =>
      at(g.topology.exchanges, (x, i) => ((x.duarble = true), `exchanges[${i}].duarble`)),
  },
  {
    kind: "bad argument",
    apply: (g) =>
      at(
        g.topology.queues,
        (q, i) => ((q.arguments = { "x-max-length": -5 }), `queues[${i}].arguments.x-max-length`),
      ),
  },
  {
    kind: "bad regex",
    apply: (g) => at(g.topology.permissions, (p, i) => ((p.read = "(["), `permissions[${i}].read`)),
  },
  {
    kind: "wrong type",
    apply: (g) =>
      at(g.topology.exchanges, (x, i) => ((x.durable = "yes"), `exchanges[${i}].durable`)),
  },
  {
    kind: "unknown tag",
    apply: (g) => at(g.topology.users, (u, i) => ((u.tags = ["root"]), `users[${i}].tags[0]`)),
  },
  {
    kind: "amq prefix",
    apply: (g) =>
      at(g.topology.exchanges, (x, i) => ((x.name = "amq.custom"), `exchanges[${i}].name`)),
  },
  {
    kind: "long key",
    apply: (g) =>
      at(
        g.topology.bindings,
        (b, i) => ((b.routingKey = "k".repeat(300)), `bindings[${i}].routingKey`),
      ),
  },
];

function at(list: Obj[], f: (o: Obj, i: number) => string): string | undefined {
  if (!list.length) return undefined;
  const i = list.length - 1;
  return `warren:topology.${f(list[i], i)}`;
}

describe("generated configs", () => {
  it("accepts every valid generated config", () => {
    fc.assert(
      fc.property(validConfig, (g) => {
        const r = parseWarrenConfig(g.config);
        assert.ok(r.ok, r.ok ? "" : r.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects each corrupted config with an error at the corrupted field", () => {
    let applied = 0;
    fc.assert(
      fc.property(validConfig, fc.constantFrom(...CORRUPTIONS), (g, c) => {
        const path = c.apply(g);
        fc.pre(path !== undefined);
        applied++;
        const r = parseWarrenConfig(g.config);
        assert.equal(r.ok, false, `${c.kind} at ${path} was accepted`);
        if (!r.ok)
          assert.ok(
            r.issues.some((i) => i.path === path),
            `${c.kind}: no error at ${path}; got\n${r.issues.map((i) => `${i.path}: ${i.message}`).join("\n")}`,
          );
      }),
      { numRuns: 1500 },
    );
    assert.ok(applied >= 1000, `only ${applied} corrupted configs were checked`);
  });

  it("never throws on arbitrary JSON in place of the topology", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        parseWarrenConfig({ "warren:environment": "dev", "warren:topology": v });
      }),
      { numRuns: 1000 },
    );
  });
});
