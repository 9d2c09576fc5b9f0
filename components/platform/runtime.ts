// The runtime of a stack that runs its own nodes: its cluster, how it starts the dispatchers, and
// (Docker dev stacks) the sink. The one place a runtime's folder, and with it its provider SDK,
// is loaded: lazily, so a stack loads only its own runtime's SDK.
import type * as pulumi from "@pulumi/pulumi";
import type { ConsumersArgs } from "../alerting/consumer-files";
import type { ClusterOutputs } from "../cluster/credentials";
import { defaultDockerNetwork } from "../core/naming";
import type { DockerStackSpec, KubernetesStackSpec } from "../config/spec";

export interface Workloads {
  readonly workloads: pulumi.Output<Record<string, string[]>>;
}

export interface RuntimeParts {
  readonly cluster: pulumi.ComponentResource & ClusterOutputs;
  /** Creates the dispatchers (named `name`) on this runtime. */
  consumers(name: string, args: ConsumersArgs, opts: pulumi.ComponentResourceOptions): Workloads;
  /** Docker dev stacks: the sink standing in for every alert target. */
  readonly sink?: { readonly url: pulumi.Output<string> };
}

export async function runtimeParts(
  spec: DockerStackSpec | KubernetesStackSpec,
  stack: string,
): Promise<RuntimeParts> {
  return spec.runtime === "docker" ? dockerParts(spec, stack) : kubernetesParts(spec);
}

async function dockerParts(spec: DockerStackSpec, stack: string): Promise<RuntimeParts> {
  const docker = await import("../runtimes/docker");
  const network = spec.docker.network ?? defaultDockerNetwork(stack);
  const cluster = new docker.DockerCluster("warren", {
    spec: spec.cluster,
    environment: spec.environment,
    network,
    managementPort: spec.docker.managementPort,
    amqpPort: spec.docker.amqpPort,
    retainVolumes: spec.docker.retainVolumes,
  });
  const sink = spec.docker.sink
    ? new docker.Sink(
        "sink",
        { network, ...spec.docker.sink, retainData: spec.docker.retainVolumes },
        { dependsOn: [cluster] },
      )
    : undefined;
  return {
    cluster,
    sink,
    consumers: (name, args, opts) => new docker.DockerConsumers(name, { ...args, network }, opts),
  };
}

async function kubernetesParts(spec: KubernetesStackSpec): Promise<RuntimeParts> {
  const kubernetes = await import("../runtimes/kubernetes");
  const cluster = new kubernetes.KubernetesCluster("warren", {
    spec: spec.cluster,
    environment: spec.environment,
    namespace: spec.kubernetes.namespace,
    createNamespace: spec.kubernetes.createNamespace,
    managementUrl: spec.kubernetes.managementUrl,
  });
  const namespace = spec.consumers?.namespace ?? spec.kubernetes.namespace;
  return {
    cluster,
    consumers: (name, args, opts) =>
      new kubernetes.KubernetesConsumers(name, { ...args, namespace }, opts),
  };
}
