// The typed topology spec: everything that lives inside RabbitMQ, after validation and defaults.
// Every object carries `path`, the config path it came from, so later checks can name it.

export const QUEUE_TYPES = ["classic", "quorum", "stream"] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

export const EXCHANGE_TYPES = ["direct", "fanout", "topic", "headers"] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];

export const POLICY_APPLY_TO = ["queues", "exchanges", "all"] as const;
export type PolicyApplyTo = (typeof POLICY_APPLY_TO)[number];

export const OPERATOR_POLICY_APPLY_TO = ["queues"] as const;

export const USER_TAGS = [
  "administrator",
  "monitoring",
  "management",
  "policymaker",
  "impersonator",
] as const;
export type UserTag = (typeof USER_TAGS)[number];

/** A JSON value as RabbitMQ stores it in arguments and policy definitions. */
export type ArgValue = string | number | boolean | null | ArgValue[] | { [k: string]: ArgValue };
export type Arguments = Record<string, ArgValue>;

interface Located {
  /** Config path of the object, e.g. `warren:topology.queues[2]`, for error messages only. */
  readonly path: string;
}

export interface VHostSpec extends Located {
  readonly name: string;
  readonly description?: string;
  readonly defaultQueueType?: QueueType;
  readonly limits?: { readonly maxConnections?: number; readonly maxQueues?: number };
}

export interface UserSpec extends Located {
  readonly name: string;
  readonly tags: readonly string[];
}

export interface PermissionSpec extends Located {
  readonly user: string;
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface TopicPermissionSpec extends Located {
  readonly user: string;
  readonly vhost: string;
  readonly exchange: string;
  readonly write: string;
  readonly read: string;
}

export interface ExchangeSpec extends Located {
  readonly name: string;
  readonly vhost: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly alternateExchange?: string;
  readonly arguments: Arguments;
}

export interface QueueSpec extends Located {
  readonly name: string;
  readonly vhost: string;
  readonly type: QueueType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Arguments;
}

export type DestinationType = "queue" | "exchange";

export interface BindingSpec extends Located {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationType: DestinationType;
  readonly routingKey: string;
  readonly arguments: Arguments;
}

export interface PolicySpec extends Located {
  readonly name: string;
  readonly vhost: string;
  readonly pattern: string;
  readonly applyTo: PolicyApplyTo;
  readonly priority: number;
  readonly definition: Arguments;
}

export interface TopologySpec {
  readonly vhosts: readonly VHostSpec[];
  readonly users: readonly UserSpec[];
  readonly permissions: readonly PermissionSpec[];
  readonly topicPermissions: readonly TopicPermissionSpec[];
  readonly exchanges: readonly ExchangeSpec[];
  readonly queues: readonly QueueSpec[];
  readonly bindings: readonly BindingSpec[];
  readonly policies: readonly PolicySpec[];
  readonly operatorPolicies: readonly PolicySpec[];
}

export function emptyTopology(): TopologySpec {
  return {
    vhosts: [],
    users: [],
    permissions: [],
    topicPermissions: [],
    exchanges: [],
    queues: [],
    bindings: [],
    policies: [],
    operatorPolicies: [],
  };
}

/** The exchange every vhost has, which routes by queue name. */
export const DEFAULT_EXCHANGE = "";

/** Exchanges RabbitMQ declares in every vhost; references to them need no declaration. */
export const BUILTIN_EXCHANGES: ReadonlyMap<string, ExchangeType> = new Map([
  ["amq.direct", "direct"],
  ["amq.fanout", "fanout"],
  ["amq.topic", "topic"],
  ["amq.headers", "headers"],
  ["amq.match", "headers"],
  ["amq.rabbitmq.trace", "topic"],
]);
