// The Docker runtime (dev stacks): the cluster, the dispatchers and the dev sink. Loaded only by
// stacks of this runtime (components/platform), so others never load @pulumi/docker.
export { DockerCluster, type DockerClusterArgs } from "./cluster";
export { DockerConsumers, type DockerConsumersArgs } from "./consumers";
export { Sink, type SinkArgs } from "./sink";
