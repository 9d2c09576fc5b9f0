// The warren program: read the stack config, build the cluster (Docker or Kubernetes runtime) or
// check the external broker, build the topology on it, and export what operators need.
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
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
  if (spec.runtime === "docker") {
    const { DockerCluster } = await import("./components/cluster/docker");
    cluster = new DockerCluster("warren", {
      spec: spec.cluster!,
      environment: spec.environment,
      network: spec.docker!.network ?? `warren-${pulumi.getStack()}`,
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

  return {
    environment: spec.environment,
    runtime: spec.runtime,
    managementUrl: admin.url,
    amqpEndpoint: cluster?.amqpEndpointFromHost,
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
