// The warren program: the stack's config read into the typed spec, the spec built into components
// (components/platform), and what operators need exported.
import * as pulumi from "@pulumi/pulumi";
import { alertRoutes } from "./components/alerting/matrix";
import { readProgramConfig } from "./components/config/pulumi-config";
import { buildPlatform } from "./components/platform/platform";
import { tuneForLargeStacks } from "./components/platform/tuning";

export = async () => {
  tuneForLargeStacks();
  const { spec, admin, runtime, topology, consumers } = await buildPlatform(
    readProgramConfig(),
    pulumi.getStack(),
  );
  const cluster = runtime?.cluster;
  const alerting = spec.alerting;
  return {
    environment: spec.environment,
    consumers: consumers?.workloads,
    sinkUrl: runtime?.sink?.url,
    runtime: spec.runtime,
    managementUrl: admin.url,
    amqpEndpoint: cluster?.amqpEndpointFromHost,
    /** Every node's AMQP endpoint: producers rotate over them (apps/producer). */
    amqpEndpoints: cluster?.amqpEndpointsFromHost,
    /** With `warren:cluster.tls` on: the CA clients trust; the endpoints are then amqps/https. */
    caCertificate: cluster?.caCert,
    nodes: cluster?.nodeNames,
    adminPassword: cluster?.adminPassword,
    vhosts: topology.vhostNames,
    users: topology.userNames,
    queues: topology.queueNames,
    credentials: topology.userPasswords,
    /** What `pulumi destroy` keeps on the broker (prod: vhosts and queues, with their messages). */
    retainedOnDestroy: topology.retainedOnDelete,
    alertRouting: alerting ? alertRoutes(alerting, spec.topology) : undefined,
    alertingEndpoint: alerting
      ? { vhost: alerting.vhost, exchange: alerting.exchange, producerUser: alerting.producerUser }
      : undefined,
  };
};
