// What the rules read from resources: type tokens, and the few property shapes they need
// (queue arguments, policy definitions, pod specs), in one place.
import type { PolicyResource } from "@pulumi/policy";

export const T = {
  vhost: "rabbitmq:index/vHost:VHost",
  user: "rabbitmq:index/user:User",
  permissions: "rabbitmq:index/permissions:Permissions",
  topicPermissions: "rabbitmq:index/topicPermissions:TopicPermissions",
  exchange: "rabbitmq:index/exchange:Exchange",
  queue: "rabbitmq:index/queue:Queue",
  binding: "rabbitmq:index/binding:Binding",
  policy: "rabbitmq:index/policy:Policy",
  operatorPolicy: "rabbitmq:index/operatorPolicy:OperatorPolicy",
  topology: "warren:rabbitmq:Topology",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  deployment: "kubernetes:apps/v1:Deployment",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
} as const;

/** The subset of a resource the rules look at (what both validate callbacks receive). */
export interface ResourceLike {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly props: Record<string, any>;
  readonly opts?: { readonly protect?: boolean; readonly parent?: string };
}

export type StackResource = Pick<PolicyResource, "type" | "name" | "urn" | "props" | "opts">;

/** A queue's arguments, from `argumentsJson` (typed) or `arguments` (strings). */
export function queueArguments(props: Record<string, unknown>): Record<string, unknown> {
  const settings = (props.settings ?? {}) as {
    argumentsJson?: string;
    arguments?: Record<string, unknown>;
  };
  if (typeof settings.argumentsJson === "string" && settings.argumentsJson !== "") {
    try {
      return JSON.parse(settings.argumentsJson) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return settings.arguments ?? {};
}

export function queueType(props: Record<string, unknown>): string {
  const t = queueArguments(props)["x-queue-type"];
  return typeof t === "string" ? t : "classic";
}

/** `vhost/name`, the identity of exchanges and queues. */
export const objectId = (props: Record<string, unknown>) => `${props.vhost}/${props.name}`;

/** Pod template of a workload (StatefulSet, Deployment). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function podSpec(props: Record<string, any>): Record<string, any> | undefined {
  return props.spec?.template?.spec;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function containersOf(props: Record<string, any>): Record<string, any>[] {
  const spec = podSpec(props);
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** Whether a workload runs RabbitMQ (our cluster components label it so). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isRabbitWorkload(props: Record<string, any>): boolean {
  const labels = props.metadata?.labels ?? {};
  return labels["app.kubernetes.io/name"] === "rabbitmq";
}

/** Whether a workload is an alert consumer (our consumer components label it so). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isConsumerWorkload(props: Record<string, any>): boolean {
  const labels = props.metadata?.labels ?? {};
  return labels["app.kubernetes.io/component"] === "consumer";
}
