// The spec turned into the stack's components: the runtime's cluster (or a check of the external
// broker), the topology on it, the dispatchers and, on a Docker dev stack, the sink. index.ts
// only wires this to the stack's exports.
import * as pulumi from "@pulumi/pulumi";
import { planConsumers } from "../alerting/consumer-plan";
import type { ProgramConfig } from "../config/pulumi-config";
import type { WarrenSpec } from "../config/spec";
import { Topology } from "../topology/topology";
import { checkBroker } from "./broker-check";
import { type RuntimeParts, type Workloads, runtimeParts } from "./runtime";

/** How the topology's provider reaches the management API as an administrator. */
export interface AdminConnection {
  readonly url: pulumi.Output<string>;
  readonly username: pulumi.Output<string>;
  readonly password: pulumi.Output<string>;
  readonly insecure: boolean;
}

export interface Platform {
  readonly spec: WarrenSpec;
  readonly admin: AdminConnection;
  /** Undefined for an external broker. */
  readonly runtime?: RuntimeParts;
  readonly topology: Topology;
  readonly consumers?: Workloads;
}

/** The name of the dispatchers' component; it was "dispatchers" before their names derived from it. */
const CONSUMERS = "dispatcher";
const CONSUMERS_BEFORE = "dispatchers";

export async function buildPlatform(config: ProgramConfig, stack: string): Promise<Platform> {
  const { spec, passwords } = config;
  const runtime = spec.runtime === "external" ? undefined : await runtimeParts(spec, stack);
  // Under the engine (not under unit-test mocks, which have no broker), fail early and clearly.
  if (spec.runtime === "external" && spec.broker && process.env.PULUMI_NODEJS_MONITOR)
    await checkBroker({ ...spec.broker, password: spec.broker.password as string });
  const admin = runtime ? clusterAdmin(runtime) : brokerAdmin(config);
  const dependsOn = runtime ? [runtime.cluster] : [];

  // The topology waits for the cluster: the management URL resolves once the nodes are up.
  const management = {
    url: admin.url,
    username: admin.username,
    password: admin.password,
    ...(runtime?.cluster.caCert ? { ca: runtime.cluster.caCert } : {}),
  };
  const topology = new Topology(
    "warren",
    { topology: spec.topology, environment: spec.environment, passwords, management },
    { dependsOn },
  );

  const consumers =
    runtime && spec.runtime !== "external" && spec.alerting && spec.consumers
      ? runtime.consumers(
          CONSUMERS,
          {
            alerting: spec.alerting,
            consumers: planConsumers(spec.consumers, spec.alerting),
            image: spec.consumers.image,
            amqpEndpoints: runtime.cluster.amqpEndpoints,
            ...(runtime.cluster.caCert ? { ca: runtime.cluster.caCert } : {}),
            passwords: topology.userPasswords,
          },
          // Consumers start once their users, queues and permissions exist.
          { dependsOn: [topology], aliases: [{ name: CONSUMERS_BEFORE }] },
        )
      : undefined;
  return { spec, admin, runtime, topology, consumers };
}

function clusterAdmin({ cluster }: RuntimeParts): AdminConnection {
  return {
    url: cluster.managementUrl,
    username: cluster.adminUsername,
    password: cluster.adminPassword,
    insecure: false,
  };
}

function brokerAdmin({ broker }: ProgramConfig): AdminConnection {
  // readProgramConfig refuses an external stack without a usable warren:broker.
  if (!broker)
    throw new pulumi.RunError('warren:broker: is required when warren:runtime is "external"');
  return {
    url: pulumi.output(broker.managementUrl),
    username: pulumi.output(broker.username),
    password: broker.password,
    insecure: broker.insecure,
  };
}
