// The Kubernetes runtime (staging, prod): the cluster and the dispatchers. Loaded only by stacks
// of this runtime (components/platform), so others never load @pulumi/kubernetes.
export { KubernetesCluster, type KubernetesClusterArgs } from "./cluster";
export { KubernetesConsumers, type KubernetesConsumersArgs } from "./consumers";
