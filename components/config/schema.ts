// The shape of the `warren:*` stack config: one zod schema per key, strict (unknown keys are
// errors), with the defaults documented in README. Cross-object rules live in validate.ts files.
import { z } from "zod";
import { consumersSchema } from "../alerting/consumers-schema";
import { secretValue } from "./secret";
import { clusterSchema } from "../cluster/schema";
import { EXCHANGE_TYPES, POLICY_APPLY_TO, QUEUE_TYPES } from "../topology/spec";

const name = z.string().min(1, "must not be empty");
const regex = z.string();
const argValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(argValue), z.record(argValue)]),
);
const args = z.record(argValue);

export { secretValue } from "./secret";

export const vhostSchema = z
  .object({
    name,
    description: z.string().optional(),
    defaultQueueType: z.enum(QUEUE_TYPES).optional(),
    limits: z
      .object({
        maxConnections: z.number().int().min(0).optional(),
        maxQueues: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const userSchema = z.object({ name, tags: z.array(z.string()).default([]) }).strict();

export const permissionSchema = z
  .object({ user: name, vhost: name, configure: regex, write: regex, read: regex })
  .strict();

export const topicPermissionSchema = z
  .object({ user: name, vhost: name, exchange: name, write: regex, read: regex })
  .strict();

export const exchangeSchema = z
  .object({
    name,
    vhost: name,
    type: z.enum(EXCHANGE_TYPES),
    durable: z.boolean().default(true),
    autoDelete: z.boolean().default(false),
    internal: z.boolean().default(false),
    alternateExchange: z.string().optional(),
    arguments: args.default({}),
  })
  .strict();

export const queueSchema = z
  .object({
    name,
    vhost: name,
    type: z.enum(QUEUE_TYPES).optional(),
    durable: z.boolean().default(true),
    autoDelete: z.boolean().default(false),
    arguments: args.default({}),
  })
  .strict();

export const bindingSchema = z
  .object({
    vhost: name,
    source: z.string(),
    destination: name,
    destinationType: z.enum(["queue", "exchange"]).default("queue"),
    routingKey: z.string().default(""),
    arguments: args.default({}),
  })
  .strict();

export const policySchema = z
  .object({
    name,
    vhost: name,
    pattern: regex,
    applyTo: z.enum(POLICY_APPLY_TO),
    priority: z.number().int().default(0),
    definition: args,
  })
  .strict();

export const topologySchema = z
  .object({
    vhosts: z.array(vhostSchema).default([]),
    users: z.array(userSchema).default([]),
    permissions: z.array(permissionSchema).default([]),
    topicPermissions: z.array(topicPermissionSchema).default([]),
    exchanges: z.array(exchangeSchema).default([]),
    queues: z.array(queueSchema).default([]),
    bindings: z.array(bindingSchema).default([]),
    policies: z.array(policySchema).default([]),
    operatorPolicies: z.array(policySchema).default([]),
  })
  .strict();

/** `5s`, `30s`, `5m`, `1h`, `250ms`, or a number of milliseconds. */
export const durationSchema = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration like "5s", "30s", "5m", "1h" or "250ms"'),
]);

export const channelSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, "must be lower-case letters, digits and dashes, starting with a letter"),
    minSeverity: z.string(),
    queueType: z.enum(["classic", "quorum"]).optional(),
    maxLength: z.number().int().positive().optional(),
  })
  .strict();

export const alertingSchema = z
  .object({
    enabled: z.boolean().default(true),
    vhost: name.default("alerting"),
    exchange: name.default("alerts"),
    severities: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, "must be lower-case letters, digits and dashes")).optional(),
    channels: z.array(channelSchema).optional(),
    queueType: z.enum(["classic", "quorum"]).default("quorum"),
    maxLength: z.number().int().positive().default(100_000),
    parkedMaxLength: z.number().int().positive().default(1_000_000),
    retry: z
      .object({ delays: z.array(durationSchema).default(["5s", "30s", "5m"]) })
      .strict()
      .default({}),
    users: z
      .object({
        producer: name.default("alerts-producer"),
        consumerPrefix: name.default("alerts-consumer-"),
        monitoring: name.default("alerts-monitor"),
      })
      .strict()
      .default({}),
  })
  .strict();

export const brokerSchema = z
  .object({
    managementUrl: z.string().url("must be a URL such as http://127.0.0.1:15672"),
    username: name,
    /** Secret. Optional in the stack file (`npm run up` sets it per machine); required to run. */
    password: secretValue.optional(),
    insecure: z.boolean().default(false),
  })
  .strict();

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const RUNTIMES = ["external", "docker", "kubernetes"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** The Docker runtime: where the nodes' ports are published (always on 127.0.0.1). */
export const dockerSchema = z
  .object({
    /** Docker network of the nodes (and consumers). @default "warren-<stack>" */
    network: name.optional(),
    /** Host port of node 1's management API; node i gets this + i - 1. @default 15672 */
    managementPort: z.number().int().min(1024).max(65535).default(15672),
    /** Host port of node 1's AMQP listener; node i gets this + i - 1. @default 5672 */
    amqpPort: z.number().int().min(1024).max(65535).default(5672),
    /** Keep the node volumes (data and logs) when the stack is destroyed. @default false */
    retainVolumes: z.boolean().default(false),
    /**
     * A local sink standing in for every alert target (apps/sink, host `sink` on the network),
     * its HTTP API published on 127.0.0.1 at `port`. For dev stacks. @default off
     */
    sink: z.object({ port: z.number().int().min(1024).max(65535).default(18080), image: z.string().default("warren/sink:0.1.0") }).strict().optional(),
  })
  .strict();

/** The Kubernetes runtime: how `pulumi` reaches the management API from outside the cluster. */
export const kubernetesSchema = z
  .object({
    /**
     * The management API as reachable from where `pulumi` runs (an ingress, a load balancer, or
     * `kubectl port-forward svc/<name> 15672` → http://127.0.0.1:15672).
     */
    managementUrl: z.string().url("must be a URL such as http://127.0.0.1:15672"),
    /** Namespace of the nodes; created unless `createNamespace` is false. @default "warren" */
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label (lower-case letters, digits and dashes)")
      .default("warren"),
    createNamespace: z.boolean().default(true),
  })
  .strict();

/** Every `warren:*` key; anything else in the namespace is a typo and an error. */
export const warrenConfigSchema = z
  .object({
    environment: z.enum(ENVIRONMENTS),
    runtime: z.enum(RUNTIMES).default("external"),
    broker: brokerSchema.optional(),
    cluster: clusterSchema.optional(),
    docker: dockerSchema.optional(),
    kubernetes: kubernetesSchema.optional(),
    topology: topologySchema.default({}),
    alerting: alertingSchema.optional(),
    consumers: consumersSchema.optional(),
    /** Explicit user passwords (a secret map user → password); users not listed get generated ones. */
    passwords: z.union([z.record(z.string().min(1)), z.object({ secure: z.string() }).strict()]).optional(),
  })
  .strict();

export type RawWarrenConfig = z.input<typeof warrenConfigSchema>;
export type ParsedWarrenConfig = z.output<typeof warrenConfigSchema>;
export type AlertingConfig = z.output<typeof alertingSchema>;
export type DockerConfig = z.output<typeof dockerSchema>;
export type KubernetesConfig = z.output<typeof kubernetesSchema>;
