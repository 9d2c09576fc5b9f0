// The warren program: read the stack config, check the broker, build the components, and export
// what operators need. Nothing else lives here.
import * as rabbitmq from "@pulumi/rabbitmq";
import { alertRoutes } from "./components/alerting/matrix";
import { readProgramConfig } from "./components/config/pulumi-config";
import { tuneForLargeStacks } from "./components/runtime-tuning";
import { Topology } from "./components/topology/topology";

export = async () => {
  tuneForLargeStacks();
  const { spec, broker, passwords } = readProgramConfig();
  // Under the engine (not under unit-test mocks, which have no broker), fail early and clearly.
  if (process.env.PULUMI_NODEJS_MONITOR) await broker.check();

  const provider = new rabbitmq.Provider("broker", {
    endpoint: broker.managementUrl,
    username: broker.username,
    password: broker.password,
    insecure: broker.insecure,
  });

  const topology = new Topology(
    "warren",
    {
      topology: spec.topology,
      environment: spec.environment,
      passwords,
      management: { url: broker.managementUrl, username: broker.username, password: broker.password },
    },
    { providers: { rabbitmq: provider } },
  );

  return {
    environment: spec.environment,
    managementUrl: broker.managementUrl,
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
