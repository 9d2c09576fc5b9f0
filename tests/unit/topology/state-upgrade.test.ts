// The one-time state upgrade: the per-object topology's resources leave the state, every other
// resource and every reference to a kept resource stays, and a state that needs nothing is
// returned as it is.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type StackExport, upgradeState } from "../../../components/topology/state-upgrade";

const STACK = "urn:pulumi:dev::warren::";
const TOPOLOGY = `${STACK}warren:rabbitmq:Topology::warren`;
const PROVIDER = `${STACK}pulumi:providers:rabbitmq::broker`;
const DYNAMIC = `${STACK}pulumi:providers:pulumi-nodejs::default`;
const under = (type: string, name: string) => `${STACK}warren:rabbitmq:Topology$${type}::${name}`;
const QUEUE = under("rabbitmq:index/queue:Queue", "warren:queue:alerting/alerts.sms");
const USER = under("rabbitmq:index/user:User", "warren:user:dispatcher");
const VHOST = under("pulumi-nodejs:dynamic:Resource", "warren:vhost:alerting");
const PASSWORD = under("pulumi-nodejs:dynamic:Resource", "warren:password:dispatcher");
const CLUSTER_PASSWORD = `${STACK}pulumi-nodejs:dynamic:Resource::rabbit-admin-password`;
const CONSUMER = `${STACK}docker:index/container:Container::dispatcher-sms`;

function legacyState(): StackExport {
  return {
    version: 3,
    deployment: {
      manifest: { time: "2026-11-30T00:00:00Z" },
      resources: [
        { urn: `${STACK}pulumi:pulumi:Stack::warren-dev`, type: "pulumi:pulumi:Stack" },
        { urn: DYNAMIC, type: "pulumi:providers:pulumi-nodejs", custom: true, id: "p1" },
        {
          urn: CLUSTER_PASSWORD,
          type: "pulumi-nodejs:dynamic:Resource",
          provider: `${DYNAMIC}::p1`,
        },
        { urn: PROVIDER, type: "pulumi:providers:rabbitmq", custom: true, id: "p2" },
        {
          urn: TOPOLOGY,
          type: "warren:rabbitmq:Topology",
          parent: `${STACK}pulumi:pulumi:Stack::warren-dev`,
        },
        {
          urn: VHOST,
          type: "pulumi-nodejs:dynamic:Resource",
          parent: TOPOLOGY,
          provider: `${DYNAMIC}::p1`,
        },
        {
          urn: PASSWORD,
          type: "pulumi-nodejs:dynamic:Resource",
          parent: TOPOLOGY,
          provider: `${DYNAMIC}::p1`,
        },
        {
          urn: USER,
          type: "rabbitmq:index/user:User",
          parent: TOPOLOGY,
          provider: `${PROVIDER}::p2`,
          dependencies: [PASSWORD],
          propertyDependencies: { password: [PASSWORD] },
        },
        {
          urn: QUEUE,
          type: "rabbitmq:index/queue:Queue",
          parent: TOPOLOGY,
          provider: `${PROVIDER}::p2`,
          dependencies: [VHOST],
        },
        {
          urn: CONSUMER,
          type: "docker:index/container:Container",
          dependencies: [CLUSTER_PASSWORD, USER, TOPOLOGY],
          propertyDependencies: { envs: [USER, CLUSTER_PASSWORD] },
          deletedWith: USER,
        },
      ],
    },
  };
}

describe("upgradeState", () => {
  it("drops the per-object topology and its rabbitmq provider, and nothing else", () => {
    const { state, dropped, byType } = upgradeState(legacyState());
    assert.deepEqual(dropped, [PROVIDER, VHOST, PASSWORD, USER, QUEUE]);
    assert.deepEqual(byType, {
      "pulumi:providers:rabbitmq": 1,
      "pulumi-nodejs:dynamic:Resource": 2,
      "rabbitmq:index/user:User": 1,
      "rabbitmq:index/queue:Queue": 1,
    });
    const urns = (state.deployment.resources ?? []).map((r) => r.urn);
    assert.deepEqual(urns, [
      `${STACK}pulumi:pulumi:Stack::warren-dev`,
      DYNAMIC,
      CLUSTER_PASSWORD, // a dynamic resource outside the topology stays
      TOPOLOGY,
      CONSUMER,
    ]);
  });

  it("removes every reference to a dropped resource and keeps the rest", () => {
    const consumer = upgradeState(legacyState()).state.deployment.resources?.at(-1);
    assert.deepEqual(consumer?.dependencies, [CLUSTER_PASSWORD, TOPOLOGY]);
    assert.deepEqual(consumer?.propertyDependencies, { envs: [CLUSTER_PASSWORD] });
    assert.equal(consumer?.deletedWith, undefined);
    assert.equal(consumer?.type, "docker:index/container:Container");
  });

  it("drops pending operations on dropped resources only", () => {
    const s = legacyState();
    s.deployment.pending_operations = [
      {
        type: "creating",
        resource: { urn: QUEUE, type: "rabbitmq:index/queue:Queue", parent: TOPOLOGY },
      },
      { type: "updating", resource: { urn: CONSUMER, type: "docker:index/container:Container" } },
    ];
    const ops = upgradeState(s).state.deployment.pending_operations ?? [];
    assert.deepEqual(
      ops.map((o) => o.resource.urn),
      [CONSUMER],
    );
  });

  it("returns a batched state as it is", () => {
    const s: StackExport = {
      version: 3,
      deployment: {
        resources: [
          { urn: TOPOLOGY, type: "warren:rabbitmq:Topology" },
          {
            urn: under("pulumi-nodejs:dynamic/warren:VhostObjects", "warren:vhost:alerting"),
            type: "pulumi-nodejs:dynamic/warren:VhostObjects",
            parent: TOPOLOGY,
          },
          {
            urn: under("pulumi-nodejs:dynamic/warren:BrokerAccess", "warren:access"),
            type: "pulumi-nodejs:dynamic/warren:BrokerAccess",
            parent: TOPOLOGY,
          },
        ],
      },
    };
    const r = upgradeState(s);
    assert.equal(r.state, s);
    assert.deepEqual(r.dropped, []);
  });

  it("refuses a state where something outside the topology uses the rabbitmq provider", () => {
    const s = legacyState();
    s.deployment.resources?.push({
      urn: `${STACK}rabbitmq:index/queue:Queue::hand-made`.replace("rabbitmq:index", "x:index"),
      type: "x:index/thing:Thing",
      provider: `${PROVIDER}::p2`,
    });
    assert.throws(
      () => upgradeState(s),
      /uses the rabbitmq provider but is not part of the topology/,
    );
  });
});
