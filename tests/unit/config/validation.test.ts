// One test per config rule, each asserting the exact path-addressed message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { baseConfig, errorsOf, withTopology } from "../../support/config";

describe("config validation", () => {
  it("accepts the base fixture", () => {
    assert.deepEqual(errorsOf(baseConfig()), []);
  });

  it("rejects a reference to an undeclared vhost, suggesting the close one", () => {
    const c = withTopology((t) => (t.queues[0].vhost = "alertin"));
    // The queue now lives in the misspelt vhost, so the bindings to it in "alerting" break too.
    assert.deepEqual(errorsOf(c), [
      'warren:topology.queues[0].vhost: vhost "alertin" is not declared (did you mean "alerting"?)',
      'warren:topology.bindings[0].destination: queue "work" is not declared in vhost "alerting"',
      'warren:topology.bindings[2].destination: queue "work" is not declared in vhost "alerting"',
    ]);
  });

  it("rejects a binding whose source exchange is not declared in its vhost", () => {
    const c = withTopology((t) => (t.bindings[0].source = "alertz"));
    assert.deepEqual(errorsOf(c), [
      'warren:topology.bindings[0].source: exchange "alertz" is not declared in vhost "alerting" (did you mean "alerts"?)',
    ]);
  });

  it("rejects a binding to an undeclared queue", () => {
    const c = withTopology((t) => (t.bindings[1].destination = "nowhere"));
    assert.deepEqual(errorsOf(c), [
      'warren:topology.bindings[1].destination: queue "nowhere" is not declared in vhost "alerting"',
    ]);
  });

  it("rejects a binding to an exchange declared in another vhost only", () => {
    const c = withTopology((t) => {
      t.exchanges.push({ name: "elsewhere", vhost: "audit", type: "fanout" });
      t.bindings.push({
        vhost: "alerting",
        source: "alerts",
        destination: "elsewhere",
        destinationType: "exchange",
      });
    });
    assert.deepEqual(errorsOf(c), [
      'warren:topology.bindings[3].destination: exchange "elsewhere" is not declared in vhost "alerting"',
    ]);
  });

  it("accepts bindings from the built-in amq.* exchanges without declaring them", () => {
    const c = withTopology((t) =>
      t.bindings.push({
        vhost: "alerting",
        source: "amq.topic",
        destination: "work",
        routingKey: "#",
      }),
    );
    assert.deepEqual(errorsOf(c), []);
  });

  it("rejects binding the default exchange", () => {
    const c = withTopology((t) =>
      t.bindings.push({ vhost: "alerting", source: "", destination: "work" }),
    );
    assert.deepEqual(errorsOf(c), [
      'warren:topology.bindings[3].source: the default exchange "" cannot be bound; it routes by queue name',
    ]);
  });

  it("rejects an undeclared user in permissions", () => {
    const c = withTopology((t) => (t.permissions[0].user = "ap"));
    assert.deepEqual(errorsOf(c), [
      'warren:topology.permissions[0].user: user "ap" is not declared (did you mean "app"?)',
    ]);
  });

  it("lets permissions name the broker admin, which is not declared in the topology", () => {
    const c = withTopology((t) =>
      t.permissions.push({
        user: "admin",
        vhost: "audit",
        configure: ".*",
        write: ".*",
        read: ".*",
      }),
    );
    assert.deepEqual(errorsOf(c), []);
  });

  it("rejects duplicate queue names in one vhost but allows the same name in another", () => {
    const dup = withTopology((t) => t.queues.push({ name: "work", vhost: "alerting" }));
    assert.deepEqual(errorsOf(dup), [
      'warren:topology.queues[2].name: queue "work" is declared more than once in vhost "alerting"',
    ]);
    const other = withTopology((t) => t.queues.push({ name: "work", vhost: "audit" }));
    assert.deepEqual(errorsOf(other), []);
  });

  it("rejects duplicate exchanges, vhosts and users", () => {
    const c = withTopology((t) => {
      t.exchanges.push({ name: "dlx", vhost: "alerting", type: "fanout" });
      t.vhosts.push({ name: "audit" });
      t.users.push({ name: "app" });
    });
    assert.deepEqual(errorsOf(c), [
      'warren:topology.vhosts[2].name: vhost "audit" is declared more than once',
      'warren:topology.users[2].name: user "app" is declared more than once',
      'warren:topology.exchanges[4].name: exchange "dlx" is declared more than once in vhost "alerting"',
    ]);
  });

  it("measures the 255 limit on names and routing keys in bytes, not characters", () => {
    const c = withTopology((t) => {
      t.queues[1].name = "é".repeat(128); // 256 bytes in UTF-8, 128 characters
      t.bindings[1].destination = "é".repeat(128);
      t.bindings[0].routingKey = "k".repeat(256);
    });
    assert.deepEqual(errorsOf(c), [
      "warren:topology.queues[1].name: queue name is longer than 255 bytes",
      "warren:topology.bindings[0].routingKey: routing key is longer than 255 bytes",
    ]);
  });

  it("rejects user-declared names starting with amq.", () => {
    const c = withTopology((t) => {
      t.exchanges[2].name = "amq.mine";
      t.queues[0].name = "amq.q";
      t.bindings[0].destination = "amq.q";
      t.bindings[2].destination = "amq.q";
      t.queues[1].arguments = { "x-message-ttl": 60000, "x-dead-letter-exchange": "amq.mine" };
    });
    assert.deepEqual(errorsOf(c), [
      'warren:topology.exchanges[2].name: exchange name "amq.mine" starts with "amq.", which RabbitMQ reserves',
      'warren:topology.queues[0].name: queue name "amq.q" starts with "amq.", which RabbitMQ reserves',
    ]);
  });

  it("rejects quorum and stream queues that are not durable or are auto-delete", () => {
    const c = withTopology((t) => {
      t.queues[0].durable = false;
      t.queues.push({ name: "events", vhost: "alerting", type: "stream", autoDelete: true });
    });
    assert.deepEqual(errorsOf(c), [
      "warren:topology.queues[0].durable: quorum queues must be durable",
      "warren:topology.queues[2].autoDelete: stream queues cannot be auto-delete",
    ]);
  });

  it("checks queue argument types", () => {
    const c = withTopology((t) => {
      t.queues[1].arguments = { "x-message-ttl": -1, "x-max-length": "100", "x-expires": 1.5 };
    });
    assert.deepEqual(errorsOf(c), [
      "warren:topology.queues[1].arguments.x-message-ttl: must be a non-negative integer, got -1",
      'warren:topology.queues[1].arguments.x-max-length: must be a non-negative integer, got "100"',
      "warren:topology.queues[1].arguments.x-expires: must be an integer from 1 to 4294967295, got 1.5",
    ]);
  });

  it("rejects an unknown x-queue-type and one that contradicts the queue type", () => {
    const unknown = withTopology((t) => (t.queues[1].arguments = { "x-queue-type": "lazy" }));
    assert.deepEqual(errorsOf(unknown), [
      'warren:topology.queues[1].arguments.x-queue-type: must be one of "classic", "quorum", "stream", got "lazy"',
    ]);
    const contradicts = withTopology(
      (t) => (t.queues[0].arguments = { "x-queue-type": "classic" }),
    );
    assert.deepEqual(errorsOf(contradicts), [
      'warren:topology.queues[0].arguments.x-queue-type: contradicts the queue type "quorum"',
    ]);
  });

  it("takes the queue type from x-queue-type, then the vhost default, then classic", async () => {
    const { parseWarrenConfig } = await import("../../../components/config/spec");
    const c = withTopology((t) => {
      t.vhosts[1].defaultQueueType = "quorum";
      t.queues.push({ name: "a", vhost: "alerting", arguments: { "x-queue-type": "stream" } });
      t.queues.push({ name: "b", vhost: "audit" });
    });
    const r = parseWarrenConfig(c);
    assert.ok(r.ok);
    assert.deepEqual(
      r.spec.topology.queues.map((q) => `${q.name}:${q.type}`),
      ["work:quorum", "lost:classic", "a:stream", "b:quorum"],
    );
  });

  it("requires the dead-letter exchange to be declared", () => {
    const c = withTopology((t) => (t.queues[1].arguments = { "x-dead-letter-exchange": "dlq" }));
    assert.deepEqual(errorsOf(c), [
      'warren:topology.queues[1].arguments.x-dead-letter-exchange: dead-letter exchange "dlq" is not declared in vhost "alerting" (did you mean "dlx"?)',
    ]);
  });

  it("rejects arguments that do not apply to the queue type, and unknown ones", () => {
    const c = withTopology((t) => {
      t.queues[1].arguments = { "x-delivery-limit": 3, "x-max-lenght": 10 };
    });
    assert.deepEqual(errorsOf(c), [
      "warren:topology.queues[1].arguments.x-delivery-limit: does not apply to classic queues (only quorum)",
      'warren:topology.queues[1].arguments.x-max-lenght: unknown queue argument "x-max-lenght" (did you mean "x-max-length"?)',
    ]);
  });

  it("rejects a headers binding whose x-match is not all, any, all-with-x or any-with-x", () => {
    const c = withTopology((t) => (t.bindings[2].arguments = { "x-match": "some", team: "ops" }));
    assert.deepEqual(errorsOf(c), [
      'warren:topology.bindings[2].arguments.x-match: must be one of all, any, all-with-x, any-with-x, got "some"',
    ]);
  });

  it("rejects the same binding declared twice", () => {
    const c = withTopology((t) =>
      t.bindings.push({
        vhost: "alerting",
        source: "alerts",
        destination: "work",
        routingKey: "info.#",
      }),
    );
    assert.deepEqual(errorsOf(c), [
      "warren:topology.bindings[3]: duplicates the binding at warren:topology.bindings[0]",
    ]);
  });

  it("rejects unknown user tags and the guest user", () => {
    const c = withTopology((t) => {
      t.users[0].tags = ["managment"];
      t.users.push({ name: "guest" });
    });
    assert.deepEqual(errorsOf(c), [
      'warren:topology.users[0].tags[0]: unknown user tag "managment"; known tags: administrator, monitoring, management, policymaker, impersonator (did you mean "management"?)',
      'warren:topology.users[2].name: the "guest" user is not allowed (default credentials); declare a named user',
    ]);
  });

  it("rejects permission regexes that do not compile", () => {
    const c = withTopology((t) => (t.permissions[0].read = "^(work$"));
    assert.deepEqual(errorsOf(c), [
      'warren:topology.permissions[0].read: regular expression "^(work$" does not compile: /^(work$/: Unterminated group',
    ]);
  });

  it("rejects topic permissions on an exchange that is not a topic exchange", () => {
    const c = withTopology((t) => (t.topicPermissions[0].exchange = "unrouted"));
    assert.deepEqual(errorsOf(c), [
      'warren:topology.topicPermissions[0].exchange: topic permissions apply to topic exchanges; "unrouted" is a fanout exchange',
    ]);
  });

  it("rejects unknown policy keys, keys of the wrong target, and bad values", () => {
    const c = withTopology((t) => {
      t.policies[0].definition = {
        "max-lenght": 5,
        "alternate-exchange": "unrouted",
        "message-ttl": "soon",
      };
    });
    assert.deepEqual(errorsOf(c), [
      'warren:topology.policies[0].definition.max-lenght: unknown policy key "max-lenght" (did you mean "max-length"?)',
      "warren:topology.policies[0].definition.alternate-exchange: applies to exchanges, but the policy applies to queues",
      'warren:topology.policies[0].definition.message-ttl: must be a non-negative integer, got "soon"',
    ]);
  });

  it("limits operator policies to queues and to the keys RabbitMQ allows there", () => {
    const c = withTopology((t) => {
      t.operatorPolicies[0].applyTo = "all";
      t.operatorPolicies[0].definition = { "dead-letter-exchange": "dlx" };
    });
    assert.deepEqual(errorsOf(c), [
      'warren:topology.operatorPolicies[0].applyTo: operator policies apply to queues only, got "all"',
      'warren:topology.operatorPolicies[0].definition.dead-letter-exchange: unknown operator policy key "dead-letter-exchange"',
    ]);
  });

  it("rejects unknown config keys at every level, with a suggestion", () => {
    const c = baseConfig();
    c["warren:topolgy"] = {};
    const nested = withTopology((t) => (t.queues[0].typ = "quorum"));
    assert.deepEqual(errorsOf(c), [
      'warren:topolgy: unknown config key (did you mean "topology"?)',
    ]);
    assert.deepEqual(errorsOf(nested), [
      'warren:topology.queues[0].typ: unknown key (did you mean "type"?)',
    ]);
  });

  it("names the expected type and the value it got", () => {
    const c = withTopology((t) => {
      t.queues[0].durable = "yes";
      t.exchanges[0].type = "topik";
    });
    assert.deepEqual(errorsOf(c), [
      'warren:topology.exchanges[0].type: must be one of "direct", "fanout", "topic", "headers", got "topik" (did you mean "topic"?)',
      'warren:topology.queues[0].durable: must be a boolean, got string "yes"',
    ]);
  });

  it("reports every error of a config at once", () => {
    const c = withTopology((t) => {
      t.queues[1].arguments = { "x-message-ttl": "1h" };
      t.bindings[0].source = "nope";
      t.users[0].tags = ["root"];
      t.permissions[0].write = "(";
    });
    assert.deepEqual(errorsOf(c), [
      'warren:topology.users[0].tags[0]: unknown user tag "root"; known tags: administrator, monitoring, management, policymaker, impersonator',
      'warren:topology.queues[1].arguments.x-message-ttl: must be a non-negative integer, got "1h"',
      'warren:topology.bindings[0].source: exchange "nope" is not declared in vhost "alerting"',
      'warren:topology.permissions[0].write: regular expression "(" does not compile: /(/: Unterminated group',
    ]);
  });

  it("requires an environment among dev, staging and prod", () => {
    const c = baseConfig();
    c["warren:environment"] = "production";
    assert.deepEqual(errorsOf(c), [
      'warren:environment: must be one of "dev", "staging", "prod", got "production"',
    ]);
    delete c["warren:environment"];
    assert.deepEqual(errorsOf(c), ["warren:environment: is required"]);
  });

  it("ignores other namespaces' keys", () => {
    const c = baseConfig();
    c["rabbitmq:endpoint"] = "http://example.invalid";
    c["pulumi:tags"] = { team: "ops" };
    assert.deepEqual(errorsOf(c), []);
  });
});

describe("alerting config validation", () => {
  // The fixture has an "alerts" exchange in "alerting" already: the platform goes to "paging".
  const alerting = (a: Record<string, unknown>) => ({
    ...baseConfig(),
    "warren:alerting": { vhost: "paging", ...a },
  });

  it("expands the default alerting platform without errors", () => {
    assert.deepEqual(errorsOf(alerting({})), []);
  });

  it("rejects a channel whose minimum severity is not a severity", () => {
    assert.deepEqual(errorsOf(alerting({ channels: [{ name: "sms", minSeverity: "critcal" }] })), [
      'warren:alerting.channels[0].minSeverity: severity "critcal" is not one of info, warning, error, critical (did you mean "critical"?)',
    ]);
  });

  it("reserves the channel name all and rejects duplicate channels", () => {
    const c = alerting({
      channels: [
        { name: "all", minSeverity: "info" },
        { name: "sms", minSeverity: "error" },
        { name: "sms", minSeverity: "info" },
      ],
    });
    assert.deepEqual(errorsOf(c), [
      'warren:alerting.channels[0].name: "all" is reserved for alerts sent to every channel',
      'warren:alerting.channels[2].name: channel "sms" is listed more than once',
    ]);
  });

  it("rejects retry delays that are not durations", () => {
    assert.deepEqual(errorsOf(alerting({ retry: { delays: ["5s", "soon"] } })), [
      'warren:alerting.retry.delays[1]: must be a duration like "5s", "30s", "5m", "1h" or "250ms"',
    ]);
  });

  it("rejects a hand-written queue that collides with a generated one", () => {
    const c = withTopology((t) =>
      t.queues.push({ name: "alerts.sms", vhost: "paging", type: "quorum" }),
    );
    const errors = errorsOf({ ...c, "warren:alerting": { vhost: "paging" } });
    assert.deepEqual(errors, [
      'warren:topology.queues[2].name: queue "alerts.sms" is declared more than once in vhost "paging"',
    ]);
  });

  it("rejects passwords for users that are not declared", () => {
    const c = { ...baseConfig(), "warren:passwords": { ap: "x" } };
    assert.deepEqual(errorsOf(c), [
      'warren:passwords.ap: user "ap" is not declared (did you mean "app"?)',
    ]);
  });
});
