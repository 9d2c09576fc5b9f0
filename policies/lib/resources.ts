// What the rules read from resources: type tokens, and the few property shapes they need
// (queue arguments, policy definitions, pod specs), in one place.
//
// The engine types every resource's properties as `Record<string, any>`. The rules never read
// that directly: `propsOf` (one resource) and `ofType` (a stack's resources of one type) give the
// properties in the shape of the resource's type, below, and are the only casts from the engine's
// type. Each shape is the provider's input type (or the Kubernetes API object) cut down to the
// fields the rules read: a field is required only where the provider or the API requires it and a
// rule relies on it being there; every other one is optional, so a rule has to say what it does
// when the field is missing.
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

// --- rabbitmq (@pulumi/rabbitmq's QueueArgs, ExchangeArgs, ...) ---

export interface QueueProps {
  readonly name?: string;
  readonly vhost?: string;
  readonly settings?: {
    readonly durable?: boolean;
    readonly autoDelete?: boolean;
    /** String values (the provider's `arguments`); typed ones come in `argumentsJson`. */
    readonly arguments?: Record<string, unknown>;
    readonly argumentsJson?: string;
  };
}

export interface ExchangeProps {
  readonly name?: string;
  readonly vhost?: string;
  readonly settings?: {
    readonly type?: string;
    readonly durable?: boolean;
    readonly autoDelete?: boolean;
    readonly arguments?: Record<string, string>;
  };
}

export interface BindingProps {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationType?: string;
  readonly routingKey?: string;
  readonly arguments?: Record<string, string>;
  readonly argumentsJson?: string;
}

export interface UserProps {
  readonly name?: string;
  /** Unknown (and throws when read) during a preview that generates it. */
  readonly password?: string;
  readonly tags?: string[];
}

export interface PermissionsProps {
  readonly user: string;
  readonly vhost?: string;
  readonly permissions: {
    readonly configure: string;
    readonly write: string;
    readonly read: string;
  };
}

export interface TopicPermissionsProps {
  readonly user: string;
  readonly vhost?: string;
  readonly permissions: { readonly exchange: string }[];
}

/** A policy or an operator policy. */
export interface PolicyProps {
  readonly name?: string;
  readonly vhost: string;
  readonly policy?: {
    readonly pattern?: string;
    readonly applyTo?: string;
    readonly priority?: number;
    /** Values are strings (integer-looking ones are numbers on the broker). */
    readonly definition?: Record<string, string>;
  };
}

// --- Kubernetes (the API objects, as @pulumi/kubernetes takes them) ---

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
}

export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
}

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly env?: { readonly name: string; readonly value?: string }[];
  readonly resources?: {
    readonly requests?: Record<string, string>;
    readonly limits?: Record<string, string>;
  };
  readonly securityContext?: SecurityContext;
  readonly readinessProbe?: unknown;
  readonly livenessProbe?: unknown;
}

export interface PodSpec {
  readonly containers?: Container[];
  readonly initContainers?: Container[];
  readonly securityContext?: SecurityContext;
  readonly volumes?: { readonly name: string; readonly emptyDir?: unknown }[];
}

/** A StatefulSet or a Deployment. */
export interface WorkloadProps {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly replicas?: number;
    readonly template?: { readonly metadata?: ObjectMeta; readonly spec?: PodSpec };
    readonly volumeClaimTemplates?: { readonly metadata?: ObjectMeta }[];
  };
}

export interface ServiceProps {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly type?: string;
    readonly ports?: { readonly port: number; readonly targetPort?: number | string }[];
    readonly loadBalancerSourceRanges?: string[];
  };
}

export interface ConfigMapProps {
  readonly metadata?: ObjectMeta;
  readonly data?: Record<string, string>;
}

export interface PdbProps {
  readonly metadata?: ObjectMeta;
  readonly spec?: { readonly selector?: { readonly matchLabels?: Record<string, string> } };
}

export interface HpaProps {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly minReplicas?: number;
    readonly scaleTargetRef?: { readonly kind: string; readonly name: string };
  };
}

// --- Docker (@pulumi/docker's ContainerArgs, RemoteImageArgs) ---

export interface DockerContainerProps {
  readonly name?: string;
  /** An image ID; unknown (and throws when read) during a first preview. */
  readonly image?: string;
  readonly envs?: string[];
  readonly ports?: {
    readonly internal: number;
    readonly external?: number;
    readonly ip?: string;
  }[];
  readonly uploads?: { readonly file: string; readonly content?: string }[];
}

export interface RemoteImageProps {
  readonly name?: string;
}

/** The shape of each type's properties. */
export interface PropsByType {
  [T.user]: UserProps;
  [T.permissions]: PermissionsProps;
  [T.topicPermissions]: TopicPermissionsProps;
  [T.exchange]: ExchangeProps;
  [T.queue]: QueueProps;
  [T.binding]: BindingProps;
  [T.policy]: PolicyProps;
  [T.operatorPolicy]: PolicyProps;
  [T.service]: ServiceProps;
  [T.configMap]: ConfigMapProps;
  [T.statefulSet]: WorkloadProps;
  [T.deployment]: WorkloadProps;
  [T.pdb]: PdbProps;
  [T.hpa]: HpaProps;
  [T.container]: DockerContainerProps;
  [T.remoteImage]: RemoteImageProps;
}

export type TypeWithProps = keyof PropsByType;

/** The subset of a resource the rules look at (what both validate callbacks receive). */
export interface ResourceLike {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Record<string, unknown>;
  readonly opts?: { readonly protect?: boolean; readonly parent?: string };
}

/** A resource of a stack, as the engine gives it (`validateStack`'s `args.resources`). */
export type StackResource = Pick<PolicyResource, "type" | "name" | "urn" | "props" | "opts">;

/** A stack resource of type `K`, its properties in that type's shape. */
export type Typed<K extends TypeWithProps> = Omit<StackResource, "props"> & {
  readonly type: K;
  readonly props: PropsByType[K];
};

/**
 * The properties of `r` in the shape of its type, when its type is one of `types`; otherwise
 * undefined. The object is the engine's own (not a copy), so reading a field that is unknown
 * during a preview still throws where it is read.
 */
export function propsOf<K extends TypeWithProps>(
  r: Pick<ResourceLike, "type" | "props">,
  ...types: K[]
): PropsByType[K] | undefined {
  return types.some((t) => t === r.type) ? (r.props as unknown as PropsByType[K]) : undefined;
}

/**
 * The rabbitmq.conf files warren renders for the nodes that one resource carries: a Kubernetes
 * ConfigMap's `rabbitmq.conf`, a Docker container's upload of it; each with where it is, for
 * messages (`configmap "warren-config"`, `container "warren-dev-rabbit-1"`).
 */
export function renderedConfs(
  r: Pick<ResourceLike, "type" | "name" | "props">,
): { readonly conf: string; readonly where: string }[] {
  const out: { conf: string; where: string }[] = [];
  const configMap = propsOf(r, T.configMap);
  const conf = configMap?.data?.["rabbitmq.conf"];
  if (typeof conf === "string")
    out.push({ conf, where: `configmap "${configMap?.metadata?.name ?? r.name}"` });
  const container = propsOf(r, T.container);
  for (const u of container?.uploads ?? [])
    if (u.file.endsWith("/rabbitmq.conf") && typeof u.content === "string")
      out.push({ conf: u.content, where: `container "${String(container?.name)}"` });
  return out;
}

/**
 * warren's topology resources that each hold many broker objects: one per vhost (its exchanges,
 * queues, bindings, policies), and one for the users and their grants.
 */
export const BATCHED = {
  vhostObjects: "pulumi-nodejs:dynamic/warren:VhostObjects",
  access: "pulumi-nodejs:dynamic/warren:BrokerAccess",
} as const;

const values = (o: unknown): unknown[] =>
  o && typeof o === "object" ? Object.values(o as Record<string, unknown>) : [];

/** The broker objects a batched resource holds, each with the type token of its kind. */
function contained(r: Pick<ResourceLike, "type" | "props">): [TypeWithProps, unknown][] {
  const p = r.props;
  if (r.type === BATCHED.vhostObjects)
    return [
      ...values(p.exchanges).map((x): [TypeWithProps, unknown] => [T.exchange, x]),
      ...values(p.queues).map((x): [TypeWithProps, unknown] => [T.queue, x]),
      ...values(p.bindings).map((x): [TypeWithProps, unknown] => [T.binding, x]),
      ...values(p.policies).map((x): [TypeWithProps, unknown] => [T.policy, x]),
      ...values(p.operatorPolicies).map((x): [TypeWithProps, unknown] => [T.operatorPolicy, x]),
    ];
  if (r.type === BATCHED.access) {
    const given = (p.given ?? {}) as Record<string, string>;
    return [
      ...values(p.users).map((u): [TypeWithProps, unknown] => {
        const name = (u as { name: string }).name;
        return [T.user, { ...(u as object), ...(name in given ? { password: given[name] } : {}) }];
      }),
      ...values(p.permissions).map((x): [TypeWithProps, unknown] => [T.permissions, x]),
      ...values(p.topicPermissions).map((x): [TypeWithProps, unknown] => [T.topicPermissions, x]),
    ];
  }
  return [];
}

/**
 * The broker objects of the given types in one resource: the resource itself when it is one, or
 * those a batched resource holds (see BATCHED).
 */
export function objectsOf<K extends TypeWithProps>(
  r: Pick<ResourceLike, "type" | "props">,
  ...types: K[]
): { readonly type: K; readonly props: PropsByType[K] }[] {
  const own = propsOf(r, ...types);
  if (own) return [{ type: r.type as K, props: own }];
  return contained(r)
    .filter(([t]) => (types as string[]).includes(t))
    .map(([type, props]) => ({ type: type as K, props: props as PropsByType[K] }));
}

/**
 * The resources of type `type`, their properties in its shape; broker objects held by a batched
 * resource come as entries of their own type, with the batched resource's URN and name.
 */
export function ofType<K extends TypeWithProps>(
  resources: readonly StackResource[],
  type: K,
): Typed<K>[] {
  return resources.flatMap((r) =>
    r.type === type
      ? [r as Typed<K>]
      : contained(r)
          .filter(([t]) => t === type)
          .map(([, props]) => ({ ...r, type, props }) as unknown as Typed<K>),
  );
}

/** A queue's arguments, from `argumentsJson` (typed) or `arguments` (strings). */
export function queueArguments(queue: QueueProps): Record<string, unknown> {
  const settings = queue.settings ?? {};
  if (typeof settings.argumentsJson === "string" && settings.argumentsJson !== "") {
    try {
      return JSON.parse(settings.argumentsJson) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return settings.arguments ?? {};
}

export function queueType(queue: QueueProps): string {
  const t = queueArguments(queue)["x-queue-type"];
  return typeof t === "string" ? t : "classic";
}

/** `vhost/name`, the identity of exchanges and queues (a missing one reads `undefined`). */
export const objectId = (o: { readonly vhost?: string; readonly name?: string }) =>
  `${String(o.vhost)}/${String(o.name)}`;

/** Pod template of a workload (StatefulSet, Deployment). */
export function podSpec(workload: WorkloadProps): PodSpec | undefined {
  return workload.spec?.template?.spec;
}

export function containersOf(workload: WorkloadProps): Container[] {
  const spec = podSpec(workload);
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** Whether a workload runs RabbitMQ (our cluster components label it so). */
export function isRabbitWorkload(workload: WorkloadProps): boolean {
  const labels = workload.metadata?.labels ?? {};
  return labels["app.kubernetes.io/name"] === "rabbitmq";
}

/** Whether a workload is an alert consumer (our consumer components label it so). */
export function isConsumerWorkload(workload: WorkloadProps): boolean {
  const labels = workload.metadata?.labels ?? {};
  return labels["app.kubernetes.io/component"] === "consumer";
}
