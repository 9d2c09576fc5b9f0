// Access widening in `warren diff`: regexes that now match more, new users and tags, and topic
// permissions whose removal lets a user publish with any routing key.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type WarrenSpec, loadWarrenSpec } from "../../../components/config/spec";
import { accessFindings, literalNames, permits, widening } from "../../../review/access";

describe("literalNames", () => {
  const cases: [string, string[] | undefined][] = [
    ["", []],
    ["^$", []],
    ["^audit$", ["audit"]],
    ["^alerts\\.sms$", ["alerts.sms"]],
    ["^(alerts\\.retry|alerts\\.parked)$", ["alerts.retry", "alerts.parked"]],
    ["^(a\\-b|c\\/d)$", ["a-b", "c/d"]],
    ["^audit.*$", undefined],
    ["^a|b$", undefined],
    ["^(a)|(b)$", undefined],
    ["^a\\d$", undefined],
    [".*", undefined],
    ["audit", undefined],
  ];
  for (const [pattern, names] of cases) {
    it(`${names ? `reads ${JSON.stringify(pattern)} as the names ${JSON.stringify(names)}` : `does not read ${JSON.stringify(pattern)} as a list of names`}`, () => {
      assert.deepEqual(literalNames(pattern), names === undefined ? undefined : new Set(names));
    });
  }
});

describe("permits", () => {
  it("treats an empty permission as matching nothing, as RabbitMQ does", () => {
    assert.equal(permits("", "anything"), false);
    assert.equal(permits(undefined, "anything"), false);
    assert.equal(permits("audit", "my-audit-log"), true, "unanchored, like the broker");
  });
});

describe("widening", () => {
  const samples = ["audit", "audit.log", "billing"];

  it("lists the sample names a broadened regex now matches, and flags it as open-ended", () => {
    assert.deepEqual(widening("write", "^audit$", ".*", samples), {
      field: "write",
      before: "^audit$",
      after: ".*",
      newlyMatched: ["audit.log", "billing"],
      openEnded: true,
    });
  });

  it("compares two lists of names exactly, declared or not", () => {
    assert.deepEqual(widening("read", "^(a|b)$", "^(a|b|ghost)$", samples), {
      field: "read",
      before: "^(a|b)$",
      after: "^(a|b|ghost)$",
      newlyMatched: ["ghost"],
      openEnded: false,
    });
  });

  it("flags a pattern that starts matching names no one declared", () => {
    assert.equal(widening("read", "^audit.*", ".+", samples).openEnded, true);
  });

  it("does not flag a narrower pattern or an equally broad rewrite", () => {
    assert.deepEqual(widening("read", ".*", "^audit\\..*$", samples), {
      field: "read",
      before: ".*",
      after: "^audit\\..*$",
      newlyMatched: [],
      openEnded: false,
    });
    assert.deepEqual(widening("read", "^audit.*", "^audit", samples).newlyMatched, []);
    assert.equal(widening("read", "^audit.*", "^audit", samples).openEnded, false);
  });

  it("treats a permission the user did not have as matching nothing before", () => {
    assert.deepEqual(widening("read", undefined, "^audit\\.log$", samples).newlyMatched, [
      "audit.log",
    ]);
  });
});

function spec(topology: Record<string, unknown>, alerting?: Record<string, unknown>): WarrenSpec {
  return loadWarrenSpec({
    "warren:environment": "dev",
    "warren:topology": topology,
    ...(alerting ? { "warren:alerting": alerting } : {}),
  });
}

const base = {
  vhosts: [{ name: "v" }, { name: "w" }],
  users: [{ name: "app" }],
  permissions: [{ user: "app", vhost: "v", configure: "^$", write: "^in$", read: "^work$" }],
  topicPermissions: [{ user: "app", vhost: "v", exchange: "in", write: "^a\\..*$", read: "^$" }],
  exchanges: [{ name: "in", vhost: "v", type: "topic" }],
  queues: [
    { name: "work", vhost: "v" },
    { name: "other", vhost: "v" },
  ],
  bindings: [
    { vhost: "v", source: "in", destination: "work", routingKey: "a.b" },
    { vhost: "v", source: "in", destination: "other", routingKey: "c.d" },
  ],
};

describe("accessFindings", () => {
  it("finds nothing when access does not change or narrows", () => {
    assert.deepEqual(accessFindings(spec(base), spec(base)), []);
    const narrower = {
      ...base,
      permissions: [{ user: "app", vhost: "v", configure: "^$", write: "^$", read: "^work$" }],
    };
    assert.deepEqual(accessFindings(spec(base), spec(narrower)), []);
  });

  it("reports a read regex that now reaches another queue", () => {
    const wider = {
      ...base,
      permissions: [
        { user: "app", vhost: "v", configure: "^$", write: "^in$", read: "^(work|other)$" },
      ],
    };
    assert.deepEqual(accessFindings(spec(base), spec(wider)), [
      {
        vhost: "v",
        kind: "permission",
        user: "app",
        regexes: [
          {
            field: "read",
            before: "^work$",
            after: "^(work|other)$",
            newlyMatched: ["other"],
            openEnded: false,
          },
        ],
      },
    ]);
  });

  it("reports a topic permission that now allows more routing keys, sampled from binding keys", () => {
    const wider = {
      ...base,
      topicPermissions: [
        { user: "app", vhost: "v", exchange: "in", write: "^(a|c)\\..*$", read: "^$" },
      ],
    };
    assert.deepEqual(accessFindings(spec(base), spec(wider)), [
      {
        vhost: "v",
        kind: "topic permission",
        user: "app",
        exchange: "in",
        regexes: [
          {
            field: "write",
            before: "^a\\..*$",
            after: "^(a|c)\\..*$",
            newlyMatched: ["c.d"],
            openEnded: false,
          },
        ],
      },
    ]);
  });

  it("reports a removed topic permission: without one the user may publish with any routing key", () => {
    const gone = { ...base, topicPermissions: [] };
    assert.deepEqual(accessFindings(spec(base), spec(gone)), [
      {
        vhost: "v",
        kind: "topic permission",
        user: "app",
        exchange: "in",
        note: 'removed: with no topic permission, RabbitMQ authorises every routing key on "in"',
        regexes: [],
      },
    ]);
    // Removed together with the user's permissions in the vhost, it grants nothing.
    assert.deepEqual(accessFindings(spec(base), spec({ ...gone, permissions: [] })), []);
  });

  it("reports a new user's permissions, an existing user's permissions in another vhost, and new tags", () => {
    const after = {
      ...base,
      users: [
        { name: "app", tags: ["policymaker"] },
        { name: "ops", tags: ["monitoring"] },
        { name: "idle" },
      ],
      permissions: [
        ...base.permissions,
        { user: "ops", vhost: "v", configure: "^$", write: "^$", read: ".*" },
        { user: "app", vhost: "w", configure: "^$", write: "^$", read: "^$" },
      ],
    };
    assert.deepEqual(accessFindings(spec(base), spec(after)), [
      {
        vhost: "v",
        kind: "permission",
        user: "ops",
        note: "new user",
        regexes: [
          {
            field: "read",
            before: undefined,
            after: ".*",
            newlyMatched: [
              "amq.direct",
              "amq.fanout",
              "amq.headers",
              "amq.match",
              "amq.rabbitmq.trace",
              "amq.topic",
              "in",
              "other",
              "work",
            ],
            openEnded: true,
          },
        ],
      },
      {
        vhost: "w",
        kind: "permission",
        user: "app",
        note: "new in this vhost, matching none of the names here",
        regexes: [],
      },
      { kind: "user", user: "app", note: 'gains tag "policymaker"', regexes: [] },
      { kind: "user", user: "ops", note: 'new user with tag "monitoring"', regexes: [] },
    ]);
  });

  it("samples the alerting routing keys for the producer's topic permission", () => {
    const alerting = (channels: unknown[]) => ({
      severities: ["warning", "critical"],
      channels,
      retry: { delays: ["30s"] },
    });
    const before = spec({}, alerting([{ name: "email", minSeverity: "warning" }]));
    const after = spec(
      {},
      alerting([
        { name: "email", minSeverity: "warning" },
        { name: "sms", minSeverity: "critical" },
      ]),
    );
    const producer = accessFindings(before, after).find((f) => f.user === "alerts-producer");
    assert.deepEqual(
      producer?.regexes.map((w) => w.newlyMatched),
      [["critical.sms", "warning.sms"]],
    );
  });
});
