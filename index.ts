// The warren program: read the stack config, build the components, export what operators need.
import * as rabbitmq from "@pulumi/rabbitmq";
import { alertRoutes } from "./components/alerting/matrix";
import { readProgramConfig } from "./components/config/pulumi-config";
import { tuneForLargeStacks } from "./components/runtime-tuning";
import { Topology } from "./components/topology/topology";

tuneForLargeStacks();
const { spec, broker, passwords } = readProgramConfig();

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

export const environment = spec.environment;
export const managementUrl = broker.managementUrl;
export const vhosts = topology.vhostNames;
export const users = topology.userNames;
export const queues = topology.queueNames;
export const credentials = topology.userPasswords;
export const alertRouting = spec.alerting ? alertRoutes(spec.alerting, spec.topology) : undefined;
export const alertingEndpoint = spec.alerting
  ? { vhost: spec.alerting.vhost, exchange: spec.alerting.exchange, producerUser: spec.alerting.producerUser }
  : undefined;
