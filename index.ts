// The warren program: read the stack config, build the cluster (Docker or Kubernetes runtime) or
// check the external broker, build the topology on it, and export what operators need.
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import { planConsumers } from "./components/alerting/dispatcher-env";
import { alertRoutes } from "./components/alerting/matrix";
import type { ClusterOutputs } from "./components/cluster/credentials";
import { readProgramConfig } from "./components/config/pulumi-config";
import { tuneForLargeStacks } from "./components/runtime-tuning";
import { Topology } from "./components/topology/topology";

export = async () => {
  tuneForLargeStacks();
  const { spec, broker, passwords } = readProgramConfig();

  // Required lazily: a stack loads only the provider SDK of its runtime.
  let cluster: (pulumi.ComponentResource & ClusterOutputs) | undefined;
  const dockerNetwork = spec.docker?.network ?? `warren-${pulumi.getStack()}`;
  if (spec.runtime === "docker") {
    const { DockerCluster } = await import("./components/cluster/docker");
    cluster = new DockerCluster("warren", {
      spec: spec.cluster!,
      environment: spec.environment,
      network: dockerNetwork,
      managementPort: spec.docker!.managementPort,
      amqpPort: spec.docker!.amqpPort,
      retainVolumes: spec.docker!.retainVolumes,
    });
  } else if (spec.runtime === "kubernetes") {
    const { KubernetesCluster } = await import("./components/cluster/kubernetes");
    cluster = new KubernetesCluster("warren", {
      spec: spec.cluster!,
      environment: spec.environment,
      namespace: spec.kubernetes!.namespace,
      createNamespace: spec.kubernetes!.createNamespace,
      managementUrl: spec.kubernetes!.managementUrl,
    });
  } else if (process.env.PULUMI_NODEJS_MONITOR) {
    // Under the engine (not under unit-test mocks, which have no broker), fail early and clearly.
    await broker!.check();
  }

  const admin = cluster
    ? { url: cluster.managementUrl, username: cluster.adminUsername, password: cluster.adminPassword, insecure: false }
    : { url: pulumi.output(broker!.managementUrl), username: pulumi.output(broker!.username), password: broker!.password, insecure: broker!.insecure };

  // The topology waits for the cluster: its provider's endpoint resolves once the nodes are up.
  const provider = new rabbitmq.Provider(
    "broker",
    { endpoint: admin.url, username: admin.username, password: admin.password, insecure: admin.insecure },
    { dependsOn: cluster ? [cluster] : [] },
  );
  const topology = new Topology(
    "warren",
    {
      topology: spec.topology,
      environment: spec.environment,
      passwords,
      management: { url: admin.url, username: admin.username, password: admin.password },
    },
    { providers: { rabbitmq: provider }, dependsOn: cluster ? [cluster] : [] },
  );

  const sink =
    spec.runtime === "docker" && spec.docker?.sink
      ? new (await import("./components/dev/sink")).Sink(
          "sink",
          { network: dockerNetwork, ...spec.docker.sink, retainData: spec.docker.retainVolumes },
          { dependsOn: cluster ? [cluster] : [] },
        )
      : undefined;

  const consumers =
    cluster && spec.alerting && spec.consumers
      ? new (await import("./components/alerting/consumers")).Consumers(
          "dispatchers",
          {
            runtime: spec.runtime as "docker" | "kubernetes",
            alerting: spec.alerting,
            consumers: planConsumers(spec.consumers, spec.alerting),
            image: spec.consumers.image,
            amqpEndpoints: cluster.amqpEndpoints,
            passwords: topology.userPasswords,
            namespace: spec.consumers.namespace ?? spec.kubernetes?.namespace,
            network: spec.runtime === "docker" ? dockerNetwork : undefined,
          },
          // Consumers start once their users, queues and permissions exist.
          { dependsOn: [topology] },
        )
      : undefined;

  return {
    environment: spec.environment,
    consumers: consumers?.workloads,
    sinkUrl: sink?.url,
    runtime: spec.runtime,
    managementUrl: admin.url,
    amqpEndpoint: cluster?.amqpEndpointFromHost,
    /** Every node's AMQP endpoint: producers rotate over them (apps/producer). */
    amqpEndpoints: cluster?.amqpEndpointsFromHost,
    nodes: cluster?.nodeNames,
    adminPassword: cluster?.adminPassword,
    vhosts: topology.vhostNames,
    users: topology.userNames,
    queues: topology.queueNames,
    credentials: topology.userPasswords,
    /** What `pulumi destroy` keeps on the broker (prod: vhosts and queues, with their messages). */
    retainedOnDestroy: topology.retainedOnDelete,
    alertRouting: spec.alerting ? alertRoutes(spec.alerting, spec.topology) : undefined,
    alertingEndpoint: spec.alerting
      ? { vhost: spec.alerting.vhost, exchange: spec.alerting.exchange, producerUser: spec.alerting.producerUser }
      : undefined,
  };
};
